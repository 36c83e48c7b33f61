// Date expressions in the fields an action writes to a date or datetime column: "now",
// "today", "now+14d", "today-1d", "2027-03-01", "2027-03-01 08:00:00", "2027-03-01-30d",
// "2027-03-01 08:00:00+2h" — what a template such as "{{record.date_expire}}-30d" renders to.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace crmflow {

struct DateExpression {
  enum class Base {
    now,       // the host's clock
    today,     // the start of the current day in the configured zone
    date,      // a calendar day, YYYY-MM-DD
    datetime,  // a UTC time, YYYY-MM-DD[ T]HH:MM[:SS]
  };
  Base base = Base::now;
  std::string literal;  // date and datetime: the base as written
  long long amount = 0;
  unsigned unit = 0;  // CRMFLOW_UNIT_*; 0 when there is no offset
};

// The expression `text` is, or nullopt when it is none: a base, then optionally +N or -N and
// a unit (min, h, d, w, m for months, y), nothing else — no spaces around, at most 6 digits.
// A literal must be a real day and time (2027-02-30 is none).
std::optional<DateExpression> parse_date_expression(std::string_view text);

// The expression's value on the host clock (host_clock.hpp): "YYYY-MM-DD HH:MM:SS" in UTC for
// a datetime column; for a date column (date_only) "YYYY-MM-DD", the day in the configured
// zone, and for a plain date base the calendar day counted from it, without any zone. Day and
// longer steps are calendar steps in the configured zone. An error for a shift the clock
// refuses.
std::expected<std::string, std::string> evaluate_date_expression(const DateExpression& expression,
                                                                 bool date_only);

// What a date column accepts, for the messages that refuse a value.
inline constexpr std::string_view kDateExpressionHelp =
    "expected now, today, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC), optionally followed by +N or "
    "-N and a unit: min, h, d (days), w, m (months) or y, e.g. now+14d or 2027-03-01-30d";

}  // namespace crmflow
