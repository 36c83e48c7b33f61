#include "crmflow/host/date_expression.hpp"

#include <crmflow/abi.h>
#include <date/date.h>

#include <cctype>
#include <charconv>

#include "crmflow/host/host_clock.hpp"

namespace crmflow {
namespace {

bool digits_at(std::string_view text, size_t pos, size_t count) {
  if (text.size() < pos + count) return false;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

// The length of the literal at the start of `text` ("YYYY-MM-DD" and an optional time), or 0.
size_t literal_length(std::string_view text) {
  if (!digits_at(text, 0, 4) || text.size() < 10 || text[4] != '-' || !digits_at(text, 5, 2) ||
      text[7] != '-' || !digits_at(text, 8, 2)) {
    return 0;
  }
  if (text.size() < 16 || (text[10] != ' ' && text[10] != 'T') || !digits_at(text, 11, 2) ||
      text[13] != ':' || !digits_at(text, 14, 2)) {
    return 10;
  }
  if (text.size() >= 19 && text[16] == ':' && digits_at(text, 17, 2)) return 19;
  return 16;
}

std::optional<unsigned> unit_of(std::string_view unit) {
  if (unit == "min") return CRMFLOW_UNIT_MINUTE;
  if (unit == "h") return CRMFLOW_UNIT_HOUR;
  if (unit == "d") return CRMFLOW_UNIT_DAY;
  if (unit == "w") return CRMFLOW_UNIT_WEEK;
  if (unit == "m") return CRMFLOW_UNIT_MONTH;
  if (unit == "y") return CRMFLOW_UNIT_YEAR;
  return std::nullopt;
}

// A plain calendar day moved by amount × unit, without a zone: a date column holds a day, not
// an instant, so no offset or daylight-saving change may move it to a neighbouring day.
std::string shift_day(date::sys_days day, long long amount, unsigned unit) {
  switch (unit) {
    case CRMFLOW_UNIT_MINUTE:
    case CRMFLOW_UNIT_HOUR: {
      const SysSeconds t = day + (unit == CRMFLOW_UNIT_HOUR ? std::chrono::hours(amount)
                                                            : std::chrono::minutes(amount));
      return date::format("%F", date::floor<date::days>(t));
    }
    case CRMFLOW_UNIT_DAY:
    case CRMFLOW_UNIT_WEEK:
      return date::format("%F", day + date::days(unit == CRMFLOW_UNIT_WEEK ? amount * 7 : amount));
    default: {
      date::year_month_day ymd{day};
      ymd += date::months(unit == CRMFLOW_UNIT_YEAR ? amount * 12 : amount);
      // 31 January + 1 month is the last day of February, as the host clock counts.
      if (!ymd.ok()) ymd = ymd.year() / ymd.month() / date::last;
      return date::format("%F", date::sys_days{ymd});
    }
  }
}

}  // namespace

std::optional<DateExpression> parse_date_expression(std::string_view text) {
  DateExpression expression;
  std::string_view offset;
  if (text.starts_with("now")) {
    expression.base = DateExpression::Base::now;
    offset = text.substr(3);
  } else if (text.starts_with("today")) {
    expression.base = DateExpression::Base::today;
    offset = text.substr(5);
  } else {
    const size_t length = literal_length(text);
    if (length == 0) return std::nullopt;
    expression.base = length == 10 ? DateExpression::Base::date : DateExpression::Base::datetime;
    expression.literal = std::string(text.substr(0, length));
    if (!parse_utc(expression.literal)) return std::nullopt;
    offset = text.substr(length);
  }
  if (offset.empty()) return expression;
  if (offset.front() != '+' && offset.front() != '-') return std::nullopt;
  size_t digits = 1;
  while (digits < offset.size() && std::isdigit(static_cast<unsigned char>(offset[digits]))) {
    ++digits;
  }
  const auto unit = unit_of(offset.substr(digits));
  if (digits == 1 || digits > 7 || !unit) return std::nullopt;
  std::from_chars(offset.data() + 1, offset.data() + digits, expression.amount);
  if (offset.front() == '-') expression.amount = -expression.amount;
  expression.unit = *unit;
  return expression;
}

std::expected<std::string, std::string> evaluate_date_expression(const DateExpression& expression,
                                                                 bool date_only) {
  SysSeconds base;
  switch (expression.base) {
    case DateExpression::Base::now: base = now(); break;
    case DateExpression::Base::today: {
      auto start = shift(now(), 0, CRMFLOW_UNIT_DAY, true);
      if (!start) return std::unexpected(start.error());
      base = *start;
      break;
    }
    case DateExpression::Base::date:
    case DateExpression::Base::datetime: {
      auto parsed = parse_utc(expression.literal);
      if (!parsed) return std::unexpected(parsed.error());
      if (date_only && expression.base == DateExpression::Base::date) {
        return shift_day(date::floor<date::days>(*parsed), expression.amount,
                         expression.unit == 0 ? unsigned{CRMFLOW_UNIT_DAY} : expression.unit);
      }
      base = *parsed;
      break;
    }
  }
  if (expression.unit != 0) {
    auto moved = shift(base, expression.amount, expression.unit, false);
    if (!moved) return std::unexpected(moved.error());
    base = *moved;
  }
  return date_only ? format_local_date(base) : format_utc(base);
}

}  // namespace crmflow
