#include "crmflow/host/jobs.hpp"

#include <crmflow/abi.h>
#include <fmt/format.h>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "crmflow/host/database.hpp"
#include "crmflow/host/failpoint.hpp"
#include "crmflow/host/record_writer.hpp"
#include "crmflow/host/related_fields.hpp"

namespace crmflow {
namespace {

using Clock = std::chrono::steady_clock;

// The job's own action failed (the plugin, its parameters, the record's data): retried with
// backoff, dead after max_attempts. Anything else concerns the connection or the batch.
class JobFailure : public std::runtime_error {
 public:
  explicit JobFailure(const std::string& message, bool permanent = false)
      : std::runtime_error(message), permanent_(permanent) {}
  // No retry can fix it (CRMFLOW_PERMANENT, e.g. an HTTP 404): dead at once.
  bool permanent() const noexcept { return permanent_; }

 private:
  bool permanent_;
};

std::optional<std::string> image_text(const std::optional<RecordImage>& image) {
  if (!image) return std::nullopt;
  nlohmann::json json = nlohmann::json::object();
  for (const auto& [field, value] : *image) {
    json[field] = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  }
  return json.dump();
}

std::optional<RecordImage> image_of(const soci::row& row, size_t column) {
  if (row.get_indicator(column) != soci::i_ok) return std::nullopt;
  RecordImage image;
  const nlohmann::json json = nlohmann::json::parse(row.get<std::string>(column));
  for (const auto& [field, value] : json.items()) {
    image[field] = value.is_null()     ? std::nullopt
                   : value.is_string() ? std::optional(value.get<std::string>())
                                       : std::optional(value.dump());
  }
  return image;
}

}  // namespace

struct JobRunner::Job {
  Claim claim;
  JobRequest request;
  std::string idempotency_key;
};

uint64_t schedule_job(soci::session& db, const JobRequest& job) {
  const auto old_json = image_text(job.old_image);
  const auto new_json = image_text(job.new_image);
  std::string old_text = old_json.value_or(""), new_text = new_json.value_or("");
  std::string run_as = job.run_as;
  soci::indicator old_ind = old_json ? soci::i_ok : soci::i_null;
  soci::indicator new_ind = new_json ? soci::i_ok : soci::i_null;
  soci::indicator user_ind = run_as.empty() ? soci::i_null : soci::i_ok;
  const std::string key = new_uuid();
  const std::string due = format_utc(job.due);
  const long long event_id = static_cast<long long>(job.event_id);
  const int is_new = job.is_new ? 1 : 0;
  const int recheck = job.recheck ? 1 : 0;
  db << "INSERT INTO crmflow_job (workflow_id, action_index, plugin, module, record_id, "
        "event_id, kind, is_new, old_image, new_image, run_as, depth, recheck, idempotency_key, "
        "due_at, created_at) VALUES (:w, :a, :p, :m, :r, :e, :k, :n, :o, :i, :u, :d, :c, :key, "
        ":due, UTC_TIMESTAMP(6))",
      soci::use(job.workflow_id), soci::use(job.action_index), soci::use(job.plugin),
      soci::use(job.module), soci::use(job.record_id), soci::use(event_id), soci::use(job.kind),
      soci::use(is_new), soci::use(old_text, old_ind), soci::use(new_text, new_ind),
      soci::use(run_as, user_ind), soci::use(job.depth), soci::use(recheck), soci::use(key),
      soci::use(due);
  long long id = 0;
  db << "SELECT LAST_INSERT_ID()", soci::into(id);
  return static_cast<uint64_t>(id);
}

std::expected<SysSeconds, std::string> due_after(SysSeconds now, const Delay& delay) {
  if (delay.unit == 0) return now + std::chrono::seconds(delay.amount);
  return shift(now, delay.amount, delay.unit, false);
}

JobRunner::JobRunner(soci::session& db, const ModuleMap& map,
                     const std::vector<Workflow>& workflows, JobOptions options)
    : db_(db),
      map_(map),
      workflows_(workflows),
      options_(std::move(options)),
      leases_(db, "crmflow_job", options_.owner, options_.lease) {}

void JobRunner::release_own_leases() {
  leases_.release_own();
}

size_t JobRunner::step() {
  std::vector<Job> jobs = claim();
  size_t given_back = 0;
  for (Job& job : jobs) {
    // A stopping host finishes the job in hand, not every job it claimed: slow jobs (an HTTP
    // call, a mail server) one after another would hold the stop past any supervisor's grace.
    if (options_.stop != nullptr && *options_.stop) {
      if (leases_.release(job.claim, std::chrono::milliseconds(0), false)) ++given_back;
      continue;
    }
    run(job);
  }
  if (given_back > 0) {
    spdlog::info("stopping: {} claimed job(s) not started were given back", given_back);
  }
  return jobs.size();
}

std::vector<JobRunner::Job> JobRunner::claim() {
  soci::transaction tx(db_);
  const std::string due = format_utc(now());
  std::vector<uint64_t> ids;
  soci::rowset<long long> rows =
      (db_.prepare << fmt::format(
           "SELECT id FROM crmflow_job WHERE state = 'pending' AND due_at <= :due AND "
           "(lease_until IS NULL OR lease_until < UTC_TIMESTAMP(6)) ORDER BY due_at, id "
           "LIMIT {} FOR UPDATE SKIP LOCKED",
           options_.batch_size),
       soci::use(due));
  for (const long long id : rows) ids.push_back(static_cast<uint64_t>(id));
  if (ids.empty()) {
    tx.commit();
    return {};
  }
  leases_.stamp(ids);
  std::vector<Job> jobs;
  soci::rowset<soci::row> claimed =
      db_.prepare << fmt::format(
          "SELECT id, fence, attempts, workflow_id, action_index, plugin, module, record_id, "
          "event_id, kind, is_new, old_image, new_image, run_as, depth, recheck, "
          "idempotency_key, due_at FROM crmflow_job WHERE id IN ({}) ORDER BY due_at, id",
          id_list(ids));
  for (const soci::row& row : claimed) {
    Job job;
    job.claim.id = static_cast<uint64_t>(row.get<long long>(0));
    job.claim.fence = static_cast<uint64_t>(row.get<long long>(1));
    job.claim.attempts = row.get<int>(2);
    JobRequest& r = job.request;
    r.workflow_id = row.get<std::string>(3);
    r.action_index = row.get<int>(4);
    r.plugin = row.get<std::string>(5);
    r.module = row.get<std::string>(6);
    r.record_id = row.get<std::string>(7);
    r.event_id = static_cast<uint64_t>(row.get<long long>(8));
    r.kind = row.get<std::string>(9);
    r.is_new = row.get<int>(10) != 0;
    r.old_image = image_of(row, 11);
    r.new_image = image_of(row, 12);
    if (row.get_indicator(13) == soci::i_ok) r.run_as = row.get<std::string>(13);
    r.depth = row.get<int>(14);
    r.recheck = row.get<int>(15) != 0;
    job.idempotency_key = row.get<std::string>(16);
    jobs.push_back(std::move(job));
  }
  tx.commit();
  return jobs;
}

bool JobRunner::finish(const Job& job, const std::string& state, const std::string& reason,
                       const std::string& error, const std::string& conditions) {
  const std::string finished = format_utc(now());
  std::vector<std::string> values = {state};
  std::string sql = "UPDATE crmflow_job SET state = :state, owner = NULL, lease_until = NULL";
  if (state != "pending") {
    sql += ", finished_at = :finished";
    values.push_back(finished);
  }
  sql += ", last_error = :error";
  values.push_back(error);
  if (!leases_.fenced(sql, job.claim, values)) return false;
  audit(job, state, reason, error, conditions);
  return true;
}

void JobRunner::audit(const Job& job, const std::string& outcome, const std::string& reason,
                      const std::string& error, const std::string& conditions) {
  const long long event_id = static_cast<long long>(job.request.event_id);
  const long long job_id = static_cast<long long>(job.claim.id);
  std::string error_text = error;
  soci::indicator error_ind = error.empty() ? soci::i_null : soci::i_ok;
  std::string conditions_value = conditions;
  soci::indicator conditions_ind = conditions.empty() ? soci::i_null : soci::i_ok;
  const int actions_run = outcome == "done" ? 1 : 0;
  db_ << "INSERT INTO crmflow_run (event_id, job_id, workflow_id, module, record_id, outcome, "
         "reason, conditions, actions_run, duration_us, error, host, created_at) VALUES (:e, :j, "
         ":w, :m, :r, :o, :reason, :cond, :a, 0, :err, :h, UTC_TIMESTAMP(6))",
      soci::use(event_id), soci::use(job_id), soci::use(job.request.workflow_id),
      soci::use(job.request.module), soci::use(job.request.record_id), soci::use(outcome),
      soci::use(reason), soci::use(conditions_value, conditions_ind), soci::use(actions_run),
      soci::use(error_text, error_ind), soci::use(options_.owner);
}

JobRunner::Outcome JobRunner::perform(Job& job) {
  const JobRequest& r = job.request;
  const auto w = std::ranges::find(workflows_, r.workflow_id, &Workflow::id);
  if (w == workflows_.end() || !w->active) {
    return {"cancelled", fmt::format("workflow {} is no longer loaded or active", r.workflow_id),
            ""};
  }
  if (r.action_index < 0 || static_cast<size_t>(r.action_index) >= w->actions.size() ||
      w->actions[static_cast<size_t>(r.action_index)].action->component().name != r.plugin) {
    return {"cancelled",
            fmt::format("workflow {} no longer has a {} action at actions[{}]", r.workflow_id,
                        r.plugin, r.action_index),
            ""};
  }
  const ActionStep& step = w->actions[static_cast<size_t>(r.action_index)];
  const Module* module = map_.find(r.module);
  if (module == nullptr) {
    return {"cancelled", fmt::format("module {} is no longer in the module map", r.module), ""};
  }
  const auto deadline = Clock::now() + options_.call_deadline;
  Record record;
  record.module = r.module;
  record.id = r.record_id;
  if (r.old_image) record.old_image = *r.old_image;
  if (r.new_image) record.new_image = *r.new_image;
  const std::optional<RecordImage> current = read_current_record(db_, *module, r.record_id);
  std::string reason = "done";
  std::string conditions;
  if (r.recheck) {
    // State conditions on the record as it is now; change conditions on the stored images.
    if (!current) return {"cancelled", "the record was deleted before the action was due", ""};
    record.current = *current;
    if (!w->related_fields.empty()) {
      resolve_related_fields(db_, map_, *module, w->related_fields, record);
    }
    std::vector<std::string> deciding;
    const auto holds = evaluate(w->conditions, record, deadline, &deciding);
    if (!holds) throw JobFailure(holds.error());
    conditions = conditions_text(deciding);
    if (!*holds) return {"skipped", "skipped: conditions no longer met", conditions};
    reason = "due; conditions still met";
  } else {
    record.current = current ? *current : (r.new_image ? record.new_image : record.old_image);
  }
  RecordWriter writer(db_, map_, options_.clock_offset_seconds);
  const auto done = step.action->run(record, deadline, &writer, r.run_as, job.idempotency_key);
  if (!done) {
    throw JobFailure(fmt::format("{}: {}", step.path, done.error().message),
                     done.error().status == CRMFLOW_PERMANENT);
  }
  return {"done", reason, conditions};
}

void JobRunner::run(Job& job) {
  const JobRequest& r = job.request;
  const std::string what = fmt::format("job {} ({} of workflow {} for {} {})", job.claim.id,
                                       r.plugin, r.workflow_id, r.module, r.record_id);
  if (job.claim.attempts > static_cast<int>(options_.max_attempts)) {
    // Its host stopped while running it on the last attempt: nobody finished it.
    soci::transaction tx(db_);
    if (finish(job, "dead", "no attempts left",
               fmt::format("attempt {} of {} never finished (its host stopped)",
                           job.claim.attempts - 1, options_.max_attempts))) {
      tx.commit();
    }
    return;
  }
  std::string error;
  bool permanent = false;
  for (int round = 1;; ++round) {
    try {
      soci::transaction tx(db_);
      const int next_depth = r.depth + 1;
      db_ << "SET @crmflow_depth = :d, @crmflow_cause = :c", soci::use(next_depth),
          soci::use(r.workflow_id);
      Outcome result;
      try {
        result = perform(job);
      } catch (const JobFailure& failure) {
        error = failure.what();
        permanent = failure.permanent();
        break;
      } catch (const std::exception& e) {
        if (is_retryable(e) || is_lock_busy(e) || is_connection_lost(e)) throw;
        error = e.what();
        break;
      }
      const auto& [outcome, reason, conditions] = result;
      if (!finish(job, outcome, reason, "", conditions)) {
        spdlog::warn("{}: another host claimed it after our lease ran out; our work is rolled back",
                     what);
        return;  // the transaction rolls back
      }
      db_ << "SET @crmflow_cause = NULL";
      failpoint("job_before_commit");
      tx.commit();
      spdlog::info("{}: {} ({})", what, outcome, reason);
      return;
    } catch (const std::exception& e) {
      if (is_lock_busy(e)) {
        leases_.release(job.claim, std::chrono::milliseconds(200), false);
        return;
      }
      if (!is_retryable(e) || round >= 5) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * round));
    }
  }
  // The action failed; its transaction was rolled back.
  const bool last = permanent || job.claim.attempts >= static_cast<int>(options_.max_attempts);
  spdlog::error("{}, attempt {} of {}: {}{}", what, job.claim.attempts, options_.max_attempts,
                error,
                last ? "; no attempts left, the job is dead (crmflow jobs --state dead)" : "");
  soci::transaction tx(db_);
  if (last) {
    if (!finish(job, "dead", permanent ? "failed for good; not retried" : "no attempts left",
                error)) {
      return;
    }
  } else {
    if (!leases_.release(job.claim, backoff(job.claim.attempts, options_.backoff_cap), true,
                         error)) {
      return;
    }
    audit(job, "failed", fmt::format("attempt {} failed; retried later", job.claim.attempts), error,
          {});
  }
  tx.commit();
}

}  // namespace crmflow
