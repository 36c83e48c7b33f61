// Test 6: the database server restarts while the host works. On its OWN private MariaDB
// (scripts/mariadb.sh with a temporary directory and a free port) — never the shared server the
// other tests use. The host must reconnect ("reconnected" in its log) and handle every event
// exactly once, those captured before, during and after the restart.

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "fault_support.hpp"
#include "free_port.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "rst";
constexpr int kBefore = 3000;
constexpr int kAfter = 1000;

// A private MariaDB run by scripts/mariadb.sh; stopped and deleted when destroyed.
class PrivateServer {
 public:
  PrivateServer()
      : dir_(std::filesystem::temp_directory_path() /
             ("crmflow-faults-db-" + std::to_string(::getpid()))),
        port_(static_cast<unsigned>(testing::free_port())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    script("start");
  }

  ~PrivateServer() {
    try {
      script("stop");
    } catch (const std::exception& e) {
      std::cout << "private MariaDB: " << e.what() << '\n' << tail(log(), 40);
    }
    testing::remove_test_dir(dir_);
  }

  PrivateServer(const PrivateServer&) = delete;
  PrivateServer& operator=(const PrivateServer&) = delete;

  // scripts/mariadb.sh <command> for this server (its own bounded waits: 60 s).
  void script(const std::string& command) const {
    const std::string line =
        "env CRMFLOW_DB_DIR='" + (dir_ / "server").string() +
        "' CRMFLOW_DB_PORT=" + std::to_string(port_) +
        " CRMFLOW_DB_NAME=crm CRMFLOW_DB_USER=crmflow CRMFLOW_DB_PASSWORD=crmflow '" +
        (testing::source_dir() / "scripts/mariadb.sh").string() + "' " + command + " >>'" +
        log().string() + "' 2>&1";
    const int status = std::system(line.c_str());
    if (status != 0) {
      throw std::runtime_error("scripts/mariadb.sh " + command + " failed (status " +
                               std::to_string(status) + "):\n" + tail(log(), 30));
    }
  }

  // The settings scripts/mariadb.sh env would export.
  DatabaseSettings settings() const {
    DatabaseSettings s;
    s.host = "127.0.0.1";
    s.port = port_;
    s.socket = (dir_ / "server/mysqld.sock").string();
    s.name = "crm";
    s.user = "crmflow";
    s.password = "crmflow";
    return s;
  }

  std::filesystem::path log() const { return dir_ / "mariadb.sh.log"; }
  unsigned port() const { return port_; }

  // SIGKILL to mariadbd (its pid from the pid file scripts/mariadb.sh gives it), no shutdown:
  // a crash, recovered from the redo log at the next start. Returns once the process is gone
  // (or a zombie: setsid made it nobody's child here); throws after 30 s.
  pid_t kill9() const {
    const std::string text = read_text(dir_ / "server/mysqld.pid");
    const pid_t pid = static_cast<pid_t>(std::atol(text.c_str()));
    if (pid <= 0) throw std::runtime_error("no pid in " + (dir_ / "server/mysqld.pid").string());
    if (::kill(pid, SIGKILL) != 0) {
      throw std::runtime_error("kill -9 " + std::to_string(pid) + ": " + std::strerror(errno));
    }
    const auto gone = [pid] {
      const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
      const auto state = stat.rfind(") ");
      return stat.empty() || (state != std::string::npos && stat[state + 2] == 'Z');
    };
    if (!wait_until(gone, 30s, 20ms)) {
      throw std::runtime_error("mariadbd pid " + std::to_string(pid) + " survived SIGKILL");
    }
    return pid;
  }

 private:
  std::filesystem::path dir_;
  unsigned port_;
};

// Points CRMFLOW_DB_* at a server while it lives (the fixture reads them once, when built).
class ScopedDbEnv {
 public:
  explicit ScopedDbEnv(const DatabaseSettings& s) {
    set("CRMFLOW_DB_HOST", s.host);
    set("CRMFLOW_DB_PORT", std::to_string(s.port));
    set("CRMFLOW_DB_SOCKET", s.socket);
    set("CRMFLOW_DB_NAME", s.name);
    set("CRMFLOW_DB_USER", s.user);
    set("CRMFLOW_DB_PASSWORD", s.password);
  }
  ~ScopedDbEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedDbEnv(const ScopedDbEnv&) = delete;
  ScopedDbEnv& operator=(const ScopedDbEnv&) = delete;

