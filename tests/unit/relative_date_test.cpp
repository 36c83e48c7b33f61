// Relative dates in the compare condition, computed by the host's clock in its time zone:
// "now-14d", "today", "date_expire-30d", across daylight-saving changes.
#define BOOST_TEST_MODULE relative_date_test
#include <boost/test/unit_test.hpp>

#include "crmflow/host/host_clock.hpp"
#include "test_support.hpp"

using namespace crmflow;

namespace {

const PluginRegistry& registry() {
  static PluginRegistry r;
  if (r.components().empty()) {
    if (!r.load(test::kPluginDir / "compare.so").empty()) throw std::runtime_error("compare.so");
  }
  return r;
}

bool holds(const std::string& params, const Record& record) {
  auto condition = registry().instantiate(*registry().find("compare"), params);
  if (!condition) BOOST_FAIL(condition.error());
  const auto result = condition->evaluate(record, test::soon());
  if (!result) BOOST_FAIL(result.error());
  return *result;
}

std::string create_error(const std::string& params) {
  auto condition = registry().instantiate(*registry().find("compare"), params);
  BOOST_TEST_REQUIRE(!condition.has_value());
  return condition.error();
}

std::string days_ago(int days) {
  return format_utc(now() - std::chrono::days(days));
}

struct Vienna {
  Vienna() {
    BOOST_TEST_REQUIRE(configure_clock("Europe/Vienna", std::chrono::seconds(0)).has_value());
  }
  ~Vienna() { (void)configure_clock("UTC", std::chrono::seconds(0)); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(now_minus_fourteen_days) {
  const std::string quiet = R"({"field": "date_modified", "op": "lt", "value": "now-14d"})";
  BOOST_TEST(holds(quiet, test::make_record("Leads", {{"date_modified", days_ago(15)}})));
  BOOST_TEST(!holds(quiet, test::make_record("Leads", {{"date_modified", days_ago(13)}})));
  BOOST_TEST(!holds(quiet, test::make_record("Leads", {{"date_modified", std::nullopt}})));
}

BOOST_AUTO_TEST_CASE(the_clock_offset_moves_now) {
  // Tests and the demo move time by the configured offset; nothing reads the wall clock alone.
  const std::string quiet = R"({"field": "date_modified", "op": "lt", "value": "now-14d"})";
  const auto record = test::make_record("Leads", {{"date_modified", days_ago(3)}});
  BOOST_TEST(!holds(quiet, record));
  BOOST_TEST_REQUIRE(configure_clock("UTC", std::chrono::days(12)).has_value());
  BOOST_TEST(holds(quiet, record), "3 days ago is 15 days ago once the clock moved 12 days");
  BOOST_TEST_REQUIRE(configure_clock("UTC", std::chrono::seconds(0)).has_value());
}

BOOST_AUTO_TEST_CASE(relative_to_another_field) {
  // Thirty days before the contract expires.
  const std::string due = R"({"field": "date_start", "op": "gte", "value": "date_expire-30d"})";
  BOOST_TEST(holds(due, test::make_record("ServiceSubcontracts", {{"date_start", "2026-12-02"},
                                                                  {"date_expire", "2027-01-01"}})));
  BOOST_TEST(!holds(
      due, test::make_record("ServiceSubcontracts",
                             {{"date_start", "2026-12-01"}, {"date_expire", "2027-01-01"}})));
  BOOST_TEST(!holds(
      due, test::make_record("ServiceSubcontracts",
                             {{"date_start", "2026-12-01"}, {"date_expire", std::nullopt}})));
  // Months step by the calendar: 31 March - 1 month is the last day of February.
  const std::string month = R"({"field": "date_start", "op": "gte", "value": "date_expire-1m"})";
  BOOST_TEST(holds(month, test::make_record(
                              "X", {{"date_start", "2027-02-28"}, {"date_expire", "2027-03-31"}})));
  BOOST_TEST(!holds(month, test::make_record("X", {{"date_start", "2027-02-27"},
                                                   {"date_expire", "2027-03-31"}})));
}

BOOST_FIXTURE_TEST_CASE(days_keep_the_local_time_across_daylight_saving, Vienna) {
  // 28 March 2026 09:00 in Vienna (CET, 08:00 UTC) plus one day is 29 March 09:00 CEST,
  // which is 07:00 UTC: a day is a calendar day there, not 24 hours.
  const std::string next_day = R"({"field": "due", "op": "gte", "value": "start+1d"})";
  BOOST_TEST(holds(next_day, test::make_record("X", {{"start", "2026-03-28 08:00:00"},
                                                     {"due", "2026-03-29 07:00:00"}})));
  BOOST_TEST(!holds(next_day, test::make_record("X", {{"start", "2026-03-28 08:00:00"},
                                                      {"due", "2026-03-29 06:59:59"}})));
  // And back in October: 24 October 09:00 CEST (07:00 UTC) + 1 day = 25 October 09:00 CET = 08:00
  // UTC.
  BOOST_TEST(holds(next_day, test::make_record("X", {{"start", "2026-10-24 07:00:00"},
                                                     {"due", "2026-10-25 08:00:00"}})));
  BOOST_TEST(!holds(next_day, test::make_record("X", {{"start", "2026-10-24 07:00:00"},
                                                      {"due", "2026-10-25 07:59:59"}})));
}

BOOST_FIXTURE_TEST_CASE(today_starts_at_local_midnight, Vienna) {
  const SysSeconds start_of_today = shift(now(), 0, CRMFLOW_UNIT_DAY, true).value();
  const std::string since_today = R"({"field": "date_entered", "op": "gte", "value": "today"})";
  BOOST_TEST(
      holds(since_today, test::make_record("X", {{"date_entered", format_utc(start_of_today)}})));
  BOOST_TEST(
      !holds(since_today,
             test::make_record(
                 "X", {{"date_entered", format_utc(start_of_today - std::chrono::seconds(1))}})));
}

BOOST_AUTO_TEST_CASE(bad_date_expressions_are_named) {
  for (const char* bad : {"now-14x", "now-d", "today+", "date_expire-30days", "now+1.5d"}) {
    const std::string message = create_error(
        std::string(R"({"field": "date_expire", "op": "lt", "value": ")") + bad + "\"}");
    BOOST_TEST(
        message.find(std::string("bad date expression \"") + bad + "\"") != std::string::npos,
        message);
  }
}
