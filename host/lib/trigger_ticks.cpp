#include "crmflow/host/trigger_ticks.hpp"

#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/component_instance.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/firing.hpp"
#include "crmflow/host/host_clock.hpp"

namespace crmflow {

TriggerTicks::TriggerTicks(soci::session& db, const ModuleMap& map,
                           const std::vector<Workflow>& workflows, TickOptions options)
    : db_(db), map_(map), workflows_(workflows), options_(std::move(options)) {}

size_t TriggerTicks::step() {
  size_t fired = 0;
  for (const Workflow& w : workflows_) {
    if (!w.active || !w.timer) continue;
    try {
      fired += tick(w);
    } catch (const std::exception& e) {
      if (is_connection_lost(e)) throw;
      // Another host holds the tick (its lock wait ran out), or a deadlock: next round.
      if (is_lock_busy(e) || is_retryable(e)) continue;
      spdlog::error("trigger of workflow {}: {}", w.id, e.what());
    }
  }
  return fired;
}

size_t TriggerTicks::tick(const Workflow& w) {
  const Module* module = map_.find(w.module);
  if (module == nullptr) return 0;  // crmflow check has said so
  // A plain read first: a locking insert would wait for a host that holds the row.
  int known = 0;
  db_ << "SELECT COUNT(*) FROM crmflow_tick WHERE trigger_id = :t", soci::use(w.id),
      soci::into(known);
  if (known == 0)
    db_ << "INSERT IGNORE INTO crmflow_tick (trigger_id) VALUES (:t)", soci::use(w.id);
  soci::transaction tx(db_);
  std::string last_text;
  soci::indicator last_ind = soci::i_null;
  db_ << "SELECT DATE_FORMAT(last_tick_at, '%Y-%m-%d %H:%i:%s') FROM crmflow_tick "
         "WHERE trigger_id = :t FOR UPDATE",
      soci::use(w.id), soci::into(last_text, last_ind);
  // "Now" is read once the row is ours: a tick that waited for another host's starts where
  // that one ended.
  const SysSeconds until = now();
  SysSeconds since = until;
  if (last_ind == soci::i_ok) {
    const auto last = parse_utc(last_text);
    if (last) since = *last;
    // Ticked recently (by this host or another), or the clock was moved back.
    if (until <= since || until - since < options_.interval) return 0;
  }
  if (options_.inside_tick) options_.inside_tick(w.id);

  FiringTarget target{&map_, module, w.id, since, until};
  target.limit = options_.max_firings;
  FireOutcome total;
  TickCall call{format_utc(since), format_utc(until), nullptr};
  call.fire = [&](const nlohmann::json& request) -> std::expected<uint64_t, std::string> {
    const auto outcome = fire(&db_, target, request);
    if (!outcome) return std::unexpected(outcome.error());
    total.fired += outcome->fired;
    total.truncated = total.truncated || outcome->truncated;
    return outcome->fired;
  };
  const auto ticked =
      w.timer->tick(module->name, call, std::chrono::steady_clock::now() + options_.call_deadline);
  if (!ticked) {
    spdlog::error("workflow {}: {}", w.id, ticked.error());
    return 0;  // rolled back: the window stays for the next tick
  }
  // A tick that reached its limit keeps its window, so the next tick finds the rest (the
  // ledger leaves out what fired).
  const std::string completed = format_utc(total.truncated ? since : until);
  db_ << "UPDATE crmflow_tick SET last_tick_at = :at, ticks = ticks + 1, owner = :o, "
         "updated_at = UTC_TIMESTAMP(6) WHERE trigger_id = :t",
      soci::use(completed), soci::use(options_.owner), soci::use(w.id);
  tx.commit();
  if (total.fired > 0) {
    spdlog::info("workflow {}: {} fired for {} record(s){}", w.id, w.timer->component().name,
                 total.fired, total.truncated ? " (limit reached; more on the next tick)" : "");
  }
  return total.fired;
}

std::expected<std::vector<std::string>, std::string> TriggerTicks::explain(const Workflow& w) {
  const Module* module = map_.find(w.module);
  if (module == nullptr || !w.timer) return std::unexpected("not a time trigger of a known module");
  const SysSeconds until = now();
  SysSeconds since = until - std::chrono::days(1);
  std::string last_text;
  soci::indicator last_ind = soci::i_null;
  db_ << "SELECT DATE_FORMAT(MAX(last_tick_at), '%Y-%m-%d %H:%i:%s') FROM crmflow_tick "
         "WHERE trigger_id = :t",
      soci::use(w.id), soci::into(last_text, last_ind);
  if (last_ind == soci::i_ok) {
    if (const auto last = parse_utc(last_text); last && *last < until) since = *last;
  }
  FiringTarget target{&map_, module, w.id, since, until};
  target.limit = options_.max_firings;
  target.explain = true;
  std::vector<std::string> plans;
  TickCall call{format_utc(since), format_utc(until), nullptr};
  call.fire = [&](const nlohmann::json& request) -> std::expected<uint64_t, std::string> {
    auto outcome = fire(&db_, target, request);
    if (!outcome) return std::unexpected(outcome.error());
    plans.insert(plans.end(), outcome->plan.begin(), outcome->plan.end());
    return 0;
  };
  const auto ticked =
      w.timer->tick(module->name, call, std::chrono::steady_clock::now() + options_.call_deadline);
  if (!ticked) return std::unexpected(ticked.error());
  return plans;
}

}  // namespace crmflow
