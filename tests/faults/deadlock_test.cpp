// A CRM transaction saves case B, then case A, while the host's batch handles events for A
// and B with an update_record workflow: the host writes A and finds B locked by the CRM. Had it
// waited for B while holding A, the CRM's write of A would close a deadlock, and InnoDB kills the
// transaction that did less work:
//   crm_is_not_the_deadlock_victim   the CRM's transaction is light: the CRM's save must not
//                                    fail (it did, error 1213, before the host gave way to
//                                    busy rows)
//   host_recovers_from_its_deadlock  the CRM's transaction is heavy: if the host is the victim
//                                    it must retry at once — not fail on ROLLBACK TO SAVEPOINT
//                                    (the deadlock rolled back the whole transaction) and leave
//                                    the batch leased until lease_seconds (30 s here) pass.
#include <soci/mysql/soci-mysql.h>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kCaseA = "cas00001-0000-4000-8000-000000000000";
const std::string kCaseB = "cas00002-0000-4000-8000-000000000000";

struct Outcome {
  std::string crm_error;  // empty: the CRM's transaction went through
  double handled_after = -1;
  std::string host_output;
};

Outcome two_record_crm_transaction(bool heavy) {
  testing::DbFixture fixture;
  HostFiles::Options options;
  options.engine["lease_seconds"] = 30;
  HostFiles files(heavy ? "deadlock-heavy" : "deadlock-light", options);
  files.add_workflow(Json{
      {"id", "escalate"},
      {"module", "Cases"},
      {"fire", "every_save"},
      {"conditions", {{"all", {{{"field", "status"}, {"op", "equals"}, {"value", "Escalated"}}}}}},
      {"actions",
       {{{"plugin", "update_record"}, {"params", {{"fields", {{"priority", "P1"}}}}}}}}});
  DumpLogsOnFailure dump({files.log()});
  install_capture(files.config_file(), fixture.settings(), files.log());
  const auto observer = fixture.connect_again();
  *observer << "UPDATE cases SET status = 'Escalated' WHERE id IN ('" + kCaseA + "', '" + kCaseB +
                   "')";

  // The CRM: its own connection with the server's defaults; saves B (and, when heavy, much
  // more) in one transaction.
  soci::session crm(*soci::factory_mysql(), connection_string(fixture.settings()));
  crm << "START TRANSACTION";
  if (heavy) {
    crm << "INSERT INTO notes (id, name, deleted) SELECT CONCAT('note', seq), 'x', 0 FROM "
           "seq_1_to_300";
  }
  crm << "UPDATE cases SET description = 'saved by the CRM' WHERE id = '" + kCaseB + "'";

  // The host claims both events and writes A; B is the CRM's. Either the host waits for B
  // while it holds A (a lock wait), or it gives way and commits A alone. (Poll slowly: InnoDB
  // refreshes INNODB_TRX only when it was not read for 100 ms.)
  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE(wait_until(
      [&] {
        return query_count(*observer,
                           "SELECT COUNT(*) FROM information_schema.INNODB_TRX "
                           "WHERE trx_state = 'LOCK WAIT'") > 0 ||
               query_count(*observer, "SELECT COUNT(*) FROM crmflow_run WHERE record_id = '" +
                                          kCaseA + "'") > 0;
      },
      10s, 250ms));

  Outcome outcome;
  try {
    crm << "UPDATE cases SET description = 'saved by the CRM' WHERE id = '" + kCaseA + "'";
    crm << "COMMIT";
  } catch (const std::exception& e) {
    outcome.crm_error = e.what();
    crm << "ROLLBACK";
  }
  const auto started = Clock::now();
  if (wait_until([&] { return pending_events(*observer) == 0; }, 15s, 50ms)) {
    outcome.handled_after = seconds_since(started);
  }
  outcome.host_output = host.output();
  host.terminate();
  host.wait(15s);
  return outcome;
}

// The host's output, when the current test case failed.
void dump_if_failed(const Outcome& outcome) {
  namespace ut = boost::unit_test;
  if (ut::results_collector.results(ut::framework::current_test_case().p_id).passed()) return;
  std::cout << "---- host output ----\n" << outcome.host_output << std::flush;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deadlock)

BOOST_AUTO_TEST_CASE(crm_is_not_the_deadlock_victim) {
  const Outcome outcome = two_record_crm_transaction(false);
  BOOST_TEST(outcome.crm_error.empty(), "the CRM's transaction failed: " << outcome.crm_error);
  BOOST_TEST(outcome.handled_after >= 0);
  dump_if_failed(outcome);
}

BOOST_AUTO_TEST_CASE(host_recovers_from_its_deadlock) {
  const Outcome outcome = two_record_crm_transaction(true);
  BOOST_TEST(outcome.crm_error.empty(), "the CRM's transaction failed: " << outcome.crm_error);
  BOOST_TEST(outcome.host_output.find("SAVEPOINT crmflow_event does not exist") ==
             std::string::npos);
  // Retried at once (a deadlock is retryable), not after the 30 s lease.
  BOOST_TEST(outcome.handled_after >= 0, "events still pending 15 s after the deadlock");
  dump_if_failed(outcome);
  BOOST_TEST_MESSAGE("  deadlock: events handled " << outcome.handled_after
                                                   << " s after the CRM committed");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
