// The hangs condition: never returns (sleeps `seconds`, default 600 — far past any call
// deadline; a test's process bound ends it first) when the record's field holds a given
// value; otherwise it holds at once. For the fault tests (tests/faults/plugin_crash_test.cpp):
// the host's watchdog names the hung call and ends the host, and the event ends in quarantine.
//
//   {"plugin": "hangs", "params": {"field": "last_name", "value": "hang"}}
#include <crmflow/sdk.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

class Hangs final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"hangs", "1.0.0", R"({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1, "default": "last_name"},
      "value": {"type": "string", "default": "hang"},
      "seconds": {"type": "integer", "minimum": 1, "default": 600}
    }})"};

  explicit Hangs(const Json& params)
      : field_(params.value("field", std::string("last_name"))),
        value_(params.value("value", std::string("hang"))),
        seconds_(params.value("seconds", 600)) {
    if (field_.empty()) throw Error("parameters: 'field' must name a field");
  }

  bool evaluate(const crmflow::sdk::Call& call) const override {
    const auto current = call.field(field_);
    // Ignores remaining_ms on purpose: this is the plugin that does not keep its deadline.
    if (current && *current == value_) std::this_thread::sleep_for(std::chrono::seconds(seconds_));
    return true;
  }

 private:
  std::string field_;
  std::string value_;
  int seconds_;
};

}  // namespace

CRMFLOW_PLUGIN("test.hang", "1.0.0", Hangs)
