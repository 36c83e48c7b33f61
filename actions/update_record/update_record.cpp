// The update_record action: sets fields of the triggering record.
//
//   {"plugin": "update_record",
//    "params": {"fields": {"status": "Contacted", "description": "Called by {{user.full_name}}",
//                          "date_due": "today+3d"}}}
//
// A text value holding "{{" is a template rendered over the record ({{record.*}},
// {{<relation>.*}}, {{user.*}}); a date column also takes a date expression (now+14d, today,
// 2027-03-01-30d), which the host evaluates.
// The host sets date_modified and the modified-by user (the run-as user), as the CRM would.
// The write is labelled as crmflow's, so the event it causes names this workflow as its
// cause. Effect class database: written in the event's transaction.
#include <crmflow/sdk.hpp>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

class UpdateRecord final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"update_record", "1.1.0", R"({
    "type": "object",
    "required": ["fields"],
    "additionalProperties": false,
    "properties": {"fields": {"type": "object", "minProperties": 1,
      "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}}})",
                                           crmflow::sdk::Effect::database};

  explicit UpdateRecord(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"fields"});
    fields_ = crmflow::sdk::expect_field_values(params, "fields");
  }

  void run(const crmflow::sdk::Call& call) const override {
    call.update_record(call.module(), call.record_id(),
                       crmflow::sdk::render_field_values(call, fields_, "fields"));
  }

 private:
  Json fields_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.update_record", "1.1.0", UpdateRecord)
