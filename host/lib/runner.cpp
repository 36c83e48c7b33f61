#include "crmflow/host/runner.hpp"

#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/jobs.hpp"
#include "crmflow/host/retention.hpp"
#include "crmflow/host/trigger_ticks.hpp"

namespace crmflow {
namespace {

using Clock = std::chrono::steady_clock;

// Sleeps up to `duration`, waking early when a stop is requested.
void pause(std::chrono::milliseconds duration, const std::atomic<bool>& stop) {
  const auto until = Clock::now() + duration;
  while (!stop && Clock::now() < until) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
  }
}

// "Now" follows the database's clock: measure how far it is from this machine's.
void measure_database_skew(soci::session& db) {
  std::string text;
  const auto before = std::chrono::system_clock::now();
  db << "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s')", soci::into(text);
  const auto parsed = parse_utc(text);
  if (!parsed) return;
  set_database_skew(std::chrono::duration_cast<std::chrono::microseconds>(*parsed - before));
}

}  // namespace

std::vector<const Module*> watched_modules(const ModuleMap& map,
                                           const std::vector<Workflow>& workflows) {
  std::set<std::string> names;
  for (const Workflow& w : workflows) {
    // A time trigger reads its module on its own; only saves and deletes need capturing.
    if (w.active && w.trigger != TriggerKind::timer) names.insert(w.module);
  }
  std::vector<const Module*> modules;
  for (const std::string& name : names) {
    if (const Module* m = map.find(name)) modules.push_back(m);
  }
  return modules;
}

std::string new_owner_name() {
  char host[64] = {};
  gethostname(host, sizeof host - 1);
  std::random_device random;
  return fmt::format("{}:{}:{:08x}", host, getpid(), random());
}

Runner::Runner(const HostConfig& config, ModuleMap& map, const std::vector<Workflow>& workflows,
               std::unique_ptr<soci::session> db, const std::atomic<bool>& stop)
    : config_(config),
      map_(map),
      workflows_(workflows),
      db_(std::move(db)),
      stop_(stop),
      owner_(new_owner_name()) {}

Runner::~Runner() = default;

