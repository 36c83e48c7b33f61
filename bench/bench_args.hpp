// Command-line numbers of the benchmarks.
#pragma once

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace crmflow::bench {

// `text` as a whole number from `low` to `high`; throws naming `flag` otherwise.
inline long long parse_count(std::string_view flag, std::string_view text, long long low,
                             long long high) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    throw std::runtime_error(
        fmt::format("{}: expected a whole number from {} to {}, got '{}'", flag, low, high, text));
  }
  return value;
}

}  // namespace crmflow::bench
