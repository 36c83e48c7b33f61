// An action with external effects that takes its time: it writes a note about the record
// (a database effect of its job) and then sleeps {"ms": N}. For the job lease fault test: a
// runner stopped during the sleep holds an open transaction with the note in it.
#include <crmflow/sdk.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace {

class SlowJob final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{
      "slow_job", "1.0.0",
      R"({"type": "object", "properties": {"ms": {"type": "integer", "minimum": 0}},
          "additionalProperties": false})",
      crmflow::sdk::Effect::external};
  explicit SlowJob(const crmflow::sdk::Json& params) : ms_(params.value("ms", 0)) {}

  void run(const crmflow::sdk::Call& call) const override {
    call.create_record("Notes", {{"name", "slow job " + std::string(call.job_key())}}, true);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms_));
  }

 private:
  int ms_;
};

}  // namespace

CRMFLOW_PLUGIN("test.slow_job", "1.0.0", SlowJob)