void Runner::check_capture(bool at_start) {
  introspect(*db_, map_);
  CaptureOptions options;
  options.lock_wait_timeout = std::chrono::seconds(config_.capture.lock_wait_timeout_seconds);
  for (const Module* module : watched_modules(map_, workflows_)) {
    const TableCapture status = capture_status(*db_, *module);
    if (status.state == CaptureState::installed) continue;
    if (!config_.capture.auto_repair) {
      spdlog::error("capture of {} ({}) is {}{}{}; run `crmflow capture install`", module->name,
                    module->table, state_name(status.state), status.detail.empty() ? "" : ": ",
                    status.detail);
      continue;
    }
    const auto started = Clock::now();
    const auto installed = install_capture(*db_, *module, options);
    if (installed) {
      spdlog::warn(
          "capture of {} ({}) was {}{}{}; repaired in {} ms", module->name, module->table,
          state_name(status.state), status.detail.empty() ? "" : ": ", status.detail,
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
    } else {
      spdlog::error("capture of {} ({}) is {} and could not be repaired: {}", module->name,
                    module->table, state_name(status.state), installed.error());
    }
  }
  if (at_start)
    spdlog::info("capture checked for {} module(s)", watched_modules(map_, workflows_).size());
}

void Runner::reconnect() {
  auto delay = std::chrono::milliseconds(100);
  while (!stop_) {
    try {
      db_->close();
    } catch (const std::exception&) {
      // The old connection is broken anyway.
    }
    auto fresh = connect(config_.database);
    if (fresh) {
      apply_session_settings(**fresh, config_.engine.lock_wait_timeout_seconds);
      db_ = std::move(*fresh);
      measure_database_skew(*db_);
      spdlog::info("reconnected to {}", describe(config_.database));
      return;
    }
    spdlog::warn("{}; retrying in {} ms", fresh.error(), delay.count());
    pause(delay, stop_);
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

int Runner::run() {
  apply_session_settings(*db_, config_.engine.lock_wait_timeout_seconds);
  measure_database_skew(*db_);
  check_capture(true);

  EngineOptions options;
  options.owner = owner_;
  options.batch_size = config_.engine.batch_size;
  options.lease = std::chrono::seconds(config_.engine.lease_seconds);
  options.max_attempts = config_.engine.max_attempts;
  options.depth_limit = config_.engine.depth_limit;
  options.settle = std::chrono::milliseconds(config_.engine.settle_ms);
  options.call_deadline = config_.call_deadline;
  options.clock_offset_seconds = config_.clock_offset_seconds;
  auto engine = std::make_unique<Engine>(*db_, map_, workflows_, options);
  JobOptions job_options;
  job_options.owner = owner_;
  job_options.batch_size = config_.jobs.batch_size;
  job_options.lease = std::chrono::seconds(config_.jobs.lease_seconds);
  job_options.max_attempts = config_.jobs.max_attempts;
  job_options.backoff_cap = std::chrono::seconds(config_.jobs.backoff_cap_seconds);
  job_options.call_deadline = config_.call_deadline;
  job_options.clock_offset_seconds = config_.clock_offset_seconds;
  job_options.stop = &stop_;
  auto jobs = std::make_unique<JobRunner>(*db_, map_, workflows_, job_options);
  TickOptions tick_options;
  tick_options.owner = owner_;
  tick_options.interval = std::chrono::seconds(config_.triggers.tick_seconds);
  tick_options.max_firings = config_.triggers.max_firings_per_tick;
  tick_options.call_deadline = config_.call_deadline;
  auto ticks = std::make_unique<TriggerTicks>(*db_, map_, workflows_, tick_options);
  // The tick rows say whether a trigger is due; looking costs two small queries a trigger.
  const auto tick_poll = std::clamp(std::chrono::seconds(config_.triggers.tick_seconds),
                                    std::chrono::seconds(1), std::chrono::seconds(10));
  spdlog::info("handling events as {} with {} workflow(s)", owner_, workflows_.size());

  const auto idle_max = std::chrono::milliseconds(config_.engine.idle_poll_ms);
  auto idle = std::chrono::milliseconds(10);
  auto next_drift_check = Clock::now() + std::chrono::seconds(config_.capture.drift_check_seconds);
  auto next_prune = Clock::now();
  auto next_tick = Clock::now();
  while (!stop_) {
    try {
      if (Clock::now() >= next_drift_check) {
        check_capture(false);
        next_drift_check = Clock::now() + std::chrono::seconds(config_.capture.drift_check_seconds);
      }
      if (Clock::now() >= next_prune) {
        const RetentionSettings& r = config_.retention;
        const size_t pruned = prune_audit(*db_, r.audit_days, r.batch_size, 20);
        if (pruned > 0)
          spdlog::info("pruned {} audit rows older than {} days", pruned, r.audit_days);
        const size_t jobs_pruned = prune_finished_jobs(*db_, r.job_days, r.batch_size, 20);
        if (jobs_pruned > 0) {
          spdlog::info("pruned {} jobs finished more than {} days ago", jobs_pruned, r.job_days);
        }
        const size_t firings_pruned = prune_firings(*db_, r.firing_days, r.batch_size, 20);
        if (firings_pruned > 0) {
          spdlog::info("pruned {} firings older than {} days", firings_pruned, r.firing_days);
        }
        next_prune = Clock::now() + std::chrono::seconds(r.interval_seconds);
      }
      size_t fired = 0;
      if (Clock::now() >= next_tick) {
        fired = ticks->step();
        next_tick = Clock::now() + tick_poll;
      }
      // Events first: a job an event schedules runs in the same round.
      const size_t events = engine->step() + fired;
      if (events + jobs->step() > 0) {
        idle = std::chrono::milliseconds(10);  // busy: poll again at once
        continue;
      }
      pause(idle, stop_);
      idle = std::min(idle * 2, idle_max);
    } catch (const std::exception& e) {
      if (is_connection_lost(e)) {
        spdlog::error("lost the database connection: {}", e.what());
        reconnect();
        if (stop_) break;
        engine = std::make_unique<Engine>(*db_, map_, workflows_, options);
        engine->release_own_leases();
        jobs = std::make_unique<JobRunner>(*db_, map_, workflows_, job_options);
        jobs->release_own_leases();
        ticks = std::make_unique<TriggerTicks>(*db_, map_, workflows_, tick_options);
        continue;
      }
      spdlog::error("event loop: {}", e.what());
      pause(std::chrono::milliseconds(500), stop_);
    }
  }
  spdlog::info("stopped: the batch in hand was finished");
  return 0;
}

}  // namespace crmflow
