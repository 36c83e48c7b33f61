#include "cron.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>
#include <string_view>
#include <vector>

namespace crmflow::schedule {
namespace {

constexpr long long kSecondsPerDay = 86400;
constexpr long long kLookbackDays = 366;

// ---- Parsing ----

struct Field {
  const char* name;
  unsigned low;
  unsigned high;
  const char* const* names;  // value low + i is names[i]; null when the field takes none
  unsigned name_count;
  const char* name_hint;  // e.g. "jan-dec", for the message about an unknown word
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr Field kFields[] = {
    {"minute", 0, 59, nullptr, 0, ""},
    {"hour", 0, 23, nullptr, 0, ""},
    {"day-of-month", 1, 31, nullptr, 0, ""},
    {"month", 1, 12, kMonthNames, 12, "jan-dec"},
    {"day-of-week", 0, 7, kWeekdayNames, 7, "sun-sat"},
};

[[noreturn]] void fail(const Field& field, std::string_view part, const std::string& problem) {
  throw std::invalid_argument(std::string(field.name) + " field '" + std::string(part) + "' " +
                              problem);
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// Any value past the cap is out of range anyway (a year has four digits); capping keeps a
// long run of digits from overflowing.
unsigned to_number(std::string_view digits) {
  unsigned value = 0;
  for (const char c : digits) {
    value = std::min(value * 10 + static_cast<unsigned>(c - '0'), 1000000u);
  }
  return value;
}

// One value of a range: a number or, where the field has them, a name. `item` is the list
// item it came from, for the message.
unsigned parse_value(const Field& field, std::string_view token, std::string_view item) {
  if (token.empty()) fail(field, item, "is missing a number");
  if (all_digits(token)) {
    const unsigned value = to_number(token);
    if (value < field.low || value > field.high) {
      fail(field, token,
           "is out of range " + std::to_string(field.low) + "-" + std::to_string(field.high));
    }
    return value;
  }
  for (unsigned i = 0; i < field.name_count && token.size() == 3; ++i) {
    bool same = true;
    for (size_t k = 0; k < 3; ++k) {
      same = same && std::tolower(static_cast<unsigned char>(token[k])) == field.names[i][k];
    }
    if (same) return field.low + i;
  }
  if (field.names != nullptr) {
    fail(field, token, std::string("is not a number or a name (") + field.name_hint + ")");
  }
  fail(field, token, "is not a number");
}

// One list item: *, N, A-B, */S or A-B/S; sets its values in `mask`.
void parse_item(const Field& field, std::string_view item, unsigned long long& mask) {
  const size_t slash = item.find('/');
  const std::string_view range = item.substr(0, slash);
  unsigned from = field.low;
  unsigned to = field.high;
  if (range != "*") {
    const size_t dash = range.find('-');
    from = parse_value(field, range.substr(0, dash), item);
    to = dash == std::string_view::npos ? from : parse_value(field, range.substr(dash + 1), item);
    if (from > to) {
      // Cron has no wrap-around; say what to write instead.
      const auto span = [](unsigned a, unsigned b) {
        return a == b ? std::to_string(a) : std::to_string(a) + "-" + std::to_string(b);
      };
      fail(field, item,
           "is a reversed range (" + std::to_string(from) + " > " + std::to_string(to) +
               "); write " + span(from, field.high) + "," + span(field.low, to));
    }
  }
  unsigned step = 1;
  if (slash != std::string_view::npos) {
    // "5/15" means different things in different crons; refuse rather than guess.
    if (range == "*" || range.find('-') != std::string_view::npos) {
      const std::string_view text = item.substr(slash + 1);
      step = all_digits(text) ? to_number(text) : 0;
      if (step < 1 || step > field.high - field.low) {
        fail(field, item,
             "has a bad step: it must be a number from 1 to " +
                 std::to_string(field.high - field.low));
      }
    } else {
      fail(field, item, "has a step without a range: write */S or A-B/S, e.g. */15 or 0-30/15");
    }
  }
  for (unsigned value = from; value <= to; value += step) mask |= 1ull << value;
}

unsigned long long parse_field(const Field& field, std::string_view text) {
  unsigned long long mask = 0;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma - start);
    if (item.empty()) fail(field, text, "has an empty list item");
    parse_item(field, item, mask);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return mask;
}

// ---- Civil dates (Howard Hinnant's public-domain algorithms, proleptic Gregorian) ----

long long days_from_civil(long long year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const long long era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<long long>(day_of_era) - 719468;
}

struct Date {
  long long year;
  unsigned month;
  unsigned day;
};

Date civil_from_days(long long days) {
  days += 719468;
  const long long era = (days >= 0 ? days : days - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;  // March = 0
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {static_cast<long long>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// 0 = Sunday; day 0 (1970-01-01) was a Thursday.
unsigned weekday_from_days(long long days) {
  return static_cast<unsigned>(days >= -4 ? (days + 4) % 7 : (days + 5) % 7 + 6);
}

unsigned days_in_month(long long year, unsigned month) {
  if (month == 2) return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28;
  return month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
}

// ---- Time texts "YYYY-MM-DD HH:MM:SS" ----

struct Time {
  long long day;  // days since 1970-01-01
  unsigned hour;
  unsigned minute;
  unsigned second;
  long long seconds() const { return day * kSecondsPerDay + hour * 3600 + minute * 60 + second; }
};

Time parse_time(const std::string& text) {
  static constexpr std::string_view kShape = "dddd-dd-dd dd:dd:dd";
  bool ok = text.size() == kShape.size();
  for (size_t i = 0; ok && i < kShape.size(); ++i) {
    ok = kShape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[i])) != 0
                          : text[i] == kShape[i];
  }
  const std::string_view view(text);
  const auto number = [&](size_t at, size_t length) { return to_number(view.substr(at, length)); };
  if (ok) {
    const unsigned year = number(0, 4), month = number(5, 2), day = number(8, 2);
    const unsigned hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (month >= 1 && month <= 12 && day >= 1 && day <= days_in_month(year, month) && hour < 24 &&
        minute < 60 && second < 60) {
      return {days_from_civil(year, month, day), hour, minute, second};
    }
  }
  throw std::invalid_argument("'" + text + "' is not a time YYYY-MM-DD HH:MM:SS");
}

std::string format_time(long long day, unsigned hour, unsigned minute, unsigned second) {
  const Date date = civil_from_days(day);
  char text[64];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02u %02u:%02u:%02u", date.year, date.month,
                date.day, hour, minute, second);
  return text;
}

std::string format_seconds(long long seconds) {
  const long long day = (seconds >= 0 ? seconds : seconds - kSecondsPerDay + 1) / kSecondsPerDay;
  const auto in_day = static_cast<unsigned>(seconds - day * kSecondsPerDay);
  return format_time(day, in_day / 3600, in_day / 60 % 60, in_day % 60);
}

bool day_matches(const CronSpec& spec, unsigned month, unsigned day, unsigned weekday) {
  if (!spec.months.test(month)) return false;
  const bool by_day = spec.days.test(day);
  const bool by_weekday = spec.weekdays.test(weekday);
  if (!spec.any_day && !spec.any_weekday) return by_day || by_weekday;
  return by_day && by_weekday;
}

template <size_t N>
unsigned lowest(const std::bitset<N>& bits) {
  unsigned i = 0;
  while (i < N && !bits.test(i)) ++i;
  return i;
}

}  // namespace

CronSpec parse_cron(const std::string& text) {
  std::vector<std::string_view> parts;
  const std::string_view view(text);
  static constexpr const char* kBlanks = " \t\r\n\v\f";
  for (size_t at = view.find_first_not_of(kBlanks); at != std::string_view::npos;
       at = view.find_first_not_of(kBlanks, at)) {
    const size_t end = view.find_first_of(kBlanks, at);
    parts.push_back(view.substr(at, end - at));
    at = std::min(end, view.size());
  }
  if (parts.size() != 5) {
    throw std::invalid_argument(
        "expected 5 fields (minute hour day-of-month month day-of-week), found " +
        std::to_string(parts.size()) + " in '" + text + "'");
  }
  unsigned long long masks[5];
  for (size_t i = 0; i < 5; ++i) masks[i] = parse_field(kFields[i], parts[i]);
  // Weekday 7 is another name for Sunday.
  if ((masks[4] >> 7) & 1ull) masks[4] = (masks[4] | 1ull) & 0x7full;

  CronSpec spec;
  spec.minutes = std::bitset<60>(masks[0]);
  spec.hours = std::bitset<24>(masks[1]);
  spec.days = std::bitset<32>(masks[2]);
  spec.months = std::bitset<13>(masks[3]);
  spec.weekdays = std::bitset<7>(masks[4]);
  // As vixie cron: a day field counts as unrestricted when it starts with '*', so "*/2" with a
  // weekday means both, as crontab(5) says ("do not contain the * character").
  spec.any_day = parts[2].front() == '*';
  spec.any_weekday = parts[4].front() == '*';
  return spec;
}

bool matches(const CronSpec& spec, int year, unsigned month, unsigned day, unsigned weekday,
             unsigned hour, unsigned minute) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || weekday > 6 ||
      hour > 23 || minute > 59) {
    return false;
  }
  return spec.minutes.test(minute) && spec.hours.test(hour) &&
         day_matches(spec, month, day, weekday);
}

