// Cron expressions for the schedule trigger: parsing, matching a wall-clock minute, and finding
// the latest due time in a tick's window. Pure logic: the time zone comes in as two functions,
// so this is testable without a host. C++17, like the SDK.
#pragma once

#include <bitset>
#include <functional>
#include <optional>
#include <string>

namespace crmflow::schedule {

// A parsed five-field expression: minute hour day-of-month month day-of-week. Bit i is set
// when value i is allowed; days and months count from 1, weekdays from 0 = Sunday.
struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     // 1-31
  std::bitset<13> months;   // 1-12
  std::bitset<7> weekdays;  // 0-6, 0 = Sunday (7 in the text is folded into 0)
  // Whether the day fields were written as "*" (or "*/n"): vixie cron ORs the two day
  // fields only when both are restricted.
  bool any_day = true;
  bool any_weekday = true;
};

// Parses `text`: five fields separated by blanks, each a list of `*`, N, A-B, `*`/S or A-B/S;
// months also jan-dec, weekdays also sun-sat (any case), weekday 7 = Sunday.
// Throws std::invalid_argument with a message naming the field and the bad part, e.g.
// "minute field '61' is out of range 0-59", for a wrong field count, an unknown word, a
// number out of range, a reversed range or a bad step.
CronSpec parse_cron(const std::string& text);

// Whether the wall-clock minute matches. `weekday` is 0-6 with 0 = Sunday. The day matches
// when the day-of-month or the day-of-week matches if both are restricted, else when both do
// (vixie cron). Cannot fail; out-of-range arguments simply do not match.
bool matches(const CronSpec& spec, int year, unsigned month, unsigned day, unsigned weekday,
             unsigned hour, unsigned minute);

using LocalFn = std::function<std::string(const std::string&)>;
using UtcFn = std::function<std::string(const std::string&)>;

// The latest time in (since_utc, until_utc] at which the expression is due, as UTC text
// "YYYY-MM-DD HH:MM:SS"; std::nullopt when there is none. The expression is read in wall-clock
// time: to_local turns UTC text into wall-clock text, to_utc back, with the host's rules (a
// skipped time gives the instant of the change, a repeated one the earlier instant). A
// candidate is due only at to_utc(candidate), so a repeated hour does not fire twice.
// At most 366 days before until_utc are searched. Throws std::invalid_argument when a time
// (given or returned by to_local/to_utc) is not "YYYY-MM-DD HH:MM:SS"; lets through what the
// two functions throw.
std::optional<std::string> latest_due(const CronSpec& spec, const std::string& since_utc,
                                      const std::string& until_utc, const LocalFn& to_local,
                                      const UtcFn& to_utc);

}  // namespace crmflow::schedule
