// Case 6 of issue 8: the SMTP server and the HTTP service a workflow talks to misbehave — down
// (nothing listens, then it comes up), slow (answers after the action's timeout), reset (RST in
// the middle of the dialogue) or garbage (answers what is not SMTP or HTTP) — for their first
// connections, then recover. Real peers on loopback: tests/scripts/smtp_sink.py and
// http_peer.py, behind tests/scripts/bad_peer.py for the first three behaviours.
//
// A few dozen qualifying saves each create a task (database) and queue a send_email and a
// call_remote_api job (external). After the peers recover: every job done, each message and
// request delivered at least once (distinct Message-ID / Idempotency-Key), every duplicate
// explained, nothing stuck, the host never crashed, and each failed attempt's log line names
// the peer and the job.

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "fault_support.hpp"
#include "free_port.hpp"
#include "peer_process.hpp"

namespace crmflow::faults {
namespace {

enum class Behaviour { down, slow, reset, garbage };

const char* name(Behaviour b) {
  switch (b) {
    case Behaviour::down: return "down";
    case Behaviour::slow: return "slow";
    case Behaviour::reset: return "reset";
    case Behaviour::garbage: return "garbage";
  }
  return "?";
}

constexpr int kBadConnections = 3;      // per peer, then it behaves
constexpr int kClientTimeoutMs = 3000;  // both actions' timeout
constexpr double kSlowSeconds = 5;      // a slow peer's answer comes after the timeout

const std::filesystem::path kScripts = std::filesystem::path(CRMFLOW_SOURCE_DIR) / "tests/scripts";

// The real peers: the SMTP sink and the HTTP service, each on its own port.
struct RealPeers {
  RealPeers(const std::filesystem::path& dir, int smtp_port, int http_port)
      : smtp({"/usr/bin/python3", (kScripts / "smtp_sink.py").string(), "--port",
              std::to_string(smtp_port), "--dir", (dir / "mail").string()},
             dir / "mail" / "ready", 30s),
        http({"/usr/bin/python3", (kScripts / "http_peer.py").string(), "--port",
              std::to_string(http_port), "--log", (dir / "requests.jsonl").string(), "--port-file",
              (dir / "http-port").string(), "--plan", "201"},
             dir / "http-port", 30s) {}
  testing::PeerProcess smtp;
  testing::PeerProcess http;
};

// bad_peer.py in front of `upstream`; its port.
struct BadPeer {
  BadPeer(const std::filesystem::path& dir, const std::string& tag, Behaviour b, int upstream,
          const std::string& marker)
      : process({"/usr/bin/python3", (kScripts / "bad_peer.py").string(), "--port-file",
                 (dir / (tag + "-port")).string(), "--upstream", std::to_string(upstream), "--mode",
                 name(b), "--count", std::to_string(kBadConnections), "--marker", marker, "--delay",
                 std::to_string(kSlowSeconds), "--log", (dir / (tag + "-bad.log")).string()},
                dir / (tag + "-port"), 30s),
        port(std::stoi(process.ready_text())) {}
  testing::PeerProcess process;
  int port;
};

// Deliveries as the receivers saw them: how many copies of each key.
std::map<std::string, int> messages_received(const std::filesystem::path& mail_dir) {
  std::map<std::string, int> copies;
  if (!std::filesystem::exists(mail_dir)) return copies;
  for (const auto& entry : std::filesystem::directory_iterator(mail_dir)) {
    if (entry.path().extension() != ".json") continue;
    const Json message = Json::parse(read_text(entry.path()));
    ++copies[message["headers"].value("Message-ID", std::string("(none)"))];
  }
  return copies;
}

std::map<std::string, int> requests_received(const std::filesystem::path& log) {
  std::map<std::string, int> copies;
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::string key = "(none)";
    const Json request = Json::parse(line);
    for (const auto& header : request.at("headers")) {
      if (header[0] == "Idempotency-Key") key = header[1].get<std::string>();
    }
    ++copies[key];
  }
  return copies;
}

long long copies_of(const std::map<std::string, int>& copies) {
  long long n = 0;
  for (const auto& [key, count] : copies) n += count;
  return n;
}

void run_case(Behaviour behaviour) {
  const int leads = soak_or(24, 240);
  const std::string prefix = std::string("pr") + name(behaviour)[0];
  testing::DbFixture fixture;
  const int smtp_port = testing::free_port();
  const int http_port = testing::free_port();

  // Behind a bad peer, or (down) directly at the real ones that are not started yet. The
  // peers' files go to a temporary directory of their own (its config is not used).
  HostFiles::Options options;
  HostFiles peer_files(std::string("peers_") + name(behaviour), options);
  const std::filesystem::path dir = peer_files.dir();
  std::filesystem::create_directories(dir / "mail");
  std::unique_ptr<RealPeers> peers;
  std::unique_ptr<BadPeer> smtp_front;
  std::unique_ptr<BadPeer> http_front;
  int host_smtp_port = smtp_port;
  int host_http_port = http_port;
  if (behaviour != Behaviour::down) {
    peers = std::make_unique<RealPeers>(dir, smtp_port, http_port);
    // Where in the dialogue it goes wrong: SMTP resets before DATA and is slow to confirm the
    // message's end (the sink has it already); garbage comes instead of the greeting. HTTP goes
    // wrong once the request's head is sent.
    const std::string smtp_marker = behaviour == Behaviour::reset  ? "DATA\\r\\n"
                                    : behaviour == Behaviour::slow ? "\\r\\n.\\r\\n"
                                                                   : "";
    smtp_front = std::make_unique<BadPeer>(dir, "smtp", behaviour, smtp_port, smtp_marker);
    http_front = std::make_unique<BadPeer>(dir, "http", behaviour, http_port, "\\r\\n\\r\\n");
    host_smtp_port = smtp_front->port;
    host_http_port = http_front->port;
  }

  Json config_plugins = Json::object();
  for (const auto& plugin : options.plugins) config_plugins[plugin] = {{"enabled", true}};
  config_plugins["send_email"] = {
      {"enabled", true},
      {"settings",
       {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(host_smtp_port)},
        {"from", "crm@example.com"},
        {"starttls", "off"},
        {"timeout_seconds", kClientTimeoutMs / 1000},
        {"connect_timeout_seconds", 1}}}};
  config_plugins["call_remote_api"] = {{"enabled", true},
                                       {"settings", {{"allowed_hosts", {"127.0.0.1"}}}}};
  // Recreate the config with the peers' settings and jobs retried quickly.
  HostFiles::Options with_peers;
  with_peers.extra = {{"plugins", config_plugins},
                      {"jobs",
                       {{"batch_size", 10},
                        {"lease_seconds", 30},
                        {"max_attempts", 20},
                        {"backoff_cap_seconds", 1}}}};
  HostFiles host_files(std::string("peers_") + name(behaviour) + "_host", with_peers);
  Json workflow = follow_up_workflow("peers");
  workflow["actions"].push_back({{"plugin", "send_email"},
                                 {"params",
                                  {{"to", {"lead-{{record.id}}@example.com"}},
                                   {"subject", "Qualified: {{record.last_name}}"},
                                   {"text", "Lead {{record.id}} is qualified."},
                                   {"record_email", false}}}});
  workflow["actions"].push_back(
      {{"plugin", "call_remote_api"},
       {"params",
        {{"method", "POST"},
         {"url", "http://127.0.0.1:" + std::to_string(host_http_port) + "/leads"},
         {"body", {{"lead", "{{record.id}}"}}},
         {"connect_timeout_ms", 1000},
         {"timeout_ms", kClientTimeoutMs}}}});
  host_files.add_workflow(workflow);
  DumpLogsOnFailure dump({host_files.log()});