std::optional<std::string> latest_due(const CronSpec& spec, const std::string& since_utc,
                                      const std::string& until_utc, const LocalFn& to_local,
                                      const UtcFn& to_utc) {
  const long long until = parse_time(until_utc).seconds();
  const long long since =
      std::max(parse_time(since_utc).seconds(), until - kLookbackDays * kSecondsPerDay);
  if (since >= until || spec.minutes.none() || spec.hours.none()) return std::nullopt;

  const auto due_at = [&](long long day, unsigned hour, unsigned minute) {
    return parse_time(to_utc(format_time(day, hour, minute, 0))).seconds();
  };
  // Wall-clock time runs backwards at an autumn change, so the local days of the window's
  // ends bound the candidates only give or take a day.
  const long long top = parse_time(to_local(until_utc)).day + 1;
  const long long bottom = parse_time(to_local(format_seconds(since))).day - 1;
  const unsigned first_hour = lowest(spec.hours);
  const unsigned first_minute = lowest(spec.minutes);

  // to_utc never decreases as wall-clock time grows (a skipped time maps to the change, a
  // repeated one to its earlier instant). So, scanning downwards, the first candidate due at or
  // before `until` is the latest one; if it is not after `since`, no candidate is. The day's
  // and the hour's earliest candidate skip whole days and hours after the window.
  for (long long day = top; day >= bottom; --day) {
    const Date date = civil_from_days(day);
    if (!day_matches(spec, date.month, date.day, weekday_from_days(day))) continue;
    if (due_at(day, first_hour, first_minute) > until) continue;
    for (unsigned hour = 24; hour-- > 0;) {
      if (!spec.hours.test(hour) || due_at(day, hour, first_minute) > until) continue;
      for (unsigned minute = 60; minute-- > 0;) {
        if (!spec.minutes.test(minute)) continue;
        const long long due = due_at(day, hour, minute);
        if (due > until) continue;
        if (due > since) return format_seconds(due);
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

}  // namespace crmflow::schedule
