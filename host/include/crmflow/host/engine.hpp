// The exactly-once core: claim captured events by lease, run the workflows, finish by fence.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crmflow/host/lease.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/record_effects.hpp"
#include "crmflow/host/workflow.hpp"

namespace soci {
class session;
}

namespace crmflow {

struct EngineOptions {
  std::string owner;               // unique per host process; stamped on the leases it holds
  unsigned batch_size = 50;        // fresh events claimed and handled in one transaction
  std::chrono::seconds lease{30};  // how long a claim holds before others may take the event
  unsigned max_attempts = 5;       // an event claimed this often is quarantined
  unsigned depth_limit = 5;        // chained events deeper than this are not handled further
  std::chrono::milliseconds call_deadline{2000};
  int clock_offset_seconds = 0;  // "now" is the database's UTC_TIMESTAMP() plus this
  // A record's events are claimed only this long after the first of them was written, and
  // the pending events of the record written within that window are folded into one (CRMs
  // that save one record in several autocommitted statements, e.g. <table>_cstm first).
  // Zero: no delay, no folding.
  std::chrono::milliseconds settle{0};
};

// A captured change, as claimed from crmflow_event.
struct Event {
  uint64_t id = 0;
  std::string module;
  std::string record_id;
  std::string kind;  // "saved", "deleted", or "timer" (a time trigger's firing)
  bool is_new = false;
  std::optional<RecordImage> old_image;
  std::optional<RecordImage> new_image;
  std::string crm_user_id;
  std::string cause;
  int depth = 0;
  uint64_t fence = 0;
  int attempts = 0;
  std::string workflow_id;  // a firing: the one workflow it is for
  std::string firing_key;   // a firing: which due time or quiet spell
};

// Parses an image column (a JSON object of column → value); numbers keep their text.
RecordImage parse_image(const std::string& json);

class Engine {
 public:
  // The session must stay open for the engine's life; the engine sets its isolation level.
  Engine(soci::session& db, const ModuleMap& map, const std::vector<Workflow>& workflows,
         EngineOptions options);

  // One round: quarantines events that ran out of attempts, claims a batch — events that
  // failed before are claimed one at a time, so a poison event is isolated — and handles
  // it. Returns the number of events finished. Database errors propagate (the caller
  // reconnects); a failing workflow fails only its own event.
  size_t step();

  // Makes this owner's leases claimable at once: after a reconnect, its in-flight work was
  // rolled back with the lost connection.
  void release_own_leases();

  // The events waiting, the age of the oldest in seconds, and the quarantined events.
  struct Backlog {
    long long pending = 0;
    double oldest_age_seconds = 0;
    long long quarantined = 0;
  };
  Backlog backlog();

 private:
  std::vector<Event> claim();
  void quarantine_exhausted();
  // Moves events to crmflow_event_quarantine, inside the caller's transaction.
  void quarantine(const std::vector<uint64_t>& ids);
  size_t handle(std::vector<Event>& events);
  // Deletes the handled events (`done`) in one statement where owner and fence are still
  // ours; false when one of them is not — the caller must roll the batch back.
  bool finish_by_fence(const std::vector<Event>& events, const std::vector<uint64_t>& done);
  // Before the event's first write: a savepoint to undo it, and the chaining labels.
  void begin_writes(const Event& event, const Workflow& w);
  // Writes the batch's audit rows (audit_) in a few multi-row statements.
  void write_audit_rows();
  // Gives the claims back at once (after giving up on a batch), for this host or another.
  void release(const std::vector<Event>& events);
  // Runs every workflow of the event inside the open transaction; throws on failure.
  void dispatch(const Event& event);
  // One workflow on one event: judge, run the actions, write the audit row.
  void run_workflow(const Workflow& w, const Event& event, Record& record, Record& before,
                    RecordEffects& writer);
  // Writes a job for the workflow's action `index` (delayed, or with external effects) into
  // the event's transaction.
  // `record_now` is the record as the workflow judged it (a firing's image).
  void schedule(const Workflow& w, size_t index, const Event& event, const RecordImage& record_now,
                const std::string& run_as);

  soci::session& db_;
  const ModuleMap& map_;
  const std::vector<Workflow>& workflows_;
  EngineOptions options_;
  LeasedTable leases_;
  // The batch in hand: audit rows not written yet (crmflow_run's values per run), and
  // whether the event being handled opened its savepoint.
  std::vector<std::vector<std::string>> audit_;
  bool event_savepoint_ = false;
  std::optional<std::pair<int, std::string>> labels_;  // the session's chaining labels
};

}  // namespace crmflow
