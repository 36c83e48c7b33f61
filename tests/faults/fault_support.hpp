// What the fault tests share: the fixture (a fresh demo database plus a temporary host
// directory), the CRM-side SQL a test plays (bulk leads, qualifying saves), the COUNT queries a
// user would run, and a guard that prints the hosts' logs when a test failed.
#pragma once

#include <soci/soci.h>

#include <algorithm>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "db_fixture.hpp"
#include "host_process.hpp"

namespace crmflow::faults {

// The CRM users of the demo data: admin and two sales/support users.
inline const std::string kMaria = "usr00002-0000-4000-8000-000000000000";
inline const std::string kThomas = "usr00003-0000-4000-8000-000000000000";

inline long long query_count(soci::session& db, const std::string& sql) {
  long long n = -1;
  db << sql, soci::into(n);
  return n;
}

// Leads with ids <prefix>00000001 ... <prefix><count> (from `first` on), assigned to Maria,
// written in one statement. With status 'New', insert them BEFORE the capture triggers exist,
// or each becomes an event; with 'Qualified' and the triggers there, each is a qualifying event.
inline void insert_leads(soci::session& db, const std::string& prefix, int count,
                         const std::string& status = "New", int first = 1) {
  db << "INSERT INTO leads (id, date_entered, date_modified, modified_user_id, created_by, "
        "assigned_user_id, deleted, first_name, last_name, status, lead_source) "
        "SELECT CONCAT('" +
            prefix + "', LPAD(seq, 8, '0')), UTC_TIMESTAMP(), UTC_TIMESTAMP(), '" + kThomas +
            "', '" + kThomas + "', '" + kMaria + "', 0, 'Test', 'Lead', '" + status +
            "', 'Web Site' FROM seq_" + std::to_string(first) + "_to_" +
            std::to_string(first + count - 1);
}

inline std::string lead_id(const std::string& prefix, int n) {
  std::string digits = std::to_string(n);
  return prefix + std::string(8 - digits.size(), '0') + digits;
}

// Makes every lead of the prefix 'Qualified' as user Thomas, in statements of `chunk` rows
// (one event per row).
inline void qualify_leads(soci::session& db, const std::string& prefix, int count,
                          int chunk = 250) {
  for (int first = 1; first <= count; first += chunk) {
    const int last = std::min(count, first + chunk - 1);
    db << "UPDATE leads SET status = 'Qualified', modified_user_id = '" + kThomas +
              "', date_modified = UTC_TIMESTAMP() WHERE id BETWEEN '" + lead_id(prefix, first) +
              "' AND '" + lead_id(prefix, last) + "'";
  }
}

// `crmflow capture install` with the host's config: the triggers that turn the CRM's saves
// into events. Ends the test case, with the command's output, when it fails.
inline void install_capture(const std::filesystem::path& config, const DatabaseSettings& db,
                            const std::filesystem::path& log) {
  const auto install = run_command(config, db, log, {"capture", "install"});
  BOOST_REQUIRE_MESSAGE(install.exit_code == 0, "capture install failed (exit " << install.exit_code
                                                                                << "):\n"
                                                                                << install.output);
}

inline long long pending_events(soci::session& db) {
  return query_count(db, "SELECT COUNT(*) FROM crmflow_event");
}

// Waits (bounded) until crmflow_event is empty; prints how long it took.
inline bool wait_for_empty_queue(soci::session& db, std::chrono::milliseconds timeout = 60s) {
  const auto started = Clock::now();
  const bool empty = wait_until([&] { return pending_events(db) == 0; }, timeout, 100ms);
  BOOST_TEST_MESSAGE("  queue " << (empty ? "empty" : "NOT empty") << " after "
                                << seconds_since(started) << " s");
  return empty;
}

// The user's checks after a run over `leads` qualifying saves of distinct leads with the
// workflow `workflow` (create_record Tasks "Follow-up"): nothing left, nothing quarantined,
// one task per lead, one 'done' audit row per event.
inline void check_exactly_once(soci::session& db, const std::string& prefix, int leads,
                               const std::string& workflow) {
  const std::string like = "'" + prefix + "%'";
  BOOST_TEST(query_count(db, "SELECT COUNT(*) FROM crmflow_event") == 0);
  BOOST_TEST(query_count(db, "SELECT COUNT(*) FROM crmflow_event_quarantine") == 0);
  BOOST_TEST(query_count(db,
                         "SELECT COUNT(*) FROM tasks WHERE parent_type = 'Leads' AND "
                         "name = 'Follow-up' AND parent_id LIKE " +
                             like) == leads);
  // No lead with two tasks, none without.
  BOOST_TEST(query_count(db,
                         "SELECT COUNT(*) FROM (SELECT parent_id FROM tasks WHERE parent_type = "
                         "'Leads' AND name = 'Follow-up' AND parent_id LIKE " +
                             like + " GROUP BY parent_id HAVING COUNT(*) <> 1) x") == 0);
  BOOST_TEST(query_count(db, "SELECT COUNT(*) FROM leads l WHERE l.id LIKE " + like +
                                 " AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.parent_id = "
                                 "l.id AND t.parent_type = 'Leads' AND t.name = 'Follow-up')") ==
             0);
  BOOST_TEST(query_count(db, "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = '" + workflow +
                                 "' AND outcome = 'done' AND record_id LIKE " + like) == leads);
  BOOST_TEST(query_count(db,
                         "SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE "
                         "workflow_id = '" +
                             workflow + "' AND outcome = 'done' AND record_id LIKE " + like) ==
             leads);
}

// The oracle of a fault case (after Jepsen's lost / duplicated counts): what the workload
// produced against what the database shows once the hosts drained the queue. A case fills it
// (tally_follow_ups for the Follow-up workflow, external counts from its SMTP or HTTP peer),
// prints it with report() — one "oracle <fault>:" line per case, the figures of issue 8 — and
// check() asserts the promises: lost 0, database effects twice 0, stuck 0, quarantined as
// expected, every external effect delivered at least once and each duplicate explained.
struct Oracle {
  std::string fault;
  long long produced = 0;     // events the workload made (captured saves)
  long long handled = 0;      // distinct events with a 'done' audit row
  long long effects = 0;      // database effects found (one per handled event expected)
  long long twice = 0;        // effects beyond one per handled event, events done twice
  long long quarantined = 0;  // events in crmflow_event_quarantine
  long long expected_quarantined = 0;
  long long stuck = 0;  // events still queued and jobs still pending, after the drain
  // External effects (emails, HTTP calls) when the case has them: jobs that should deliver,
  // distinct deliveries (by Message-ID or Idempotency-Key) and the copies received.
  bool external = false;
  long long external_expected = 0;
  long long external_delivered = 0;
  long long external_copies = 0;
  long long expected_duplicates = 0;  // the duplicates the fault explains
  std::string duplicates_explained;   // why (printed with the figures)

