// SDK components whose constructors fail in each way C++ allows, so the test can check that
// every one becomes an error with a message at the ABI boundary, never an escaped exception.
#include <crmflow/sdk.hpp>

#include <stdexcept>

namespace {

class RejectsParams final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"rejects_params", "1.0.0", R"({"type":"object"})"};
  explicit RejectsParams(const crmflow::sdk::Json& params) {
    if (!params.contains("limit")) throw crmflow::sdk::Error("parameter 'limit' is required");
  }
  bool evaluate(const crmflow::sdk::Call&) const override { return true; }
};

class ThrowsStd final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"throws_std", "1.0.0", R"({"type":"object"})"};
  explicit ThrowsStd(const crmflow::sdk::Json&) { throw std::out_of_range("index 7 out of range"); }
  bool evaluate(const crmflow::sdk::Call&) const override { return true; }
};

class ThrowsInt final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"throws_int", "1.0.0", R"({"type":"object"})"};
  explicit ThrowsInt(const crmflow::sdk::Json&) { throw 42; }
  bool evaluate(const crmflow::sdk::Call&) const override { return true; }
};

// Fails while running, not while being created.
class FailsOnRun final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"fails_on_run", "1.0.0", R"({"type":"object"})",
                                           crmflow::sdk::Effect::database};
  explicit FailsOnRun(const crmflow::sdk::Json&) {}
  void run(const crmflow::sdk::Call& call) const override {
    throw std::runtime_error("cannot handle record " + std::string(call.record_id()));
  }
};

}  // namespace

CRMFLOW_PLUGIN("test.throwing", "1.0.0", RejectsParams, ThrowsStd, ThrowsInt, FailsOnRun)
