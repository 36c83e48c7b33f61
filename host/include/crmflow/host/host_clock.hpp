// The one clock: "now" is the database's UTC time plus the configured offset, and calendar
// arithmetic happens in the configured time zone (DESIGN.md "One clock").
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace crmflow {

using SysSeconds = std::chrono::sys_seconds;

// Sets the time zone (an IANA name such as "Europe/Vienna") and the offset tests and demos
// move the clock by. Returns an error naming the zone when it is unknown. Process-wide;
// called once at start, before any plugin call.
std::expected<void, std::string> configure_clock(const std::string& time_zone,
                                                 std::chrono::seconds offset);

// How far the database's clock is ahead of this machine's; measured by the host on each
// connection so that "now" follows the database, not the host's wall clock.
void set_database_skew(std::chrono::microseconds skew);

// The database's UTC time plus the configured offset.
SysSeconds now();

// Moves `base` by amount × unit (CRMFLOW_UNIT_*); days and longer steps are calendar steps
// in the configured zone, keeping the local wall-clock time. start_of_day moves the result
// to the start of its local day.
std::expected<SysSeconds, std::string> shift(SysSeconds base, long long amount, unsigned unit,
                                             bool start_of_day);

// "YYYY-MM-DD" or "YYYY-MM-DD[ T]HH:MM[:SS]" as UTC; an error for anything else.
std::expected<SysSeconds, std::string> parse_utc(std::string_view text);

// "YYYY-MM-DD HH:MM:SS", as the CRM stores dates.
std::string format_utc(SysSeconds time);

// "YYYY-MM-DD": the calendar day `time` falls on in the configured zone, as the CRM stores a
// date column (a day of the users' calendar, not a UTC instant).
std::string format_local_date(SysSeconds time);

// "YYYY-MM-DD HH:MM:SS": the wall-clock time `time` shows in the configured zone.
std::string format_local(SysSeconds time);

// A wall-clock time of the configured zone ("YYYY-MM-DD[ HH:MM[:SS]]") as UTC: a time a
// daylight-saving change skipped gives the instant of the change, a time it repeated the
// earlier instant. An error for text that is no such time.
std::expected<SysSeconds, std::string> parse_local(std::string_view text);

}  // namespace crmflow
