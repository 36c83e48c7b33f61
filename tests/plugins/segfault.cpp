// The segfault action: dereferences a null pointer — a real SIGSEGV, as a bug in native code
// would raise — when the triggering record's field holds a given value; otherwise it does
// nothing. For the fault tests (tests/faults/plugin_crash_test.cpp): the host names the
// component and the record before it dies, and the event ends in quarantine.
//
//   {"plugin": "segfault", "params": {"field": "last_name", "value": "crash"}}
//
// Both parameters are optional (defaults as above). Effect class database: it runs inside the
// event's transaction.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

using crmflow::sdk::Error;
using crmflow::sdk::Json;

// Read through a volatile pointer so the compiler keeps the faulting load.
int read_through(volatile int* pointer) {
  return *pointer;
}

class Segfault final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"segfault", "1.0.0", R"({
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1, "default": "last_name"},
      "value": {"type": "string", "default": "crash"}
    }})",
                                           crmflow::sdk::Effect::database};

  explicit Segfault(const Json& params)
      : field_(params.value("field", std::string("last_name"))),
        value_(params.value("value", std::string("crash"))) {
    if (field_.empty()) throw Error("parameters: 'field' must name a field");
  }

  void run(const crmflow::sdk::Call& call) const override {
    const auto current = call.field(field_);
    if (current && *current == value_) {
      volatile int* nowhere = nullptr;
      if (read_through(nowhere) == 0) throw Error("unreachable: a null pointer was readable");
    }
  }

 private:
  std::string field_;
  std::string value_;
};

}  // namespace

CRMFLOW_PLUGIN("test.segfault", "1.0.0", Segfault)
