// The poison action: kills the host process (SIGKILL, as an out-of-memory kill or a crash in
// native code would) when the triggering record's field holds a given value; otherwise it does
// nothing. For the fault tests (tests/faults): an event that takes its host down every time it
// is handled must end in quarantine while every other event is handled.
//
//   {"plugin": "poison", "params": {"field": "last_name", "value": "poison"}}
//
// Both parameters are optional (defaults as above). Effect class database, like create_record:
// it runs inside the event's transaction.
#include <crmflow/sdk.hpp>

#include <csignal>
#include <string>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

class Poison final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"poison", "1.0.0", R"({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1, "default": "last_name"},
      "value": {"type": "string", "default": "poison"}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit Poison(const Json& params) {
    if (!params.is_object()) throw Error("parameters: expected an object");
    for (const auto& [key, value] : params.items()) {
      if (key != "field" && key != "value") {
        throw Error("parameters: unknown parameter '" + key + "'");
      }
      if (!value.is_string()) throw Error("parameters: '" + key + "' must be text");
    }
    field_ = params.value("field", std::string("last_name"));
    value_ = params.value("value", std::string("poison"));
    if (field_.empty()) throw Error("parameters: 'field' must name a field");
  }

  void run(const crmflow::sdk::Call& call) const override {
    const auto current = call.field(field_);
    if (current && *current == value_) std::raise(SIGKILL);
  }

 private:
  std::string field_;
  std::string value_;
};

}  // namespace

CRMFLOW_PLUGIN("test.poison", "1.0.0", Poison)
