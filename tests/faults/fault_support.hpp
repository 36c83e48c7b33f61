// What the fault tests share: the fixture (a fresh demo database plus a temporary host
// directory), the CRM-side SQL a test plays (bulk leads, qualifying saves), the COUNT queries a
// user would run, and a guard that prints the hosts' logs when a test failed.
#pragma once

#include <soci/soci.h>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <exception>
#include <iostream>
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
