// Checking plugin parameters against the JSON Schema each plugin declares, so an admin learns
// about every mistake in a workflow's params when the workflow is read, in the host's words,
// instead of from the first exception a plugin constructor throws. Debian ships no C++ JSON
// Schema validator, so this covers the subset plugins use (draft 2020-12 semantics).
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace crmflow {

struct SchemaProblem {
  // Where in the value, in the style of json_reader.hpp: ".fields.name", "[2]", "" for the
  // value itself, so the caller can append it to the path of the value, e.g. "actions[0].params".
  std::string path;
  std::string message;  // for admins; names what was expected and what was found
  bool operator==(const SchemaProblem&) const = default;
};

// Parses a plugin's schema text. Empty (or blank) text is the schema `true`: a plugin that
// declares nothing accepts anything. Fails only on malformed JSON, with nlohmann's description;
// whether the JSON is a usable schema is left to validate_against_schema, which never throws.
std::expected<nlohmann::ordered_json, std::string> parse_schema(std::string_view text);

// Every way `value` breaks `schema`, in document order; empty when it conforms. Keywords it
// supports: type, enum, const, required, properties, additionalProperties, minProperties,
// maxProperties, items, minItems, maxItems, minLength, maxLength (code points), minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, pattern (ECMAScript, search), allOf, anyOf,
// oneOf, not, if/then/else. Other keywords are ignored, so a plugin written against a newer
// draft still loads; a schema that is neither an object nor a boolean, or a supported keyword
// with a malformed argument, is reported as a problem rather than thrown, since it is the
// plugin's bug and the admin must still see the rest. Both arguments are only read.
std::vector<SchemaProblem> validate_against_schema(const nlohmann::ordered_json& schema,
                                                   const nlohmann::ordered_json& value);

}  // namespace crmflow
