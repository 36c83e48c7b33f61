#include "crmflow/host/json_schema.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <regex>
#include <utility>

#include "crmflow/host/json_reader.hpp"

namespace crmflow {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kNotASchema =
    "the plugin's parameter schema is not a JSON Schema object";

// Strings in quotes so that an empty or blank one is visible; the rest as JSON.
std::string quoted(const Json& value) {
  return value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump();
}

// "equals, not_equals, 3": the allowed values as an admin would type them.
std::string listed(const Json& values) {
  std::string out;
  for (const auto& value : values) {
    if (!out.empty()) out += ", ";
    out += value.is_string() ? value.get<std::string>() : value.dump();
  }
  return out;
}

std::string counted(size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// What an admin counts as characters: code points, not bytes (UTF-8 continuation bytes skipped).
size_t code_points(const std::string& text) {
  size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

std::string_view kind_of(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::string: return "a string";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::null: return "null";
    default: return "a number";
  }
}

// The wording for a schema type name; nullopt for a name outside JSON Schema.
std::optional<std::string_view> wording(std::string_view type) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {"object", "an object"}, {"array", "an array"},         {"string", "a string"},
      {"number", "a number"},  {"integer", "a whole number"}, {"boolean", "a boolean"},
      {"null", "null"}};
  for (const auto& [name, words] : kTypes)
    if (name == type) return words;
  return std::nullopt;
}

bool has_type(const Json& value, std::string_view type) {
  if (type == "integer") {
    // 2020-12 counts 1.0 as an integer: the test is the value, not how it was written.
    if (!value.is_number_float()) return value.is_number();
    const double d = value.get<double>();
    return std::isfinite(d) && std::trunc(d) == d;
  }
  return type == "number" ? value.is_number() : wording(type) == kind_of(value);
}

class Validator {
 public:
  std::vector<SchemaProblem> problems;

  void check(const Json& schema, const Json& value, const std::string& path) {
    if (schema.is_boolean()) {
      if (!schema.get<bool>()) add(path, "no value is allowed here");
      return;
    }
    if (!schema.is_object()) return add(path, std::string(kNotASchema));
    // The other keywords assume the type; after a wrong one they would only repeat it.
    if (!check_type(schema, value, path)) return;
    if (const Json* e = keyword(schema, "enum")) {
      if (!e->is_array()) {
        malformed(path, "enum");
      } else if (std::find(e->begin(), e->end(), value) == e->end()) {
        std::vector<std::string> choices;
        for (const Json& choice : *e) {
          if (choice.is_string()) choices.push_back(choice.get<std::string>());
        }
        add(path, fmt::format("{} is not one of: {}{}", quoted(value), listed(*e),
                              value.is_string() ? did_you_mean(value.get<std::string>(), choices)
                                                : std::string()));
      }
    }
    if (const Json* c = keyword(schema, "const"); c && *c != value)
      add(path, fmt::format("expected {}, got {}", quoted(*c), quoted(value)));
    if (value.is_number()) check_number(schema, value, path);
    if (value.is_string()) check_string(schema, value.get<std::string>(), path);
    if (value.is_array()) check_array(schema, value, path);
    if (value.is_object()) check_object(schema, value, path);
    check_combinators(schema, value, path);
  }

 private:
  void add(const std::string& path, std::string message) {
    problems.push_back({path, std::move(message)});
  }
  void malformed(const std::string& path, std::string_view name) {
    add(path, fmt::format("the plugin's parameter schema has a malformed '{}'", name));
  }
  static const Json* keyword(const Json& schema, const char* name) {
    const auto it = schema.find(name);
    return it == schema.end() ? nullptr : &*it;
  }
  // The argument of minLength, maxItems, ...: nullopt when absent or (reported) malformed.
  std::optional<size_t> count(const Json& schema, const char* name, const std::string& path) {
    const Json* n = keyword(schema, name);
    if (n == nullptr) return std::nullopt;
    if (n->is_number_unsigned()) return n->get<size_t>();
    malformed(path, name);
    return std::nullopt;
  }
  // The problems value would have on its own, for keywords that weigh alternatives.
  static std::vector<SchemaProblem> trial(const Json& schema, const Json& value,
                                          const std::string& path) {
    Validator v;
    v.check(schema, value, path);
    return std::move(v.problems);
  }

