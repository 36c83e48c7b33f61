// Test 2: crash safety. A host dies at each failpoint (SIGKILL, as kill -9 would) or is killed at
// random moments; a restarted host finishes the work; every event's effect exists exactly once.
#include <csignal>
#include <map>
#include <random>

#include "fault_support.hpp"
#include "scenario_host.hpp"

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
    install_capture(files.config_file(), fixture.settings(), files.log());
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

// kill -9 ten times during 20,000 events (CRMFLOW_SOAK=1: fifty during 100,000), a host
// restarted after each: odd kills at a failpoint (one of the three, at a random hit), even ones
// at a random moment of its work. Each kill must hit a host at work: before a start the queue is
// topped up (new leads that are 'Qualified' from the start) when fewer than 2,000 events wait —
// more than a host handles in 800 ms.
BOOST_AUTO_TEST_CASE(ten_kills_during_20000_events) {
  const int events = soak_or(20000, 100000);
  const int planned_kills = soak_or(10, 50);
  constexpr long long kLowWater = 2000;
  const std::string kTopUp = "flr";  // shares "fl" with kPrefix: the oracle counts both
  const std::vector<std::pair<std::string, int>> failpoints{
      {"after_effects_before_commit", 8}, {"after_commit_before_claim", 8}, {"mid_batch", 200}};
  Workload work("crash-ten", events);
  DumpLogsOnFailure dump({work.files.log()});
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> delay_ms(100, 800);
  BOOST_TEST_MESSAGE("  ten kills: seed " << seed);
  const auto started = Clock::now();
  int kills = 0, at_failpoints = 0, topped_up = 0;
  for (int k = 1; k <= planned_kills; ++k) {
    if (const long long pending = pending_events(*work.crm); pending < kLowWater) {
      const int more = static_cast<int>(kLowWater - pending);
      insert_leads(*work.crm, kTopUp, more, "Qualified", topped_up + 1);
      topped_up += more;
    }
    std::string how;
    if (k % 2 == 1) {
      const auto& [point, most] = failpoints[(k / 2) % failpoints.size()];
      const std::string failpoint =
          point + ":" + std::to_string(std::uniform_int_distribution<int>(1, most)(random));
      const auto doomed = work.start(failpoint);
      BOOST_REQUIRE_MESSAGE(doomed->wait(60s).has_value(),
                            "the failpoint " << failpoint << " never hit");
      BOOST_REQUIRE_MESSAGE(doomed->killed_by(SIGKILL),
                            "crmflow ended with " << doomed->describe_status());
      how = "at " + failpoint;
      ++at_failpoints;
    } else {
      // The delay counts from the moment the host claims events, so the kill lands mid-work
      // rather than during its start.
      const auto host = work.start();
      BOOST_REQUIRE(host->wait_for_log("handling events as", 30s));
      const int delay = delay_ms(random);
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      BOOST_REQUIRE_MESSAGE(host->running(), "crmflow died by itself: " << host->describe_status());
      host->kill9();
      how = std::to_string(delay) + " ms into its work";
    }
    ++kills;
    const long long pending = pending_events(*work.crm);
    BOOST_TEST(pending > 0, "kill " << kills << " came after the work was done");
    BOOST_TEST_MESSAGE("  kill " << kills << " " << how << ": " << pending << " events pending");
  }
  const auto host = work.start();
  BOOST_REQUIRE(wait_for_empty_queue(*work.crm, 180s));
  host->terminate();
  BOOST_TEST(host->wait(15s).has_value());
  BOOST_TEST(host->exited_cleanly(), "crmflow ended with " << host->describe_status());
  check_exactly_once(*work.crm, kPrefix, events, "follow-up");
  check_exactly_once(*work.crm, kTopUp, topped_up, "follow-up");
  Oracle oracle =
      tally_follow_ups(*work.crm, "kill -9 x" + std::to_string(kills), "fl", events + topped_up);
  oracle.report();
  oracle.check();
  BOOST_TEST_MESSAGE("  ten kills: " << events + topped_up << " events (" << topped_up
                                     << " topped up), " << kills << " kills (" << at_failpoints
                                     << " at failpoints); all handled once after "
                                     << seconds_since(started) << " s");
}