  long long lost() const { return produced - handled - quarantined; }
  long long external_duplicates() const { return external_copies - external_delivered; }

  void report() const {
    std::ostringstream line;
    line << "  oracle " << fault << ": produced " << produced << ", handled " << handled
         << ", lost " << lost() << ", database effects twice " << twice << ", stuck " << stuck
         << ", quarantined " << quarantined << " (expected " << expected_quarantined << ")";
    if (external) {
      line << "; external: " << external_delivered << " of " << external_expected << " delivered, "
           << external_duplicates() << " duplicate(s)";
      if (external_duplicates() > 0) line << " — " << duplicates_explained;
    }
    BOOST_TEST_MESSAGE(line.str());
  }

  void check() const {
    BOOST_TEST(lost() == 0, fault << ": " << lost() << " event(s) lost");
    BOOST_TEST(twice == 0, fault << ": " << twice << " database effect(s) twice");
    BOOST_TEST(stuck == 0, fault << ": " << stuck << " event(s) or job(s) stuck");
    BOOST_TEST(quarantined == expected_quarantined, fault << ": quarantined " << quarantined);
    if (!external) return;
    BOOST_TEST(external_delivered == external_expected, fault << ": " << external_delivered
                                                              << " of " << external_expected
                                                              << " external effects delivered");
    BOOST_TEST(external_duplicates() <= expected_duplicates,
               fault << ": " << external_duplicates() << " duplicate(s), " << expected_duplicates
                     << " explained");
  }
};

// Events still queued plus jobs still pending (not done, skipped, cancelled or dead): after a
// drain, both must be 0.
inline long long stuck_work(soci::session& db) {
  return pending_events(db) +
         query_count(db, "SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'");
}

// The oracle's database figures for the Follow-up workflow (follow_up_workflow) over the
// records whose id starts with `prefix`: one task per handled event.
inline Oracle tally_follow_ups(soci::session& db, const std::string& fault,
                               const std::string& prefix, long long produced,
                               long long expected_quarantined = 0) {
  const std::string like = "'" + prefix + "%'";
  Oracle o;
  o.fault = fault;
  o.produced = produced;
  o.expected_quarantined = expected_quarantined;
  o.handled = query_count(db,
                          "SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE outcome = "
                          "'done' AND job_id IS NULL AND record_id LIKE " +
                              like);
  o.effects = query_count(db,
                          "SELECT COUNT(*) FROM tasks WHERE parent_type = 'Leads' AND name = "
                          "'Follow-up' AND parent_id LIKE " +
                              like);
  const long long done_rows =
      query_count(db,
                  "SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'done' AND job_id IS NULL AND "
                  "record_id LIKE " +
                      like);
  o.twice = std::max(0LL, o.effects - o.handled) + (done_rows - o.handled);
  o.quarantined =
      query_count(db, "SELECT COUNT(*) FROM crmflow_event_quarantine WHERE record_id LIKE " + like);
  o.stuck = stuck_work(db);
  return o;
}

// The oracle's database figures for a workflow whose every run leaves one database effect that
// can be counted: `effects_sql` is the COUNT(*) query for those effects (e.g. the tasks it
// created). Handled: distinct events with a 'done' audit row of `workflow` (event rows, not job
// rows) over the records whose id starts with `prefix`; twice: effects beyond one per handled
// event plus 'done' rows beyond one per event.
inline Oracle tally_workflow(soci::session& db, const std::string& fault,
                             const std::string& workflow, const std::string& prefix,
                             long long produced, const std::string& effects_sql,
                             long long expected_quarantined = 0) {
  const std::string runs = "FROM crmflow_run WHERE workflow_id = '" + workflow +
                           "' AND outcome = 'done' AND job_id IS NULL AND record_id LIKE '" +
                           prefix + "%'";
  Oracle o;
  o.fault = fault;
  o.produced = produced;
  o.expected_quarantined = expected_quarantined;
  o.handled = query_count(db, "SELECT COUNT(DISTINCT event_id) " + runs);
  o.effects = query_count(db, effects_sql);
  const long long done_rows = query_count(db, "SELECT COUNT(*) " + runs);
  o.twice = std::max(0LL, o.effects - o.handled) + (done_rows - o.handled);
  o.quarantined = query_count(
      db, "SELECT COUNT(*) FROM crmflow_event_quarantine WHERE record_id LIKE '" + prefix + "%'");
  o.stuck = stuck_work(db);
  return o;
}

// Scales a fault case: the bounded figure the test command runs, or the soak figure when
// CRMFLOW_SOAK=1 (scripts/soak.sh).
inline int soak_or(int bounded, int soak) {
  const char* flag = std::getenv("CRMFLOW_SOAK");
  return flag != nullptr && std::string(flag) == "1" ? soak : bounded;
}

// A workflow on Leads: status equals "Qualified" → create_record Tasks "Follow-up".
inline Json follow_up_workflow(const std::string& id, const std::string& fire = "every_save") {
  return Json{
      {"id", id},
      {"module", "Leads"},
      {"trigger", "saved"},
      {"fire", fire},
      {"run_as", "triggering_user"},
      {"conditions", {{"all", {{{"field", "status"}, {"op", "equals"}, {"value", "Qualified"}}}}}},
      {"actions",
       {{{"plugin", "create_record"},
         {"params",
          {{"module", "Tasks"},
           {"fields", {{"name", "Follow-up"}, {"status", "Not Started"}}}}}}}}};
}

// What a supervisor saw: how often the host died and was started, and whether the queue
// drained; `ends` the wait status of each death, in order.
struct Supervised {
  int deaths = 0;
  int starts = 0;
  bool drained = false;
  std::vector<std::string> ends;  // HostProcess::describe_status() of each death
};

// A supervisor (as systemd's Restart=always): starts the host and restarts it whenever it dies,
// until the event queue is empty or `limit` passed; then stops it with SIGTERM. Each death is
// asserted to be one the test expects: killed by one of `signals`, or exited with one of
// `exit_codes`.
inline Supervised supervise(testing::DbFixture& fixture, HostFiles& files, soci::session& crm,
                            std::chrono::seconds limit, std::vector<int> signals,
                            std::vector<int> exit_codes = {}) {
  Supervised s;
  std::unique_ptr<HostProcess> host;
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (host == nullptr || !host->running()) {
      if (host != nullptr) {
        ++s.deaths;
        s.ends.push_back(host->describe_status());
        const auto status = host->status();
        const bool expected =
            std::ranges::any_of(signals, [&](int sig) { return host->killed_by(sig); }) ||
            (status && WIFEXITED(*status) &&
             std::ranges::find(exit_codes, WEXITSTATUS(*status)) != exit_codes.end());
        BOOST_TEST(expected, "crmflow ended with " << host->describe_status());
      }
      host = std::make_unique<HostProcess>(files.config_file(), fixture.settings(), files.log());
      ++s.starts;
    }
    if (pending_events(crm) == 0) {
      s.drained = true;
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  host->terminate();
  BOOST_TEST(host->wait(15s).has_value());
  return s;
}

// Prints the tail of every log given when the current test case failed (or throws out).
class DumpLogsOnFailure {
 public:
  explicit DumpLogsOnFailure(std::vector<std::filesystem::path> logs)
      : logs_(std::move(logs)), exceptions_(std::uncaught_exceptions()) {}
  ~DumpLogsOnFailure() {
    namespace ut = boost::unit_test;
    const bool failed =
        std::uncaught_exceptions() > exceptions_ ||
        !ut::results_collector.results(ut::framework::current_test_case().p_id).passed();
    if (!failed) return;
    for (const auto& log : logs_) {
      std::cout << "---- last lines of " << log.string() << " ----\n" << tail(log, 120);
    }
    std::cout.flush();
  }
  DumpLogsOnFailure(const DumpLogsOnFailure&) = delete;
  DumpLogsOnFailure& operator=(const DumpLogsOnFailure&) = delete;

 private:
  std::vector<std::filesystem::path> logs_;
  int exceptions_;
};

}  // namespace crmflow::faults
