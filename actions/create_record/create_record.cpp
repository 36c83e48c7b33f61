// The create_record action: creates a record of any module, linked to the triggering record.
//
//   {"plugin": "create_record",
//    "params": {"module": "Tasks", "fields": {"name": "Follow-up", "priority": "High"}}}
//
// Any field of the target module may be set; the host fills id, dates, deleted and the
// users (the run-as user) as the CRM would, and links the new record to the triggering one
// ("link": false to leave it unlinked). Effect class database: the record is written in the
// event's transaction, so it exists once the event is handled — exactly once.
#include <crmflow/sdk.hpp>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

class CreateRecord final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"create_record", "1.0.0", R"({
    "type": "object",
    "required": ["module", "fields"],
    "additionalProperties": false,
    "properties": {
      "module": {"type": "string", "minLength": 1},
      "fields": {"type": "object"},
      "link": {"type": "boolean", "default": true}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit CreateRecord(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"module", "fields", "link"});
    if (!params.contains("module") || !params["module"].is_string() ||
        params["module"].get<std::string>().empty()) {
      throw Error("parameters: 'module' must name the module of the new record");
    }
    if (!params.contains("fields") || !params["fields"].is_object()) {
      throw Error("parameters: 'fields' must be an object of field → value");
    }
    for (const auto& [field, value] : params["fields"].items()) {
      if (value.is_object() || value.is_array()) {
        throw Error("parameters: fields." + field + ": expected text, a number or null");
      }
    }
    if (params.contains("link") && !params["link"].is_boolean()) {
      throw Error("parameters: 'link' must be true or false");
    }
    module_ = params["module"].get<std::string>();
    fields_ = params["fields"];
    link_ = params.value("link", true);
  }

  void run(const crmflow::sdk::Call& call) const override {
    const std::string id = call.create_record(module_, fields_, link_);
    call.log(crmflow::sdk::Level::debug, "created " + module_ + " " + id);
  }

 private:
  std::string module_;
  Json fields_;
  bool link_ = true;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.create_record", "1.0.0", CreateRecord)
