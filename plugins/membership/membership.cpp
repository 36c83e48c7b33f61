// The membership onboarding pack ("CRM Beitrag"): what an association needs when a member's
// contract becomes active, as a partner ships it — its own components, its workflows
// (workflows/) and a signed manifest (manifest.json).
//
//   membership_contract         condition: the record's contract type is one of the
//                               association's membership types (settings)
//   membership_welcome_email    the welcome email listing the contact persons and channels
//   membership_induction_task   the task "Einweisung" (induction) with the agenda
//   membership_anniversary_email  after a year: thanks, and a link to the feedback form
//
// The association's data lives in the host config, not in the workflows, so one pack serves
// many customers:
//   "plugins": {"membership": {"settings": {
//     "association": "Sportverein Muster",
//     "membership_types": ["<contract type id>", ...],
//     "contact_persons": [{"name": "Anna Berger", "role": "Member office",
//                          "email": "anna@verein.example", "phone": "+43 1 234"}],
//     "channels": [{"name": "Member portal", "address": "https://portal.verein.example"}],
//     "induction_days": 14, "induction_topics": ["House rules", "Booking the hall"],
//     "feedback_url": "https://verein.example/feedback"}}}
//
// The emails go out through the host's send_email action (run_action, ABI 1.5), so the SMTP
// settings, retries and the Message-ID of the job stay where they are for every email. The
// code names no table or field of any CRM: the workflows pass in the fields and templates, so
// the pack fits 1CRM and SuiteCRM alike.
#include <crmflow/sdk.hpp>

#include <map>
#include <string>
#include <vector>

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Error;
using crmflow::sdk::Json;

// The association's settings, read once when a component is created; every mistake names the
// setting. Texts become part of email templates, so "{{" in them is refused rather than run.
struct Association {
  std::string name;
  std::vector<std::string> types;
  std::string contacts;  // one line per contact person
  std::string channels;  // one line per channel
  std::string agenda;    // one line per induction topic
  long long induction_days = 14;
  std::string feedback_url;

  explicit Association(const Json& settings) {
    name = text(settings, "association");
    for (const Json& type : list(settings, "membership_types"))
      types.push_back(type.get<std::string>());
    for (const Json& person : list(settings, "contact_persons")) {
      contacts += "  - " + text(person, "name", "contact_persons[].name");
      for (const char* key : {"role", "email", "phone"}) {
        if (person.contains(key))
          contacts += ", " + text(person, key, std::string("contact_persons[].") + key);
      }
      contacts += "\n";
    }
    for (const Json& channel : list(settings, "channels")) {
      channels += "  - " + text(channel, "name", "channels[].name") + ": " +
                  text(channel, "address", "channels[].address") + "\n";
    }
    if (settings.contains("induction_topics")) {
      for (const Json& topic : list(settings, "induction_topics"))
        agenda += "  - " + topic.get<std::string>() + "\n";
    }
    if (settings.contains("induction_days")) {
      if (!settings["induction_days"].is_number_integer() ||
          settings["induction_days"].get<long long>() < 0) {
        throw Error("settings: 'induction_days' must be a whole number of days");
      }
      induction_days = settings["induction_days"].get<long long>();
    }
    if (settings.contains("feedback_url")) feedback_url = text(settings, "feedback_url");
  }

  static std::string text(const Json& object, const std::string& key,
                          const std::string& name = {}) {
    const std::string shown = name.empty() ? key : name;
    if (!object.is_object() || !object.contains(key) || !object[key].is_string() ||
        object[key].get<std::string>().empty()) {
      throw Error("settings: '" + shown + "' must be a non-empty text");
    }
    std::string value = object[key].get<std::string>();
    if (value.find("{{") != std::string::npos)
      throw Error("settings: '" + shown + "' must not contain \"{{\"");
    return value;
  }

  static const Json& list(const Json& settings, const std::string& key) {
    if (!settings.contains(key) || !settings[key].is_array() || settings[key].empty()) {
      throw Error("settings: '" + key + "' must be a non-empty list");
    }
    for (const Json& item : settings[key]) {
      if (item.is_string() && item.get<std::string>().find("{{") != std::string::npos) {
        throw Error("settings: '" + key + "' must not contain \"{{\"");
      }
    }
    return settings[key];
  }
};

class MembershipContract final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"membership_contract", "1.0.0", R"({
    "type": "object", "required": ["field"], "additionalProperties": false,
    "properties": {"field": {"type": "string", "minLength": 1}}})"};

  MembershipContract(const Json& params, const Call& call)
      : field_(crmflow::sdk::expect_field_name(params, "field")), association_(call.settings()) {}

  bool evaluate(const Call& call) const override {
    const auto type = call.field(field_);
    if (!type) return false;
    for (const std::string& wanted : association_.types) {
      if (*type == wanted) return true;
    }
    return false;
  }

 private:
  std::string field_;
  Association association_;
};

// The recipients, the salutation, the membership's name and the member's reference for the
// feedback link: templates that name the CRM's relations and fields, so they belong to the
// workflow, not to the pack's code (which names no field of any CRM).
inline constexpr std::string_view kEmailSchema = R"({
    "type": "object", "required": ["to", "membership", "member_ref"],
    "additionalProperties": false,
    "properties": {
      "to": {"type": "array", "minItems": 1},
      "greeting": {"type": "string", "default": "Dear member,"},
      "membership": {"type": "string", "minLength": 1},
      "member_ref": {"type": "string", "minLength": 1}}})";

