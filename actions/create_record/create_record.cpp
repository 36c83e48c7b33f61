// The create_record action: creates a record of any module, linked to the triggering record.
//
//   {"plugin": "create_record",
//    "params": {"module": "Tasks", "fields": {"name": "Follow-up with {{record.last_name}}",
//                                             "priority": "High", "date_due": "now+14d"}}}
//
// Any field of the target module may be set; the host fills id, dates, deleted and the
// users (the run-as user) as the CRM would, and links the new record to the triggering one
// ("link": false to leave it unlinked). A text value holding "{{" is a template rendered over
// the triggering record ({{record.*}}, {{<relation>.*}}, {{user.*}}); a date column also takes
// a date expression (now+14d, today, 2027-03-01-30d), which the host evaluates. Effect class
// database: the record is written in the event's transaction, so it exists once the event is
// handled — exactly once.
//
// The same file offers presets that fix the module: create_task (Tasks), schedule_call
// (Calls), create_opportunity (Opportunities) and create_project (Project), each with
// "fields" and an optional "link".
#include <crmflow/sdk.hpp>

#include <optional>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

// Creates a record of one module; `module` fixed by a preset, else read from the parameters.
class Creator : public crmflow::sdk::Action {
 public:
  Creator(const Json& params, std::optional<std::string_view> module) {
    if (module) {
      crmflow::sdk::expect_parameters(params, {"fields", "link"});
      module_ = *module;
    } else {
      crmflow::sdk::expect_parameters(params, {"module", "fields", "link"});
      if (!params.contains("module") || !params["module"].is_string() ||
          params["module"].get<std::string>().empty()) {
        throw Error("parameters: 'module' must name the module of the new record");
      }
      module_ = params["module"].get<std::string>();
    }
    fields_ = crmflow::sdk::expect_field_values(params, "fields", false);
    if (params.contains("link") && !params["link"].is_boolean()) {
      throw Error("parameters: 'link' must be true or false");
    }
    link_ = params.value("link", true);
  }

  void run(const crmflow::sdk::Call& call) const override {
    const std::string id = call.create_record(
        module_, crmflow::sdk::render_field_values(call, fields_, "fields"), link_);
    call.log(crmflow::sdk::Level::debug, "created " + module_ + " " + id);
  }

 private:
  std::string module_;
  Json fields_;
  bool link_ = true;
};

class CreateRecord final : public Creator {
 public:
  static constexpr crmflow::sdk::Info info{"create_record", "1.1.0", R"({
    "type": "object",
    "required": ["module", "fields"],
    "additionalProperties": false,
    "properties": {
      "module": {"type": "string", "minLength": 1},
      "fields": {"type": "object",
                 "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
      "link": {"type": "boolean", "default": true}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit CreateRecord(const Json& params) : Creator(params, std::nullopt) {}
};

inline constexpr std::string_view kPresetSchema = R"({
    "type": "object",
    "required": ["fields"],
    "additionalProperties": false,
    "properties": {
      "fields": {"type": "object",
                 "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
      "link": {"type": "boolean", "default": true}
    }})";

// A create_record whose module is fixed: `Traits` names the component and its module.
template <class Traits>
class Preset final : public Creator {
 public:
  static constexpr crmflow::sdk::Info info{Traits::name, "1.1.0", kPresetSchema,
                                           crmflow::sdk::Effect::database};

  explicit Preset(const Json& params) : Creator(params, Traits::module) {}
};

struct TaskTraits {
  static constexpr std::string_view name = "create_task", module = "Tasks";
};
struct CallTraits {
  static constexpr std::string_view name = "schedule_call", module = "Calls";
};
struct OpportunityTraits {
  static constexpr std::string_view name = "create_opportunity", module = "Opportunities";
};
struct ProjectTraits {
  static constexpr std::string_view name = "create_project", module = "Project";
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.create_record", "1.1.0", CreateRecord, Preset<TaskTraits>,
               Preset<CallTraits>, Preset<OpportunityTraits>, Preset<ProjectTraits>)
