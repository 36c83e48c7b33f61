// The schedule_meeting action: a meeting linked to the triggering record, with invitees.
//
//   {"plugin": "schedule_meeting",
//    "params": {"fields": {"name": "Kick-off {{record.name}}", "date_start": "now+7d",
//                          "duration_minutes": 60},
//               "invite": [{"relation": "customer_contact"}, "run_as_user"]}}
//
// "fields" are fields of Meetings: text holding "{{" is a template over the triggering record,
// a date column takes a date expression (now+7d, today+1d, 2027-03-01 08:00:00). Each entry of
// "invite" is the run-as user or a relation of the triggering record whose records are invited.
// An invitee goes into the Meetings relation named for its module in "relations" (default
// Users → "users", Contacts → "contacts", the join tables of the module map). Effect class
// database: the meeting and its invitations are written in the event's transaction.
#include <crmflow/sdk.hpp>

#include <string>
#include <vector>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

constexpr std::string_view kMeetings = "Meetings";
constexpr std::string_view kRunAsUser = "run_as_user";

class ScheduleMeeting final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"schedule_meeting", "1.0.0", R"({
    "type": "object",
    "required": ["fields"],
    "additionalProperties": false,
    "properties": {
      "fields": {"type": "object", "minProperties": 1,
                 "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
      "invite": {"type": "array", "items": {"anyOf": [
        {"const": "run_as_user"},
        {"type": "object", "required": ["relation"], "additionalProperties": false,
         "properties": {"relation": {"type": "string", "minLength": 1}}}]}},
      "relations": {"type": "object",
                    "additionalProperties": {"type": "string", "minLength": 1},
                    "default": {"Users": "users", "Contacts": "contacts"}}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit ScheduleMeeting(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"fields", "invite", "relations"});
    fields_ = crmflow::sdk::expect_field_values(params, "fields");
    const Json invite = params.value("invite", Json::array());
    if (!invite.is_array()) throw Error("parameters: 'invite' must be a list");
    for (size_t i = 0; i < invite.size(); ++i) {
      const Json& entry = invite[i];
      if (entry == kRunAsUser) {
        invite_relations_.emplace_back();
      } else if (entry.is_object() && entry.size() == 1 && entry.contains("relation") &&
                 entry["relation"].is_string() && !entry["relation"].get<std::string>().empty()) {
        invite_relations_.push_back(entry["relation"].get<std::string>());
      } else {
        throw Error("parameters: invite[" + std::to_string(i) +
                    "]: expected \"run_as_user\" or {\"relation\": \"<relation of the record>\"}");
      }
    }
    relations_ = params.value("relations", Json{{"Users", "users"}, {"Contacts", "contacts"}});
    if (!relations_.is_object()) {
      throw Error("parameters: 'relations' must map an invitee's module to a Meetings relation");
    }
    for (const auto& [module, relation] : relations_.items()) {
      if (!relation.is_string() || relation.get<std::string>().empty()) {
        throw Error("parameters: relations." + module + ": expected the name of a relation");
      }
    }
  }

  void run(const crmflow::sdk::Call& call) const override {
    const std::string meeting = call.create_record(
        kMeetings, crmflow::sdk::render_field_values(call, fields_, "fields"), true);
    for (const std::string& relation : invite_relations_) {
      if (relation.empty()) {
        const std::string user(call.run_as_user());
        if (user.empty()) {
          // Nobody to invite is no reason to lose the meeting itself.
          call.log(crmflow::sdk::Level::warn, "the workflow runs as no user: nobody invited");
          continue;
        }
        invite(call, meeting, "Users", user, kRunAsUser);
        continue;
      }
      for (const Json& related : call.related_records(relation)) {
        invite(call, meeting, related.at("module").get<std::string>(),
               related.at("id").get<std::string>(), relation);
      }
    }
    call.log(crmflow::sdk::Level::debug, "scheduled meeting " + meeting);
  }

 private:
  void invite(const crmflow::sdk::Call& call, const std::string& meeting, const std::string& module,
              const std::string& id, std::string_view source) const {
    const auto it = relations_.find(module);
    if (it == relations_.end()) {
      throw Error("invite " + std::string(source) + ": it reaches " + module +
                      " records, and 'relations' names no Meetings relation for " + module,
                  CRMFLOW_PERMANENT);
    }
    call.link_records(kMeetings, meeting, it->get<std::string>(), id);
  }

  Json fields_;
  std::vector<std::string> invite_relations_;  // empty: the run-as user
  Json relations_;                             // invitee module → Meetings relation
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.schedule_meeting", "1.0.0", ScheduleMeeting)
