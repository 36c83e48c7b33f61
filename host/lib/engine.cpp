#include "crmflow/host/engine.hpp"

#include <fmt/format.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "crmflow/host/bound_query.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/failpoint.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/jobs.hpp"
#include "crmflow/host/record_writer.hpp"
#include "crmflow/host/related_fields.hpp"

namespace crmflow {
namespace {

using Clock = std::chrono::steady_clock;

// A workflow of this event failed (a plugin said so, a condition could not be judged, the
// data did not fit): the event is retried later and quarantined in the end; the other
// events of the batch go on.
class WorkflowFailure : public std::runtime_error {
 public:
  WorkflowFailure(std::string workflow, const std::string& message)
      : std::runtime_error(message), workflow_(std::move(workflow)) {}
  const std::string& workflow() const { return workflow_; }

 private:
  std::string workflow_;
};

constexpr const char* kEventColumns =
    "id, module, record_id, kind, is_new, old_image, new_image, crm_user_id, cause, depth, "
    "created_at, owner, fence, attempts, lease_until, last_error, workflow_id, firing_key";

Claim claim_of(const Event& event) {
  return {event.id, event.fence, event.attempts};
}

struct Verdict {
  bool run = false;
  std::string reason;
  std::string conditions;  // the deciding conditions (conditions_text), when they were judged
};

// The audit's columns for one run, in crmflow_run's order after the event id.
std::vector<std::string> audit_values(const Event& event, const std::string& workflow,
                                      const std::string& outcome, const std::string& reason,
                                      const std::string& conditions, int actions_run,
                                      Clock::duration duration, const std::string& owner) {
  const long long micros = std::chrono::duration_cast<std::chrono::microseconds>(duration).count();
  return {std::to_string(event.id),
          workflow,
          event.module,
          event.record_id,
          outcome,
          reason,
          conditions,
          std::to_string(actions_run),
          std::to_string(micros),
          owner};
}

constexpr const char* kAuditInsert =
    "INSERT INTO crmflow_run (event_id, workflow_id, module, record_id, outcome, reason, "
    "conditions, actions_run, duration_us, host, error, created_at) VALUES ";

// One failed run, written at once (outside a batch).
void write_failure(soci::session& db, const Event& event, const std::string& workflow,
                   const std::string& error, const std::string& owner) {
  BoundQuery query;
  std::string row;
  for (std::string& value : audit_values(event, workflow, "failed", "", "", 0, {}, owner)) {
    row += (row.empty() ? "" : ", ") + query.bind(std::move(value));
  }
  query.sql = fmt::format("{}({}, {}, UTC_TIMESTAMP(6))", kAuditInsert, row, query.bind(error));
  execute(db, query);
}

// Folds the record's pending events written within `settle` of the claimed head (same cause
// and depth, never tried) into the head row, and deletes them, inside the claim transaction.
// Old image: per field the value of the earliest event that has one; new image: per field
// the newest; is_new if one was an insert; 'deleted' if one was a delete (new image NULL
// when the last one without a new image came after every save).
void fold_into_head(soci::session& db, uint64_t head, std::chrono::milliseconds settle) {
  const long long settle_us = std::chrono::duration_cast<std::chrono::microseconds>(settle).count();
  const long long head_id = static_cast<long long>(head);
  std::vector<long long> folded;
  bool is_new = false, deleted = false, has_old = false, new_gone = false;
  nlohmann::json old_image = nlohmann::json::object(), new_image = nlohmann::json::object();
  std::string user;
  soci::indicator user_ind = soci::i_null;
  soci::rowset<soci::row> rows =
      (db.prepare << fmt::format(
           "SELECT f.id, f.kind, f.is_new, f.old_image, f.new_image, f.crm_user_id "
           "FROM crmflow_event h JOIN crmflow_event f ON f.module = h.module AND "
           "f.record_id = h.record_id AND f.id >= h.id AND "
           "f.created_at <= TIMESTAMPADD(MICROSECOND, {}, h.created_at) AND "
           "f.cause <=> h.cause AND f.depth = h.depth AND (f.id = h.id OR (f.attempts = 0 AND "
           "f.workflow_id IS NULL AND h.workflow_id IS NULL)) "
           "WHERE h.id = :head ORDER BY f.id FOR UPDATE",
           settle_us),
       soci::use(head_id));
  for (const soci::row& row : rows) {
    const long long id = row.get<long long>(0);
    if (id != head_id) folded.push_back(id);
    if (row.get<std::string>(1) == "deleted") deleted = true;
    if (row.get<int>(2) != 0) is_new = true;
    if (row.get_indicator(3) == soci::i_ok) {
      has_old = true;
      const nlohmann::json image = nlohmann::json::parse(row.get<std::string>(3));
      for (const auto& [field, value] : image.items()) {
        if (!old_image.contains(field)) old_image[field] = value;
      }
    }
    if (row.get_indicator(4) == soci::i_ok) {
      new_gone = false;
      const nlohmann::json image = nlohmann::json::parse(row.get<std::string>(4));
      for (const auto& [field, value] : image.items()) {
        new_image[field] = value;
      }
    } else {
      new_gone = true;
    }
    if (row.get_indicator(5) == soci::i_ok) {
      user = row.get<std::string>(5);
      user_ind = soci::i_ok;
    }
  }
  if (folded.empty()) return;
  const std::string kind = deleted ? "deleted" : "saved";
  const int is_new_flag = is_new ? 1 : 0;
  const std::string old_text = old_image.dump(), new_text = new_image.dump();
  soci::indicator old_ind = has_old && !is_new ? soci::i_ok : soci::i_null;
  soci::indicator new_ind = new_gone ? soci::i_null : soci::i_ok;
  db << "UPDATE crmflow_event SET kind = :kind, is_new = :is_new, old_image = :old, new_image = "
        ":new, crm_user_id = :user WHERE id = :id",
      soci::use(kind), soci::use(is_new_flag), soci::use(old_text, old_ind),
      soci::use(new_text, new_ind), soci::use(user, user_ind), soci::use(head_id);
  std::vector<uint64_t> ids(folded.begin(), folded.end());
  db << fmt::format("DELETE crmflow_event FROM {} WHERE id IN ({})",
                    by_primary_key("crmflow_event"), id_list(ids));
  spdlog::debug("event {}: folded {} later event(s) of the record into it: {}", head, folded.size(),
                id_list(ids));
}

}  // namespace

RecordImage parse_image(const std::string& text) {
  RecordImage image;
  const auto json = nlohmann::json::parse(text);
  for (const auto& [name, value] : json.items()) {
    if (value.is_null()) {
      image[name] = std::nullopt;
    } else if (value.is_string()) {
      image[name] = value.get<std::string>();
    } else {
      image[name] = value.dump();
    }
  }
  return image;
}

Engine::Engine(soci::session& db, const ModuleMap& map, const std::vector<Workflow>& workflows,
               EngineOptions options)
    : db_(db),
      map_(map),
      workflows_(workflows),
      options_(std::move(options)),
      leases_(db, "crmflow_event", options_.owner, options_.lease) {}

size_t Engine::step() {
  quarantine_exhausted();
  std::vector<Event> events = claim();
  if (events.empty()) return 0;
  // A deadlock or lock wait rolls the batch back; the claims are still ours, so retry them.
  for (int attempt = 1;; ++attempt) {
    try {
      return handle(events);
    } catch (const soci::mysql_soci_error& e) {
      if (is_retryable(e) && attempt >= 5) release(events);
      if (!is_retryable(e) || attempt >= 5) throw;
      spdlog::info("batch of {} events rolled back ({}), retrying", events.size(), e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
    }
  }
}

void Engine::quarantine_exhausted() {
  // Events whose host died on their last attempt: their lease ran out with no one to finish.
  soci::transaction tx(db_);
  std::vector<uint64_t> ids;
  soci::rowset<long long> rows =
      (db_.prepare << "SELECT id FROM crmflow_event WHERE attempts >= :max AND (lease_until IS "
                      "NULL OR lease_until < UTC_TIMESTAMP(6)) ORDER BY id LIMIT 100 FOR UPDATE "
                      "SKIP LOCKED",
       soci::use(options_.max_attempts));
  for (const long long id : rows) ids.push_back(static_cast<uint64_t>(id));
  quarantine(ids);
  tx.commit();
}

void Engine::quarantine(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return;
  db_ << fmt::format(
      "INSERT INTO crmflow_event_quarantine ({0}, quarantined_at) SELECT {0}, UTC_TIMESTAMP(6) "
      "FROM crmflow_event WHERE id IN ({1})",
      kEventColumns, id_list(ids));
  db_ << fmt::format("DELETE crmflow_event FROM {} WHERE id IN ({})",
                     by_primary_key("crmflow_event"), id_list(ids));
  spdlog::error("quarantined {} event(s) after {} attempts: {} (see crmflow quarantine list)",
                ids.size(), options_.max_attempts, id_list(ids));
}

std::vector<Event> Engine::claim() {
  soci::transaction tx(db_);
  std::vector<uint64_t> ids;
  // Events tried before (a failure, or a host that died holding them) are claimed one at a
  // time, so that a poison event cannot take a whole batch down again.
  for (const bool retry : {true, false}) {
    // Only the head of each record (its oldest pending event) may be claimed: per-record
    // order, also across hosts. The heads come from a loose scan of the (module, record_id,
    // id) index — one dive per record with pending events — so a backlog piled up on a few
    // records costs a few dives, not a scan of every event behind them.
    // With a settle window, a record's head waits until the window after it has passed, so
    // the record's other statements of the same save have arrived (and are folded below).
    const long long settle_us =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.settle).count();
    const std::string settled =
        settle_us > 0
            ? fmt::format(" AND e.created_at < TIMESTAMPADD(MICROSECOND, -{}, UTC_TIMESTAMP(6))",
                          settle_us)
            : std::string();
    const std::string sql = fmt::format(
        "SELECT e.id FROM crmflow_event e "
        "JOIN (SELECT MIN(id) AS head FROM crmflow_event GROUP BY module, record_id) h "
        "ON e.id = h.head "
        "WHERE (e.lease_until IS NULL OR e.lease_until < UTC_TIMESTAMP(6)) AND e.attempts {}{} "
        "ORDER BY e.id LIMIT {} FOR UPDATE SKIP LOCKED",
        retry ? "> 0" : "= 0", settled, retry ? 1u : options_.batch_size);
    soci::rowset<long long> rows = db_.prepare << sql;
    for (const long long id : rows) ids.push_back(static_cast<uint64_t>(id));
    if (!ids.empty()) break;
  }
  if (ids.empty()) {
    tx.commit();
    return {};
  }
  leases_.stamp(ids);
  if (options_.settle.count() > 0) {
    for (const uint64_t id : ids) fold_into_head(db_, id, options_.settle);
  }

  std::vector<Event> events;
  soci::rowset<soci::row> rows =
      db_.prepare << fmt::format(
          "SELECT id, module, record_id, kind, is_new, old_image, new_image, crm_user_id, cause, "
          "depth, fence, attempts, workflow_id, firing_key FROM crmflow_event WHERE id IN ({}) "
          "ORDER BY id",
          id_list(ids));
  for (const soci::row& row : rows) {
    Event e;
    e.id = static_cast<uint64_t>(row.get<long long>(0));
    e.module = row.get<std::string>(1);
    e.record_id = row.get<std::string>(2);
    e.kind = row.get<std::string>(3);
    e.is_new = row.get<int>(4) != 0;
    if (row.get_indicator(5) == soci::i_ok) e.old_image = parse_image(row.get<std::string>(5));
    if (row.get_indicator(6) == soci::i_ok) e.new_image = parse_image(row.get<std::string>(6));
    if (row.get_indicator(7) == soci::i_ok) e.crm_user_id = row.get<std::string>(7);
    if (row.get_indicator(8) == soci::i_ok) e.cause = row.get<std::string>(8);
    e.depth = row.get<int>(9);
    e.fence = static_cast<uint64_t>(row.get<long long>(10));
    e.attempts = row.get<int>(11);
    if (row.get_indicator(12) == soci::i_ok) e.workflow_id = row.get<std::string>(12);
    if (row.get_indicator(13) == soci::i_ok) e.firing_key = row.get<std::string>(13);
    events.push_back(std::move(e));
  }
  tx.commit();
  return events;
}

bool Engine::finish_by_fence(const std::vector<Event>& events, const std::vector<uint64_t>& done) {
  if (done.empty()) return true;
  std::map<uint64_t, uint64_t> fences;
  for (const Event& event : events) fences[event.id] = event.fence;
  std::string claims;
  for (const uint64_t id : done) {
    claims += fmt::format("{}({}, {})", claims.empty() ? "" : ", ", id, fences[id]);
  }
  // By primary key: this runs while the batch holds the CRM records its actions wrote. A
  // scan that waited here on an event the CRM's open transaction had just inserted, while the
  // CRM waited on one of those records, made the CRM the deadlock victim (faults_three_hosts).
  const std::string owner = leases_.owner();
  soci::statement remove =
      (db_.prepare << fmt::format("DELETE crmflow_event FROM {} WHERE id IN ({}) AND owner = :o "
                                  "AND (id, fence) IN ({})",
                                  by_primary_key("crmflow_event"), id_list(done), claims),
       soci::use(owner));
  remove.execute(true);
  return static_cast<size_t>(remove.get_affected_rows()) == done.size();
}

void Engine::write_audit_rows() {
  // Chunks keep a statement's size bounded with large batches.
  constexpr size_t kChunk = 200;
  for (size_t first = 0; first < audit_.size(); first += kChunk) {
    BoundQuery query;
    std::string rows;
    for (size_t i = first; i < std::min(audit_.size(), first + kChunk); ++i) {
      std::string row;
      for (std::string& value : audit_[i]) row += (row.empty() ? "" : ", ") + query.bind(value);
      rows += fmt::format("{}({}, NULL, UTC_TIMESTAMP(6))", rows.empty() ? "" : ", ", row);
    }
    query.sql = kAuditInsert + rows;
    execute(db_, query);
  }
  audit_.clear();
}

size_t Engine::handle(std::vector<Event>& events) {
  struct Failed {
    const Event* event;
    std::string workflow;
    std::string error;
  };
  std::vector<Failed> failures;
  std::vector<const Event*> busy;
  std::vector<uint64_t> done;
  audit_.clear();
  labels_.reset();
  {
    soci::transaction tx(db_);
    for (size_t i = 0; i < events.size(); ++i) {
      if (i > 0) failpoint("mid_batch");
      const Event& event = events[i];
      const size_t audit_mark = audit_.size();
      event_savepoint_ = false;
      const auto undo = [&] {
        if (event_savepoint_) db_ << "ROLLBACK TO SAVEPOINT crmflow_event";
        audit_.resize(audit_mark);
      };
      try {
        dispatch(event);
      } catch (const WorkflowFailure& failure) {
        undo();
        failures.push_back({&event, failure.workflow(), failure.what()});
        continue;
      } catch (const std::exception& e) {
        // A CRM row this event writes is locked by someone else (the CRM, most likely): give
        // way, and try the event again shortly. Not a failure: it does not count as an attempt.
        if (!is_lock_busy(e)) throw;
        undo();
        busy.push_back(&event);
        continue;
      }
      done.push_back(event.id);
    }
    write_audit_rows();
    if (!finish_by_fence(events, done)) {
      // A lease ran out and another host claimed one of these events: none of this batch's
      // work is kept (rare: a batch slower than the lease). The events still ours are given
      // back without counting the attempt.
      tx.rollback();
      spdlog::warn(
          "events {} were claimed by another host after our lease ran out; the batch "
          "is rolled back and its events given back",
          id_list(done));
      for (const Event& event : events) leases_.release(claim_of(event), {}, false);
      return 0;
    }
    failpoint("after_effects_before_commit");
    tx.commit();
  }
  const size_t finished = done.size();
  failpoint("after_commit_before_claim");

  for (const Event* event : busy) {
    leases_.release(claim_of(*event), std::chrono::milliseconds(200), false);
  }

  for (const Failed& failed : failures) {
    const Event& event = *failed.event;
    spdlog::error("event {} ({} {}), attempt {} of {}: {}", event.id, event.module, event.record_id,
                  event.attempts, options_.max_attempts, failed.error);
    // The last attempt goes straight to the quarantine.
    soci::transaction tx(db_);
    if (leases_.release(claim_of(event), backoff(event.attempts, std::chrono::minutes(1)), true,
                        failed.error)) {
      write_failure(db_, event, failed.workflow, failed.error, options_.owner);
      if (event.attempts >= static_cast<int>(options_.max_attempts)) quarantine({event.id});
    }
    tx.commit();
  }
  return finished;
}

void Engine::run_workflow(const Workflow& w, const Event& event, Record& record, Record& before,
                          RecordEffects& writer) {
  const auto started = Clock::now();
  const auto deadline = started + options_.call_deadline;
  if (!w.related_fields.empty()) {
    // Related records as they are now; they have no old image, so "before" sees the same.
    const Module* module = map_.find(event.module);
    if (module != nullptr) {
      resolve_related_fields(db_, map_, *module, w.related_fields, record);
      for (const std::string& name : w.related_fields) before.current[name] = record.current[name];
    }
  }
  const auto judge = [&]() -> Verdict {
    const bool deleted = event.kind == "deleted";
    if (deleted && w.trigger == TriggerKind::saved)
      return {false, "the record was deleted; the workflow runs on saves", ""};
    if (!deleted && w.trigger == TriggerKind::deleted)
      return {false, "the record was saved; the workflow runs on deletes", ""};
    if (w.applies_to == AppliesTo::new_records && !event.is_new)
      return {false, "applies to new records only", ""};
    if (event.cause == w.id)
      return {false, "caused by this workflow's own write; not triggered again", ""};
    if (event.depth > static_cast<int>(options_.depth_limit)) {
      return {
          false,
          fmt::format("chain depth {} exceeds the limit of {}", event.depth, options_.depth_limit),
          ""};
    }
    std::vector<std::string> deciding;
    const auto now_holds = evaluate(w.conditions, record, deadline, &deciding);
    if (!now_holds)
      throw WorkflowFailure(w.id, fmt::format("workflow {}: {}", w.id, now_holds.error()));
    const std::string conditions = conditions_text(deciding);
    if (!*now_holds) return {false, "conditions not met", conditions};
    if (w.fire == FireMode::on_change && !event.is_new && event.old_image) {
      const auto held_before = evaluate(w.conditions, before, deadline);
      if (!held_before)
        throw WorkflowFailure(w.id, fmt::format("workflow {}: {}", w.id, held_before.error()));
      if (*held_before)
        return {false, "conditions held before this save already (fires on_change)", conditions};
    }
    return {true, "conditions met", conditions};
  };
  const Verdict verdict = judge();
  int actions_run = 0;
  int jobs_scheduled = 0;
  if (verdict.run) {
    std::string run_as;
    switch (w.run_as.kind) {
      case RunAs::Kind::user: run_as = w.run_as.user_id; break;
      case RunAs::Kind::triggering_user: run_as = event.crm_user_id; break;
      case RunAs::Kind::assigned_user: break;
    }
    if (run_as.empty()) {
      const Module* module = map_.find(event.module);
      if (module != nullptr && !module->assigned_user_column.empty()) {
        const auto it = record.current.find(module->assigned_user_column);
        if (it != record.current.end() && it->second) run_as = *it->second;
      }
    }
    begin_writes(event, w);
    for (size_t index = 0; index < w.actions.size(); ++index) {
      const ActionStep& step = w.actions[index];
      if (step.runs_as_job()) {
        schedule(w, index, event, record.current, run_as);
        ++jobs_scheduled;
        continue;
      }
      std::expected<void, ActionFailure> done;
      try {
        done = step.action->run(record, deadline, &writer, run_as);
      } catch (const std::exception& e) {
        // Deadlocks, busy rows and lost connections concern the batch or the connection;
        // any other database error is this workflow failing on this record's data.
        if (is_retryable(e) || is_lock_busy(e) || is_connection_lost(e)) throw;
        throw WorkflowFailure(w.id, fmt::format("workflow {}: {}: {}", w.id, step.path, e.what()));
      }
      if (!done)
        throw WorkflowFailure(
            w.id, fmt::format("workflow {}: {}: {}", w.id, step.path, done.error().message));
      ++actions_run;
    }
  }
  std::string reason = jobs_scheduled == 0
                           ? verdict.reason
                           : fmt::format("{}; {} job(s) scheduled", verdict.reason, jobs_scheduled);
  if (w.timer) {
    reason = fmt::format("{} fired ({}); {}", w.timer->component().name, event.firing_key, reason);
  }
  audit_.push_back(audit_values(event, w.id, verdict.run ? "done" : "not_matched", reason,
                                verdict.conditions, actions_run, Clock::now() - started,
                                options_.owner));
}

void Engine::begin_writes(const Event& event, const Workflow& w) {
  // Only an event that writes needs a savepoint to undo its writes; most events of a busy
  // CRM match no workflow and cost no statement of their own.
  if (!event_savepoint_) {
    db_ << "SAVEPOINT crmflow_event";
    event_savepoint_ = true;
  }
  // The labels the capture triggers copy into the events these writes cause. Every write
  // of this session comes after such a SET, so they need no reset; within a batch they are
  // set again only when they change (the job runner sets its own between batches).
  const int next_depth = event.depth + 1;
  if (labels_ && labels_->first == next_depth && labels_->second == w.id) return;
  db_ << "SET @crmflow_depth = :d, @crmflow_cause = :c", soci::use(next_depth), soci::use(w.id);
  labels_.emplace(next_depth, w.id);
}

void Engine::schedule(const Workflow& w, size_t index, const Event& event,
                      const RecordImage& record_now, const std::string& run_as) {
  const ActionStep& step = w.actions[index];
  JobRequest job;
  job.workflow_id = w.id;
  job.action_index = static_cast<int>(index);
  job.plugin = step.action->component().name;
  job.module = event.module;
  job.record_id = event.record_id;
  job.event_id = event.id;
  job.kind = event.kind;
  job.is_new = event.is_new;
  job.old_image = event.old_image;
  job.new_image = event.new_image;
  if (!event.workflow_id.empty()) job.new_image = record_now;
  job.run_as = run_as;
  job.depth = event.depth;
  job.recheck = step.delay.has_value();
  job.due = now();
  if (step.delay) {
    const auto due = due_after(job.due, *step.delay);
    if (!due)
      throw WorkflowFailure(w.id,
                            fmt::format("workflow {}: {}.delay: {}", w.id, step.path, due.error()));
    job.due = *due;
  }
  schedule_job(db_, job);
}

void Engine::dispatch(const Event& event) {
  Record record;
  record.module = event.module;
  record.id = event.record_id;
  if (event.old_image) record.old_image = *event.old_image;
  if (event.new_image) record.new_image = *event.new_image;
  record.current = event.new_image ? record.new_image : record.old_image;

  // The images before this change, as a record whose "current" is the old one, for on_change.
  // Before this save nothing was changing: its new image is the old one, so change conditions
  // (changed, changed_to) do not hold for it and on_change fires on the save that changes.
  Record before = record;
  before.current = record.old_image;
  before.new_image = record.old_image;

  RecordWriter writer(db_, map_, options_.clock_offset_seconds);

  const bool timer = !event.workflow_id.empty();
  if (timer) {
    // A firing is judged on the record as it is now; it has no "before".
    const Module* module = map_.find(event.module);
    auto current =
        module == nullptr ? std::nullopt : read_current_record(db_, *module, event.record_id);
    if (!current) {
      audit_.push_back(audit_values(event, event.workflow_id, "not_matched",
                                    "the record no longer exists (or its module left the module "
                                    "map)",
                                    "", 0, {}, options_.owner));
      return;
    }
    record.current = record.new_image = *current;
    before = record;
  }
  for (const Workflow& w : workflows_) {
    if (!w.active || w.module != event.module) continue;
    // Time triggers fire their own workflow only; a captured change is not theirs.
    if (timer != (w.trigger == TriggerKind::timer) || (timer && w.id != event.workflow_id)) {
      continue;
    }
    try {
      run_workflow(w, event, record, before, writer);
    } catch (const WorkflowFailure&) {
      throw;
    } catch (const std::exception& e) {
      // Deadlocks, busy rows and lost connections concern the batch or the connection; any
      // other error is this workflow failing on this record.
      if (is_retryable(e) || is_lock_busy(e) || is_connection_lost(e)) throw;
      throw WorkflowFailure(w.id, fmt::format("workflow {}: {}", w.id, e.what()));
    }
  }
}

void Engine::release(const std::vector<Event>& events) {
  for (const Event& event : events) leases_.release(claim_of(event), {}, true);
}

void Engine::release_own_leases() {
  leases_.release_own();
}

Engine::Backlog Engine::backlog() {
  Backlog b;
  soci::indicator ind = soci::i_null;
  double age = 0;
  db_ << "SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, MIN(created_at), UTC_TIMESTAMP(6)) / 1e6 "
         "FROM crmflow_event",
      soci::into(b.pending), soci::into(age, ind);
  b.oldest_age_seconds = ind == soci::i_ok ? age : 0;
  db_ << "SELECT COUNT(*) FROM crmflow_event_quarantine", soci::into(b.quarantined);
  return b;
}

}  // namespace crmflow
