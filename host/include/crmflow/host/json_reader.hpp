// Reading settings out of parsed JSON files, collecting every problem with its file and
// JSON path — shared by the host config, the module map and the workflow files.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace crmflow {

using Json = nlohmann::ordered_json;

// The problems found in one file, each "<file>: <json path>: <message>".
class JsonProblems {
 public:
  explicit JsonProblems(const std::filesystem::path& file) : file_(file.string()) {}
  void add(std::string_view path, std::string_view message) {
    list_.push_back(fmt::format("{}: {}{}: {}", file_, context_, path, message));
  }
  // Names what the following problems belong to, e.g. "workflow follow-up: ".
  void set_context(std::string context) { context_ = std::move(context); }
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  std::vector<std::string> take() { return std::move(list_); }

 private:
  std::string file_;
  std::string context_;
  std::vector<std::string> list_;
};

// Reports every member of `object` that is not in `known`.
inline void reject_unknown_keys(const Json& object, std::string_view path,
                                std::initializer_list<std::string_view> known,
                                JsonProblems& problems) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      problems.add(fmt::format("{}.{}", path, key),
                   fmt::format("unknown setting; expected one of: {}", fmt::join(known, ", ")));
    }
  }
}

// Reads object[key] into out when present and of the right type (string, bool, unsigned or
// signed number); otherwise reports what was expected and leaves out unchanged.
template <class T>
void read(const Json& object, std::string_view key, std::string_view path, T& out,
          JsonProblems& problems) {
  const auto it = object.find(key);
  if (it == object.end()) return;
  const std::string where = fmt::format("{}.{}", path, key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string())
      return problems.add(where, "expected a string, found " + std::string(it->type_name()));
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean())
      return problems.add(where, "expected true or false, found " + std::string(it->type_name()));
  } else if constexpr (std::is_signed_v<T>) {
    if (!it->is_number_integer())
      return problems.add(where, "expected a whole number, found " + it->dump());
  } else {
    if (!it->is_number_unsigned())
      return problems.add(where, "expected a whole number >= 0, found " + it->dump());
  }
  out = it->get<T>();
}

// Like read, but the member must be present.
template <class T>
void read_required(const Json& object, std::string_view key, std::string_view path, T& out,
                   JsonProblems& problems) {
  if (!object.contains(key)) {
    problems.add(fmt::format("{}.{}", path, key), "required, missing");
    return;
  }
  read(object, key, path, out, problems);
}

}  // namespace crmflow
