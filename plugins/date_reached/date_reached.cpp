// Trigger "date_reached": a record fires when its date field plus an offset falls due, once
// per due time; with "every": "year", on each anniversary.
//
//   30 days before a contract expires, at 08:00 in the users' time zone:
//     {"plugin": "date_reached",
//      "params": {"field": "date_expire", "offset": "-30d", "at": "08:00"}}
//   each anniversary of a membership's start:
//     {"plugin": "date_reached", "params": {"field": "date_start", "every": "year"}}
//
// A DATE field is a day of the users' calendar, due at "at" (default 00:00) local time; a
// DATETIME field is a UTC instant and takes no "at". Offsets: min h d w m y, signed; days
// and longer are calendar steps in the users' time zone. A due time missed while no host
// ran fires on the next tick, once. A record whose date changes is due at its new date.
#include <crmflow/sdk.hpp>

#include <string>

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Error;
using crmflow::sdk::Json;

class DateReached final : public crmflow::sdk::Trigger {
 public:
  static constexpr crmflow::sdk::Info info{
      "date_reached", "1.0.0",
      R"({"type": "object", "required": ["field"], "additionalProperties": false,
          "properties": {
            "field": {"type": "string", "minLength": 1},
            "offset": {"type": "string", "pattern": "^[-+]?[0-9]{1,6}(min|h|d|w|m|y)$"},
            "at": {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"},
            "every": {"enum": ["once", "year"]},
            "filter": )" CRMFLOW_SDK_FILTER_SCHEMA R"(}})"};

  explicit DateReached(const Json& params) {
    crmflow::sdk::expect_parameters(params, {"field", "offset", "at", "every", "filter"});
    request_ = {{"select", "due"}, {"field", crmflow::sdk::expect_field_name(params, "field")}};
    if (const auto offset = params.find("offset"); offset != params.end()) {
      if (!offset->is_string()) throw Error("parameters: 'offset' must be text such as -30d");
      request_["offset"] = crmflow::sdk::parse_offset(offset->get<std::string>(), "offset");
    }
    for (const char* name : {"at", "every", "filter"}) {
      if (params.contains(name)) request_[name] = params[name];
    }
  }

  void tick(const Call& call) const override {
    const Call::Window window = call.tick_window();
    if (window.since == window.until) return;  // a first tick: nothing was due before it
    call.fire(request_);
  }

 private:
  Json request_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.date_reached", "1.0.0", DateReached)
