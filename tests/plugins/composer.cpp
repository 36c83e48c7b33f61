// Actions that run other actions (ABI 1.5 run_action), for the composition tests: one of each
// effect class, running {"action", "params"}, and a probe that fails with the job key it got,
// so a test can read the key the host gave the inner call.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Json;

constexpr std::string_view kComposeSchema = R"({"type": "object", "required": ["action"]})";

// Runs params.action with params.params.
class Compose : public crmflow::sdk::Action {
 public:
  explicit Compose(const Json& params)
      : action_(params.at("action").get<std::string>()),
        params_(params.value("params", Json::object())) {}
  void run(const Call& call) const override { call.run_action(action_, params_); }

 private:
  std::string action_;
  Json params_;
};

class ComposeDatabase final : public Compose {
 public:
  static constexpr crmflow::sdk::Info info{"compose_database", "1.0.0", kComposeSchema,
                                           crmflow::sdk::Effect::database};
  using Compose::Compose;
};

class ComposeExternal final : public Compose {
 public:
  static constexpr crmflow::sdk::Info info{"compose_external", "1.0.0", kComposeSchema,
                                           crmflow::sdk::Effect::external};
  using Compose::Compose;
};

class KeyProbe final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"key_probe", "1.0.0", R"({"type": "object"})",
                                           crmflow::sdk::Effect::external};
  explicit KeyProbe(const Json&) {}
  void run(const Call& call) const override {
    throw crmflow::sdk::Error("job key " + std::string(call.job_key()), CRMFLOW_PERMANENT);
  }
};

}  // namespace

CRMFLOW_PLUGIN("test.composer", "1.0.0", ComposeDatabase, ComposeExternal, KeyProbe)
