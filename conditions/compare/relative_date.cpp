#include "relative_date.hpp"

#include <crmflow/sdk.hpp>

#include <cctype>
#include <charconv>

namespace compare_plugin {
namespace {

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s.front())) || s.front() == '_')) {
    return false;
  }
  for (const char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

std::optional<uint32_t> unit_of(std::string_view unit) {
  if (unit == "min") return CRMFLOW_UNIT_MINUTE;
  if (unit == "h") return CRMFLOW_UNIT_HOUR;
  if (unit == "d") return CRMFLOW_UNIT_DAY;
  if (unit == "w") return CRMFLOW_UNIT_WEEK;
  if (unit == "m") return CRMFLOW_UNIT_MONTH;
  if (unit == "y") return CRMFLOW_UNIT_YEAR;
  return std::nullopt;
}

[[noreturn]] void malformed(std::string_view text) {
  throw crmflow::sdk::Error(
      "bad date expression \"" + std::string(text) +
      "\": expected now, today or a field, optionally followed by +N or -N and a unit: min, "
      "h, d (days), w, m (months) or y, e.g. now-14d or date_expire-30d");
}

}  // namespace

std::optional<RelativeDate> RelativeDate::parse(std::string_view text) {
  const size_t sign = text.find_first_of("+-");
  const std::string_view base = text.substr(0, sign);
  const bool clock = base == "now" || base == "today";
  if (!clock && (sign == std::string_view::npos || !is_identifier(base))) {
    // "2026-01-31" or "12.5" or "-3": a plain value, not ours.
    return std::nullopt;
  }
  RelativeDate date;
  date.today = base == "today";
  if (!clock) date.field = std::string(base);
  if (sign == std::string_view::npos) return date;

  const std::string_view offset = text.substr(sign + 1);
  size_t digits = 0;
  while (digits < offset.size() && std::isdigit(static_cast<unsigned char>(offset[digits]))) {
    ++digits;
  }
  const auto unit = unit_of(offset.substr(digits));
  if (digits == 0 || !unit) malformed(text);
  std::from_chars(offset.data(), offset.data() + digits, date.amount);
  if (text[sign] == '-') date.amount = -date.amount;
  date.unit = *unit;
  return date;
}

}  // namespace compare_plugin