 private:
  void set(const std::string& name, const std::string& value) {
    const char* old = std::getenv(name.c_str());
    saved_.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

std::unique_ptr<testing::DbFixture> fixture_on(const PrivateServer& server) {
  ScopedDbEnv env(server.settings());
  return std::make_unique<testing::DbFixture>();
}

// Qualifies the leads <prefix>first ... <prefix>last, 250 a statement (one event each).
void qualify_range(soci::session& db, const std::string& prefix, int first, int last) {
  for (int from = first; from <= last; from += 250) {
    const int to = std::min(last, from + 249);
    db << "UPDATE leads SET status = 'Qualified', modified_user_id = '" + kThomas +
              "', date_modified = UTC_TIMESTAMP() WHERE id BETWEEN '" + lead_id(prefix, from) +
              "' AND '" + lead_id(prefix, to) + "'";
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(db_restart)

BOOST_AUTO_TEST_CASE(host_reconnects_and_handles_everything_once) {
  const auto setup_started = Clock::now();
  PrivateServer server;  // destroyed last: stops the server whatever happens
  const auto fixture = fixture_on(server);
  BOOST_TEST_MESSAGE("  db restart: private MariaDB on port "
                     << server.port() << " ready after " << seconds_since(setup_started) << " s");
  HostFiles files("db-restart");
  files.add_workflow(follow_up_workflow("follow-up"));
  DumpLogsOnFailure dump({files.log(), server.log()});

  auto crm = fixture->connect_again();
  insert_leads(*crm, kPrefix, kBefore + kAfter);
  install_capture(files.config_file(), fixture->settings(), files.log());
  qualify_leads(*crm, kPrefix, kBefore);

  HostProcess host(files.config_file(), fixture->settings(), files.log());
  // Restart the server while the host is in the middle of the work.
  BOOST_REQUIRE(wait_until([&] { return pending_events(*crm) < kBefore - 200; }, 30s, 20ms));
  const long long pending_at_stop = pending_events(*crm);
  crm.reset();
  const auto stop_started = Clock::now();
  server.script("stop");
  const double stop_seconds = seconds_since(stop_started);
  BOOST_TEST(host.running());
  server.script("start");
  const double down_seconds = seconds_since(stop_started);

  crm = fixture->connect_again();
  BOOST_TEST_MESSAGE("  db restart: stopped with " << pending_at_stop << " events pending, "
                                                   << pending_events(*crm)
                                                   << " pending after the restart");
  // More saves after the restart.
  for (int first = kBefore + 1; first <= kBefore + kAfter; first += 250) {
    const int last = std::min(kBefore + kAfter, first + 249);
    *crm << "UPDATE leads SET status = 'Qualified', modified_user_id = '" + kThomas +
                "', date_modified = UTC_TIMESTAMP() WHERE id BETWEEN '" + lead_id(kPrefix, first) +
                "' AND '" + lead_id(kPrefix, last) + "'";
  }
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 60s));
  const double total_seconds = seconds_since(stop_started);
  BOOST_TEST(host.running(), "crmflow ended with " << host.describe_status());
  const std::string output = host.output();
  BOOST_TEST(output.find("reconnected") != std::string::npos);
  check_exactly_once(*crm, kPrefix, kBefore + kAfter, "follow-up");

  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());
  BOOST_TEST_MESSAGE("  db restart: server stop took "
                     << stop_seconds << " s, down for " << down_seconds << " s; host logged "
                     << count_occurrences(output, "reconnected") << " reconnect(s), "
                     << count_occurrences(output, "retrying in") << " failed connect attempt(s); "
                     << kBefore + kAfter << " events all handled once " << total_seconds
                     << " s after the stop");
}

// The server dies (SIGKILL, no shutdown, no flush beyond what each commit made durable) while
// the host is in the middle of the backlog, and comes back after crash recovery. Whatever the
// host had in flight (a claim, a batch, a commit whose answer never came) was rolled back or
// committed by the server, never half; the host must reconnect and handle everything once.
BOOST_AUTO_TEST_CASE(host_reconnects_after_the_server_is_killed_hard) {
  const std::string prefix = "rsk";
  const auto setup_started = Clock::now();
  PrivateServer server;  // destroyed last: stops the server whatever happens
  const auto fixture = fixture_on(server);
  BOOST_TEST_MESSAGE("  db kill: private MariaDB on port " << server.port() << " ready after "
                                                           << seconds_since(setup_started) << " s");
  HostFiles files("db-kill");
  files.add_workflow(follow_up_workflow("follow-up"));
  DumpLogsOnFailure dump({files.log(), server.log()});

  auto crm = fixture->connect_again();
  insert_leads(*crm, prefix, kBefore + kAfter);
  install_capture(files.config_file(), fixture->settings(), files.log());
  qualify_range(*crm, prefix, 1, kBefore);

  HostProcess host(files.config_file(), fixture->settings(), files.log());
  BOOST_REQUIRE(wait_until([&] { return pending_events(*crm) < kBefore - 200; }, 30s, 20ms));
  const long long pending_at_kill = pending_events(*crm);
  crm.reset();
  const auto killed = Clock::now();
  const pid_t pid = server.kill9();
  BOOST_TEST(host.running());
  server.script("start");
  const double down_seconds = seconds_since(killed);

  crm = fixture->connect_again();
  BOOST_TEST_MESSAGE("  db kill: mariadbd pid " << pid << " killed with " << pending_at_kill
                                                << " events pending, " << pending_events(*crm)
                                                << " pending after crash recovery");
  qualify_range(*crm, prefix, kBefore + 1, kBefore + kAfter);
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 90s));
  const double total_seconds = seconds_since(killed);
  BOOST_TEST(host.running(), "crmflow ended with " << host.describe_status());
  const std::string output = host.output();
  BOOST_TEST(output.find("reconnected") != std::string::npos);
  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());

  const Oracle oracle = tally_follow_ups(*crm, "mariadbd SIGKILL", prefix, kBefore + kAfter);
  oracle.report();
  BOOST_TEST_MESSAGE("  db kill: down for "
                     << down_seconds << " s (recovery included); host logged "
                     << count_occurrences(output, "reconnected") << " reconnect(s), "
                     << count_occurrences(output, "retrying in")
                     << " failed connect attempt(s); all handled " << total_seconds
                     << " s after the kill");
  oracle.check();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