  bool check_type(const Json& schema, const Json& value, const std::string& path) {
    const Json* t = keyword(schema, "type");
    if (t == nullptr) return true;
    const Json names = t->is_array() ? *t : Json::array({*t});
    std::vector<std::string_view> expected;
    for (const auto& name : names) {
      const auto words = name.is_string() ? wording(name.get<std::string>()) : std::nullopt;
      if (!words) break;
      if (has_type(value, name.get<std::string>())) return true;
      expected.push_back(*words);
    }
    if (expected.empty() || expected.size() != names.size()) {
      malformed(path, "type");
      return true;
    }
    std::string list(expected.back());
    if (expected.size() > 1) {
      expected.pop_back();
      list = fmt::format("{} or {}", fmt::join(expected, ", "), list);
    }
    // "got a number" would not tell why 1.5 is no whole number.
    const bool integer = std::find(names.begin(), names.end(), "integer") != names.end();
    add(path,
        fmt::format("expected {}, got {}", list,
                    integer && value.is_number() ? value.dump() : std::string(kind_of(value))));
    return false;
  }

  void check_number(const Json& schema, const Json& value, const std::string& path) {
    static constexpr std::pair<const char*, const char*> kBounds[] = {
        {"minimum", "{} is below the minimum of {}"},
        {"maximum", "{} is above the maximum of {}"},
        {"exclusiveMinimum", "{} must be greater than {}"},
        {"exclusiveMaximum", "{} must be less than {}"}};
    for (const auto& [name, message] : kBounds) {
      const Json* bound = keyword(schema, name);
      if (bound == nullptr) continue;
      if (!bound->is_number()) {
        malformed(path, name);
        continue;
      }
      const std::string_view n = name;
      const bool ok = n == "minimum"            ? value >= *bound
                      : n == "maximum"          ? value <= *bound
                      : n == "exclusiveMinimum" ? value > *bound
                                                : value < *bound;
      if (!ok) add(path, fmt::format(fmt::runtime(message), value.dump(), bound->dump()));
    }
  }

  void check_string(const Json& schema, const std::string& text, const std::string& path) {
    const size_t length = code_points(text);
    if (const auto min = count(schema, "minLength", path); min && length < *min)
      add(path, fmt::format("{}, at least {} needed", counted(length, "character"), *min));
    if (const auto max = count(schema, "maxLength", path); max && length > *max)
      add(path, fmt::format("{}, at most {} allowed", counted(length, "character"), *max));
    const Json* pattern = keyword(schema, "pattern");
    if (pattern == nullptr) return;
    try {
      if (!pattern->is_string()) return malformed(path, "pattern");
      if (!std::regex_search(text, std::regex(pattern->get<std::string>())))
        add(path,
            fmt::format("'{}' does not match the pattern {}", text, pattern->get<std::string>()));
    } catch (const std::regex_error&) {
      malformed(path, "pattern");
    }
  }

  void check_array(const Json& schema, const Json& array, const std::string& path) {
    if (const auto min = count(schema, "minItems", path); min && array.size() < *min)
      add(path, fmt::format("{}, at least {} needed", counted(array.size(), "item"), *min));
    if (const auto max = count(schema, "maxItems", path); max && array.size() > *max)
      add(path, fmt::format("{}, at most {} allowed", counted(array.size(), "item"), *max));
    const Json* items = keyword(schema, "items");
    if (items == nullptr) return;
    // The draft-4 tuple form (an array of schemas) is prefixItems in 2020-12; not supported.
    if (items->is_array()) return malformed(path, "items");
    for (size_t i = 0; i < array.size(); ++i)
      check(*items, array[i], fmt::format("{}[{}]", path, i));
  }

