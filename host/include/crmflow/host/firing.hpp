// Firings of time triggers: a trigger plugin's declarative request (abi.h `fire`) turned
// into a set-based query over the CRM's tables, recorded in the firing ledger and queued as
// events for the trigger's workflow (DESIGN.md "Plugin effects and threads").
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/module_map.hpp"

namespace soci {
class session;
}

namespace crmflow {

// Where one tick's firings go.
struct FiringTarget {
  const ModuleMap* map = nullptr;
  const Module* module = nullptr;  // the workflow's module: the records a trigger selects
  std::string trigger_id;          // the workflow's id: one trigger per workflow
  SysSeconds since;                // the tick's window, (since, until]
  SysSeconds until;
  size_t limit = 10000;  // new firings per request at most; the rest wait for the next tick
  bool dry_run = false;  // crmflow check: validate the request, read and write nothing
  bool explain = false;  // write nothing: FireOutcome::plan gets the statement and its plan
};

struct FireOutcome {
  uint64_t fired = 0;      // records that fired for the first time with their key
  bool truncated = false;  // the limit was reached: more may be due
  // With FiringTarget::explain: the statement that selects the records, then the database's
  // EXPLAIN of it, a line per row ("table=t type=ref key=... rows=... Extra").
  std::vector<std::string> plan;
};

// Validates the request against the module map (every problem names its member, e.g.
// "filter.stauts: Leads has no field 'stauts'") and, unless dry_run, selects the records,
// writes a ledger row for each (trigger, record, key) not in crmflow_firing yet and a
// "timer" event for each of those, all inside the caller's open transaction. The caller
// holds the trigger's tick row locked, so no other host fires this trigger meanwhile; the
// ledger's unique key is the guarantee beyond that. Database errors propagate.
std::expected<FireOutcome, std::string> fire(soci::session* db, const FiringTarget& target,
                                             const nlohmann::json& request);

}  // namespace crmflow
