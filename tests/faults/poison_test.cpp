// Test 4: a poison event — one whose action kills the host every time — ends in quarantine after
// max_attempts, while a supervisor restarts the host; every other event is handled once.
#include <csignal>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "psn";
constexpr int kEvents = 300;
constexpr int kPoisonLead = 137;

}  // namespace

BOOST_AUTO_TEST_SUITE(poison)

BOOST_AUTO_TEST_CASE(poison_event_is_quarantined) {
  testing::DbFixture fixture;
  HostFiles::Options options;
  options.plugins.push_back("poison");
  options.engine["max_attempts"] = 3;
  HostFiles files("poison", options);
  Json workflow = follow_up_workflow("poisoned");
  workflow["actions"].insert(
      workflow["actions"].begin(),
      Json{{"plugin", "poison"}, {"params", {{"field", "last_name"}, {"value", "poison"}}}});
  files.add_workflow(workflow);
  DumpLogsOnFailure dump({files.log()});

  const auto crm = fixture.connect_again();
  insert_leads(*crm, kPrefix, kEvents);
  const std::string poison = lead_id(kPrefix, kPoisonLead);
  *crm << "UPDATE leads SET last_name = 'poison' WHERE id = '" + poison + "'";
  install_capture(files.config_file(), fixture.settings(), files.log());
  qualify_leads(*crm, kPrefix, kEvents);
  long long poison_event = 0;
  *crm << "SELECT id FROM crmflow_event WHERE record_id = '" + poison + "'",
      soci::into(poison_event);

  const auto started = Clock::now();
  const Supervised run = supervise(fixture, files, *crm, 90s, {SIGKILL});
  BOOST_REQUIRE_MESSAGE(run.drained, "the queue was not empty after 90 s");
  BOOST_TEST_MESSAGE("  poison: " << kEvents << " events, the host died " << run.deaths
                                  << " times, " << run.starts << " starts, drained after "
                                  << seconds_since(started) << " s");

  // The poison event, and only it, is quarantined after 3 attempts.
  BOOST_TEST(run.deaths == 3);
  BOOST_TEST(pending_events(*crm) == 0);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine") == 1);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine WHERE id = " +
                                   std::to_string(poison_event) + " AND record_id = '" + poison +
                                   "' AND attempts = 3") == 1);
  // Every other event is done, its task exists once; the poison lead has none.
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND "
                         "parent_type = 'Leads' AND parent_id LIKE '" +
                             kPrefix + "%'") == kEvents - 1);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM (SELECT parent_id FROM tasks WHERE name = "
                         "'Follow-up' AND parent_id LIKE '" +
                             kPrefix + "%' GROUP BY parent_id HAVING COUNT(*) <> 1) x") == 0);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM tasks WHERE parent_id = '" + poison + "'") ==
             0);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE outcome "
                         "= 'done' AND record_id LIKE '" +
                             kPrefix + "%'") == kEvents - 1);

  // The admin sees it...
  const auto list = run_command(files.config_file(), fixture.settings(), files.log("cli"),
                                {"quarantine", "list"});
  BOOST_TEST(list.exit_code == 0);
  BOOST_TEST(list.output.find(std::to_string(poison_event)) != std::string::npos, list.output);
  BOOST_TEST(list.output.find(poison) != std::string::npos, list.output);

  // ... and puts it back into the queue.
  const auto replay = run_command(files.config_file(), fixture.settings(), files.log("cli"),
                                  {"quarantine", "replay", std::to_string(poison_event)});
  BOOST_TEST(replay.exit_code == 0, replay.output);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine") == 0);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event WHERE id = " +
                                   std::to_string(poison_event) + " AND attempts = 0") == 1);

  // Still poison: with a host supervised again, it goes back to quarantine after 3 attempts.
  const Supervised again = supervise(fixture, files, *crm, 60s, {SIGKILL});
  BOOST_TEST(again.drained);
  BOOST_TEST(again.deaths == 3);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine WHERE id = " +
                                   std::to_string(poison_event) + " AND attempts = 3") == 1);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM tasks WHERE parent_id = '" + poison + "'") ==
             0);
  BOOST_TEST_MESSAGE("  poison: replayed event " << poison_event << " quarantined again after "
                                                 << again.deaths << " more deaths");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
