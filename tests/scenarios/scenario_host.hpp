// The seed's scenarios end to end: the real `crmflow` binary against a fresh CRM database
// (the 1CRM demo or the SuiteCRM-shaped schema), with the shipped workflow files, a real SMTP
// server (tests/scripts/smtp_sink.py) and a real HTTP peer (tests/scripts/http_peer.py). The
// test changes the CRM with plain SQL, as the CRM would, and checks rows, emails and requests.
//
//   ScenarioDb db(one_crm());                         // crmflow_t_<pid>_<n>, dropped after
//   SmtpSink mail;                                    // smtp_sink.py on a free port
//   ScenarioOptions options{.flavour = one_crm(), .workflows = {"case-created-email.json"}};
//   options.use(mail);                                // send_email's smtp_url → the sink
//   ScenarioHost host(db, options);
//   host.start();                                     // `crmflow run`, capture installed
//   db.exec("INSERT INTO cases ...");
//   BOOST_REQUIRE(host.settle());                     // events handled, due jobs finished
//   host.restart(15 * kDay);                          // the same host config, clock moved on
//   host.command({"jobs", "--record", id});           // a CLI command's exit code and output
//
// Extensions (an extension pack and its workflows) come in through ScenarioOptions:
// `plugin_dirs` (more directories with .so files), `plugins` (more plugin entries or
// settings, merged over the defaults), `workflow_dirs` (every *.json of them installed too)
// and `config` (top-level host config merged last, e.g. {"packs": {...}}).
//
// Every wait is bounded. The hosts are killed with the test (PR_SET_PDEATHSIG) and by the
// destructor; a failing check prints the host's log through log_tail(). CRMFLOW_TEST_KEEP_DB=1
// keeps the database and the work directory for a look after a failure.
//
// Needs CRMFLOW_BINARY, CRMFLOW_PLUGIN_DIR, CRMFLOW_TEST_PLUGIN_DIR and CRMFLOW_SOURCE_DIR.
#pragma once

#include <soci/soci.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "db_fixture.hpp"
#include "free_port.hpp"
#include "host_process.hpp"
#include "peer_process.hpp"

namespace crmflow::scenarios {

using namespace std::chrono_literals;
using Json = nlohmann::json;
using faults::CommandResult;
using faults::wait_until;

inline constexpr long long kDay = 24 * 3600;

// Which CRM: its module map, where its shipped workflows are, its schema and the engine
// settings its saves need.
struct Flavour {
  std::string name;
  std::filesystem::path module_map;  // the shipped map
  std::filesystem::path workflows;   // the shipped workflow directory
  std::filesystem::path schema;      // loaded into the fresh database; empty: the 1CRM demo
  Json engine = Json::object();      // merged into the host config's "engine"
};

inline Flavour one_crm() {
  const auto source = testing::source_dir();
  return {"1crm", source / "config/crm/1crm.json", source / "config/workflows", {}, Json::object()};
}

// SuiteCRM writes one save as several statements (the _cstm row, the main row, relationship
// rows): the settle window makes them one event, as config/crmflow-suitecrm.json does.
inline Flavour suitecrm() {
  const auto source = testing::source_dir();
  return {"suitecrm", source / "config/crm/suitecrm.json", source / "config/workflows-suitecrm",
          source / "tests/fixtures/suitecrm-schema.sql", Json{{"settle_ms", 300}}};
}

inline testing::DbFixture::Options fixture_options(const Flavour& flavour) {
  testing::DbFixture::Options options;
  options.demo_data = flavour.schema.empty();
  options.module_map = flavour.module_map;
  return options;
}

// A fresh database of the flavour, with crmflow's store tables and the flavour's data.
class ScenarioDb : public testing::DbFixture {
 public:
  explicit ScenarioDb(const Flavour& flavour) : DbFixture(fixture_options(flavour)) {
    if (!flavour.schema.empty()) {
      testing::run_sql_file(db(), flavour.schema);
      if (const auto problems = reintrospect(); !problems.empty()) {
        throw std::runtime_error(problems.front());
      }
    }
  }

  void exec(const std::string& sql) { db() << sql; }

  long long count(const std::string& sql) {
    long long n = 0;
    db() << sql, soci::into(n);
    return n;
  }

