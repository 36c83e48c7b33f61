// Case 5 of issue 8: a plugin that segfaults on one record and one that hangs past its deadline
// on another. The host names the component and the record before it dies (the crash line of
// the fatal-signal report, the hang line of the watchdog, exit code 3); a supervisor restarts
// it; both events end in quarantine after max_attempts while every other event is handled once.
#include <csignal>

#include "crmflow/host/watchdog.hpp"
#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "pcr";
constexpr int kCrashLead = 77;
constexpr int kHangLead = 211;
constexpr unsigned kMaxAttempts = 3;

// The lines naming the call, one per attempt (watchdog.cpp writes them).
std::string crash_line(const std::string& record) {
  return "SIGSEGV in a plugin call: component 'segfault' (plugin " +
         (std::filesystem::path(CRMFLOW_TEST_PLUGIN_DIR) / "segfault.so").string() +
         ") on Leads record " + record;
}

std::string hang_line(const std::string& record) {
  return "plugin call hung: component 'hangs' (plugin " +
         (std::filesystem::path(CRMFLOW_TEST_PLUGIN_DIR) / "hang.so").string() +
         ") on Leads record " + record + " has run ";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(plugin_crash)

BOOST_AUTO_TEST_CASE(segfault_and_hang_are_named_and_quarantined) {
  const int events = soak_or(300, 3000);
  testing::DbFixture fixture;
  HostFiles::Options options;
  options.plugins.push_back("segfault");
  options.plugins.push_back("hang");
  options.engine["max_attempts"] = kMaxAttempts;
  // A short deadline and hang limit so the case stays short; the default limit is 30 s.
  options.extra = {{"call_deadline_ms", 500}, {"hang_limit_ms", 3000}};
  HostFiles files("plugin_crash", options);
  Json workflow = follow_up_workflow("crashing");
  workflow["conditions"]["all"].push_back(
      Json{{"plugin", "hangs"}, {"params", {{"field", "last_name"}, {"value", "hang"}}}});
  workflow["actions"].insert(
      workflow["actions"].begin(),
      Json{{"plugin", "segfault"}, {"params", {{"field", "last_name"}, {"value", "crash"}}}});
  files.add_workflow(workflow);
  DumpLogsOnFailure dump({files.log()});

  const auto crm = fixture.connect_again();
  insert_leads(*crm, kPrefix, events);
  const std::string crash = lead_id(kPrefix, kCrashLead);
  const std::string hang = lead_id(kPrefix, kHangLead);
  *crm << "UPDATE leads SET last_name = 'crash' WHERE id = '" + crash + "'";
  *crm << "UPDATE leads SET last_name = 'hang' WHERE id = '" + hang + "'";
  install_capture(files.config_file(), fixture.settings(), files.log());
  qualify_leads(*crm, kPrefix, events);
  BOOST_REQUIRE(pending_events(*crm) == events);

  const auto started = Clock::now();
  const Supervised run = supervise(fixture, files, *crm, 120s, {SIGSEGV}, {kExitPluginHung});
  BOOST_REQUIRE_MESSAGE(run.drained, "the queue was not empty after 120 s");
  std::string ends;
  for (const auto& end : run.ends) ends += (ends.empty() ? "" : ", ") + end;
  BOOST_TEST_MESSAGE("  plugin_crash: " << events << " events, the host died " << run.deaths
                                        << " times (" << ends << "), " << run.starts
                                        << " starts, drained after " << seconds_since(started)
                                        << " s");

  // Each poison event took the host down once per attempt: 3 crashes, 3 hangs.
  BOOST_TEST(run.deaths == 2 * static_cast<int>(kMaxAttempts));
  BOOST_TEST(std::ranges::count(run.ends, std::string("killed by ") + ::strsignal(SIGSEGV)) ==
             kMaxAttempts);
  BOOST_TEST(std::ranges::count(run.ends, "exit " + std::to_string(kExitPluginHung)) ==
             kMaxAttempts);

  // The operator's log names the component and the record of each death.
  const std::string log = read_text(files.log());
  BOOST_TEST(count_occurrences(log, crash_line(crash)) == kMaxAttempts);
  BOOST_TEST(count_occurrences(log, hang_line(hang)) == kMaxAttempts);
  BOOST_TEST(count_occurrences(log, "in a plugin call: component") == kMaxAttempts);
  BOOST_TEST(count_occurrences(log, "plugin call hung:") == kMaxAttempts);

  // Both are quarantined, each after max_attempts; neither has a task.
  BOOST_TEST(
      query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine WHERE record_id IN ('" +
                            crash + "', '" + hang +
                            "') AND attempts = " + std::to_string(kMaxAttempts)) == 2);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM tasks WHERE parent_id IN ('" + crash + "', '" +
                                   hang + "')") == 0);

  // Every other event is handled once.
  const Oracle oracle = tally_follow_ups(*crm, "plugin segfault + hang", kPrefix, events, 2);
  oracle.report();
  oracle.check();
  BOOST_TEST(oracle.handled == events - 2);
  BOOST_TEST(oracle.effects == events - 2);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