  void check_object(const Json& schema, const Json& object, const std::string& path) {
    // The top-level object is the plugin's params; deeper ones are values an admin wrote.
    const std::string_view noun = path.empty() ? "parameter" : "member";
    if (const auto min = count(schema, "minProperties", path); min && object.size() < *min)
      add(path, fmt::format("{}, at least {} needed", counted(object.size(), noun), *min));
    if (const auto max = count(schema, "maxProperties", path); max && object.size() > *max)
      add(path, fmt::format("{}, at most {} allowed", counted(object.size(), noun), *max));
    if (const Json* required = keyword(schema, "required")) {
      for (const auto& name : required->is_array() ? *required : Json::array({nullptr})) {
        if (!name.is_string()) {
          malformed(path, "required");
          break;
        }
        if (!object.contains(name.get<std::string>()))
          add(path, fmt::format("missing required {} '{}'", noun, name.get<std::string>()));
      }
    }
    static const Json kNone = Json::object();
    const Json* properties = keyword(schema, "properties");
    if (properties != nullptr && !properties->is_object()) malformed(path, "properties");
    if (properties == nullptr || !properties->is_object()) properties = &kNone;
    const Json* additional = keyword(schema, "additionalProperties");
    for (const auto& [name, member] : object.items()) {
      const std::string where = fmt::format("{}.{}", path, name);
      if (const auto it = properties->find(name); it != properties->end()) {
        check(*it, member, where);
      } else if (additional != nullptr && additional->is_boolean() && !additional->get<bool>()) {
        // Most likely a typo: list the names that would have been accepted.
        std::vector<std::string_view> known;
        for (const auto& [known_name, unused] : properties->items()) known.push_back(known_name);
        add(where, known.empty() ? fmt::format("unknown {} '{}'; none are expected", noun, name)
                                 : fmt::format("unknown {} '{}'; expected one of: {}{}", noun, name,
                                               fmt::join(known, ", "), did_you_mean(name, known)));
      } else if (additional != nullptr) {
        check(*additional, member, where);
      }
    }
  }

  void check_combinators(const Json& schema, const Json& value, const std::string& path) {
    for (const char* name : {"allOf", "anyOf", "oneOf"}) {
      const Json* list = keyword(schema, name);
      if (list == nullptr) continue;
      if (!list->is_array() || list->empty()) {
        malformed(path, name);
        continue;
      }
      if (std::string_view(name) == "allOf") {
        for (const auto& sub : *list) check(sub, value, path);
        continue;
      }
      // Each alternative's first problem, relative to this value, so the admin sees what each
      // one wanted without the nested noise.
      std::vector<size_t> matched;
      std::vector<std::string> failures;
      for (size_t i = 0; i < list->size(); ++i) {
        const auto found = trial((*list)[i], value, path);
        if (found.empty()) {
          matched.push_back(i + 1);
        } else {
          const auto& first = found.front();
          const std::string_view at = std::string_view(first.path).substr(path.size());
          failures.push_back(
              fmt::format("({}) {}{}{}", i + 1, at, at.empty() ? "" : ": ", first.message));
        }
      }
      if (matched.empty()) {
        add(path, fmt::format("matches none of the alternatives: {}", fmt::join(failures, "; ")));
      } else if (matched.size() > 1 && std::string_view(name) == "oneOf") {
        add(path, fmt::format("matches alternatives {}; exactly one must match",
                              fmt::join(matched, ", ")));
      }
    }
    if (const Json* negated = keyword(schema, "not");
        negated && trial(*negated, value, path).empty()) {
      // {"not": {"required": [...]}} is how a schema forbids members: say which.
      const Json* forbidden = negated->is_object() ? keyword(*negated, "required") : nullptr;
      if (forbidden != nullptr && forbidden->is_array() && negated->size() == 1) {
        for (const Json& member : *forbidden) {
          if (member.is_string()) {
            add(path + "." + member.get<std::string>(),
                fmt::format("'{}' is not allowed here", member.get<std::string>()));
          }
        }
      } else {
        add(path, fmt::format("matches {}, which is not allowed", negated->dump()));
      }
    }
    if (const Json* condition = keyword(schema, "if")) {
      const Json* branch =
          keyword(schema, trial(*condition, value, path).empty() ? "then" : "else");
      if (branch != nullptr) check(*branch, value, path);
    }
  }
};

}  // namespace

std::expected<nlohmann::ordered_json, std::string> parse_schema(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return Json(true);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    // A syntax error, or a number beyond a double's range (out_of_range.406), which a plugin's
    // schema must not turn into an exception that ends the host. nlohmann's text begins
    // "[json.exception.parse_error.101] parse error at line 2, column 5: ".
    std::string what = e.what();
    if (const auto bracket = what.find("] "); bracket != std::string::npos)
      what.erase(0, bracket + 2);
    return std::unexpected("the plugin's parameter schema is not valid JSON: " + what);
  }
}

std::vector<SchemaProblem> validate_against_schema(const nlohmann::ordered_json& schema,
                                                   const nlohmann::ordered_json& value) {
  Validator validator;
  validator.check(schema, value, "");
  return std::move(validator.problems);
}

}  // namespace crmflow
