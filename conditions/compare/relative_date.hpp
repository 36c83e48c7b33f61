// Relative dates in condition values: "now-14d", "today", "today+1m", "date_expire-30d".
#pragma once

#include <crmflow/abi.h>

#include <optional>
#include <string>
#include <string_view>

namespace compare_plugin {

// A time relative to the host's clock ("now", "today") or to another field of the record,
// moved by amount × unit. The host does the arithmetic in its configured time zone.
struct RelativeDate {
  std::string field;   // empty: the host's clock
  bool today = false;  // the start of the local day
  long long amount = 0;
  uint32_t unit = CRMFLOW_UNIT_DAY;

  // nullopt when `text` does not look like a relative date at all (so it may be a plain
  // date or number); throws crmflow::sdk::Error when it looks like one but is malformed,
  // e.g. "now-14x", naming what is expected.
  static std::optional<RelativeDate> parse(std::string_view text);
};

}  // namespace compare_plugin
