// The compare condition's operators by name, and what counts as an empty field: shared by
// the plugin and bench/dispatch_bench (the same comparisons as direct C++ calls).
#pragma once

#include <algorithm>
#include <string_view>
#include <utility>

namespace compare_plugin {

enum class Op {
  equals,
  not_equals,
  in,
  not_in,
  contains,
  starts_with,
  ends_with,
  empty,
  not_empty,
  gt,
  gte,
  lt,
  lte
};

inline constexpr std::pair<std::string_view, Op> kOps[] = {{"equals", Op::equals},
                                                           {"not_equals", Op::not_equals},
                                                           {"in", Op::in},
                                                           {"not_in", Op::not_in},
                                                           {"contains", Op::contains},
                                                           {"starts_with", Op::starts_with},
                                                           {"ends_with", Op::ends_with},
                                                           {"empty", Op::empty},
                                                           {"not_empty", Op::not_empty},
                                                           {"gt", Op::gt},
                                                           {"gte", Op::gte},
                                                           {"lt", Op::lt},
                                                           {"lte", Op::lte}};

// Blank text (spaces, tabs, line breaks) is as empty as NULL.
inline bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

}  // namespace compare_plugin
