// Jobs on a real database: delayed actions scheduled in the event's transaction, judged
// again when due (state conditions on the record as it is then, change conditions on the
// stored images), cancelled when the record is gone, retried and then dead when failing.
// Time moves through the one clock's offset (host_clock.hpp), as in the demo.
#define BOOST_TEST_MODULE jobs_test
#include <soci/soci.h>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/jobs.hpp"
#include "crmflow/host/retention.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;

namespace {

const std::string kLead = "led00001-0000-4000-8000-000000000000";

PluginRegistry& plugins() {
  return testing::build_plugins(
      {"compare", "changes", "create_record", "update_record", "call_remote_api"});
}

// A fresh demo database with capture on Leads, the workflows, an engine and a job runner;
// the clock back at offset 0 when done.
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_jobs_test_" + name());
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<JobRunner> jobs;
  JobOptions job_options;

  explicit Harness(const std::vector<std::string>& workflow_texts) {
    BOOST_REQUIRE(configure_clock("Europe/Vienna", std::chrono::seconds(0)).has_value());
    workflows = testing::load_workflow_texts(dir, workflow_texts, plugins(), &map());
    const auto installed = install_capture(db(), *map().find("Leads"));
    if (!installed) throw std::runtime_error(installed.error());
    EngineOptions options;
    options.owner = "jobs_test";
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
    job_options.owner = "jobs_test";
    job_options.max_attempts = 2;
    job_options.backoff_cap = std::chrono::seconds(1);
    restart();
  }
  ~Harness() {
    (void)configure_clock("UTC", std::chrono::seconds(0));
    std::filesystem::remove_all(dir);
  }

  // A new job runner, as after a restart of the host; the jobs are in the database only.
  void restart() { jobs = std::make_unique<JobRunner>(db(), map(), workflows, job_options); }

  void move_clock(std::chrono::seconds offset) {
    BOOST_REQUIRE(configure_clock("Europe/Vienna", offset).has_value());
    job_options.clock_offset_seconds = static_cast<int>(offset.count());
  }

  void drain_events() {
    if (!testing::drain_events(*engine, db())) BOOST_FAIL("the event queue did not drain");
  }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }

  std::string job_state() {
    std::string state;
    db() << "SELECT state FROM crmflow_job", soci::into(state);
    return state;
  }

  void save_lead(const std::string& status) {
    db() << "UPDATE leads SET status = :s, modified_user_id = 'usr00002-0000-4000-8000-"
            "000000000000' WHERE id = :id",
        soci::use(status), soci::use(kLead);
  }
};

constexpr auto kFifteenDays = std::chrono::seconds(15 * 24 * 3600);

// Two weeks after a lead became Qualified, a follow-up task — if it is still Qualified.
const std::string kFollowUp =
    R"({"id": "follow-up", "module": "Leads", "trigger": "saved", "fire": "on_change",
        "conditions": {"all": [{"field": "status", "op": "changed_to", "value": "Qualified"},
                               {"field": "status", "op": "equals", "value": "Qualified"}]},
        "actions": [{"plugin": "create_record", "delay": "14d",
                     "params": {"module": "Tasks", "fields": {"name": "Follow-up"}}}]})";

}  // namespace

BOOST_AUTO_TEST_CASE(a_delayed_action_runs_when_due_also_after_a_restart) {
  Harness h({kFollowUp});
  h.save_lead("Qualified");
  h.drain_events();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending' AND recheck = 1 "
                     "AND due_at > TIMESTAMPADD(DAY, 13, UTC_TIMESTAMP())") == 1,
             "one pending job, due in two weeks");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE reason = 'conditions met; 1 job(s) "
                     "scheduled'") == 1);
  BOOST_TEST(h.jobs->step() == 0u, "not due yet");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 0);

  h.move_clock(kFifteenDays);
  h.restart();
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job_state() == "done");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND parent_id = '" +
                     kLead + "' AND date_entered > TIMESTAMPADD(DAY, 14, UTC_TIMESTAMP())") == 1,
             "the task exists once, written on the moved clock");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE job_id IS NOT NULL AND outcome = "
                     "'done' AND reason = 'due; conditions still met'") == 1,
             "changed_to still holds on the stored images at the recheck");
  BOOST_TEST(h.jobs->step() == 0u, "a done job does not run again");
}

