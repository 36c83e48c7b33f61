// The JSON Schema subset plugins declare their parameters in: for each keyword, a value that
// passes and one that fails, with the exact path and message an admin would be shown.
#define BOOST_TEST_MODULE json_schema_test
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "crmflow/host/json_schema.hpp"

namespace crmflow {
std::ostream& operator<<(std::ostream& out, const SchemaProblem& p) {
  return out << "{path \"" << p.path << "\", \"" << p.message << "\"}";
}
}  // namespace crmflow

namespace {

using crmflow::SchemaProblem;
using Json = nlohmann::ordered_json;
using Problems = std::vector<SchemaProblem>;

struct Case {
  const char* schema;
  const char* value;
  Problems expected;  // empty: the value conforms
};

void run(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("schema " << c.schema << ", value " << c.value) {
      const auto problems =
          crmflow::validate_against_schema(Json::parse(c.schema), Json::parse(c.value));
      BOOST_TEST(problems == c.expected, boost::test_tools::per_element());
    }
  }
}

// The compare plugin's schema, copied literally from conditions/compare/compare.cpp.
constexpr const char* kCompareSchema = R"({
    "type": "object",
    "required": ["field", "op"],
    "additionalProperties": false,
    "properties": {
      "field": {"type": "string", "minLength": 1},
      "op": {"enum": ["equals", "not_equals", "in", "not_in", "contains", "starts_with",
                      "ends_with", "empty", "not_empty", "gt", "gte", "lt", "lte"]},
      "value": {"description": "text, number, ISO date or null; an array for in/not_in"}
    }})";

constexpr const char* kOps =
    "equals, not_equals, in, not_in, contains, starts_with, ends_with, empty, not_empty, gt, gte, "
    "lt, lte";

}  // namespace

BOOST_AUTO_TEST_CASE(type) {
  run({
      {R"({"type": "string"})", R"("x")", {}},
      {R"({"type": "string"})", "3", {{"", "expected a string, got a number"}}},
      {R"({"type": "number"})", "2.5", {}},
      {R"({"type": "number"})", R"("2.5")", {{"", "expected a number, got a string"}}},
      {R"({"type": "integer"})", "3", {}},
      {R"({"type": "integer"})", "3.0", {}},
      {R"({"type": "integer"})", "-3", {}},
      {R"({"type": "integer"})", "1.5", {{"", "expected a whole number, got 1.5"}}},
      {R"({"type": "object"})", "{}", {}},
      {R"({"type": "object"})", "[]", {{"", "expected an object, got an array"}}},
      {R"({"type": "array"})", "[]", {}},
      {R"({"type": "array"})", "{}", {{"", "expected an array, got an object"}}},
      {R"({"type": "boolean"})", "false", {}},
      {R"({"type": "boolean"})", R"("true")", {{"", "expected a boolean, got a string"}}},
      {R"({"type": "null"})", "null", {}},
      {R"({"type": "null"})", "false", {{"", "expected null, got a boolean"}}},
      {R"({"type": ["string", "number", "null"]})", "null", {}},
      {R"({"type": ["string", "number", "null"]})",
       "{}",
       {{"", "expected a string, a number or null, got an object"}}},
      // Once the type is wrong the value's other keywords are not piled on top.
      {R"({"type": "string", "enum": ["a"], "minLength": 2})",
       "3",
       {{"", "expected a string, got a number"}}},
  });
}

BOOST_AUTO_TEST_CASE(enum_and_const) {
  run({
      {R"({"enum": ["a", "b", 3, null]})", R"("b")", {}},
      {R"({"enum": ["a", "b", 3, null]})", "3.0", {}},
      {R"({"enum": ["a", "b", 3, null]})", "null", {}},
      {R"({"enum": ["a", "b", 3, null]})", R"("c")", {{"", "'c' is not one of: a, b, 3, null"}}},
      {R"({"enum": ["a", "b", 3, null]})", "[3]", {{"", "[3] is not one of: a, b, 3, null"}}},
      {R"({"const": "changed"})", R"("changed")", {}},
      {R"({"const": "changed"})", R"("x")", {{"", "expected 'changed', got 'x'"}}},
      {R"({"const": 1})", "true", {{"", "expected 1, got true"}}},
  });
}