  const auto crm = fixture.connect_again();
  insert_leads(*crm, prefix, leads);
  install_capture(host_files.config_file(), fixture.settings(), host_files.log());
  qualify_leads(*crm, prefix, leads);

  const auto started = Clock::now();
  HostProcess host(host_files.config_file(), fixture.settings(), host_files.log());
  if (behaviour == Behaviour::down) {
    // Nothing listens: the first attempts fail to connect; then the peers come up.
    const bool failing = wait_until(
        [&] {
          const std::string out = host.output();
          return count_occurrences(out, "(send_email of workflow peers") >= kBadConnections &&
                 count_occurrences(out, "(call_remote_api of workflow peers") >= kBadConnections;
        },
        60s, 100ms);
    BOOST_TEST(failing, "the host did not try the peers that are down");
    peers = std::make_unique<RealPeers>(dir, smtp_port, http_port);
  }

  const bool drained =
      wait_until([&] { return stuck_work(*crm) == 0 || !host.running(); }, 90s, 200ms);
  const double seconds = seconds_since(started);
  BOOST_TEST(host.running(), "the host died: " << host.describe_status());
  BOOST_TEST(drained, "events or jobs still pending after 90 s");
  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());

  const auto jobs_in = [&](const std::string& plugin, const std::string& state) {
    return query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE plugin = '" + plugin +
                                 "' AND state = '" + state + "' AND record_id LIKE '" + prefix +
                                 "%'");
  };
  const auto messages = messages_received(dir / "mail");
  const auto requests = requests_received(dir / "requests.jsonl");
  const std::string log = host.output();

  // Nothing here fails for good: every failure, a garbage answer included, is retried.
  BOOST_TEST(jobs_in("call_remote_api", "dead") == 0);
  BOOST_TEST(jobs_in("send_email", "dead") == 0);
  BOOST_TEST(jobs_in("send_email", "done") == leads);
  BOOST_TEST(jobs_in("call_remote_api", "done") == leads);

  // Each failed attempt is logged naming the job (its id, plugin, workflow and record) and the
  // peer (the SMTP URL; the method and host of the request).
  const long long failed_attempts = query_count(
      *crm,
      "SELECT COUNT(*) FROM crmflow_run WHERE outcome <> 'done' AND job_id IS NOT NULL AND "
      "record_id LIKE '" +
          prefix + "%'");
  size_t smtp_errors = 0;
  size_t smtp_named = 0;
  size_t http_errors = 0;
  size_t http_named = 0;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("), attempt ") == std::string::npos) continue;
    if (line.find("(send_email of workflow peers for Leads " + prefix) != std::string::npos) {
      ++smtp_errors;
      if (line.find("SMTP smtp://127.0.0.1:" + std::to_string(host_smtp_port)) !=
          std::string::npos) {
        ++smtp_named;
      }
    }
    if (line.find("(call_remote_api of workflow peers for Leads " + prefix) != std::string::npos) {
      ++http_errors;
      if (line.find(": POST to 127.0.0.1: ") != std::string::npos) ++http_named;
    }
  }
  BOOST_TEST(smtp_errors >= static_cast<size_t>(kBadConnections));
  BOOST_TEST(http_errors >= static_cast<size_t>(kBadConnections));
  BOOST_TEST(smtp_named == smtp_errors, "a send_email error does not name the SMTP server");
  BOOST_TEST(http_named == http_errors, "a call_remote_api error does not name the service");

  for (const bool smtp : {true, false}) {
    Oracle o = tally_follow_ups(
        *crm, std::string("peer ") + (smtp ? "smtp " : "http ") + name(behaviour), prefix, leads);
    const auto& copies = smtp ? messages : requests;
    o.external = true;
    o.external_expected = leads;
    o.external_delivered = static_cast<long long>(copies.size());
    o.external_copies = copies_of(copies);
    o.expected_duplicates = behaviour == Behaviour::slow ? kBadConnections : 0;
    o.duplicates_explained =
        smtp ? "the slow server confirmed the message's end only after the client's " +
                   std::to_string(kClientTimeoutMs) +
                   " ms timeout; the retry sent it again, same Message-ID"
             : "the slow service answered only after the client's " +
                   std::to_string(kClientTimeoutMs) +
                   " ms timeout; the retry sent the request again, same Idempotency-Key";
    o.report();
    o.check();
    // Each slow answer was to a delivered message or request: one duplicate each.
    if (behaviour == Behaviour::slow) BOOST_TEST(o.external_duplicates() == kBadConnections);
  }
  BOOST_TEST_MESSAGE("  peers " << name(behaviour) << ": " << leads << " leads, " << 2 * leads
                                << " jobs, " << failed_attempts << " failed attempts ("
                                << smtp_errors << " send_email, " << http_errors
                                << " call_remote_api), drained after " << seconds << " s");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(peers)

BOOST_AUTO_TEST_CASE(peers_down_then_up) {
  run_case(Behaviour::down);
}
BOOST_AUTO_TEST_CASE(peers_slow) {
  run_case(Behaviour::slow);
}
BOOST_AUTO_TEST_CASE(peers_reset_the_connection) {
  run_case(Behaviour::reset);
}
BOOST_AUTO_TEST_CASE(peers_answer_garbage) {
  run_case(Behaviour::garbage);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
