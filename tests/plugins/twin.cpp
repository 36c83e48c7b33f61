// Built twice (twin_a.so, twin_b.so): two files offering the same component name.
#include <crmflow/sdk.hpp>

namespace {

class Twin final : public crmflow::sdk::Condition {
 public:
  static constexpr crmflow::sdk::Info info{"twin", "1.0.0", R"({"type":"object"})"};
  explicit Twin(const crmflow::sdk::Json&) {}
  bool evaluate(const crmflow::sdk::Call&) const override { return true; }
};

}  // namespace

CRMFLOW_PLUGIN("test.twin", "1.0.0", Twin)