BOOST_AUTO_TEST_CASE(objects) {
  run({
      {R"({"required": ["module", "fields"]})", R"({"module": "x", "fields": {}})", {}},
      {R"({"required": ["module", "fields"]})",
       R"({"fields": {}})",
       {{"", "missing required parameter 'module'"}}},
      {R"({"required": ["module"]})", "3", {}},  // required applies to objects only
      {R"({"properties": {"a": {"required": ["b"]}}})",
       R"({"a": {}})",
       {{".a", "missing required member 'b'"}}},
      {R"({"properties": {"n": {"type": "string"}}})", R"({"n": "x", "other": 1})", {}},
      {R"({"properties": {"n": {"type": "string"}}})",
       R"({"n": 1})",
       {{".n", "expected a string, got a number"}}},
      {R"({"properties": {"module": {}, "fields": {}, "link": {}}, "additionalProperties": false})",
       R"({"module": "x", "link": true})",
       {}},
      {R"({"properties": {"module": {}, "fields": {}, "link": {}}, "additionalProperties": false})",
       R"({"module": "x", "feilds": {}})",
       {{".feilds",
         "unknown parameter 'feilds'; expected one of: module, fields, link (did you "
         "mean fields?)"}}},
      {R"({"additionalProperties": false})", "{}", {}},
      {R"({"additionalProperties": false})",
       R"({"x": 1})",
       {{".x", "unknown parameter 'x'; none are expected"}}},
      {R"({"additionalProperties": {"type": "string"}})", R"({"a": "x"})", {}},
      {R"({"additionalProperties": {"type": "string"}})",
       R"({"a": "x", "b": 2})",
       {{".b", "expected a string, got a number"}}},
      {R"({"minProperties": 1})", R"({"a": 1})", {}},
      {R"({"minProperties": 1})", "{}", {{"", "0 parameters, at least 1 needed"}}},
      {R"({"properties": {"f": {"maxProperties": 1}}})", R"({"f": {"a": 1}})", {}},
      {R"({"properties": {"f": {"maxProperties": 1}}})",
       R"({"f": {"a": 1, "b": 2}})",
       {{".f", "2 members, at most 1 allowed"}}},
  });
}

BOOST_AUTO_TEST_CASE(arrays) {
  run({
      {R"({"items": {"type": "string"}})", R"(["a", "b"])", {}},
      {R"({"items": {"type": "string"}})",
       R"(["a", 2, null])",
       {{"[1]", "expected a string, got a number"}, {"[2]", "expected a string, got null"}}},
      {R"({"minItems": 2})", "[1, 2]", {}},
      {R"({"minItems": 2})", "[1]", {{"", "1 item, at least 2 needed"}}},
      {R"({"maxItems": 1})", "[1]", {}},
      {R"({"maxItems": 1})", "[1, 2]", {{"", "2 items, at most 1 allowed"}}},
      // Paths nest in the style of json_reader.hpp: members with '.', elements with [i].
      {R"({"properties": {"list": {"items": {"properties": {"n": {"type": "string"}}}}}})",
       R"({"list": [{"n": "x"}, {"n": 1}]})",
       {{".list[1].n", "expected a string, got a number"}}},
  });
}

BOOST_AUTO_TEST_CASE(strings) {
  run({
      {R"({"minLength": 3})", R"("abc")", {}},
      {R"({"minLength": 3})", R"("ab")", {{"", "2 characters, at least 3 needed"}}},
      {R"({"minLength": 1})", R"("")", {{"", "0 characters, at least 1 needed"}}},
      // Code points, not bytes: "äöü" is six bytes of UTF-8.
      {R"({"maxLength": 3})", R"("äöü")", {}},
      {R"({"maxLength": 3})", R"("äöüß")", {{"", "4 characters, at most 3 allowed"}}},
      {R"({"pattern": "^[A-Z]{2}$"})", R"("AT")", {}},
      {R"({"pattern": "^[A-Z]{2}$"})",
       R"("Austria")",
       {{"", "'Austria' does not match the pattern ^[A-Z]{2}$"}}},
      {R"({"pattern": "\\d"})", R"("a1b")", {}},  // unanchored: a search, not a full match
      {R"({"pattern": "\\d"})", R"("ab")", {{"", "'ab' does not match the pattern \\d"}}},
      {R"({"minLength": 5, "pattern": "x"})", "5", {}},  // string keywords skip other types
  });
}

