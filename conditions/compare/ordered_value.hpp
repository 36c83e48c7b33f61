// Values that order: exact decimals and ISO dates, as the CRM writes them in text.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace compare_plugin {

// A number: exact for plain decimals ("-12.500", DECIMAL(26,6) columns), otherwise a double
// ("1e3"). Comparison is exact between two plain decimals.
class Number {
 public:
  static std::optional<Number> parse(std::string_view text);
  std::partial_ordering operator<=>(const Number& other) const;
  bool operator==(const Number& other) const { return (*this <=> other) == 0; }

 private:
  bool exact_ = false;
  bool negative_ = false;
  std::string integer_;   // no leading zeros
  std::string fraction_;  // no trailing zeros
  double approximate_ = 0;
};

// An ISO 8601 date or date-time: "2026-01-31", "2026-01-31 08:00", "2026-01-31T08:00:00".
// A date alone is midnight. Compared as calendar time; time zones are not part of CRM dates.
class DateTime {
 public:
  static std::optional<DateTime> parse(std::string_view text);
  auto operator<=>(const DateTime&) const = default;

 private:
  int year_ = 0, month_ = 0, day_ = 0, hour_ = 0, minute_ = 0, second_ = 0;
};

}  // namespace compare_plugin
