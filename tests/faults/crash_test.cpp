// Test 2: crash safety. A host dies at each failpoint (SIGKILL, as kill -9 would) or is killed at
// random moments; a restarted host finishes the work; every event's effect exists exactly once.
#include <csignal>
#include <random>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "flt";

struct Workload {
  testing::DbFixture fixture;
  HostFiles files;
  std::unique_ptr<soci::session> crm;

  // `events` leads, the capture triggers installed with `crmflow capture install`, then one
  // qualifying save per lead: the whole workload waits in crmflow_event.
  Workload(const std::string& name, int events) : files(name) {
    files.add_workflow(follow_up_workflow("follow-up"));
    crm = fixture.connect_again();
    insert_leads(*crm, kPrefix, events);
    const auto install =
        run_command(files.config_file(), fixture.settings(), files.log(), {"capture", "install"});
    BOOST_REQUIRE_MESSAGE(install.exit_code == 0, "capture install failed (exit "
                                                      << install.exit_code << "):\n"
                                                      << install.output);
    qualify_leads(*crm, kPrefix, events);
    BOOST_REQUIRE_EQUAL(pending_events(*crm), events);
  }

  std::unique_ptr<HostProcess> start(const std::string& failpoint = {}) {
    return std::make_unique<HostProcess>(files.config_file(), fixture.settings(), files.log(),
                                         failpoint);
  }
};

void die_at(const std::string& point, int events) {
  Workload work("crash-" + point, events);
  DumpLogsOnFailure dump({work.files.log()});
  const auto started = Clock::now();
  {
    const auto doomed = work.start(point + ":3");
    BOOST_REQUIRE_MESSAGE(doomed->wait(60s).has_value(), "the failpoint " << point << " never hit");
    BOOST_TEST(doomed->killed_by(SIGKILL), "crmflow ended with " << doomed->describe_status());
    BOOST_TEST(doomed->output().find("failpoint " + point + " reached") != std::string::npos);
  }
  const long long left = pending_events(*work.crm);
  const long long done_before = query_count(*work.crm, "SELECT COUNT(*) FROM crmflow_run");
  const auto host = work.start();
  BOOST_REQUIRE(wait_for_empty_queue(*work.crm, 60s));
  host->terminate();
  BOOST_TEST(host->wait(15s).has_value());
  BOOST_TEST(host->exited_cleanly(), "crmflow ended with " << host->describe_status());
  check_exactly_once(*work.crm, kPrefix, events, "follow-up");
  BOOST_TEST_MESSAGE("  " << point << ":3: " << events << " events, killed with " << left
                          << " pending (" << done_before << " handled), all handled once after "
                          << seconds_since(started) << " s");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crash)

BOOST_AUTO_TEST_CASE(after_effects_before_commit) {
  die_at("after_effects_before_commit", 600);
}

BOOST_AUTO_TEST_CASE(after_commit_before_claim) {
  die_at("after_commit_before_claim", 600);
}

BOOST_AUTO_TEST_CASE(mid_batch) {
  die_at("mid_batch", 600);
}

// kill -9 at random moments: at least 5 kills over 5,000 events, a host restarted after each.
// Each kill must hit a host at work: before a start the queue is topped up (new leads that are
// 'Qualified' from the start) so at least 2,000 events wait — more than a host handles in 800 ms.
BOOST_AUTO_TEST_CASE(random_kills) {
  constexpr int kEvents = 5000;
  constexpr int kKills = 5;
  constexpr long long kLowWater = 2000;
  const std::string kTopUp = "flr";
  Workload work("crash-random", kEvents);
  DumpLogsOnFailure dump({work.files.log()});
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(100, 800);
  BOOST_TEST_MESSAGE("  random kills: seed " << seed);
  const auto started = Clock::now();
  int kills = 0, kills_at_work = 0, topped_up = 0;
  while (kills_at_work < kKills && Clock::now() - started < 90s) {
    if (const long long pending = pending_events(*work.crm); pending < kLowWater) {
      const int more = static_cast<int>(kLowWater - pending);
      insert_leads(*work.crm, kTopUp, more, "Qualified", topped_up + 1);
      topped_up += more;
    }
    const auto host = work.start();
    const int delay = delay_ms(random);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    BOOST_REQUIRE_MESSAGE(host->running(), "crmflow died by itself: " << host->describe_status());
    host->kill9();
    ++kills;
    const long long pending = pending_events(*work.crm);
    if (pending > 0) ++kills_at_work;
    BOOST_TEST_MESSAGE("  kill " << kills << " after " << delay << " ms: " << pending
                                 << " events pending");
  }
  BOOST_TEST(kills_at_work >= kKills);
  const auto host = work.start();
  BOOST_REQUIRE(wait_for_empty_queue(*work.crm, 90s));
  host->terminate();
  BOOST_TEST(host->wait(15s).has_value());
  check_exactly_once(*work.crm, kPrefix, kEvents, "follow-up");
  check_exactly_once(*work.crm, kTopUp, topped_up, "follow-up");
  BOOST_TEST_MESSAGE("  random kills: " << kEvents + topped_up << " events (" << topped_up
                                        << " topped up), " << kills << " kills, " << kills_at_work
                                        << " with events pending; all handled once after "
                                        << seconds_since(started) << " s");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
