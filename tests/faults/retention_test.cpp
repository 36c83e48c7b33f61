// Retention: a host prunes audit rows older than the retention while it works, in small
// batches on crmflow's own table, so capture and the CRM's saves go on undisturbed.
#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "ret";
constexpr int kOldRows = 20000;
constexpr int kLeads = 200;

}  // namespace

BOOST_AUTO_TEST_SUITE(retention)

BOOST_AUTO_TEST_CASE(old_audit_rows_are_pruned_while_the_host_runs) {
  testing::DbFixture fixture;
  HostFiles::Options options;
  options.extra = {
      {"retention", {{"audit_days", 30}, {"batch_size", 500}, {"interval_seconds", 1}}}};
  HostFiles files("retention", options);
  files.add_workflow(follow_up_workflow("follow-up"));
  DumpLogsOnFailure dump({files.log()});
  const auto crm = fixture.connect_again();

  // 20,000 audit rows from 40 days ago, and 100 from yesterday that must stay.
  *crm << "INSERT INTO crmflow_run (event_id, workflow_id, module, record_id, outcome, host, "
          "created_at) SELECT seq, 'old', 'Leads', 'x', 'done', 'test', IF(seq <= 20000, "
          "UTC_TIMESTAMP() - INTERVAL 40 DAY, UTC_TIMESTAMP() - INTERVAL 1 DAY) "
          "FROM seq_1_to_20100";
  insert_leads(*crm, kPrefix, kLeads);

  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE_MESSAGE(host.wait_for_log("handling events as", 30s), host.describe_status());

  // The CRM saves while the host prunes: every save is captured and handled, none waits long.
  double longest_ms = 0;
  for (int i = 1; i <= kLeads; ++i) {
    const auto started = Clock::now();
    *crm << "UPDATE leads SET status = 'Qualified' WHERE id = '" + lead_id(kPrefix, i) + "'";
    longest_ms = std::max(longest_ms, seconds_since(started) * 1000);
  }
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 60s));
  const bool pruned = wait_until(
      [&] {
        return query_count(*crm, "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'old'") ==
               100;
      },
      30s, 200ms);
  BOOST_TEST(pruned, "the 20,000 old rows are gone");
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'old' AND "
                         "created_at > UTC_TIMESTAMP() - INTERVAL 2 DAY") == 100,
             "yesterday's rows stay");
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'follow-up' "
                         "AND outcome = 'done'") == kLeads,
             "the saves made during pruning were all handled");
  BOOST_TEST(host.wait_for_log("pruned", 1s), "the host says what it pruned");
  BOOST_TEST_MESSAGE("retention: " << kOldRows << " old audit rows pruned while " << kLeads
                                   << " CRM saves went on; longest CRM save " << longest_ms
                                   << " ms");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
