// The schedule trigger: fires its workflow for the records of its module at the times of a
// cron expression, read in the host's time zone.
//
//   {"cron": "0 8 * * 1-5"}
//   {"cron": "30 6 1 * *", "filter": {"status": ["Active", "Pending"]}}
//
// Each due time fires once, keyed by that time in UTC, so several hosts or a retried tick
// fire nothing twice. After a downtime only the latest missed time fires: a schedule says
// "now is the time", and a burst of stale runs would not help anyone.
#include <crmflow/sdk.hpp>

#include <optional>
#include <stdexcept>
#include <string>

#include "cron.hpp"

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Error;
using crmflow::sdk::Json;

// A filter value is what a field holds, or a non-empty list of such values
// (CRMFLOW_SDK_FILTER_SCHEMA); the host checks the schema too, but a component must not rely
// on it.
Json expect_filter(const Json& params) {
  const auto it = params.find("filter");
  if (it == params.end()) return nullptr;
  if (!it->is_object()) throw Error("parameters: 'filter' must be an object of field → value");
  const auto scalar = [](const Json& v) { return v.is_primitive() && !v.is_binary(); };
  for (const auto& [field, value] : it->items()) {
    bool ok = scalar(value);
    if (value.is_array()) {
      ok = !value.empty();
      for (const Json& each : value) ok = ok && scalar(each);
    }
    if (!ok) {
      throw Error("parameters: filter." + field +
                  ": expected text, a number, a boolean, null or a non-empty list of them");
    }
  }
  return *it;
}

crmflow::schedule::CronSpec expect_cron(const Json& params) {
  const auto it = params.find("cron");
  if (it == params.end() || !it->is_string()) {
    throw Error("parameters: 'cron' must be a cron expression (text), e.g. \"0 8 * * *\"");
  }
  try {
    return crmflow::schedule::parse_cron(it->get<std::string>());
  } catch (const std::invalid_argument& e) {
    throw Error(std::string("parameters: 'cron': ") + e.what());
  }
}

class Schedule final : public crmflow::sdk::Trigger {
 public:
  static constexpr crmflow::sdk::Info info{
      "schedule", "1.0.0",
      R"({"type": "object", "required": ["cron"], "additionalProperties": false,
          "properties": {"cron": {"type": "string"}, "filter": )" CRMFLOW_SDK_FILTER_SCHEMA "}}"};

  explicit Schedule(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"cron", "filter"});
    spec_ = expect_cron(params);
    filter_ = expect_filter(params);
  }

  void tick(const Call& call) const override {
    const Call::Window window = call.tick_window();
    // The first tick: nothing before the trigger existed is due.
    if (window.since == window.until) return;
    const std::optional<std::string> due = crmflow::schedule::latest_due(
        spec_, window.since, window.until,
        [&call](const std::string& utc) { return call.local_time(utc); },
        [&call](const std::string& local) { return call.utc_time(local); });
    if (!due) return;
    Json request{{"select", "all"}, {"key", *due}};
    if (!filter_.is_null()) request["filter"] = filter_;
    call.fire(request);
  }

 private:
  crmflow::schedule::CronSpec spec_;
  Json filter_;  // null when the parameters have none
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.schedule", "1.0.0", Schedule)
