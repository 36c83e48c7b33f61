// Date expressions for date and datetime columns (host/lib/date_expression.cpp): which texts
// are expressions at all, and what they evaluate to on the host clock, in UTC and in a zone
// with daylight-saving changes.
#define BOOST_TEST_MODULE date_expression_test
#include <crmflow/abi.h>

#include <boost/test/unit_test.hpp>

#include "crmflow/host/date_expression.hpp"
#include "crmflow/host/host_clock.hpp"

using namespace crmflow;

namespace {

std::string evaluate(std::string_view text, bool date_only = false) {
  const auto expression = parse_date_expression(text);
  BOOST_TEST_REQUIRE(expression.has_value(), text << " is an expression");
  const auto value = evaluate_date_expression(*expression, date_only);
  BOOST_TEST_REQUIRE(value.has_value());
  return *value;
}

struct Utc {
  Utc() { BOOST_TEST_REQUIRE(configure_clock("UTC", std::chrono::seconds(0)).has_value()); }
};

struct Vienna {
  Vienna() {
    BOOST_TEST_REQUIRE(configure_clock("Europe/Vienna", std::chrono::seconds(0)).has_value());
  }
  ~Vienna() { (void)configure_clock("UTC", std::chrono::seconds(0)); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_forms_of_an_expression) {
  const auto now = parse_date_expression("now");
  BOOST_TEST_REQUIRE(now.has_value());
  BOOST_TEST((now->base == DateExpression::Base::now));
  BOOST_TEST(now->unit == 0u);

  const auto later = parse_date_expression("now+14d");
  BOOST_TEST_REQUIRE(later.has_value());
  BOOST_TEST(later->amount == 14);
  BOOST_TEST(later->unit == unsigned{CRMFLOW_UNIT_DAY});

  const auto yesterday = parse_date_expression("today-1d");
  BOOST_TEST_REQUIRE(yesterday.has_value());
  BOOST_TEST((yesterday->base == DateExpression::Base::today));
  BOOST_TEST(yesterday->amount == -1);

  const auto before = parse_date_expression("2027-03-01-30d");
  BOOST_TEST_REQUIRE(before.has_value());
  BOOST_TEST((before->base == DateExpression::Base::date));
  BOOST_TEST(before->literal == "2027-03-01");
  BOOST_TEST(before->amount == -30);

  const auto at = parse_date_expression("2027-03-01 08:00:00+2h");
  BOOST_TEST_REQUIRE(at.has_value());
  BOOST_TEST((at->base == DateExpression::Base::datetime));
  BOOST_TEST(at->literal == "2027-03-01 08:00:00");
  BOOST_TEST(at->unit == unsigned{CRMFLOW_UNIT_HOUR});

  for (const char* text :
       {"now+90min", "today+1m", "now-2y", "now+3w", "2027-03-01T08:00", "2027-03-01 08:00+1d"}) {
    BOOST_TEST(parse_date_expression(text).has_value(), text);
  }
}

BOOST_AUTO_TEST_CASE(anything_else_is_no_expression) {
  for (const char* text : {"",
                           "tomorrow",
                           "now+",
                           "now+d",
                           "now+14",
                           "now+14x",
                           "now 14d",
                           " now",
                           "now+14d ",
                           "now+14d+1h",
                           "nowish",
                           "2027-3-1",
                           "2027-02-30",
                           "2027-13-01",
                           "01.03.2027",
                           "2027-03-01 25:00:00",
                           "2027-03-01 08:00:00.5",
                           "2027-03-01+",
                           "14d",
                           "0",
                           "now+12345678d",
                           "Follow-up"}) {
    BOOST_TEST(!parse_date_expression(text).has_value(), '"' << text << '"');
  }
}

BOOST_FIXTURE_TEST_CASE(literals_and_offsets_in_utc, Utc) {
  BOOST_TEST(evaluate("2027-03-01") == "2027-03-01 00:00:00");
  BOOST_TEST(evaluate("2027-03-01 08:00:00+2h") == "2027-03-01 10:00:00");
  BOOST_TEST(evaluate("2027-03-01T08:00") == "2027-03-01 08:00:00");
  BOOST_TEST(evaluate("2027-03-01-30d") == "2027-01-30 00:00:00");
  BOOST_TEST(evaluate("2027-03-01-30d", true) == "2027-01-30");
  BOOST_TEST(evaluate("2027-01-31+1m", true) == "2027-02-28", "the month's last day");
  BOOST_TEST(evaluate("2028-02-29+1y", true) == "2029-02-28");
  BOOST_TEST(evaluate("2027-03-01 23:30:00+90min", true) == "2027-03-02");
  BOOST_TEST(evaluate("2027-03-01+2w", true) == "2027-03-15");
}

BOOST_FIXTURE_TEST_CASE(now_and_today_follow_the_host_clock, Utc) {
  const SysSeconds before = now();
  const auto in_two_weeks = parse_utc(evaluate("now+14d"));
  const SysSeconds after = now();
  BOOST_TEST_REQUIRE(in_two_weeks.has_value());
  BOOST_TEST((*in_two_weeks >= before + std::chrono::days(14)));
  BOOST_TEST((*in_two_weeks <= after + std::chrono::days(14)));

  const auto day = std::chrono::floor<std::chrono::days>(now());
  BOOST_TEST(evaluate("today") == format_utc(day));
  BOOST_TEST(evaluate("today-1d") == format_utc(day - std::chrono::days(1)));
  BOOST_TEST(evaluate("today+8h") == format_utc(day + std::chrono::hours(8)));
  BOOST_TEST(evaluate("today", true) == format_utc(day).substr(0, 10));

  // The configured offset moves "now" with it, as it moves every other clock reading.
  BOOST_TEST_REQUIRE(configure_clock("UTC", std::chrono::hours(24 * 10)).has_value());
  const auto shifted = parse_utc(evaluate("now"));
  BOOST_TEST_REQUIRE(configure_clock("UTC", std::chrono::seconds(0)).has_value());
  BOOST_TEST_REQUIRE(shifted.has_value());
  BOOST_TEST((*shifted >= before + std::chrono::days(10)));
}

BOOST_FIXTURE_TEST_CASE(calendar_steps_keep_the_local_time_across_daylight_saving, Vienna) {
  // Vienna moves to summer time on 28 March 2027: 13:00 local is 12:00 UTC before, 11:00 after.
  BOOST_TEST(evaluate("2027-03-27 12:00:00+1d") == "2027-03-28 11:00:00");
  BOOST_TEST(evaluate("2027-03-27 12:00:00+24h") == "2027-03-28 12:00:00");
  // A UTC time in a date column is the users' local day: 23:30 UTC is already 2 March there.
  BOOST_TEST(evaluate("2027-03-01 23:30:00", true) == "2027-03-02");
  // A plain day stays that day, whatever the zone.
  BOOST_TEST(evaluate("2027-03-28", true) == "2027-03-28");
  BOOST_TEST(evaluate("2027-03-01-30d", true) == "2027-01-30");
  // "today" is the local midnight, as UTC.
  const auto today = parse_utc(evaluate("today"));
  BOOST_TEST_REQUIRE(today.has_value());
  const auto offset = *today - std::chrono::floor<std::chrono::days>(*today);
  BOOST_TEST((offset == std::chrono::hours(22) || offset == std::chrono::hours(23)),
             "midnight in Vienna is 22:00 or 23:00 UTC");
}