// The window that at-least-once leaves: a host killed after the SMTP server accepted a job's
// mail and before the job's finish committed (the failpoint job_before_commit). The job's lease
// runs out, another start sends the mail again — with the same Message-ID, so the receiver can
// tell. Each such kill explains exactly one duplicate; every mail arrives at least once, and the
// events' database effects (a task each) still exist once.
BOOST_AUTO_TEST_CASE(a_kill_between_send_and_commit_sends_again_with_the_same_message_id) {
  const int events = soak_or(60, 600);
  const int planned_kills = soak_or(3, 15);
  scenarios::SmtpSink sink;
  HostFiles::Options options;
  options.plugins.push_back("send_email");
  options.extra["jobs"] = {{"lease_seconds", 2}, {"backoff_cap_seconds", 1}};
  options.extra["plugins"]["send_email"]["settings"] = {{"smtp_url", sink.url()},
                                                        {"from", "crm@demo.example"},
                                                        {"starttls", "off"},
                                                        {"timeout_seconds", 5}};
  testing::DbFixture fixture;
  HostFiles files("crash-mail", options);
  Json workflow = follow_up_workflow("follow-up-mail");
  workflow["actions"].push_back(
      {{"plugin", "send_email"},
       {"params",
        {{"to", {"sales@demo.example"}},
         {"subject", "Qualified: {{record.id}}"},
         {"text", "Lead {{record.first_name}} {{record.last_name}} is qualified."}}}});
  files.add_workflow(workflow);
  DumpLogsOnFailure dump({files.log()});

  const auto crm = fixture.connect_again();
  insert_leads(*crm, kPrefix, events);
  install_capture(files.config_file(), fixture.settings(), files.log());
  qualify_leads(*crm, kPrefix, events);

  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  const auto started = Clock::now();
  int kills = 0;
  for (int k = 1; k <= planned_kills; ++k) {
    const std::string failpoint =
        "job_before_commit:" + std::to_string(std::uniform_int_distribution<int>(1, 8)(random));
    HostProcess doomed(files.config_file(), fixture.settings(), files.log(), failpoint);
    BOOST_REQUIRE_MESSAGE(doomed.wait(60s).has_value(),
                          "the failpoint " << failpoint << " never hit");
    BOOST_REQUIRE_MESSAGE(doomed.killed_by(SIGKILL),
                          "crmflow ended with " << doomed.describe_status());
    ++kills;
    BOOST_TEST_MESSAGE("  kill " << kills << " at " << failpoint << " (seed " << seed
                                 << "): " << sink.messages().size() << " mails received");
  }
  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE(wait_until([&] { return stuck_work(*crm) == 0; }, 120s, 100ms));
  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());

  // Each mail by Message-ID: how often it came, and that it names the job's key.
  std::map<std::string, int> copies;
  for (const Json& message : sink.messages()) {
    ++copies[message.at("headers").value("Message-ID", std::string("(none)"))];
  }
  long long keyed = 0;
  soci::rowset<std::string> keys =
      crm->prepare << "SELECT idempotency_key FROM crmflow_job WHERE plugin = 'send_email' AND "
                      "state = 'done'";
  for (const std::string& key : keys) keyed += copies.contains("<" + key + "@crmflow>") ? 1 : 0;

  Oracle oracle = tally_follow_ups(*crm, "kill -9 between send and commit", kPrefix, events);
  oracle.external = true;
  oracle.external_expected = events;
  oracle.external_delivered = keyed;
  oracle.external_copies = static_cast<long long>(sink.messages().size());
  oracle.expected_duplicates = kills;
  oracle.duplicates_explained = std::to_string(kills) +
                                " kill(s) after the server accepted a mail and before its job's "
                                "finish committed; each mail sent again with its Message-ID";
  oracle.report();
  oracle.check();
  BOOST_TEST(copies.size() == static_cast<size_t>(events), "distinct Message-IDs");
  BOOST_TEST(oracle.external_duplicates() == kills,
             "one duplicate per kill in the window, no other");
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_job WHERE plugin = 'send_email' AND "
                         "state = 'done'") == events);
  BOOST_TEST_MESSAGE("  send/commit window: " << events << " mails, " << kills << " kills, "
                                              << oracle.external_copies << " received after "
                                              << seconds_since(started) << " s");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