  // The first column of the first row as text; "NULL" for NULL, "(no row)" for none.
  std::string value(const std::string& sql) {
    soci::rowset<soci::row> rows = db().prepare << sql;
    for (const soci::row& row : rows) {
      if (row.get_indicator(0) == soci::i_null) return "NULL";
      const soci::column_properties& column = row.get_properties(0);
      switch (column.get_data_type()) {
        case soci::dt_string: return row.get<std::string>(0);
        case soci::dt_integer: return std::to_string(row.get<int>(0));
        case soci::dt_long_long: return std::to_string(row.get<long long>(0));
        case soci::dt_unsigned_long_long: return std::to_string(row.get<unsigned long long>(0));
        case soci::dt_double: return std::to_string(row.get<double>(0));
        default: return "(a value of another type)";
      }
    }
    return "(no row)";
  }

  // Each row's columns joined by " | ", rows in the query's order: an exact expectation in one
  // comparison. Columns must be text (CAST them).
  std::vector<std::string> rows(const std::string& sql) {
    std::vector<std::string> out;
    soci::rowset<soci::row> result = db().prepare << sql;
    for (const soci::row& row : result) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += i == 0 ? "" : " | ";
        line += row.get_indicator(i) == soci::i_null ? "NULL" : row.get<std::string>(i);
      }
      out.push_back(std::move(line));
    }
    return out;
  }
};

