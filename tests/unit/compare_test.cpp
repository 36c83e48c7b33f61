// The compare condition as a workflow sees it: the real compare.so, loaded through
// PluginRegistry and called through the C ABI, evaluated against in-memory records.
#define BOOST_TEST_MODULE compare_test
#include <boost/test/unit_test.hpp>

#include <expected>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/record.hpp"
#include "test_support.hpp"

namespace {

using crmflow::ComponentInstance;
using crmflow::Record;
using crmflow::test::make_record;
using crmflow::test::soon;

using crmflow::test::kNull;
using crmflow::test::Value;

// compare.so, loaded once for the whole run.
const crmflow::test::PluginUnderTest& plugin() {
  static const crmflow::test::PluginUnderTest loaded("compare.so", "compare");
  return loaded;
}

std::expected<ComponentInstance, std::string> instantiate(std::string_view params) {
  return plugin().instantiate(params);
}

ComponentInstance condition(std::string_view params) {
  return plugin().create(params);
}

// A Leads record with the given fields (current and new image).
Record lead(std::initializer_list<crmflow::test::Field> fields) {
  return make_record("Leads", fields);
}

// Whether the condition holds for the record; fails the test when evaluating fails.
bool holds(std::string_view params, const Record& record) {
  const auto result = condition(params).evaluate(record, soon());
  if (!result) BOOST_FAIL(params << " failed: " << result.error());
  return *result;
}

// The message of a condition that the plugin refuses to create.
std::string create_error(std::string_view params) {
  const auto instance = instantiate(params);
  if (instance) BOOST_FAIL(params << " was accepted, expected an error");
  return instance.error();
}

// The message of a condition that fails on the record.
std::string evaluate_error(std::string_view params, const Record& record) {
  const auto result = condition(params).evaluate(record, soon());
  if (result) BOOST_FAIL(params << " gave " << *result << ", expected an error");
  return result.error();
}

void check_mentions(const std::string& message, std::initializer_list<std::string_view> parts) {
  for (const std::string_view part : parts) {
    BOOST_TEST(message.find(part) != std::string::npos,
               "\"" << message << "\" should mention \"" << part << "\"");
  }
}

std::string shown(const Value& value) {
  return value ? "\"" + *value + "\"" : "NULL";
}

// What a condition should give for values of its field (each text, or kNull for NULL).
struct Expected {
  std::vector<Value> holds_for;
  std::vector<Value> fails_for;
};

// One condition against several values of its field, each in a Leads record of its own.
void check(std::string_view params, const Expected& expected) {
  const std::string field = nlohmann::json::parse(params).at("field").get<std::string>();
  const ComponentInstance instance = condition(params);
  for (const bool should_hold : {true, false}) {
    for (const Value& value : should_hold ? expected.holds_for : expected.fails_for) {
      BOOST_TEST_CONTEXT(params << " with " << field << " = " << shown(value)) {
        const auto result = instance.evaluate(lead({{field, value}}), soon());
        BOOST_TEST(result.has_value(), (result ? "" : result.error()));
        if (result) BOOST_TEST(*result == should_hold);
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(plugin_loads_through_the_registry) {
  BOOST_TEST(plugin().problems.empty(),
             "loading compare.so: " << plugin().problems.size() << " problem(s), first: "
                                    << (plugin().problems.empty() ? "" : plugin().problems[0]));
  BOOST_TEST_REQUIRE(plugin().component != nullptr);
  BOOST_TEST(plugin().component->kind == uint32_t{CRMFLOW_KIND_CONDITION});
  BOOST_TEST(plugin().component->pack_id == "crmflow.compare");
}

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(equals_compares_text_exactly) {
  check(R"({"field": "status", "op": "equals", "value": "Active"})",
        {.holds_for = {"Active"},
         .fails_for = {"active", "ACTIVE", "Active ", " Active", "Inactive", "", kNull}});
}

BOOST_AUTO_TEST_CASE(equals_empty_text_is_not_null) {
  check(R"({"field": "status", "op": "equals", "value": ""})",
        {.holds_for = {""}, .fails_for = {" ", kNull}});
}

BOOST_AUTO_TEST_CASE(not_equals_is_the_opposite_of_equals) {
  check(R"({"field": "status", "op": "not_equals", "value": "Active"})",
        {.holds_for = {"active", "Inactive", ""}, .fails_for = {"Active"}});
}

BOOST_AUTO_TEST_CASE(in_matches_any_listed_text) {
  check(R"({"field": "country", "op": "in", "value": ["AT", "DE", "CH"]})",
        {.holds_for = {"AT", "DE", "CH"}, .fails_for = {"FR", "de", ""}});
}

BOOST_AUTO_TEST_CASE(not_in_matches_none_of_the_listed_text) {
  check(R"({"field": "country", "op": "not_in", "value": ["AT", "DE", "CH"]})",
        {.holds_for = {"FR", "de", ""}, .fails_for = {"AT", "CH"}});
}

BOOST_AUTO_TEST_CASE(an_empty_list) {
  check(R"({"field": "country", "op": "in", "value": []})",
        {.holds_for = {}, .fails_for = {"AT", kNull}});
  check(R"({"field": "country", "op": "not_in", "value": []})",
        {.holds_for = {"AT", kNull}, .fails_for = {}});
}

BOOST_AUTO_TEST_CASE(contains) {
  check(R"({"field": "account_name", "op": "contains", "value": "GmbH"})",
        {.holds_for = {"Acme GmbH", "GmbH", "Acme GmbH & Co. KG"},
         .fails_for = {"Acme Ltd", "acme gmbh", ""}});
}

BOOST_AUTO_TEST_CASE(starts_with) {
  check(R"({"field": "account_name", "op": "starts_with", "value": "Acme"})",
        {.holds_for = {"Acme GmbH", "Acme"},
         .fails_for = {"The Acme Company", "acme GmbH", "Acm", ""}});
}

BOOST_AUTO_TEST_CASE(ends_with) {
  check(R"({"field": "account_name", "op": "ends_with", "value": "GmbH"})",
        {.holds_for = {"Acme GmbH", "GmbH"},
         .fails_for = {"GmbH & Co. KG", "Acme GMBH", "Acme GmbH ", ""}});
}

BOOST_AUTO_TEST_CASE(empty_is_null_or_blank) {
  check(R"({"field": "phone_mobile", "op": "empty"})",
        {.holds_for = {kNull, "", "   ", " \t\r\n"}, .fails_for = {"0", "x", "  x  "}});
}

BOOST_AUTO_TEST_CASE(not_empty_has_a_visible_value) {
  check(R"({"field": "phone_mobile", "op": "not_empty"})",
        {.holds_for = {"0", "+43 1 234", "  x  "}, .fails_for = {kNull, "", "   ", " \t\r\n"}});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(null_fields)

BOOST_AUTO_TEST_CASE(equals_null_matches_only_null) {
  check(R"({"field": "assigned_user_id", "op": "equals", "value": null})",
        {.holds_for = {kNull}, .fails_for = {"", "null", "NULL", "0"}});
  check(R"({"field": "assigned_user_id", "op": "not_equals", "value": null})",
        {.holds_for = {"", "NULL"}, .fails_for = {kNull}});
}

// A NULL field has no value: it equals nothing but null, so it is "not equal" to any text or
// number and "not in" any list without null.
BOOST_AUTO_TEST_CASE(null_against_a_value) {
  const Record record = lead({{"status", kNull}});
  BOOST_TEST(!holds(R"({"field": "status", "op": "equals", "value": "Active"})", record));
  BOOST_TEST(!holds(R"({"field": "status", "op": "equals", "value": 0})", record));
  BOOST_TEST(holds(R"({"field": "status", "op": "not_equals", "value": "Active"})", record));
  BOOST_TEST(holds(R"({"field": "status", "op": "not_equals", "value": 0})", record));
  BOOST_TEST(!holds(R"({"field": "status", "op": "in", "value": ["Active", "", 0]})", record));
  BOOST_TEST(holds(R"({"field": "status", "op": "in", "value": ["Active", null]})", record));
  BOOST_TEST(holds(R"({"field": "status", "op": "not_in", "value": ["Active", "", 0]})", record));
  BOOST_TEST(!holds(R"({"field": "status", "op": "not_in", "value": ["Active", null]})", record));
}

BOOST_AUTO_TEST_CASE(null_contains_starts_or_ends_with_nothing) {
  const Record record = lead({{"name", kNull}});
  BOOST_TEST(!holds(R"({"field": "name", "op": "contains", "value": "a"})", record));
  BOOST_TEST(!holds(R"({"field": "name", "op": "contains", "value": ""})", record));
  BOOST_TEST(!holds(R"({"field": "name", "op": "starts_with", "value": ""})", record));
  BOOST_TEST(!holds(R"({"field": "name", "op": "ends_with", "value": ""})", record));
}

// Neither greater nor less than anything, and not an error either: a workflow on "amount > 0"
// simply does not fire for a lead without an amount.
BOOST_AUTO_TEST_CASE(null_or_blank_is_neither_greater_nor_less) {
  for (const Value& amount : {Value(kNull), Value(""), Value("   ")}) {
    BOOST_TEST_CONTEXT("amount = " << shown(amount)) {
      const Record record = lead({{"amount", amount}});
      BOOST_TEST(!holds(R"({"field": "amount", "op": "gt", "value": 0})", record));
      BOOST_TEST(!holds(R"({"field": "amount", "op": "gte", "value": 0})", record));
      BOOST_TEST(!holds(R"({"field": "amount", "op": "lt", "value": 0})", record));
      BOOST_TEST(!holds(R"({"field": "amount", "op": "lte", "value": 0})", record));
      BOOST_TEST(!holds(R"({"field": "amount", "op": "lt", "value": "2026-01-31"})", record));
      BOOST_TEST(!holds(R"({"field": "amount", "op": "gte", "value": "2026-01-31"})", record));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(missing_field)

BOOST_AUTO_TEST_CASE(evaluating_a_field_the_record_lacks_is_an_error_naming_it) {
  const Record record = lead({{"status", "Active"}});
  for (const std::string_view params : {
           R"({"field": "stauts", "op": "equals", "value": "Active"})",
           R"({"field": "stauts", "op": "not_equals", "value": "Active"})",
           R"({"field": "stauts", "op": "in", "value": ["Active", null]})",
           R"({"field": "stauts", "op": "contains", "value": "Act"})",
           R"({"field": "stauts", "op": "empty"})",
           R"({"field": "stauts", "op": "gt", "value": 5})",
       }) {
    BOOST_TEST_CONTEXT(params) {
      check_mentions(evaluate_error(params, record), {"compare", "no field 'stauts'", "Leads"});
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(unicode)

BOOST_AUTO_TEST_CASE(umlauts_are_matched_byte_for_byte) {
  const Record record = lead({{"last_name", "Müller"}});
  BOOST_TEST(holds(R"({"field": "last_name", "op": "equals", "value": "Müller"})", record));
  BOOST_TEST(holds(R"({"field": "last_name", "op": "contains", "value": "ü"})", record));
  BOOST_TEST(holds(R"({"field": "last_name", "op": "starts_with", "value": "Mü"})", record));
  BOOST_TEST(holds(R"({"field": "last_name", "op": "ends_with", "value": "üller"})", record));
  BOOST_TEST(holds(R"({"field": "last_name", "op": "in", "value": ["Maier", "Müller"]})", record));
  BOOST_TEST(!holds(R"({"field": "last_name", "op": "contains", "value": "u"})", record));
  BOOST_TEST(!holds(R"({"field": "last_name", "op": "starts_with", "value": "MÜ"})", record));
  BOOST_TEST(!holds(R"({"field": "last_name", "op": "equals", "value": "Mueller"})", record));
  BOOST_TEST(!holds(R"({"field": "last_name", "op": "equals", "value": "Muller"})", record));
}

// A JSON \u escape in the parameters means the same UTF-8 as the character written out.
BOOST_AUTO_TEST_CASE(json_escapes_in_the_value) {
  const Record record = lead({{"last_name", "Müller"}});
  BOOST_TEST(holds(R"({"field": "last_name", "op": "equals", "value": "M\u00fcller"})", record));
}

// No normalisation: "é" as one code point (NFC) and as "e" + combining accent (NFD) look the
// same but are different text.
BOOST_AUTO_TEST_CASE(differently_normalised_text_is_different) {
  const std::string nfc = "Caf\u00e9";
  const std::string nfd = "Cafe\u0301";
  const std::string_view equals_nfc = R"({"field": "name", "op": "equals", "value": "Caf\u00e9"})";
  BOOST_TEST(holds(equals_nfc, lead({{"name", nfc}})));
  BOOST_TEST(!holds(equals_nfc, lead({{"name", nfd}})));
  BOOST_TEST(
      !holds(R"({"field": "name", "op": "contains", "value": "\u00e9"})", lead({{"name", nfd}})));

  // Hangul: the precomposed syllable 한 against its conjoining jamo.
  const std::string_view equals_han = R"({"field": "city", "op": "equals", "value": "서울 한"})";
  BOOST_TEST(holds(equals_han, lead({{"city", "서울 한"}})));
  BOOST_TEST(!holds(equals_han, lead({{"city", "서울 \u1112\u1161\u11ab"}})));
}

BOOST_AUTO_TEST_CASE(cjk_and_emoji) {
  check(R"({"field": "city", "op": "equals", "value": "東京都"})",
        {.holds_for = {"東京都"}, .fails_for = {"東京", "京都"}});
  check(R"({"field": "city", "op": "starts_with", "value": "東京"})",
        {.holds_for = {"東京都"}, .fails_for = {"京都"}});
  // A family emoji is one ZWJ sequence; without the joiners it is three separate people.
  const std::string family = "\U0001F468\u200D\U0001F469\u200D\U0001F467";
  const std::string_view equals_family =
      R"({"field": "description", "op": "equals", "value": "👨‍👩‍👧"})";
  BOOST_TEST(holds(equals_family, lead({{"description", family}})));
  BOOST_TEST(!holds(equals_family, lead({{"description", "\U0001F468\U0001F469\U0001F467"}})));
  BOOST_TEST(holds(R"({"field": "description", "op": "contains", "value": "👩"})",
                   lead({{"description", "Team " + family + " 👍🏽"}})));
  BOOST_TEST(holds(R"({"field": "description", "op": "ends_with", "value": "👍🏽"})",
                   lead({{"description", "Team " + family + " 👍🏽"}})));
  // Same thumb, other skin tone.
  BOOST_TEST(!holds(R"({"field": "description", "op": "ends_with", "value": "👍🏿"})",
                    lead({{"description", "Team " + family + " 👍🏽"}})));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(numbers)

// A JSON number compares as a number, so it matches a DECIMAL column's text; a JSON string is
// text and compares byte for byte.
BOOST_AUTO_TEST_CASE(a_json_number_equals_the_same_decimal) {
  check(R"({"field": "amount", "op": "equals", "value": 100})",
        {.holds_for = {"100.000000", "100", "100.0"},
         .fails_for = {"100.000001", "99.999999", "1000.000000", "-100.000000", ""}});
  check(R"({"field": "amount", "op": "equals", "value": "100"})",
        {.holds_for = {"100"}, .fails_for = {"100.000000"}});
  check(R"({"field": "amount", "op": "not_equals", "value": 100})",
        {.holds_for = {"100.5"}, .fails_for = {"100.000000"}});
  check(R"({"field": "amount", "op": "equals", "value": 1000.5})",
        {.holds_for = {"1000.500000"}, .fails_for = {"1000.050000"}});
  check(R"({"field": "amount", "op": "equals", "value": -12.5})",
        {.holds_for = {"-12.500000"}, .fails_for = {"12.500000"}});
  check(R"({"field": "amount", "op": "equals", "value": 0})",
        {.holds_for = {"0.000000", "-0.000000"}, .fails_for = {"0.000001"}});
}

BOOST_AUTO_TEST_CASE(text_that_is_not_a_number_never_equals_one) {
  check(R"({"field": "status", "op": "equals", "value": 5})",
        {.holds_for = {"5"}, .fails_for = {"abc", "5 apples", "five"}});
  check(R"({"field": "status", "op": "not_equals", "value": 5})",
        {.holds_for = {"abc"}, .fails_for = {}});
}

BOOST_AUTO_TEST_CASE(gt_gte_lt_lte_on_a_decimal_column) {
  check(R"({"field": "amount", "op": "gt", "value": 1000})",
        {.holds_for = {"1000.50", "1000.000001", "99999"},
         .fails_for = {"1000.00", "1000", "999.99", "-1000.50"}});
  check(R"({"field": "amount", "op": "gte", "value": 1000})",
        {.holds_for = {"1000.000000", "1000.50"}, .fails_for = {"999.999999"}});
  check(R"({"field": "amount", "op": "lt", "value": 1000})",
        {.holds_for = {"999.999999", "-1000.50"}, .fails_for = {"1000.000000", "1000.50"}});
  check(R"({"field": "amount", "op": "lte", "value": 1000})",
        {.holds_for = {"1000.000000", "999.5"}, .fails_for = {"1000.000001"}});
  // The value may be written as text too.
  check(R"({"field": "amount", "op": "gt", "value": "1000"})",
        {.holds_for = {"1000.50"}, .fails_for = {"1000.00"}});
  check(R"({"field": "amount", "op": "gte", "value": 1000.5})",
        {.holds_for = {"1000.500000"}, .fails_for = {"1000.499999"}});
}

BOOST_AUTO_TEST_CASE(negative_numbers) {
  check(R"({"field": "balance", "op": "lt", "value": -5})",
        {.holds_for = {"-5.000001", "-100"}, .fails_for = {"-5.000000", "-4.999999", "0", "5"}});
  check(R"({"field": "balance", "op": "gt", "value": -5})",
        {.holds_for = {"-4.5", "0.000000", "3"}, .fails_for = {"-5.5", "-50"}});
  check(R"({"field": "balance", "op": "gte", "value": -0.5})",
        {.holds_for = {"-0.500000", "-0.499999"}, .fails_for = {"-0.500001"}});
}

// DECIMAL(26,6) holds 20 integer digits, more than a double keeps: the values are compared as
// exact decimals, down to the last place.
BOOST_AUTO_TEST_CASE(big_decimals_differing_in_the_last_place) {
  check(R"({"field": "amount", "op": "gt", "value": "12345678901234567890.123456"})",
        {.holds_for = {"12345678901234567890.123457", "12345678901234567891.000000"},
         .fails_for = {"12345678901234567890.123456", "12345678901234567890.1234560",
                       "12345678901234567890.123455", "-12345678901234567890.123457"}});
  check(R"({"field": "amount", "op": "lt", "value": "12345678901234567890.123456"})",
        {.holds_for = {"12345678901234567890.123455"},
         .fails_for = {"12345678901234567890.123456", "12345678901234567890.123457"}});
  check(R"({"field": "amount", "op": "gte", "value": "99999999999999999999.999998"})",
        {.holds_for = {"99999999999999999999.999999", "99999999999999999999.999998"},
         .fails_for = {"99999999999999999999.999997"}});
  check(R"({"field": "amount", "op": "lte", "value": "-12345678901234567890.123456"})",
        {.holds_for = {"-12345678901234567890.123457", "-12345678901234567890.123456"},
         .fails_for = {"-12345678901234567890.123455"}});
  // A number a double holds exactly still compares exactly against the column.
  check(R"({"field": "amount", "op": "equals", "value": 1234567.123456})",
        {.holds_for = {"1234567.123456"}, .fails_for = {"1234567.123457", "1234567.123455"}});
}

BOOST_AUTO_TEST_CASE(ordering_text_that_is_not_a_number_is_an_error_naming_the_field) {
  const std::string_view gt = R"({"field": "amount", "op": "gt", "value": 1000})";
  check_mentions(evaluate_error(gt, lead({{"amount", "n/a"}})),
                 {"field 'amount'", "\"n/a\"", "not a number"});
  check_mentions(evaluate_error(gt, lead({{"amount", "1.000,50"}})),
                 {"field 'amount'", "\"1.000,50\"", "not a number"});
  check_mentions(evaluate_error(gt, lead({{"amount", "2026-01-31"}})),
                 {"field 'amount'", "not a number"});
  // Words that a float parser would read as infinity or not-a-number are text too.
  for (const std::string word : {"NaN", "nan", "inf", "Infinity", "-INF"}) {
    BOOST_TEST_CONTEXT("amount = " << word) {
      check_mentions(evaluate_error(gt, lead({{"amount", word}})),
                     {"field 'amount'", "not a number"});
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dates)

BOOST_AUTO_TEST_CASE(date_field_against_a_date) {
  check(R"({"field": "date_expire", "op": "lt", "value": "2027-01-01"})",
        {.holds_for = {"2026-12-31", "2025-06-15"}, .fails_for = {"2027-01-01", "2027-01-02"}});
  check(R"({"field": "date_expire", "op": "lte", "value": "2027-01-01"})",
        {.holds_for = {"2027-01-01", "2026-12-31"}, .fails_for = {"2027-01-02"}});
  check(R"({"field": "date_expire", "op": "gt", "value": "2027-01-01"})",
        {.holds_for = {"2027-01-02", "2028-01-01"}, .fails_for = {"2027-01-01", "2026-12-31"}});
  check(R"({"field": "date_expire", "op": "gte", "value": "2027-01-01"})",
        {.holds_for = {"2027-01-01"}, .fails_for = {"2026-12-31"}});
}

// A date alone is midnight, so any later time of that day is after it.
BOOST_AUTO_TEST_CASE(datetime_field_against_a_date) {
  check(R"({"field": "date_modified", "op": "gt", "value": "2026-01-31"})",
        {.holds_for = {"2026-01-31 10:00:00", "2026-01-31 00:00:01"},
         .fails_for = {"2026-01-31 00:00:00", "2026-01-31", "2026-01-30 23:59:59"}});
  check(R"({"field": "date_modified", "op": "gte", "value": "2026-01-31"})",
        {.holds_for = {"2026-01-31 00:00:00"}, .fails_for = {"2026-01-30 23:59:59"}});
  check(R"({"field": "date_modified", "op": "lt", "value": "2026-02-01"})",
        {.holds_for = {"2026-01-31 23:59:59"}, .fails_for = {"2026-02-01 00:00:00"}});
}

BOOST_AUTO_TEST_CASE(date_field_against_a_datetime) {
  check(R"({"field": "date_start", "op": "lt", "value": "2026-01-31 10:00:00"})",
        {.holds_for = {"2026-01-31"}, .fails_for = {"2026-02-01"}});
}

BOOST_AUTO_TEST_CASE(lt_and_lte_at_the_boundary_second) {
  check(R"({"field": "date_modified", "op": "lt", "value": "2026-01-31 10:00:00"})",
        {.holds_for = {"2026-01-31 09:59:59"},
         .fails_for = {"2026-01-31 10:00:00", "2026-01-31 10:00:01"}});
  check(R"({"field": "date_modified", "op": "lte", "value": "2026-01-31 10:00:00"})",
        {.holds_for = {"2026-01-31 09:59:59", "2026-01-31 10:00:00"},
         .fails_for = {"2026-01-31 10:00:01"}});
  // Minutes without seconds are on the minute.
  check(R"({"field": "date_modified", "op": "lte", "value": "2026-01-31 10:00"})",
        {.holds_for = {"2026-01-31 10:00:00"}, .fails_for = {"2026-01-31 10:00:01"}});
}

BOOST_AUTO_TEST_CASE(iso_with_t_is_the_same_time) {
  check(R"({"field": "date_modified", "op": "gte", "value": "2026-01-31T08:00:00"})",
        {.holds_for = {"2026-01-31 08:00:00", "2026-01-31T08:00:00", "2026-01-31T08:00:00Z",
                       "2026-01-31T09:30"},
         .fails_for = {"2026-01-31T07:59:59", "2026-01-31 07:59:59"}});
  check(R"({"field": "date_modified", "op": "lt", "value": "2026-01-31T08:00:00"})",
        {.holds_for = {"2026-01-31T07:59:59"}, .fails_for = {"2026-01-31T08:00:00"}});
}

BOOST_AUTO_TEST_CASE(calendar_days_are_checked_and_leap_days_known) {
  check(R"({"field": "date_expire", "op": "gt", "value": "2024-02-28"})",
        {.holds_for = {"2024-02-29", "2024-03-01"}, .fails_for = {"2024-02-28"}});
  check_mentions(create_error(R"({"field": "date_expire", "op": "gt", "value": "2026-02-31"})"),
                 {"need a number or an ISO date", "\"2026-02-31\""});
  check_mentions(create_error(R"({"field": "date_expire", "op": "gt", "value": "2025-02-29"})"),
                 {"need a number or an ISO date", "\"2025-02-29\""});
}

BOOST_AUTO_TEST_CASE(mysql_zero_date_has_no_value) {
  // A lax CRM stores "no date" as 0000-00-00: neither before nor after anything.
  for (const char* op : {"gt", "gte", "lt", "lte"}) {
    const std::string params =
        std::string(R"({"field": "date_expire", "op": ")") + op + R"(", "value": "2026-01-01"})";
    BOOST_TEST(!holds(params, lead({{"date_expire", "0000-00-00"}})), op);
    BOOST_TEST(!holds(params, lead({{"date_expire", "0000-00-00 00:00:00"}})), op);
  }
}

BOOST_AUTO_TEST_CASE(ordering_text_that_is_not_a_date_is_an_error_naming_the_field) {
  const std::string_view lt = R"({"field": "date_expire", "op": "lt", "value": "2027-01-01"})";
  check_mentions(evaluate_error(lt, lead({{"date_expire", "31.01.2026"}})),
                 {"field 'date_expire'", "\"31.01.2026\"", "not an ISO date"});
  check_mentions(evaluate_error(lt, lead({{"date_expire", "1000.50"}})),
                 {"field 'date_expire'", "not an ISO date"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(mixed_lists)

BOOST_AUTO_TEST_CASE(in_with_text_numbers_and_null) {
  const std::string_view in = R"({"field": "code", "op": "in", "value": ["AT", 5, null]})";
  check(in, {.holds_for = {"AT", "5", "5.000000", kNull}, .fails_for = {"at", "6", "", "null"}});
  const std::string_view not_in = R"({"field": "code", "op": "not_in", "value": ["AT", 5, null]})";
  check(not_in, {.holds_for = {"at", "6", ""}, .fails_for = {"AT", "5.000000", kNull}});
}

BOOST_AUTO_TEST_CASE(numbers_in_a_list_compare_as_numbers_text_as_text) {
  check(R"({"field": "amount", "op": "in", "value": [100, 200.5]})",
        {.holds_for = {"100.000000", "200.500000"}, .fails_for = {"150.000000"}});
  check(R"({"field": "amount", "op": "in", "value": ["100", "200.5"]})",
        {.holds_for = {"100"}, .fails_for = {"100.000000", "200.500000"}});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parameter_errors)

BOOST_AUTO_TEST_CASE(errors_name_the_component) {
  check_mentions(create_error(R"({"field": "status", "op": "like", "value": "A%"})"),
                 {"component 'compare'", "create failed"});
}

BOOST_AUTO_TEST_CASE(unknown_op_lists_the_known_ones) {
  const std::string message = create_error(R"({"field": "status", "op": "like", "value": "A%"})");
  check_mentions(message, {"'op' must be one of", "equals", "not_in", "starts_with", "gte"});
  check_mentions(create_error(R"({"field": "status", "op": "EQUALS", "value": "A"})"),
                 {"'op' must be one of"});
  check_mentions(create_error(R"({"field": "status", "value": "A"})"), {"'op' must be one of"});
}

BOOST_AUTO_TEST_CASE(field_must_be_named) {
  check_mentions(create_error(R"({"op": "equals", "value": "A"})"), {"'field'"});
  check_mentions(create_error(R"({"field": "", "op": "equals", "value": "A"})"), {"'field'"});
  check_mentions(create_error(R"({"field": 5, "op": "equals", "value": "A"})"), {"'field'"});
}

BOOST_AUTO_TEST_CASE(missing_value) {
  check_mentions(create_error(R"({"field": "status", "op": "equals"})"),
                 {"'equals' needs a 'value'"});
  check_mentions(create_error(R"({"field": "amount", "op": "gt"})"), {"'gt' needs a 'value'"});
  check_mentions(create_error(R"({"field": "country", "op": "in"})"), {"'in' needs a 'value'"});
}

BOOST_AUTO_TEST_CASE(value_for_empty_or_not_empty) {
  check_mentions(create_error(R"({"field": "phone", "op": "empty", "value": ""})"),
                 {"'empty' takes no 'value'"});
  check_mentions(create_error(R"({"field": "phone", "op": "not_empty", "value": null})"),
                 {"'not_empty' takes no 'value'"});
}

BOOST_AUTO_TEST_CASE(in_needs_an_array) {
  check_mentions(create_error(R"({"field": "country", "op": "in", "value": "AT"})"),
                 {"'value' of in/not_in must be an array"});
  check_mentions(create_error(R"({"field": "country", "op": "not_in", "value": {"AT": 1}})"),
                 {"'value' of in/not_in must be an array"});
}

BOOST_AUTO_TEST_CASE(in_with_an_element_that_is_not_a_value_names_it) {
  check_mentions(create_error(R"({"field": "country", "op": "in", "value": ["AT", true]})"),
                 {"value[1]", "true"});
  check_mentions(create_error(R"({"field": "country", "op": "not_in", "value": [["AT"]]})"),
                 {"value[0]"});
}

BOOST_AUTO_TEST_CASE(text_operators_need_text) {
  check_mentions(create_error(R"({"field": "name", "op": "contains", "value": 5})"),
                 {"'value' of contains must be text"});
  check_mentions(create_error(R"({"field": "name", "op": "starts_with", "value": null})"),
                 {"'value' of starts_with must be text"});
  check_mentions(create_error(R"({"field": "name", "op": "ends_with", "value": ["a"]})"),
                 {"'value' of ends_with must be text"});
}

BOOST_AUTO_TEST_CASE(ordering_needs_a_number_or_a_date) {
  check_mentions(create_error(R"({"field": "date_expire", "op": "gt", "value": "soon"})"),
                 {"need a number or an ISO date", "\"soon\""});
  check_mentions(create_error(R"({"field": "date_expire", "op": "lt", "value": "31.01.2026"})"),
                 {"need a number or an ISO date", "\"31.01.2026\""});
  check_mentions(create_error(R"({"field": "date_expire", "op": "lte", "value": "2026-13-01"})"),
                 {"need a number or an ISO date", "\"2026-13-01\""});
  check_mentions(create_error(R"({"field": "amount", "op": "gte", "value": null})"),
                 {"need a number or an ISO date", "null"});
  check_mentions(create_error(R"({"field": "amount", "op": "gt", "value": "NaN"})"),
                 {"need a number or an ISO date", "\"NaN\""});
  check_mentions(create_error(R"({"field": "amount", "op": "lt", "value": "infinity"})"),
                 {"need a number or an ISO date", "\"infinity\""});
}

BOOST_AUTO_TEST_CASE(equals_needs_text_a_number_or_null) {
  check_mentions(create_error(R"({"field": "status", "op": "equals", "value": true})"),
                 {"expected text, a number or null", "true"});
  check_mentions(create_error(R"({"field": "status", "op": "not_equals", "value": ["A"]})"),
                 {"expected text, a number or null"});
}

BOOST_AUTO_TEST_CASE(unknown_parameter) {
  check_mentions(
      create_error(R"({"field": "status", "op": "equals", "value": "A", "ignore_case": true})"),
      {"unknown parameter 'ignore_case'"});
  check_mentions(create_error(R"({"fields": "status", "op": "equals", "value": "A"})"),
                 {"unknown parameter 'fields'"});
}

BOOST_AUTO_TEST_CASE(parameters_must_be_a_json_object) {
  check_mentions(create_error(R"(["status", "equals", "A"])"), {"expected an object"});
  check_mentions(create_error(R"({"field": "status", "op": "equals", "value": )"), {"parse error"});
}

BOOST_AUTO_TEST_SUITE_END()
