// The changes condition as a workflow sees it: the real changes.so, loaded through
// PluginRegistry and called through the C ABI, evaluated against in-memory records with an
// old and a new image.
#define BOOST_TEST_MODULE changes_test
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

// changes.so, loaded once for the whole run.
const crmflow::test::PluginUnderTest& plugin() {
  static const crmflow::test::PluginUnderTest loaded("changes.so", "changes");
  return loaded;
}

std::expected<ComponentInstance, std::string> instantiate(std::string_view params) {
  return plugin().instantiate(params);
}

ComponentInstance condition(std::string_view params) {
  return plugin().create(params);
}

// An updated Opportunities record: `field` was `before` and the statement wrote `after`.
// Both images also hold an unrelated field, as a real row does.
Record update(const std::string& field, const Value& before, const Value& after) {
  return make_record("Opportunities", {{"name", "Big deal"}, {field, after}},
                     {{"name", "Big deal"}, {field, before}});
}

// An inserted record: a new image only (the old image is empty).
Record inserted(const std::string& field, const Value& value) {
  return make_record("Opportunities", {{"name", "Big deal"}, {field, value}});
}

// A deleted record: an old image only; what is current is the row as it was.
Record removed(const std::string& field, const Value& value) {
  Record record;
  record.module = "Opportunities";
  record.id = "00000000-0000-0000-0000-000000000001";
  record.old_image = {{"name", "Big deal"}, {field, value}};
  record.current = record.old_image;
  return record;
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

// One update of the field: its old and new value.
struct Change {
  Value before;
  Value after;
};

// What a condition should give for updates of its field.
struct Expected {
  std::vector<Change> holds_for;
  std::vector<Change> fails_for;
};

// One condition against several updates of its field, each in a record of its own.
void check(std::string_view params, const Expected& expected) {
  const std::string field = nlohmann::json::parse(params).at("field").get<std::string>();
  const ComponentInstance instance = condition(params);
  for (const bool should_hold : {true, false}) {
    for (const Change& change : should_hold ? expected.holds_for : expected.fails_for) {
      BOOST_TEST_CONTEXT(params << " with " << field << " " << shown(change.before) << " → "
                                << shown(change.after)) {
        const auto result = instance.evaluate(update(field, change.before, change.after), soon());
        BOOST_TEST(result.has_value(), (result ? "" : result.error()));
        if (result) BOOST_TEST(*result == should_hold);
      }
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(plugin_loads_through_the_registry) {
  BOOST_TEST(plugin().problems.empty(),
             "loading changes.so: " << plugin().problems.size() << " problem(s), first: "
                                    << (plugin().problems.empty() ? "" : plugin().problems[0]));
  BOOST_TEST_REQUIRE(plugin().component != nullptr);
  BOOST_TEST(plugin().component->kind == uint32_t{CRMFLOW_KIND_CONDITION});
  BOOST_TEST(plugin().component->pack_id == "crmflow.changes");
  const auto schema = nlohmann::json::parse(plugin().component->params_schema);
  BOOST_TEST(schema.at("properties").at("op").at("enum").size() == 3U);
}

BOOST_AUTO_TEST_SUITE(changed)

BOOST_AUTO_TEST_CASE(a_different_text_is_a_change) {
  check(R"({"field": "sales_stage", "op": "changed"})",
        {.holds_for = {{"Prospecting", "Closed Won"}, {"abc", "ABC"}, {"x", "x "}, {" x", "x"}},
         .fails_for = {{"Prospecting", "Prospecting"}, {"abc", "abc"}, {"", ""}}});
}

BOOST_AUTO_TEST_CASE(null_and_empty_text_differ) {
  check(R"({"field": "assigned_user_id", "op": "changed"})",
        {.holds_for = {{kNull, "x"}, {"x", kNull}, {kNull, ""}, {"", kNull}},
         .fails_for = {{kNull, kNull}}});
}

// Byte for byte, with no normalisation: NFC "é" and NFD "e" + accent are different text.
BOOST_AUTO_TEST_CASE(unicode_is_compared_byte_for_byte) {
  check(R"({"field": "name", "op": "changed"})",
        {.holds_for = {{"Caf\u00e9", "Cafe\u0301"}, {"Müller", "Mueller"}},
         .fails_for = {{"Müller", "Müller"}, {"東京都", "東京都"}}});
}

// A change is a change of the stored text, even when the number it means is the same.
BOOST_AUTO_TEST_CASE(a_number_written_differently_is_a_change_of_text) {
  check(R"({"field": "amount", "op": "changed"})",
        {.holds_for = {{"100.00", "100.000000"}, {"90.5", "100.000000"}},
         .fails_for = {{"100.000000", "100.000000"}}});
}

// The new image is what the statement wrote; what is current may already be later.
BOOST_AUTO_TEST_CASE(reads_the_new_and_old_image_not_the_current_one) {
  Record record = update("status", "Open", "Open");
  record.current["status"] = "Closed";
  BOOST_TEST(!holds(R"({"field": "status", "op": "changed"})", record));
  record = update("status", "Open", "Closed");
  record.current["status"] = "Open";
  BOOST_TEST(holds(R"({"field": "status", "op": "changed"})", record));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(changed_to)

BOOST_AUTO_TEST_CASE(text_value) {
  check(R"({"field": "sales_stage", "op": "changed_to", "value": "Closed Won"})",
        {.holds_for = {{"Prospecting", "Closed Won"},
                       {kNull, "Closed Won"},
                       {"", "Closed Won"},
                       {"closed won", "Closed Won"},
                       {"Closed Won ", "Closed Won"}},
         .fails_for = {{"Closed Won", "Closed Won"},
                       {"Prospecting", "closed won"},
                       {"Prospecting", "Closed Won "},
                       {"Closed Won", "Prospecting"},
                       {"Closed Won", kNull}}});
}

BOOST_AUTO_TEST_CASE(case_only_change_to_the_value) {
  check(R"({"field": "code", "op": "changed_to", "value": "ABC"})",
        {.holds_for = {{"abc", "ABC"}}, .fails_for = {{"ABC", "abc"}, {"ABC", "ABC"}}});
}

BOOST_AUTO_TEST_CASE(empty_text_is_not_null) {
  check(R"({"field": "phone", "op": "changed_to", "value": ""})",
        {.holds_for = {{kNull, ""}, {"123", ""}}, .fails_for = {{"123", kNull}, {"", ""}}});
}

BOOST_AUTO_TEST_CASE(null_value_means_the_new_value_is_null) {
  check(R"({"field": "assigned_user_id", "op": "changed_to", "value": null})",
        {.holds_for = {{"x", kNull}, {"", kNull}},
         .fails_for = {{kNull, kNull}, {"x", ""}, {"x", "null"}, {kNull, "x"}}});
}

// A JSON number compares as a number against a DECIMAL column's text, as compare's equals.
BOOST_AUTO_TEST_CASE(number_value_compares_numerically) {
  check(R"({"field": "amount", "op": "changed_to", "value": 100})",
        {.holds_for =
             {{"90.5", "100.000000"}, {kNull, "100.000000"}, {"90.5", "100"}, {"100.50", "100.00"}},
         .fails_for = {{"100.000000", "100.000000"},
                       {"90.5", "100.500000"},
                       {"100.000000", "90.5"},
                       {"90.5", kNull},
                       {"90.5", "abc"}}});
  check(R"({"field": "amount", "op": "changed_to", "value": -12.5})",
        {.holds_for = {{"0.000000", "-12.500000"}}, .fails_for = {{"0.000000", "12.500000"}}});
  check(R"({"field": "amount", "op": "changed_to", "value": 0})",
        {.holds_for = {{"5.000000", "0.000000"}, {"5.000000", "-0.000000"}},
         .fails_for = {{"5.000000", "0.000001"}}});
}

// Text is text: "100" is not "100.000000".
BOOST_AUTO_TEST_CASE(numeric_text_value_compares_as_text) {
  check(R"({"field": "amount", "op": "changed_to", "value": "100"})",
        {.holds_for = {{"90.5", "100"}}, .fails_for = {{"90.5", "100.000000"}}});
}

BOOST_AUTO_TEST_CASE(big_decimals_are_exact) {
  check(R"({"field": "amount", "op": "changed_to", "value": 1234567.123456})",
        {.holds_for = {{"0.000000", "1234567.123456"}},
         .fails_for = {{"0.000000", "1234567.123457"}, {"0.000000", "1234567.123455"}}});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(changed_from)

BOOST_AUTO_TEST_CASE(text_value) {
  check(
      R"({"field": "status", "op": "changed_from", "value": "Open"})",
      {.holds_for =
           {{"Open", "Closed"}, {"Open", "open"}, {"Open", "Open "}, {"Open", kNull}, {"Open", ""}},
       .fails_for = {{"Open", "Open"}, {"Closed", "Open"}, {"open", "Closed"}, {kNull, "Open"}}});
}

BOOST_AUTO_TEST_CASE(case_only_change_from_the_value) {
  check(R"({"field": "code", "op": "changed_from", "value": "abc"})",
        {.holds_for = {{"abc", "ABC"}}, .fails_for = {{"ABC", "abc"}, {"abc", "abc"}}});
}

BOOST_AUTO_TEST_CASE(null_value_means_the_old_value_was_null) {
  check(R"({"field": "assigned_user_id", "op": "changed_from", "value": null})",
        {.holds_for = {{kNull, "x"}, {kNull, ""}},
         .fails_for = {{kNull, kNull}, {"", "x"}, {"x", kNull}}});
}

BOOST_AUTO_TEST_CASE(empty_text_is_not_null) {
  check(R"({"field": "phone", "op": "changed_from", "value": ""})",
        {.holds_for = {{"", "123"}, {"", kNull}}, .fails_for = {{kNull, "123"}, {"", ""}}});
}

BOOST_AUTO_TEST_CASE(number_value_compares_numerically) {
  check(R"({"field": "amount", "op": "changed_from", "value": 100})",
        {.holds_for = {{"100.000000", "90.5"}, {"100.000000", kNull}, {"100", "100.000000"}},
         .fails_for = {{"100.000000", "100.000000"}, {"90.5", "100.000000"}, {kNull, "100"}}});
  check(R"({"field": "amount", "op": "changed_from", "value": 1000.5})",
        {.holds_for = {{"1000.500000", "0.000000"}}, .fails_for = {{"1000.050000", "0.000000"}}});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(insert)

// An insert changes every field from nothing; NULL from nothing is still nothing.
BOOST_AUTO_TEST_CASE(changed_holds_for_any_value_but_null) {
  const std::string_view changed = R"({"field": "status", "op": "changed"})";
  BOOST_TEST(holds(changed, inserted("status", "Open")));
  BOOST_TEST(holds(changed, inserted("status", "")));
  BOOST_TEST(!holds(changed, inserted("status", kNull)));
}

BOOST_AUTO_TEST_CASE(changed_to_holds_when_the_new_value_equals_it) {
  BOOST_TEST(holds(R"({"field": "status", "op": "changed_to", "value": "Open"})",
                   inserted("status", "Open")));
  BOOST_TEST(!holds(R"({"field": "status", "op": "changed_to", "value": "Open"})",
                    inserted("status", "open")));
  BOOST_TEST(!holds(R"({"field": "status", "op": "changed_to", "value": "Open"})",
                    inserted("status", kNull)));
  BOOST_TEST(
      holds(R"({"field": "status", "op": "changed_to", "value": ""})", inserted("status", "")));
  BOOST_TEST(holds(R"({"field": "amount", "op": "changed_to", "value": 100})",
                   inserted("amount", "100.000000")));
  BOOST_TEST(!holds(R"({"field": "amount", "op": "changed_to", "value": 100})",
                    inserted("amount", "90.500000")));
  // Inserted as NULL is no change, so not a change to null either.
  BOOST_TEST(!holds(R"({"field": "assigned_user_id", "op": "changed_to", "value": null})",
                    inserted("assigned_user_id", kNull)));
}

// There was no old value, so nothing changed from one: not even from null.
BOOST_AUTO_TEST_CASE(changed_from_never_holds) {
  for (const std::string_view params : {
           R"({"field": "status", "op": "changed_from", "value": "Open"})",
           R"({"field": "status", "op": "changed_from", "value": ""})",
           R"({"field": "status", "op": "changed_from", "value": null})",
           R"({"field": "status", "op": "changed_from", "value": 0})",
       }) {
    BOOST_TEST_CONTEXT(params) {
      for (const Value& value : {Value("Open"), Value(""), Value("0"), Value(kNull)}) {
        BOOST_TEST(!holds(params, inserted("status", value)), "inserted as " << shown(value));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deleted)

// A deleted record has no new value: nothing changed to or from anything.
BOOST_AUTO_TEST_CASE(nothing_holds) {
  for (const std::string_view params : {
           R"({"field": "status", "op": "changed"})",
           R"({"field": "status", "op": "changed_to", "value": "Open"})",
           R"({"field": "status", "op": "changed_to", "value": null})",
           R"({"field": "status", "op": "changed_from", "value": "Open"})",
           R"({"field": "status", "op": "changed_from", "value": null})",
           R"({"field": "status", "op": "changed_from", "value": 5})",
       }) {
    BOOST_TEST_CONTEXT(params) {
      for (const Value& value : {Value("Open"), Value("5.000000"), Value(kNull)}) {
        BOOST_TEST(!holds(params, removed("status", value)), "deleted with " << shown(value));
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(missing_field)

BOOST_AUTO_TEST_CASE(evaluating_a_field_the_record_lacks_is_an_error_naming_it) {
  for (const std::string_view params : {
           R"({"field": "stauts", "op": "changed"})",
           R"({"field": "stauts", "op": "changed_to", "value": "Open"})",
           R"({"field": "stauts", "op": "changed_from", "value": null})",
       }) {
    BOOST_TEST_CONTEXT(params) {
      for (const Record& record : {update("status", "Open", "Closed"), inserted("status", "Open"),
                                   removed("status", "Open")}) {
        check_mentions(evaluate_error(params, record),
                       {"changes", "no field 'stauts'", "Opportunities"});
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parameter_errors)

BOOST_AUTO_TEST_CASE(errors_name_the_component) {
  check_mentions(create_error(R"({"field": "status", "op": "changed_by"})"),
                 {"component 'changes'", "create failed"});
}

BOOST_AUTO_TEST_CASE(unknown_op_lists_the_known_ones) {
  check_mentions(create_error(R"({"field": "status", "op": "changed_by"})"),
                 {"'op' must be one of", "changed", "changed_to", "changed_from"});
  check_mentions(create_error(R"({"field": "status", "op": "CHANGED"})"), {"'op' must be one of"});
  check_mentions(create_error(R"({"field": "status", "op": "equals", "value": "A"})"),
                 {"'op' must be one of"});
  check_mentions(create_error(R"({"field": "status", "op": 1})"), {"'op' must be one of"});
  check_mentions(create_error(R"({"field": "status"})"), {"'op' must be one of"});
}

BOOST_AUTO_TEST_CASE(field_must_be_named) {
  check_mentions(create_error(R"({"op": "changed"})"), {"'field' must name a field"});
  check_mentions(create_error(R"({"field": "", "op": "changed"})"), {"'field' must name a field"});
  check_mentions(create_error(R"({"field": 5, "op": "changed"})"), {"'field' must name a field"});
  check_mentions(create_error(R"({"field": null, "op": "changed"})"),
                 {"'field' must name a field"});
}

BOOST_AUTO_TEST_CASE(changed_to_and_changed_from_need_a_value) {
  check_mentions(create_error(R"({"field": "status", "op": "changed_to"})"),
                 {"'changed_to' needs a 'value'"});
  check_mentions(create_error(R"({"field": "status", "op": "changed_from"})"),
                 {"'changed_from' needs a 'value'"});
}

BOOST_AUTO_TEST_CASE(changed_takes_no_value) {
  check_mentions(create_error(R"({"field": "status", "op": "changed", "value": "Open"})"),
                 {"'changed' takes no 'value'"});
  check_mentions(create_error(R"({"field": "status", "op": "changed", "value": null})"),
                 {"'changed' takes no 'value'"});
}

BOOST_AUTO_TEST_CASE(value_must_be_text_a_number_or_null) {
  check_mentions(create_error(R"({"field": "status", "op": "changed_to", "value": true})"),
                 {"'value' of changed_to must be text, a number or null", "true"});
  check_mentions(create_error(R"({"field": "status", "op": "changed_from", "value": ["Open"]})"),
                 {"'value' of changed_from must be text, a number or null", "[\"Open\"]"});
  check_mentions(create_error(R"({"field": "status", "op": "changed_to", "value": {"a": 1}})"),
                 {"'value' of changed_to must be text, a number or null"});
}

BOOST_AUTO_TEST_CASE(unknown_parameter) {
  check_mentions(create_error(R"({"field": "status", "op": "changed", "ignore_case": true})"),
                 {"unknown parameter 'ignore_case'"});
  check_mentions(create_error(R"({"field": "status", "op": "changed_to", "values": ["A"]})"),
                 {"unknown parameter 'values'"});
  check_mentions(create_error(R"({"fields": "status", "op": "changed"})"),
                 {"unknown parameter 'fields'"});
}

BOOST_AUTO_TEST_CASE(parameters_must_be_a_json_object) {
  check_mentions(create_error(R"(["status", "changed"])"), {"expected an object"});
  check_mentions(create_error(R"({"field": "status", "op": "changed")"), {"parse error"});
}

BOOST_AUTO_TEST_SUITE_END()