BOOST_AUTO_TEST_CASE(numbers) {
  run({
      {R"({"minimum": 0})", "0", {}},
      {R"({"minimum": 0})", "-1", {{"", "-1 is below the minimum of 0"}}},
      {R"({"maximum": 10})", "10", {}},
      {R"({"maximum": 10})", "10.5", {{"", "10.5 is above the maximum of 10"}}},
      {R"({"exclusiveMinimum": 0})", "0.5", {}},
      {R"({"exclusiveMinimum": 0})", "0", {{"", "0 must be greater than 0"}}},
      {R"({"exclusiveMaximum": 10})", "9", {}},
      {R"({"exclusiveMaximum": 10})", "10", {{"", "10 must be less than 10"}}},
      {R"({"minimum": 1.5, "maximum": 2.5})", "2", {}},
      {R"({"minimum": 5})", R"("1")", {}},  // number keywords skip other types
  });
}

BOOST_AUTO_TEST_CASE(combinators) {
  run({
      {R"({"anyOf": [{"type": "string"}, {"type": "null"}]})", "null", {}},
      {R"({"anyOf": [{"type": "string"}, {"type": "null"}]})",
       "3",
       {{"",
         "matches none of the alternatives: (1) expected a string, got a number; (2) expected "
         "null, got a number"}}},
      {R"({"anyOf": [{"required": ["a"]}, {"properties": {"b": {"type": "string"}}}]})",
       R"({"b": 1})",
       {{"",
         "matches none of the alternatives: (1) missing required parameter 'a'; (2) .b: "
         "expected a string, got a number"}}},
      {R"({"oneOf": [{"type": "integer"}, {"type": "number"}]})", "1.5", {}},
      {R"({"oneOf": [{"type": "integer"}, {"type": "number"}]})",
       "1",
       {{"", "matches alternatives 1, 2; exactly one must match"}}},
      {R"({"oneOf": [{"type": "integer"}, {"type": "number"}]})",
       R"("x")",
       {{"",
         "matches none of the alternatives: (1) expected a whole number, got a string; (2) "
         "expected a number, got a string"}}},
      {R"({"allOf": [{"minLength": 2}, {"maxLength": 3}]})", R"("ab")", {}},
      {R"({"allOf": [{"minLength": 2}, {"pattern": "^b"}]})",
       R"("a")",
       {{"", "1 character, at least 2 needed"}, {"", "'a' does not match the pattern ^b"}}},
      {R"({"not": {"type": "null"}})", "1", {}},
      {R"({"not": {"type": "null"}})",
       "null",
       {{"", R"(matches {"type":"null"}, which is not allowed)"}}},
  });
}

// if/then/else and minProperties are outside the list asked for, but the changes and
// update_record plugins use them; ignoring them would let their params through unchecked.
BOOST_AUTO_TEST_CASE(if_then_else) {
  constexpr const char* schema = R"({
      "if": {"properties": {"op": {"const": "changed"}}},
      "then": {"not": {"required": ["value"]}},
      "else": {"required": ["value"]}})";
  run({
      {schema, R"({"op": "changed"})", {}},
      {schema, R"({"op": "changed", "value": 1})", {{".value", "'value' is not allowed here"}}},
      {schema, R"({"op": "changed_to", "value": 1})", {}},
      {schema, R"({"op": "changed_to"})", {{"", "missing required parameter 'value'"}}},
      {R"({"if": {"type": "string"}})", "1", {}},  // no then/else: if alone asserts nothing
  });
}