BOOST_AUTO_TEST_CASE(a_recheck_that_no_longer_holds_skips_the_action) {
  Harness h({kFollowUp});
  h.save_lead("Qualified");
  h.drain_events();
  h.save_lead("Dead");
  h.drain_events();
  h.move_clock(kFifteenDays);
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job_state() == "skipped");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 0);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE job_id IS NOT NULL AND outcome = "
                     "'skipped' AND reason = 'skipped: conditions no longer met' AND "
                     "conditions = 'status equals \"Qualified\": no'") == 1,
             "the audit names the condition that no longer holds");
}

BOOST_AUTO_TEST_CASE(a_deleted_record_cancels_its_delayed_action) {
  Harness h({kFollowUp});
  h.save_lead("Qualified");
  h.drain_events();
  h.db() << "UPDATE leads SET deleted = 1 WHERE id = :id", soci::use(kLead);
  h.drain_events();
  h.move_clock(kFifteenDays);
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job_state() == "cancelled");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 0);
}

BOOST_AUTO_TEST_CASE(a_failing_job_is_retried_with_backoff_then_dead) {
  // Nothing listens on 127.0.0.1:1: every attempt fails with a refused connection, the kind
  // of failure a later attempt may get past.
  Harness h({R"({"id": "unreachable", "module": "Leads", "trigger": "saved",
                 "actions": [{"plugin": "call_remote_api", "params": {
                   "url": "http://127.0.0.1:1/leads/{{record.id}}", "body": {"x": 1},
                   "connect_timeout_ms": 500}}]})"});
  h.save_lead("Qualified");
  h.drain_events();
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job_state() == "pending", "retried later");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job WHERE attempts = 1 AND last_error <> '' "
                     "AND lease_until > UTC_TIMESTAMP(6)") == 1,
             "backoff: not claimable at once");
  BOOST_TEST(h.jobs->step() == 0u);
  for (int i = 0; i < 30 && h.job_state() == "pending"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h.jobs->step();
  }
  BOOST_TEST(h.job_state() == "dead");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'dead' AND reason = 'no "
                     "attempts left'") == 1);
}

BOOST_AUTO_TEST_CASE(a_write_the_host_refuses_makes_the_job_dead_at_once) {
  // 60 characters do not fit tasks.name (50): no later attempt can change that.
  Harness h({R"({"id": "too-long", "module": "Leads", "trigger": "saved",
                 "actions": [{"plugin": "create_record", "delay": "1s", "params": {
                   "module": "Tasks",
                   "fields": {"name": "123456789012345678901234567890123456789012345678901234567890"}}}]})"});
  h.save_lead("Qualified");
  h.drain_events();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  BOOST_TEST(h.jobs->step() == 1u);
  BOOST_TEST(h.job_state() == "dead");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job WHERE attempts = 1 AND last_error LIKE "
                     "'%do not fit%'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'dead' AND reason = "
                     "'failed for good; not retried'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name LIKE '1234567890%'") == 0);
}

BOOST_AUTO_TEST_CASE(finished_jobs_are_pruned_after_the_retention_dead_ones_stay) {
  Harness h({kFollowUp});
  for (const char* state : {"done", "skipped", "cancelled", "dead", "pending"}) {
    for (const int age_days : {40, 5}) {
      h.db() << "INSERT INTO crmflow_job (state, workflow_id, action_index, plugin, module, "
                "record_id, event_id, kind, idempotency_key, due_at, created_at, finished_at) "
                "VALUES (:s, 'follow-up', 0, 'create_record', 'Leads', :r, 1, 'saved', UUID(), "
                "UTC_TIMESTAMP(), UTC_TIMESTAMP(), IF(:s2 = 'pending', NULL, "
                "TIMESTAMPADD(DAY, -:d, UTC_TIMESTAMP())))",
          soci::use(std::string(state)), soci::use(kLead), soci::use(std::string(state)),
          soci::use(age_days);
    }
  }
  BOOST_TEST(prune_finished_jobs(h.db(), 30, 2, 10) == 3u, "done, skipped, cancelled of 40 days");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job") == 7);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'dead'") == 2,
             "dead jobs wait for an admin, however old");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'") == 2);
  BOOST_TEST(prune_finished_jobs(h.db(), 30, 2, 10) == 0u);
}
