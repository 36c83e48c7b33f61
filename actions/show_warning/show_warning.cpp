// The show_warning action: a warning for the run-as user, where the CRM's users see it.
//
//   {"plugin": "show_warning",
//    "params": {"subject": "Contract {{record.name}} expires soon",
//               "text": "{{account.name}}: please call the customer."}}
//
// Subject and text are templates over the triggering record ({{record.*}}, {{<relation>.*}},
// {{user.*}}). The host writes the CRM's notification row where the module map names one
// (1CRM: notifications, SuiteCRM: alerts), else a crmflow_alert row (`crmflow alerts`).
// Effect class database: the warning is written in the event's transaction.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

class ShowWarning final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"show_warning", "1.0.0", R"({
    "type": "object",
    "required": ["subject"],
    "additionalProperties": false,
    "properties": {
      "subject": {"type": "string", "minLength": 1},
      "text": {"type": "string", "default": ""}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit ShowWarning(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"subject", "text"});
    if (!params.contains("subject") || !params["subject"].is_string() ||
        params["subject"].get<std::string>().empty()) {
      throw Error("parameters: 'subject' must be a non-empty text");
    }
    if (params.contains("text") && !params["text"].is_string()) {
      throw Error("parameters: 'text' must be a text");
    }
    subject_ = params["subject"].get<std::string>();
    text_ = params.value("text", "");
  }

  void run(const crmflow::sdk::Call& call) const override {
    call.raise_alert(render(call, subject_, "subject"), render(call, text_, "text"));
  }

 private:
  static std::string render(const crmflow::sdk::Call& call, const std::string& text,
                            std::string_view what) {
    try {
      return call.render(text);
    } catch (const Error& e) {
      throw Error(std::string(what) + ": " + e.what(), e.status());
    }
  }

  std::string subject_;
  std::string text_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.show_warning", "1.0.0", ShowWarning)
