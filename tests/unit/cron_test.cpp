// The schedule trigger's cron logic (plugins/schedule/cron.cpp): parsing with its messages,
// matching, and the latest due time of a tick's window, in UTC and across Vienna's
// daylight-saving changes; and schedule.so itself: the parameters it accepts and what one tick
// asks the host to fire, called through the C ABI with a stand-in host.
#define BOOST_TEST_MODULE cron_test
#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/json_schema.hpp"
#include "cron.hpp"
#include "test_support.hpp"

namespace {

using crmflow::schedule::CronSpec;
using crmflow::schedule::latest_due;
using crmflow::schedule::parse_cron;
using Keys = std::vector<std::string>;

std::string parse_error(const std::string& text) {
  try {
    parse_cron(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  BOOST_FAIL("'" << text << "' was accepted");
  return {};
}

// The host's parser (date's own trips GCC 12's maybe-uninitialized warning at -O2).
date::sys_seconds parse_sys(const std::string& text) {
  const auto parsed = crmflow::parse_utc(text);
  // Thrown rather than checked: this runs thousands of times a test.
  if (!parsed) throw std::invalid_argument(parsed.error());
  return *parsed;
}

// Whether the expression matches a wall-clock minute "YYYY-MM-DD HH:MM"; the weekday comes
// from the date library, not from the code under test.
bool at(const std::string& cron, const std::string& minute) {
  const auto t = std::chrono::floor<std::chrono::minutes>(parse_sys(minute + ":00"));
  const auto day = date::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::minutes> time{t - day};
  return crmflow::schedule::matches(
      parse_cron(cron), static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
      static_cast<unsigned>(ymd.day()), date::weekday{day}.c_encoding(),
      static_cast<unsigned>(time.hours().count()), static_cast<unsigned>(time.minutes().count()));
}

std::string same(const std::string& t) {
  return t;
}

// The latest due time of the window in UTC (no time zone), or "nothing".
std::string due_utc(const std::string& cron, const std::string& since, const std::string& until) {
  return latest_due(parse_cron(cron), since, until, same, same).value_or("nothing");
}

// The host's rules for Europe/Vienna (host_clock.cpp): a skipped wall-clock time is the
// instant of the change, a repeated one the earlier instant.
const date::time_zone* vienna() {
  static const date::time_zone* zone = date::locate_zone("Europe/Vienna");
  return zone;
}

std::string vienna_local(const std::string& utc) {
  return date::format("%F %T", vienna()->to_local(parse_sys(utc)));
}

std::string vienna_utc(const std::string& local) {
  const date::local_seconds wall{parse_sys(local).time_since_epoch()};
  return date::format("%F %T", vienna()->to_sys(wall, date::choose::earliest));
}

// What the schedule trigger fires when ticked every `every` for three days from `from` (UTC):
// each tick's window is (previous tick, this tick].
Keys tick_three_days(const std::string& cron, const std::string& from,
                     std::chrono::minutes every = std::chrono::minutes(10)) {
  const CronSpec spec = parse_cron(cron);
  Keys fired;
  const date::sys_seconds start = parse_sys(from);
  for (date::sys_seconds t = start; t < start + date::days(3); t += every) {
    const auto due = latest_due(spec, date::format("%F %T", t), date::format("%F %T", t + every),
                                vienna_local, vienna_utc);
    if (due) fired.push_back(*due);
  }
  return fired;
}

// schedule.so through the host's registry: what its constructor and its schema accept.
const crmflow::test::PluginUnderTest& plugin() {
  static const crmflow::test::PluginUnderTest loaded("schedule.so", "schedule");
  return loaded;
}

std::string create_error(const std::string& params) {
  auto instance = plugin().instantiate(params);
  BOOST_TEST_REQUIRE(!instance.has_value(), params << " was accepted");
  return instance.error();
}

size_t schema_problems(const std::string& params) {
  const auto schema = crmflow::parse_schema(plugin().component->params_schema);
  BOOST_TEST_REQUIRE(schema.has_value());
  return crmflow::validate_against_schema(*schema, nlohmann::ordered_json::parse(params)).size();
}

// A stand-in for the host's tick services (abi.h v1.4), so schedule.so's tick() can be
// called through the C ABI without the host's scheduler: a fixed window, Vienna's clock, and
// the fire requests it receives.
struct FakeHost {
  std::string since;
  std::string until;
  std::string result;  // backs the view handed out by the last service
  std::string error;
  Keys requests;
};

FakeHost& host_of(crmflow_call* call) {
  return *reinterpret_cast<FakeHost*>(call);
}

crmflow_str hand_out(FakeHost& host, std::string text) {
  host.result = std::move(text);
  return {host.result.data(), host.result.size()};
}

crmflow_host_api fake_api() {
  crmflow_host_api api{};
  api.struct_size = sizeof(crmflow_host_api);
  api.abi_major = CRMFLOW_ABI_MAJOR;
  api.abi_minor = CRMFLOW_ABI_MINOR;
  api.set_error = [](crmflow_call* call, crmflow_str message) {
    host_of(call).error.assign(message.ptr, message.len);
  };
  api.last_error = [](crmflow_call* call, crmflow_str* out) {
    *out = {host_of(call).error.data(), host_of(call).error.size()};
  };
  api.tick_window = [](crmflow_call* call, crmflow_str* since, crmflow_str* until) {
    *since = {host_of(call).since.data(), host_of(call).since.size()};
    *until = {host_of(call).until.data(), host_of(call).until.size()};
    return int32_t{CRMFLOW_OK};
  };
  api.local_time = [](crmflow_call* call, crmflow_str utc, crmflow_str* out) {
    *out = hand_out(host_of(call), vienna_local(std::string(utc.ptr, utc.len)));
    return int32_t{CRMFLOW_OK};
  };
  api.utc_time = [](crmflow_call* call, crmflow_str local, crmflow_str* out) {
    *out = hand_out(host_of(call), vienna_utc(std::string(local.ptr, local.len)));
    return int32_t{CRMFLOW_OK};
  };
  api.fire = [](crmflow_call* call, crmflow_str request, uint64_t* count) {
    host_of(call).requests.emplace_back(request.ptr, request.len);
    *count = 1;
    return int32_t{CRMFLOW_OK};
  };
  return api;
}

// The fire requests of one tick of schedule.so created with `params` over (since, until].
Keys tick_plugin(const std::string& params, const std::string& since, const std::string& until) {
  const crmflow_component& component = *plugin().component->abi;
  const crmflow_host_api api = fake_api();
  FakeHost host{since, until, {}, {}, {}};
  auto* call = reinterpret_cast<crmflow_call*>(&host);
  void* instance = nullptr;
  BOOST_TEST_REQUIRE(component.create(&api, call, {params.data(), params.size()}, &instance) ==
                     CRMFLOW_OK);
  const int32_t status = component.tick(&api, call, instance);
  component.destroy(instance);
  BOOST_TEST_REQUIRE(status == CRMFLOW_OK, host.error);
  return host.requests;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(parsing)

BOOST_AUTO_TEST_CASE(fields_take_numbers_ranges_lists_steps_and_names) {
  const CronSpec daily = parse_cron("0 8 * * *");
  BOOST_TEST(daily.minutes.count() == 1u);
  BOOST_TEST(daily.minutes.test(0));
  BOOST_TEST(daily.hours.count() == 1u);
  BOOST_TEST(daily.hours.test(8));
  BOOST_TEST(daily.days.count() == 31u);
  BOOST_TEST(daily.months.count() == 12u);
  BOOST_TEST(daily.weekdays.count() == 7u);

  const CronSpec spec = parse_cron("\t*/15  9-17/4 1,15,31 JAN-mar,Dec mon-FRI ");
  BOOST_TEST(spec.minutes.to_ullong() == (1ull << 0 | 1ull << 15 | 1ull << 30 | 1ull << 45));
  BOOST_TEST(spec.hours.to_ullong() == (1ull << 9 | 1ull << 13 | 1ull << 17));
  BOOST_TEST(spec.days.to_ullong() == (1ull << 1 | 1ull << 15 | 1ull << 31));
  BOOST_TEST(spec.months.to_ullong() == (1ull << 1 | 1ull << 2 | 1ull << 3 | 1ull << 12));
  BOOST_TEST(spec.weekdays.to_ullong() == 0b0111110ull);

  // 7 is Sunday as well as 0; "*" covers 0-7 without a second Sunday.
  BOOST_TEST(parse_cron("0 0 * * 7").weekdays.to_ullong() == 1ull);
  BOOST_TEST(parse_cron("0 0 * * 5-7").weekdays.to_ullong() == 0b1100001ull);
  BOOST_TEST(parse_cron("0 0 * * 0-6/2").weekdays.to_ullong() == 0b1010101ull);
  BOOST_TEST(parse_cron("08 09 * * *").hours.test(9));
}

BOOST_AUTO_TEST_CASE(wrong_expressions_are_refused_naming_the_field_and_the_part) {
  const std::string fields = "expected 5 fields (minute hour day-of-month month day-of-week), ";
  BOOST_TEST(parse_error("0 8 * *") == fields + "found 4 in '0 8 * *'");
  BOOST_TEST(parse_error("0 8 * * * 2026") == fields + "found 6 in '0 8 * * * 2026'");
  BOOST_TEST(parse_error("") == fields + "found 0 in ''");
  BOOST_TEST(parse_error("@daily") == fields + "found 1 in '@daily'");

  BOOST_TEST(parse_error("61 * * * *") == "minute field '61' is out of range 0-59");
  BOOST_TEST(parse_error("0 24 * * *") == "hour field '24' is out of range 0-23");
  BOOST_TEST(parse_error("0 0 0 * *") == "day-of-month field '0' is out of range 1-31");
  BOOST_TEST(parse_error("0 0 * 13 *") == "month field '13' is out of range 1-12");
  BOOST_TEST(parse_error("0 0 * * 8") == "day-of-week field '8' is out of range 0-7");
  BOOST_TEST(parse_error("0 1-99999999999 * * *") ==
             "hour field '99999999999' is out of range 0-23");

  BOOST_TEST(parse_error("x * * * *") == "minute field 'x' is not a number");
  BOOST_TEST(parse_error("0 0 * foo *") == "month field 'foo' is not a number or a name (jan-dec)");
  BOOST_TEST(parse_error("0 0 * * monday") ==
             "day-of-week field 'monday' is not a number or a name (sun-sat)");
  BOOST_TEST(parse_error("0 jan * * *") == "hour field 'jan' is not a number");

  BOOST_TEST(parse_error("0 22-6 * * *") ==
             "hour field '22-6' is a reversed range (22 > 6); write 22-23,0-6");
  BOOST_TEST(parse_error("0 0 * * sat-sun") ==
             "day-of-week field 'sat-sun' is a reversed range (6 > 0); write 6-7,0");
  BOOST_TEST(parse_error("0 0 * dec-feb *") ==
             "month field 'dec-feb' is a reversed range (12 > 2); write 12,1-2");

  BOOST_TEST(parse_error("*/0 * * * *") ==
             "minute field '*/0' has a bad step: it must be a number from 1 to 59");
  BOOST_TEST(parse_error("*/60 * * * *") ==
             "minute field '*/60' has a bad step: it must be a number from 1 to 59");
  BOOST_TEST(parse_error("0 */x * * *") ==
             "hour field '*/x' has a bad step: it must be a number from 1 to 23");
  BOOST_TEST(parse_error("0 0 1-10/ * *") ==
             "day-of-month field '1-10/' has a bad step: it must be a number from 1 to 30");
  BOOST_TEST(parse_error("5/15 * * * *") ==
             "minute field '5/15' has a step without a range: write */S or A-B/S, e.g. */15 or "
             "0-30/15");

  BOOST_TEST(parse_error("1,,2 * * * *") == "minute field '1,,2' has an empty list item");
  BOOST_TEST(parse_error("0, * * * *") == "minute field '0,' has an empty list item");
  BOOST_TEST(parse_error("1- * * * *") == "minute field '1-' is missing a number");
  BOOST_TEST(parse_error("0 0 -5 * *") == "day-of-month field '-5' is missing a number");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(matching)

BOOST_AUTO_TEST_CASE(the_day_fields_are_or_ed_only_when_both_are_restricted) {
  // 2026-02-13 is a Friday, 2026-03-13 a Friday too; 2026-03-20 a Friday, 2026-04-13 a Monday.
  const std::string friday_or_13th = "0 0 13 * fri";
  BOOST_TEST(at(friday_or_13th, "2026-04-13 00:00"));
  BOOST_TEST(at(friday_or_13th, "2026-03-20 00:00"));
  BOOST_TEST(at(friday_or_13th, "2026-02-13 00:00"));
  BOOST_TEST(!at(friday_or_13th, "2026-03-21 00:00"));

  BOOST_TEST(at("0 0 * * 5", "2026-03-20 00:00"));
  BOOST_TEST(!at("0 0 * * 5", "2026-04-13 00:00"));
  BOOST_TEST(at("0 0 13 * *", "2026-04-13 00:00"));
  BOOST_TEST(!at("0 0 13 * *", "2026-03-20 00:00"));

  // "*/2" counts as "*" for the rule (vixie cron): odd days that are Mondays, not either.
  BOOST_TEST(at("0 0 */2 * mon", "2026-04-13 00:00"));
  BOOST_TEST(!at("0 0 */2 * mon", "2026-04-20 00:00"));
  BOOST_TEST(!at("0 0 */2 * mon", "2026-04-15 00:00"));
}

BOOST_AUTO_TEST_CASE(names_sunday_as_seven_and_steps) {
  BOOST_TEST(at("0 9 * JUL,aug mon-fri", "2026-07-01 09:00"));   // a Wednesday
  BOOST_TEST(!at("0 9 * JUL,aug mon-fri", "2026-07-04 09:00"));  // a Saturday
  BOOST_TEST(!at("0 9 * JUL,aug mon-fri", "2026-06-30 09:00"));  // June

  BOOST_TEST(at("0 0 * * 7", "2026-03-29 00:00"));  // a Sunday
  BOOST_TEST(at("0 0 * * 0", "2026-03-29 00:00"));
  BOOST_TEST(at("0 0 * * SUN", "2026-03-29 00:00"));
  BOOST_TEST(!at("0 0 * * 7", "2026-03-28 00:00"));
  BOOST_TEST(at("0 0 * * 5-7", "2026-03-29 00:00"));
  BOOST_TEST(at("0 0 * * 5-7", "2026-03-27 00:00"));
  BOOST_TEST(!at("0 0 * * 5-7", "2026-03-26 00:00"));

  BOOST_TEST(at("*/15 * * * *", "2026-03-29 10:45"));
  BOOST_TEST(!at("*/15 * * * *", "2026-03-29 10:50"));
  BOOST_TEST(at("10-30/10 * * * *", "2026-03-29 10:30"));
  BOOST_TEST(!at("10-30/10 * * * *", "2026-03-29 10:40"));
  BOOST_TEST(!at("10-30/10 * * * *", "2026-03-29 10:00"));
  BOOST_TEST(at("0 */6 * * *", "2026-03-29 18:00"));
  BOOST_TEST(!at("0 */6 * * *", "2026-03-29 19:00"));
}

BOOST_AUTO_TEST_CASE(a_day_that_does_not_exist_never_matches) {
  BOOST_TEST(!crmflow::schedule::matches(parse_cron("0 0 30 * *"), 2026, 2, 30, 1, 0, 0));
  BOOST_TEST(!crmflow::schedule::matches(parse_cron("0 0 29 2 *"), 2026, 2, 29, 0, 0, 0));
  BOOST_TEST(crmflow::schedule::matches(parse_cron("0 0 29 2 *"), 2028, 2, 29, 2, 0, 0));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(latest_due_in_utc)

BOOST_AUTO_TEST_CASE(a_window_without_a_due_time_fires_nothing) {
  BOOST_TEST(due_utc("0 8 * * *", "2026-05-04 08:00:00", "2026-05-04 09:00:00") == "nothing");
  BOOST_TEST(due_utc("0 8 * * *", "2026-05-04 07:00:00", "2026-05-04 07:59:59") == "nothing");
  // The first tick: since == until.
  BOOST_TEST(due_utc("* * * * *", "2026-05-04 08:00:00", "2026-05-04 08:00:00") == "nothing");
  // A clock that went backwards.
  BOOST_TEST(due_utc("* * * * *", "2026-05-04 08:00:00", "2026-05-04 07:00:00") == "nothing");
}

BOOST_AUTO_TEST_CASE(a_window_with_one_due_time_fires_it_and_includes_its_end) {
  BOOST_TEST(due_utc("0 8 * * *", "2026-05-04 07:50:00", "2026-05-04 08:00:00") ==
             "2026-05-04 08:00:00");
  BOOST_TEST(due_utc("0 8 * * *", "2026-05-04 07:59:59", "2026-05-04 08:10:00") ==
             "2026-05-04 08:00:00");
  BOOST_TEST(due_utc("0 0 1 1 *", "2025-12-31 23:55:00", "2026-01-01 00:05:00") ==
             "2026-01-01 00:00:00");
}

BOOST_AUTO_TEST_CASE(after_a_downtime_only_the_latest_missed_time_fires) {
  BOOST_TEST(due_utc("0 8 * * *", "2026-05-01 09:00:00", "2026-05-06 09:00:00") ==
             "2026-05-06 08:00:00");
  BOOST_TEST(due_utc("0 8 * * *", "2026-05-01 09:00:00", "2026-05-06 07:00:00") ==
             "2026-05-05 08:00:00");
  BOOST_TEST(due_utc("*/5 * * * *", "2026-05-01 09:00:00", "2026-05-06 07:03:10") ==
             "2026-05-06 07:00:00");
}

BOOST_AUTO_TEST_CASE(it_looks_back_at_most_366_days) {
  const std::string until = "2026-05-06 09:00:00";
  BOOST_TEST(due_utc("0 0 1 6 *", "2020-01-01 00:00:00", until) == "2025-06-01 00:00:00");
  BOOST_TEST(due_utc("0 0 6 5 *", "2020-01-01 00:00:00", until) == "2026-05-06 00:00:00");
  // The last 29 February was 2024-02-29, more than 366 days back; 30 February never is.
  BOOST_TEST(due_utc("0 0 29 2 *", "2020-01-01 00:00:00", until) == "nothing");
  BOOST_TEST(due_utc("0 0 30 2 *", "2020-01-01 00:00:00", until) == "nothing");
}

BOOST_AUTO_TEST_CASE(a_time_that_is_not_utc_text_is_refused) {
  const CronSpec spec = parse_cron("0 8 * * *");
  BOOST_CHECK_THROW(latest_due(spec, "2026-05-04", "2026-05-04 09:00:00", same, same),
                    std::invalid_argument);
  BOOST_CHECK_THROW(latest_due(spec, "2026-05-04 08:00:00", "2026-02-30 09:00:00", same, same),
                    std::invalid_argument);
  const auto garbage = [](const std::string&) { return std::string("later"); };
  BOOST_CHECK_THROW(latest_due(spec, "2026-05-04 07:00:00", "2026-05-04 09:00:00", same, garbage),
                    std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(daylight_saving_in_vienna)

BOOST_AUTO_TEST_CASE(a_daily_time_fires_once_a_day_across_spring_forward) {
  BOOST_TEST(tick_three_days("0 8 * * *", "2026-03-28 00:00:00") ==
                 (Keys{"2026-03-28 07:00:00", "2026-03-29 06:00:00", "2026-03-30 06:00:00"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_daily_time_fires_once_a_day_across_fall_back) {
  BOOST_TEST(tick_three_days("0 8 * * *", "2026-10-24 00:00:00") ==
                 (Keys{"2026-10-24 06:00:00", "2026-10-25 07:00:00", "2026-10-26 07:00:00"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_skipped_time_fires_once_at_the_change) {
  // 02:30 does not exist on 29 March: the clocks jump from 02:00 to 03:00 at 01:00 UTC.
  BOOST_TEST(tick_three_days("30 2 * * *", "2026-03-28 00:00:00") ==
                 (Keys{"2026-03-28 01:30:00", "2026-03-29 01:00:00", "2026-03-30 00:30:00"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_repeated_time_fires_once_at_its_earlier_instant) {
  // 02:30 happens twice on 25 October (00:30 and 01:30 UTC); only the first is due.
  BOOST_TEST(tick_three_days("30 2 * * *", "2026-10-24 00:00:00") ==
                 (Keys{"2026-10-24 00:30:00", "2026-10-25 00:30:00", "2026-10-26 01:30:00"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_key_fires_twice_whatever_the_tick_interval) {
  for (const std::string from : {"2026-03-28 00:00:00", "2026-10-24 00:00:00"}) {
    for (const std::string cron : {"0 * * * *", "*/10 * * * *", "30 2 * * *", "0 3 * * *"}) {
      for (const int minutes : {4, 7, 60, 180}) {
        const Keys keys = tick_three_days(cron, from, std::chrono::minutes(minutes));
        BOOST_TEST_REQUIRE(!keys.empty());
        const bool increasing =
            std::adjacent_find(keys.begin(), keys.end(), std::greater_equal<>()) == keys.end();
        BOOST_TEST(increasing, cron << " every " << minutes << " min from " << from);
      }
    }
  }
  // Hourly across fall back: the repeated 02:00 (01:00 UTC) is not due again.
  const Keys hourly = tick_three_days("0 * * * *", "2026-10-24 00:00:00");
  BOOST_TEST(hourly.size() == 71u);
  BOOST_TEST(std::count(hourly.begin(), hourly.end(), "2026-10-25 01:00:00") == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(the_plugin)

BOOST_AUTO_TEST_CASE(it_is_a_trigger_that_accepts_a_cron_and_a_filter) {
  BOOST_TEST_REQUIRE(plugin().problems.empty());
  BOOST_TEST(plugin().component->kind == static_cast<uint32_t>(CRMFLOW_KIND_TRIGGER));
  BOOST_TEST(plugin().component->version == "1.0.0");
  const std::string params =
      R"({"cron": "0 8 * * mon-fri", "filter": {"status": ["Active", null], "type": "Customer"}})";
  plugin().create(params);
  plugin().create(R"({"cron": "*/5 * * * *"})");
  BOOST_TEST(schema_problems(params) == 0u);
  BOOST_TEST(schema_problems(R"({"cron": "0 8 * * *", "when": "daily"})") > 0u);
  BOOST_TEST(schema_problems(R"({"filter": {}})") > 0u);
}

BOOST_AUTO_TEST_CASE(wrong_parameters_are_refused_with_the_reason) {
  BOOST_TEST(create_error(R"({"cron": "61 * * * *"})")
                 .find("parameters: 'cron': minute field '61' is out of range 0-59") !=
             std::string::npos);
  BOOST_TEST(create_error(R"({"cron": "0 8 * * *", "when": 1})")
                 .find("parameters: unknown parameter 'when'") != std::string::npos);
  BOOST_TEST(create_error(R"({"filter": {}})").find("parameters: 'cron' must be a cron") !=
             std::string::npos);
  BOOST_TEST(create_error(R"({"cron": "0 8 * * *", "filter": {"status": []}})")
                 .find("parameters: filter.status: expected text, a number, a boolean, null or "
                       "a non-empty list of them") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_tick_fires_the_latest_due_time_for_every_record_with_the_filter) {
  const std::string params = R"({"cron": "0 8 * * *", "filter": {"status": ["Active", null]}})";
  // 08:00 in Vienna on 29 March 2026 is 06:00 UTC; a downtime since the 26th fires it once.
  const Keys fired = tick_plugin(params, "2026-03-26 12:00:00", "2026-03-29 06:05:00");
  BOOST_TEST_REQUIRE(fired.size() == 1u);
  BOOST_TEST(nlohmann::json::parse(fired[0]) ==
             nlohmann::json::parse(R"({"select": "all", "key": "2026-03-29 06:00:00",
                                       "filter": {"status": ["Active", null]}})"));
  BOOST_TEST(nlohmann::json::parse(tick_plugin(R"({"cron": "*/5 * * * *"})", "2026-03-29 06:00:00",
                                               "2026-03-29 06:07:00")
                                       .at(0)) ==
             nlohmann::json::parse(R"({"select": "all", "key": "2026-03-29 06:05:00"})"));
}

BOOST_AUTO_TEST_CASE(a_tick_without_a_due_time_or_on_the_first_tick_fires_nothing) {
  const std::string params = R"({"cron": "0 8 * * *"})";
  BOOST_TEST(tick_plugin(params, "2026-03-29 06:00:00", "2026-03-29 06:10:00").empty());
  BOOST_TEST(tick_plugin(params, "2026-03-29 06:00:00", "2026-03-29 06:00:00").empty());
  BOOST_TEST(tick_plugin(params, "2026-03-29 05:50:00", "2026-03-29 06:00:00").size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
