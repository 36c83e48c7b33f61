// The scheduler of time triggers: each workflow with a trigger plugin ticks on its own row of
// crmflow_tick, held FOR UPDATE for the tick, so several hosts take turns and a tick's
// window (since the last completed tick) is fired once. A tick's firings, ledger rows and
// events commit together with the tick row's new time, or not at all.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <string>
#include <vector>

#include "crmflow/host/module_map.hpp"
#include "crmflow/host/workflow.hpp"

namespace soci {
class session;
}

namespace crmflow {

struct TickOptions {
  std::string owner;                  // this host, stamped on the tick rows it updates
  std::chrono::seconds interval{60};  // a trigger ticks at most this often (crmflow's clock)
  size_t max_firings = 10000;         // per fire request and tick; the rest on the next tick
  std::chrono::milliseconds call_deadline{2000};
  // Tests: called inside each tick, while its row is held, to force ticks to overlap.
  std::function<void(const std::string& trigger_id)> inside_tick;
};

class TriggerTicks {
 public:
  // The session must stay open for the scheduler's life.
  TriggerTicks(soci::session& db, const ModuleMap& map, const std::vector<Workflow>& workflows,
               TickOptions options);

  // Ticks every active time trigger whose interval has passed; returns the number of new
  // firings. A trigger that fails (its plugin, a request the host refuses) is logged and
  // rolled back without stopping the others; a trigger another host is ticking is passed
  // over. Connection errors propagate (the caller reconnects).
  size_t step();

  // What the workflow's trigger would ask on a tick now: each statement that selects the
  // records, then the database's plan of it (EXPLAIN). Nothing is written; the trigger's
  // window is its real one (a day when it never ticked). The error is the trigger's.
  std::expected<std::vector<std::string>, std::string> explain(const Workflow& w);

 private:
  size_t tick(const Workflow& w);

  soci::session& db_;
  const ModuleMap& map_;
  const std::vector<Workflow>& workflows_;
  TickOptions options_;
};

}  // namespace crmflow