BOOST_AUTO_TEST_CASE(boolean_schemas_annotations_and_unknown_keywords) {
  run({
      {"true", R"({"anything": [1]})", {}},
      {"false", "null", {{"", "no value is allowed here"}}},
      {"{}", "[1, 2]", {}},
      {R"({"properties": {"old": false}})",
       R"({"old": 1})",
       {{".old", "no value is allowed here"}}},
      {R"({"description": "d", "default": 1, "title": "t", "examples": [1], "$comment": "c",
           "propertyNames": {"pattern": "^a"}, "x-future": {"type": "string"}})",
       R"({"b": 1})",
       {}},
  });
}

BOOST_AUTO_TEST_CASE(broken_schemas_are_problems_not_exceptions) {
  const std::string not_a_schema = "the plugin's parameter schema is not a JSON Schema object";
  run({
      {"3", "{}", {{"", not_a_schema}}},
      {R"("object")", "{}", {{"", not_a_schema}}},
      {R"({"items": 3})", "[1]", {{"[0]", not_a_schema}}},
      {R"({"type": "strng"})",
       R"("x")",
       {{"", "the plugin's parameter schema has a malformed 'type'"}}},
      {R"({"minLength": "3"})",
       R"("x")",
       {{"", "the plugin's parameter schema has a malformed 'minLength'"}}},
      {R"({"pattern": "(("})",
       R"("x")",
       {{"", "the plugin's parameter schema has a malformed 'pattern'"}}},
      {R"({"required": "a"})",
       "{}",
       {{"", "the plugin's parameter schema has a malformed 'required'"}}},
      {R"({"anyOf": []})", "1", {{"", "the plugin's parameter schema has a malformed 'anyOf'"}}},
  });
}

BOOST_AUTO_TEST_CASE(parse_schema_text) {
  BOOST_TEST(crmflow::parse_schema("").value() == Json(true));
  BOOST_TEST(crmflow::parse_schema(" \n\t").value() == Json(true));
  BOOST_TEST(crmflow::parse_schema(R"({"type": "string"})").value() == Json({{"type", "string"}}));
  const auto bad = crmflow::parse_schema(R"({"type": })");
  BOOST_TEST_REQUIRE(!bad.has_value());
  BOOST_TEST(
      bad.error().starts_with(
          "the plugin's parameter schema is not valid JSON: parse error at line 1, column 10"),
      bad.error());
  BOOST_TEST(crmflow::parse_schema(kCompareSchema).has_value());
  // A number beyond a double's range is a problem too, not an exception through the host.
  const auto huge = crmflow::parse_schema(R"({"maximum": 1E400})");
  BOOST_TEST_REQUIRE(!huge.has_value());
  BOOST_TEST(
      huge.error().starts_with("the plugin's parameter schema is not valid JSON: number overflow"),
      huge.error());
}

BOOST_AUTO_TEST_CASE(compare_plugin_schema) {
  const std::string op_problem = std::string("'like' is not one of: ") + kOps;
  run({
      {kCompareSchema, R"({"field": "status", "op": "equals", "value": "Active"})", {}},
      {kCompareSchema, R"({"field": "amount", "op": "gte", "value": 1000})", {}},
      {kCompareSchema, R"({"field": "country", "op": "in", "value": ["AT", "DE"]})", {}},
      {kCompareSchema, R"({"field": "email", "op": "empty"})", {}},
      {kCompareSchema, R"({"field": "email", "op": "equals", "value": null})", {}},
      {kCompareSchema,
       "{}",
       {{"", "missing required parameter 'field'"}, {"", "missing required parameter 'op'"}}},
      {kCompareSchema, R"(["status"])", {{"", "expected an object, got an array"}}},
      {kCompareSchema,
       R"({"field": 5, "op": "equals"})",
       {{".field", "expected a string, got a number"}}},
      // Every mistake at once, in the order the admin wrote them.
      {kCompareSchema,
       R"({"field": "", "op": "like", "vlaue": 1})",
       {{".field", "0 characters, at least 1 needed"},
        {".op", op_problem},
        {".vlaue",
         "unknown parameter 'vlaue'; expected one of: field, op, value (did you mean "
         "value?)"}}},
  });
}
