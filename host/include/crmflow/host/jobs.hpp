// Jobs (crmflow_job): actions that run after the event's transaction committed — external
// effects (email, HTTP) and delayed actions ("delay": "14d"). Claimed by lease and finished by
// fence like events (lease.hpp); a job's database effects commit with its fenced finish.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/lease.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/record.hpp"
#include "crmflow/host/workflow.hpp"

namespace soci {
class session;
}

namespace crmflow {

// One action of one workflow for one record, to run when due.
struct JobRequest {
  std::string workflow_id;
  int action_index = 0;
  std::string plugin;
  std::string module;
  std::string record_id;
  uint64_t event_id = 0;
  std::string kind;  // the event's: "saved" or "deleted"
  bool is_new = false;
  std::optional<RecordImage> old_image;
  std::optional<RecordImage> new_image;
  std::string run_as;
  int depth = 0;         // the triggering event's
  bool recheck = false;  // delayed: judge the conditions again when due
  SysSeconds due;        // on crmflow's clock (host_clock.hpp)
};

// Writes the job inside the caller's open transaction (the event's), so it exists exactly
// when the event's other effects do. Returns its id. Database errors propagate.
uint64_t schedule_job(soci::session& db, const JobRequest& job);

// When an action with `delay` scheduled at `now` falls due.
std::expected<SysSeconds, std::string> due_after(SysSeconds now, const Delay& delay);

struct JobOptions {
  std::string owner;  // unique per host process, as for events
  unsigned batch_size = 20;
  std::chrono::seconds lease{60};
  unsigned max_attempts = 8;               // then the job is dead
  std::chrono::seconds backoff_cap{3600};  // the longest wait between attempts
  std::chrono::milliseconds call_deadline{30000};
  int clock_offset_seconds = 0;
  // Set when the host is asked to stop: the claimed jobs not started yet are given back.
  const std::atomic<bool>* stop = nullptr;
};

class JobRunner {
 public:
  // The session must stay open for the runner's life.
  JobRunner(soci::session& db, const ModuleMap& map, const std::vector<Workflow>& workflows,
            JobOptions options);

  // Claims the due jobs (a batch) and runs each in a transaction of its own. Returns the
  // number of jobs it ran: finished (done, skipped, cancelled or dead) or handed back for a
  // later attempt. Once `stop` is set, the jobs of the batch not started yet are given back at
  // once, their attempt not counted, for another host. A failing job is retried
  // with backoff, and dead after max_attempts; database errors that concern the connection
  // propagate (the caller reconnects).
  size_t step();

  // Makes this owner's job leases claimable at once (after a reconnect).
  void release_own_leases();

 private:
  struct Job;
  std::vector<Job> claim();
  void run(Job& job);
  // What a job's work came to, for the job row and the audit.
  struct Outcome {
    std::string state;  // done, skipped, cancelled
    std::string reason;
    std::string conditions;  // a recheck's deciding conditions (evaluate's `deciding`)
  };
  // The job's work inside its transaction.
  Outcome perform(Job& job);
  // Ends the job in `state` (or, "pending", hands it back) by fence and writes its audit row;
  // false when the claim is no longer ours (the caller rolls back).
  bool finish(const Job& job, const std::string& state, const std::string& reason,
              const std::string& error, const std::string& conditions = {});
  void audit(const Job& job, const std::string& outcome, const std::string& reason,
             const std::string& error, const std::string& conditions);

  soci::session& db_;
  const ModuleMap& map_;
  const std::vector<Workflow>& workflows_;
  JobOptions options_;
  LeasedTable leases_;
};

}  // namespace crmflow