// An email of the pack: `compose` writes subject and text from the association's settings.
class MemberEmail : public crmflow::sdk::Action {
 public:
  MemberEmail(const Json& params, const Call& call) : association_(call.settings()) {
    crmflow::sdk::expect_parameters(params, {"to", "greeting", "membership", "member_ref"});
    if (!params.contains("to") || !params["to"].is_array() || params["to"].empty()) {
      throw Error("parameters: 'to' names at least one recipient, as send_email takes them");
    }
    to_ = params["to"];
    greeting_ = params.value("greeting", std::string("Dear member,"));
    for (auto [key, out] : {std::pair{"membership", &membership_}, {"member_ref", &member_ref_}}) {
      if (!params.contains(key) || !params[key].is_string() ||
          params[key].get<std::string>().empty()) {
        throw Error(std::string("parameters: '") + key +
                    "' must be a template, e.g. \"{{record.name}}\"");
      }
      *out = params[key].get<std::string>();
    }
  }

  void run(const Call& call) const override {
    const auto [subject, text] = compose(association_, membership_, member_ref_);
    call.run_action("send_email",
                    {{"to", to_}, {"subject", subject}, {"text", greeting_ + "\n\n" + text}});
  }

 protected:
  // Subject and text; `membership` and `ref` are templates send_email renders.
  virtual std::pair<std::string, std::string> compose(const Association& a,
                                                      const std::string& membership,
                                                      const std::string& ref) const = 0;

 private:
  Association association_;
  Json to_;
  std::string greeting_;
  std::string membership_;
  std::string member_ref_;
};

class WelcomeEmail final : public MemberEmail {
 public:
  static constexpr crmflow::sdk::Info info{"membership_welcome_email", "1.0.0", kEmailSchema,
                                           crmflow::sdk::Effect::external};
  using MemberEmail::MemberEmail;

 private:
  std::pair<std::string, std::string> compose(const Association& a, const std::string& membership,
                                              const std::string&) const override {
    return {"Welcome to " + a.name, "welcome to " + a.name + "! Your membership \"" + membership +
                                        "\" is active.\n\n"
                                        "Your contact persons:\n" +
                                        a.contacts + "\nWhere you find us:\n" + a.channels +
                                        "\nWe look forward to seeing you.\n" + a.name};
  }
};

class AnniversaryEmail final : public MemberEmail {
 public:
  static constexpr crmflow::sdk::Info info{"membership_anniversary_email", "1.0.0", kEmailSchema,
                                           crmflow::sdk::Effect::external};

  AnniversaryEmail(const Json& params, const Call& call) : MemberEmail(params, call) {
    if (call.settings().value("feedback_url", std::string()).empty()) {
      throw Error("settings: 'feedback_url' names the feedback form the email links to");
    }
  }

 private:
  std::pair<std::string, std::string> compose(const Association& a, const std::string&,
                                              const std::string& ref) const override {
    return {"One year with " + a.name + ": thank you",
            "thank you for a year as a member of " + a.name +
                ".\n\n"
                "How was it? Tell us in two minutes:\n" +
                a.feedback_url + "?member=" + ref + "\n\nYour contact persons:\n" + a.contacts +
                "\n" + a.name};
  }
};

// The task "Einweisung": its title, due date and agenda go into the Tasks fields the workflow
// names ("fields": {"title": "name", "due": "date_due", "agenda": "description"}).
class InductionTask final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"membership_induction_task", "1.0.0", R"({
    "type": "object", "required": ["fields"], "additionalProperties": false,
    "properties": {
      "title": {"type": "string", "minLength": 1, "default": "Einweisung"},
      "fields": {"type": "object", "required": ["title", "due", "agenda"],
                 "additionalProperties": false,
                 "properties": {"title": {"type": "string", "minLength": 1},
                                "due": {"type": "string", "minLength": 1},
                                "agenda": {"type": "string", "minLength": 1}}}}})",
                                           crmflow::sdk::Effect::database};

  InductionTask(const Json& params, const Call& call) : association_(call.settings()) {
    crmflow::sdk::expect_parameters(params, {"title", "fields"});
    title_ = params.value("title", std::string("Einweisung"));
    const Json fields = params.value("fields", Json::object());
    for (const char* role : {"title", "due", "agenda"}) {
      fields_[role] = crmflow::sdk::expect_field_name(fields, role);
    }
  }

  void run(const Call& call) const override {
    const std::string agenda =
        association_.agenda.empty() ? "" : "Agenda:\n" + association_.agenda + "\n";
    call.run_action(
        "create_task",
        {{"fields",
          {{fields_.at("title"), title_},
           {fields_.at("due"), "now+" + std::to_string(association_.induction_days) + "d"},
           {fields_.at("agenda"), "Induction of the new member into " + association_.name + ".\n" +
                                      agenda + "Contact persons:\n" + association_.contacts}}}});
  }

 private:
  Association association_;
  std::string title_;
  std::map<std::string, std::string> fields_;  // role → the Tasks field it goes into
};

}  // namespace

CRMFLOW_PLUGIN("membership", "1.0.0", MembershipContract, WelcomeEmail, InductionTask,
               AnniversaryEmail)
