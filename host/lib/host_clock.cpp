#include "crmflow/host/host_clock.hpp"

#include <crmflow/abi.h>
#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <atomic>
#include <sstream>

namespace crmflow {
namespace {

const date::time_zone* g_zone = nullptr;  // null: UTC
std::atomic<long long> g_offset_seconds{0};
std::atomic<long long> g_skew_micros{0};

date::local_seconds to_local(SysSeconds t) {
  return g_zone == nullptr ? date::local_seconds(t.time_since_epoch()) : g_zone->to_local(t);
}

SysSeconds to_sys(date::local_seconds t) {
  if (g_zone == nullptr) return SysSeconds(t.time_since_epoch());
  // A local time in a DST gap or overlap: take the earlier instant, as most calendars do.
  return g_zone->to_sys(t, date::choose::earliest);
}

}  // namespace

std::expected<void, std::string> configure_clock(const std::string& time_zone,
                                                 std::chrono::seconds offset) {
  g_offset_seconds = offset.count();
  if (time_zone.empty() || time_zone == "UTC") {
    g_zone = nullptr;
    return {};
  }
  try {
    g_zone = date::locate_zone(time_zone);
  } catch (const std::exception& e) {
    return std::unexpected(fmt::format("unknown time zone '{}' ({})", time_zone, e.what()));
  }
  return {};
}

void set_database_skew(std::chrono::microseconds skew) {
  g_skew_micros = skew.count();
}

SysSeconds now() {
  const auto t = std::chrono::system_clock::now() + std::chrono::microseconds(g_skew_micros) +
                 std::chrono::seconds(g_offset_seconds);
  return std::chrono::floor<std::chrono::seconds>(t);
}

std::expected<SysSeconds, std::string> shift(SysSeconds base, long long amount, unsigned unit,
                                             bool start_of_day) {
  SysSeconds result = base;
  switch (unit) {
    case CRMFLOW_UNIT_MINUTE: result = base + std::chrono::minutes(amount); break;
    case CRMFLOW_UNIT_HOUR: result = base + std::chrono::hours(amount); break;
    case CRMFLOW_UNIT_DAY:
    case CRMFLOW_UNIT_WEEK:
    case CRMFLOW_UNIT_MONTH:
    case CRMFLOW_UNIT_YEAR: {
      const date::local_seconds local = to_local(base);
      const auto day = date::floor<date::days>(local);
      const auto time_of_day = local - day;
      date::year_month_day ymd{day};
      if (unit == CRMFLOW_UNIT_DAY || unit == CRMFLOW_UNIT_WEEK) {
        const long long days = unit == CRMFLOW_UNIT_WEEK ? amount * 7 : amount;
        ymd = date::year_month_day{date::local_days{ymd} + date::days(days)};
      } else {
        ymd += unit == CRMFLOW_UNIT_YEAR ? date::months(amount * 12) : date::months(amount);
        // 31 January + 1 month is the last day of February, not 3 March.
        if (!ymd.ok()) ymd = ymd.year() / ymd.month() / date::last;
      }
      result = to_sys(date::local_days{ymd} + time_of_day);
      break;
    }
    default: return std::unexpected(fmt::format("unknown time unit {}", unit));
  }
  if (start_of_day) result = to_sys(date::floor<date::days>(to_local(result)));
  return result;
}

std::expected<SysSeconds, std::string> parse_utc(std::string_view text) {
  std::string value(text);
  if (value.size() > 10 && value[10] == 'T') value[10] = ' ';
  for (const char* format : {"%F %T", "%F %R", "%F"}) {
    std::istringstream in(value);
    SysSeconds parsed;
    in >> date::parse(format, parsed);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) return parsed;
  }
  return std::unexpected(fmt::format("'{}' is not a date (YYYY-MM-DD[ HH:MM[:SS]])", text));
}

std::string format_utc(SysSeconds time) {
  return date::format("%F %T", time);
}

std::string format_local(SysSeconds time) {
  return date::format("%F %T", to_local(time));
}

std::expected<SysSeconds, std::string> parse_local(std::string_view text) {
  // The same forms as UTC text; read as if UTC, the fields are the wall-clock fields.
  const auto fields = parse_utc(text);
  if (!fields) return fields;
  return to_sys(date::local_seconds(fields->time_since_epoch()));
}

std::string format_local_date(SysSeconds time) {
  return date::format("%F", date::floor<date::days>(to_local(time)));
}

}  // namespace crmflow
