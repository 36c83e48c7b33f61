// The update_related action: sets fields of the records related to the triggering record.
//
//   {"plugin": "update_related",
//    "params": {"relation": "contacts",
//               "where": {"primary_account_id": "{{record.id}}"},
//               "fields": {"description": "Billing: {{record.billing_address_street}}"}}}
//
// Reads the records of the relation (module map), keeps those whose fields equal every value
// of "where" (compared as text; null matches NULL; templates allowed), and updates each with
// "fields", whose templates render from the TRIGGERING record, not the related one. A date
// column takes a date expression (now+14d). Effect class database: all updates are written in
// the event's transaction, so either every matching record changes or none does.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

// A parameter value as the text the database would hand back for it.
std::string as_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
  return value.dump();
}

class UpdateRelated final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"update_related", "1.0.0", R"({
    "type": "object",
    "required": ["relation", "fields"],
    "additionalProperties": false,
    "properties": {
      "relation": {"type": "string", "minLength": 1},
      "where": {"type": "object",
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
      "fields": {"type": "object", "minProperties": 1,
                 "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit UpdateRelated(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"relation", "where", "fields"});
    if (!params.contains("relation") || !params["relation"].is_string() ||
        params["relation"].get<std::string>().empty()) {
      throw Error("parameters: 'relation' must name a relation of the workflow's module");
    }
    relation_ = params["relation"].get<std::string>();
    fields_ = crmflow::sdk::expect_field_values(params, "fields");
    where_ = params.contains("where") ? crmflow::sdk::expect_field_values(params, "where", false)
                                      : Json::object();
  }

  void run(const crmflow::sdk::Call& call) const override {
    const Json where = crmflow::sdk::render_field_values(call, where_, "where");
    const Json fields = crmflow::sdk::render_field_values(call, fields_, "fields");
    int updated = 0;
    for (const Json& related : call.related_records(relation_)) {
      const std::string module = related.at("module").get<std::string>();
      const std::string id = related.at("id").get<std::string>();
      if (!matches(related, where)) continue;
      call.update_record(module, id, fields);
      ++updated;
    }
    call.log(crmflow::sdk::Level::debug,
             "updated " + std::to_string(updated) + " record(s) of " + relation_);
  }

 private:
  bool matches(const Json& related, const Json& where) const {
    const Json& fields = related.at("fields");
    for (const auto& [field, wanted] : where.items()) {
      const auto it = fields.find(field);
      if (it == fields.end()) {
        // A misspelt field would otherwise quietly match nothing, on every run.
        throw Error("where." + field + ": " + related.at("module").get<std::string>() +
                        " records of '" + relation_ + "' have no field '" + field + "'",
                    CRMFLOW_PERMANENT);
      }
      if (wanted.is_null() || it->is_null()) {
        if (wanted.is_null() != it->is_null()) return false;
        continue;
      }
      if (as_text(wanted) != it->get<std::string>()) return false;
    }
    return true;
  }

  std::string relation_;
  Json fields_;
  Json where_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.update_related", "1.0.0", UpdateRelated)
