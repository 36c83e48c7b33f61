// The update_record action: sets fields of the triggering record.
//
//   {"plugin": "update_record", "params": {"fields": {"status": "Contacted"}}}
//
// The host sets date_modified and the modified-by user (the run-as user), as the CRM would.
// The write is labelled as crmflow's, so the event it causes names this workflow as its
// cause. Effect class database: written in the event's transaction.
#include <crmflow/sdk.hpp>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

class UpdateRecord final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"update_record", "1.0.0", R"({
    "type": "object",
    "required": ["fields"],
    "additionalProperties": false,
    "properties": {"fields": {"type": "object", "minProperties": 1}}})",
                                           crmflow::sdk::Effect::database};

  explicit UpdateRecord(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"fields"});
    if (!params.contains("fields") || !params["fields"].is_object() || params["fields"].empty()) {
      throw Error("parameters: 'fields' must be an object with at least one field → value");
    }
    for (const auto& [field, value] : params["fields"].items()) {
      if (value.is_object() || value.is_array()) {
        throw Error("parameters: fields." + field + ": expected text, a number or null");
      }
    }
    fields_ = params["fields"];
  }

  void run(const crmflow::sdk::Call& call) const override {
    call.update_record(call.module(), call.record_id(), fields_);
  }

 private:
  Json fields_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.update_record", "1.0.0", UpdateRecord)
