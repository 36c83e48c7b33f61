#include <fmt/format.h>
#include <soci/soci.h>

#include <iostream>

#include "commands.hpp"
#include "crmflow/host/trigger_ticks.hpp"

namespace crmflow::cli {

int triggers_command(const GlobalOptions& options, bool explain) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  soci::session& db = *host->db;

  constexpr auto row_format = "{:<28} {:<20} {:<13} {:<19} {:>7} {:>8} {:<19} {}\n";
  std::cout << fmt::format(row_format, "WORKFLOW", "MODULE", "TRIGGER", "LAST TICK", "TICKS",
                           "FIRINGS", "LAST FIRING", "BY");
  for (const Workflow& w : host->workflows) {
    if (!w.timer) continue;
    std::string last_tick = "never", owner, last_firing = "never";
    long long ticks = 0, firings = 0;
    soci::indicator tick_ind = soci::i_null, owner_ind = soci::i_null, firing_ind = soci::i_null;
    db << "SELECT DATE_FORMAT(last_tick_at, '%Y-%m-%d %H:%i:%s'), ticks, owner FROM crmflow_tick "
          "WHERE trigger_id = :t",
        soci::use(w.id), soci::into(last_tick, tick_ind), soci::into(ticks),
        soci::into(owner, owner_ind);
    if (tick_ind != soci::i_ok) last_tick = "never";
    db << "SELECT COUNT(*), DATE_FORMAT(MAX(fired_at), '%Y-%m-%d %H:%i:%s') FROM crmflow_firing "
          "WHERE trigger_id = :t",
        soci::use(w.id), soci::into(firings), soci::into(last_firing, firing_ind);
    if (firing_ind != soci::i_ok) last_firing = "never";
    std::cout << fmt::format(row_format, w.id, w.module, w.timer->component().name, last_tick,
                             ticks, firings, last_firing,
                             owner_ind == soci::i_ok ? owner : std::string());
  }
  if (!explain) return kExitOk;

  TickOptions tick_options;
  tick_options.max_firings = host->config.triggers.max_firings_per_tick;
  tick_options.call_deadline = host->config.call_deadline;
  TriggerTicks ticks(db, host->map, host->workflows, tick_options);
  std::vector<std::string> problems;
  for (const Workflow& w : host->workflows) {
    if (!w.timer) continue;
    const auto plan = ticks.explain(w);
    if (!plan) {
      problems.push_back(fmt::format("workflow {}: {}", w.id, plan.error()));
      continue;
    }
    std::cout << fmt::format("\n-- workflow {} ({}): what its next tick asks the database\n", w.id,
                             w.timer->component().name);
    for (const std::string& line : *plan) std::cout << line << "\n";
  }
  return problems.empty() ? kExitOk : report(problems);
}

}  // namespace crmflow::cli
