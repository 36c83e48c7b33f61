// A condition that takes its time: {"ms": N} sleeps N milliseconds, then holds. For the
// host's deadline reporting.
#include <crmflow/sdk.hpp>

#include <chrono>
#include <thread>

namespace {

class Sleeps final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"sleeps", "1.0.0", R"({"type":"object"})"};
  explicit Sleeps(const crmflow::sdk::Json& params) : ms_(params.value("ms", 0)) {}
  bool evaluate(const crmflow::sdk::Call&) const override {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
    return true;
  }

 private:
  int ms_;
};

}  // namespace

CRMFLOW_PLUGIN("test.slow", "1.0.0", Sleeps)
