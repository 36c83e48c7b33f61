// Reading settings out of parsed JSON files, collecting every problem with its file and
// JSON path — shared by the host config, the module map and the workflow files.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <limits>
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

// The number of single-character insertions, deletions and substitutions from a to b.
inline size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean <candidate>?)" for the candidate `word` most likely misspells, one at most
// two typos away and closer than half its length; "" when none is.
template <class Range>
std::string did_you_mean(std::string_view word, const Range& candidates) {
  std::string_view closest;
  size_t best = 3;
  for (const std::string_view candidate : candidates) {
    const size_t distance = edit_distance(word, candidate);
    if (distance < best && distance * 2 < candidate.size()) {
      best = distance;
      closest = candidate;
    }
  }
  return closest.empty() ? std::string() : fmt::format(" (did you mean {}?)", closest);
}

// Reports every member of `object` that is not in `known`, with the known key it most likely
// misspells ("trigerr": did you mean trigger?).
inline void reject_unknown_keys(const Json& object, std::string_view path,
                                std::initializer_list<std::string_view> known,
                                JsonProblems& problems) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    problems.add(fmt::format("{}.{}", path, key),
                 fmt::format("unknown setting; expected one of: {}{}", fmt::join(known, ", "),
                             did_you_mean(key, known)));
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
    // A number beyond the setting's type would wrap around silently in get<T>().
    if (it->is_number_unsigned() &&
        it->template get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return problems.add(where, fmt::format("{} is out of range; at most {}", it->dump(),
                                             std::numeric_limits<T>::max()));
    }
    if (!it->is_number_unsigned() &&
        (it->template get<int64_t>() < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
         it->template get<int64_t>() > static_cast<int64_t>(std::numeric_limits<T>::max()))) {
      return problems.add(
          where, fmt::format("{} is out of range; expected {} to {}", it->dump(),
                             std::numeric_limits<T>::min(), std::numeric_limits<T>::max()));
    }
  } else {
    if (!it->is_number_unsigned())
      return problems.add(where, "expected a whole number >= 0, found " + it->dump());
    if (it->template get<uint64_t>() > std::numeric_limits<T>::max()) {
      return problems.add(where, fmt::format("{} is out of range; at most {}", it->dump(),
                                             std::numeric_limits<T>::max()));
    }
  }
  out = it->template get<T>();
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
