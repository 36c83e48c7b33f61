// Trigger "inactivity": a record of the workflow's module with no activity (a call, meeting,
// task, note or email linked to it, as the module map says) for `days` days fires once per
// quiet spell. New activity ends the spell; once it is quiet that long again, it fires again.
// The record's creation starts its first spell, so a lead created yesterday is not quiet.
//
//   "trigger": {"plugin": "inactivity",
//               "params": {"days": 14, "activities": ["Calls", "Meetings"],
//                          "filter": {"status": ["New", "Assigned", "In Process"]}}}
//
// The plugin only says what it wants; the host finds the records with one set-based query
// and keeps the firing ledger, so a spell fires once however many hosts tick.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Error;
using crmflow::sdk::Json;

class Inactivity final : public crmflow::sdk::Trigger {
 public:
  static constexpr crmflow::sdk::Info info{
      "inactivity", "1.0.0",
      R"({"type": "object", "required": ["days"], "additionalProperties": false,
          "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": 3650},
            "activities": {"type": "array", "minItems": 1, "items": {"type": "string"}},
            "filter": )" CRMFLOW_SDK_FILTER_SCHEMA R"(}})"};

  explicit Inactivity(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"days", "activities", "filter"});
    const auto days = params.find("days");
    if (days == params.end() || !days->is_number_integer() || days->get<long long>() < 1) {
      throw Error("parameters: 'days' must be a whole number of days, at least 1");
    }
    days_ = days->get<long long>();
    request_ = {{"select", "quiet"}};
    if (params.contains("activities")) request_["activities"] = params["activities"];
    if (params.contains("filter")) request_["filter"] = params["filter"];
  }

  void tick(const Call& call) const override {
    // Quiet "since" is a calendar step back from this tick's now, in the users' time zone.
    Json request = request_;
    request["since"] = call.shift_time(call.tick_window().until, -days_, CRMFLOW_UNIT_DAY);
    call.fire(request);
  }

 private:
  long long days_ = 0;
  Json request_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.inactivity", "1.0.0", Inactivity)