// A temporary directory, removed when destroyed unless CRMFLOW_TEST_KEEP_DB=1.
class TempDir {
 public:
  explicit TempDir(const std::string& name) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("crmflow-scenarios-" + std::to_string(::getpid()) + "-" + name + "-" +
             std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { testing::remove_test_dir(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& file) {
  return faults::read_text(file);
}

// A decoded body part with LF line ends (Python keeps what the wire had, CRLF).
inline std::string lines(const Json& part) {
  std::string text = part.get<std::string>();
  for (size_t at = text.find("\r\n"); at != std::string::npos; at = text.find("\r\n", at)) {
    text.erase(at, 1);
  }
  return text;
}

// smtp_sink.py on a free loopback port: each accepted message as <n>.json, decoded by
// Python's email package (subject, text, envelope), independent of the sender's encoders.
class SmtpSink {
 public:
  SmtpSink()
      : dir_("smtp"),
        port_(testing::free_port()),
        process_(
            {"/usr/bin/python3", (testing::source_dir() / "tests/scripts/smtp_sink.py").string(),
             "--port", std::to_string(port_), "--dir", dir_.path().string()},
            dir_.path() / "ready") {}

  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

  // The messages accepted so far, in order.
  std::vector<Json> messages() const {
    std::vector<Json> out;
    for (int n = 1;; ++n) {
      const auto file = dir_.path() / (std::to_string(n) + ".json");
      if (!std::filesystem::exists(file)) return out;
      out.push_back(Json::parse(read_file(file)));
    }
  }

  // Waits up to `timeout` until at least `n` messages arrived; whether they did.
  bool wait_for(size_t n, std::chrono::milliseconds timeout = 20s) const {
    return wait_until([&] { return messages().size() >= n; }, timeout);
  }

 private:
  TempDir dir_;
  int port_;
  testing::PeerProcess process_;
};

// http_peer.py on a free loopback port, answering by `plan` (see the script).
class HttpPeer {
 public:
  explicit HttpPeer(const std::string& plan = "200", const std::string& body = "{}")
      : dir_("http"),
        process_(
            {"/usr/bin/python3", (testing::source_dir() / "tests/scripts/http_peer.py").string(),
             "--log", (dir_.path() / "requests.jsonl").string(), "--port-file",
             (dir_.path() / "port").string(), "--plan", plan, "--body", body},
            dir_.path() / "port"),
        port_(process_.ready_text()) {}

  std::string base_url() const { return "http://127.0.0.1:" + port_; }

  // The requests received so far, in order: {"method", "path", "headers", "body"}.
  std::vector<Json> requests() const {
    std::vector<Json> out;
    std::ifstream in(dir_.path() / "requests.jsonl");
    for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
    return out;
  }

  bool wait_for(size_t n, std::chrono::milliseconds timeout = 20s) const {
    return wait_until([&] { return requests().size() >= n; }, timeout);
  }

  // A request's header by name (case-insensitive), as the peer received it.
  static std::optional<std::string> header(const Json& request, const std::string& name) {
    const auto lower = [](std::string s) {
      std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
      return s;
    };
    for (const Json& pair : request.at("headers")) {
      if (lower(pair[0].get<std::string>()) == lower(name)) return pair[1].get<std::string>();
    }
    return std::nullopt;
  }

 private:
  TempDir dir_;
  testing::PeerProcess process_;
  std::string port_;
};

struct ScenarioOptions {
  Flavour flavour = one_crm();
  // Shipped workflow files of the flavour (file names in flavour.workflows) to install.
  std::vector<std::string> workflows;
  // Further directories whose every *.json is installed as a workflow (an extension's).
  std::vector<std::filesystem::path> workflow_dirs;
  // Text replaced in the installed workflow files, e.g. the ticket system's URL → the peer's.
  std::vector<std::pair<std::string, std::string>> replacements;
  // Plugin directories searched after the build's.
  std::vector<std::filesystem::path> plugin_dirs;
  // Merged over the default "plugins" (every plugin of the build enabled), e.g.
  // {"send_email": {"settings": {...}}} or an extension's own plugin.
  Json plugins = Json::object();
  // Merged into the host config last (top level), e.g. {"packs": {...}}.
  Json config = Json::object();
  // Environment variables the host gets (set in this process before a host starts).
  std::map<std::string, std::string> environment;

  // send_email goes to the sink.
  void use(const SmtpSink& sink) { plugins["send_email"]["settings"]["smtp_url"] = sink.url(); }
};

// The default plugin entries: every plugin the build makes, with settings for loopback peers.
inline Json default_plugins() {
  Json plugins = Json::object();
  for (const char* name :
       {"compare", "changes", "create_record", "update_record", "update_related",
        "schedule_meeting", "show_warning", "inactivity", "date_reached", "schedule"}) {
    plugins[name] = {{"enabled", true}};
  }
  plugins["call_remote_api"] = {{"enabled", true},
                                {"settings", {{"allowed_hosts", Json::array({"127.0.0.1"})}}}};
  // No sink: a port nothing listens on, so a stray email fails instead of going anywhere.
  plugins["send_email"] = {
      {"enabled", true},
      {"settings",
       {{"smtp_url", "smtp://127.0.0.1:" + std::to_string(testing::free_port())},
        {"from", "crm@demo.example"},
        {"from_name", "Demo CRM"},
        {"starttls", "off"},
        {"timeout_seconds", 10},
        {"connect_timeout_seconds", 2}}}};
  return plugins;
}

// The real host on the scenario's database: a config and the installed workflows in a work
// directory; `crmflow run` started, stopped, started again with the clock moved.
class ScenarioHost {
 public:
  ScenarioHost(ScenarioDb& db, ScenarioOptions options)
      : db_(db), options_(std::move(options)), dir_("host-" + options_.flavour.name) {
    std::filesystem::create_directories(workflows_dir());
    for (const std::string& file : options_.workflows) {
      install_workflow(options_.flavour.workflows / file);
    }
    for (const auto& dir : options_.workflow_dirs) {
      std::vector<std::filesystem::path> files;
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
      }
      std::ranges::sort(files);
      for (const auto& file : files) install_workflow(file);
    }
    for (const auto& [name, value] : options_.environment) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }

  ~ScenarioHost() {
    if (host_) host_->kill9();
  }

  ScenarioHost(const ScenarioHost&) = delete;
  ScenarioHost& operator=(const ScenarioHost&) = delete;

  std::filesystem::path workflows_dir() const { return dir_.path() / "workflows"; }
  std::filesystem::path config_file() const { return dir_.path() / "crmflow.json"; }
  std::filesystem::path log() const { return dir_.path() / "host.log"; }
  long long clock_offset() const { return offset_; }

  // Writes the host config with the clock moved by `offset_seconds`, runs `crmflow check`
  // (the shipped workflows must pass it on this database) and starts `crmflow run`; returns
  // once the host installed capture and handles events. Throws with the log when it does not.
  void start(long long offset_seconds = 0) {
    if (host_) throw std::logic_error("the host runs already");
    offset_ = offset_seconds;
    write_config();
    const CommandResult checked = command({"check"});
    if (checked.exit_code != 0) {
      throw std::runtime_error("crmflow check failed:\n" + checked.output);
    }
    host_ = std::make_unique<faults::HostProcess>(config_file(), db_.settings(), log());
    if (!host_->wait_for_log("handling events as", 30s)) {
      throw std::runtime_error("the host did not start:\n" + log_tail());
    }
  }

  // SIGTERM: the host finishes the batch in hand and exits 0 (bounded).
  void stop() {
    if (!host_) return;
    host_->terminate();
    if (!host_->wait(15s)) host_->kill9();
    const bool clean = host_->exited_cleanly();
    const std::string status = host_->describe_status();
    host_.reset();
    if (!clean) throw std::runtime_error("the host ended with " + status + ":\n" + log_tail());
  }

  // Stopped and started again on the clock moved by `offset_seconds` (from the real now).
  void restart(long long offset_seconds) {
    stop();
    start(offset_seconds);
  }

  // Waits until the captured events are handled and no job is due or running (on the host's
  // clock); whether that happened within `timeout`. Events first seen after the call count,
  // so call it after the SQL change has committed.
  bool settle(std::chrono::milliseconds timeout = 20s) {
    const std::string due =
        "SELECT COUNT(*) FROM crmflow_job WHERE state = 'running' OR "
        "(state = 'pending' AND due_at <= TIMESTAMPADD(SECOND, " +
        std::to_string(offset_) + ", UTC_TIMESTAMP(6)))";
    return wait_until(
        [&] { return db_.count("SELECT COUNT(*) FROM crmflow_event") == 0 && db_.count(due) == 0; },
        timeout, 50ms);
  }

  // Waits until `sql` (a COUNT) returns `expected`; whether it did within `timeout`.
  bool wait_for_count(const std::string& sql, long long expected,
                      std::chrono::milliseconds timeout = 20s) {
    return wait_until([&] { return db_.count(sql) == expected; }, timeout, 50ms);
  }

  // A crmflow command (e.g. {"jobs", "--record", id}) with this host's config, to its end.
  CommandResult command(std::vector<std::string> args) {
    if (!std::filesystem::exists(config_file())) write_config();
    return faults::run_command(config_file(), db_.settings(), dir_.path() / "commands.log",
                               std::move(args), 60s);
  }

  // The end of the host's log, for a failure message.
  std::string log_tail() const { return faults::tail(log(), 60); }

 private:
  void install_workflow(const std::filesystem::path& file) {
    std::string text = read_file(file);
    if (text.empty()) throw std::runtime_error("no workflow file " + file.string());
    for (const auto& [from, to] : options_.replacements) {
      for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
        text.replace(at, from.size(), to);
        at += to.size();
      }
    }
    std::ofstream out(workflows_dir() / file.filename(), std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write the workflow " + file.string());
  }

  void write_config() const {
    Json plugin_dirs = Json::array({CRMFLOW_PLUGIN_DIR});
    for (const auto& dir : options_.plugin_dirs) plugin_dirs.push_back(dir.string());
    Json plugins = default_plugins();
    plugins.merge_patch(options_.plugins);
    Json engine = {{"batch_size", 50}, {"lease_seconds", 10}, {"idle_poll_ms", 100}};
    engine.merge_patch(options_.flavour.engine);
    Json config = {
        {"plugin_dirs", plugin_dirs},
        {"plugins", plugins},
        {"module_map", options_.flavour.module_map.string()},
        {"workflows", workflows_dir().string()},
        {"engine", engine},
        {"jobs", {{"lease_seconds", 30}, {"max_attempts", 3}, {"backoff_cap_seconds", 2}}},
        // The host installs capture on the watched tables when it starts.
        {"capture", {{"auto_repair", true}, {"drift_check_seconds", 60}}},
        // Time triggers look every second, so a moved clock is seen at once.
        {"triggers", {{"tick_seconds", 1}}},
        {"time_zone", "Europe/Vienna"},
        // Overridden by the CRMFLOW_DB_* environment the host gets.
        {"database", {{"host", "127.0.0.1"}, {"name", db_.name()}}},
        {"log", {{"level", "info"}, {"format", "text"}}},
        {"call_deadline_ms", 10000},
        {"clock_offset_seconds", offset_},
    };
    config.merge_patch(options_.config);
    std::ofstream out(config_file(), std::ios::binary | std::ios::trunc);
    out << config.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + config_file().string());
  }

  ScenarioDb& db_;
  ScenarioOptions options_;
  TempDir dir_;
  long long offset_ = 0;
  std::unique_ptr<faults::HostProcess> host_;
};

}  // namespace crmflow::scenarios
