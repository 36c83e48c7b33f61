// Runs the real `crmflow` binary as a child process for the fault tests: a host config and
// workflow files in a temporary directory, `crmflow run` started with fork/exec against a
// fixture database (and optionally a failpoint), stopped with SIGTERM or SIGKILL, waited for
// with a bound, its output in a log file that a failing test prints.
//
//   HostFiles files("basic");                        // /tmp/crmflow-faults-<pid>-basic-<n>/
//   files.add_workflow({{"id", "w"}, {"module", "Leads"}, ...});
//   HostProcess host(files.config(), fixture.settings(), files.log());
//   host.wait_for_log("handling events as", 30s);   // capture checked, claiming events
//   ...
//   host.terminate(); host.wait(10s);
//
// Every wait is bounded. The child gets CRMFLOW_DB_HOST/PORT/SOCKET/NAME/USER/PASSWORD from
// the settings given (so it reaches exactly that database and server) and CRMFLOW_FAILPOINT
// only when one is given. It is killed with the test process (PR_SET_PDEATHSIG) and by the
// destructor, so no host outlives its test.
//
// Needs CRMFLOW_BINARY, CRMFLOW_PLUGIN_DIR, CRMFLOW_TEST_PLUGIN_DIR and CRMFLOW_SOURCE_DIR.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crmflow/host/config.hpp"
#include "host_environment.hpp"
#include "test_leftovers.hpp"

#ifndef CRMFLOW_BINARY
#error "define CRMFLOW_BINARY (the crmflow executable) for the test target"
#endif

extern char** environ;

namespace crmflow::faults {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Polls `done` every `poll` until it returns true or `timeout` has passed; returns whether it
// did. The one loop every wait of the fault tests goes through.
template <class Predicate>
bool wait_until(Predicate&& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = 50ms) {
  const auto until = Clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(poll);
  }
}

inline std::string read_text(const std::filesystem::path& file, std::streamoff from = 0) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  in.seekg(from);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last `lines` lines of a file, for a failure report.
inline std::string tail(const std::filesystem::path& file, size_t lines = 80) {
  std::ifstream in(file, std::ios::binary);
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& line : last) out += line + '\n';
  return out;
}

inline size_t count_occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A temporary directory holding a host config (config.json), a workflows/ directory and the
// hosts' log files. Removed when destroyed unless CRMFLOW_TEST_KEEP_DB=1.
class HostFiles {
 public:
  struct Options {
    std::vector<std::string> plugins{"compare", "create_record", "update_record"};
    // Short leases so a restarted host picks up the work of a killed one quickly.
    Json engine{
        {"batch_size", 50}, {"lease_seconds", 2}, {"max_attempts", 5}, {"idle_poll_ms", 100}};
    Json capture{{"auto_repair", true}, {"drift_check_seconds", 1}};
    std::string log_level = "info";
    // Merged into the config (JSON merge patch), e.g. {"retention": {...}} or
    // {"plugins": {"send_email": {"settings": {...}}}}.
    Json extra = Json::object();
  };

  explicit HostFiles(const std::string& name) : HostFiles(name, Options{}) {}

  HostFiles(const std::string& name, const Options& options) {
    static std::atomic<int> counter{0};
    dir_ =
        std::filesystem::temp_directory_path() / ("crmflow-faults-" + std::to_string(::getpid()) +
                                                  "-" + name + "-" + std::to_string(++counter));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "workflows");
    Json plugins = Json::object();
    for (const auto& plugin : options.plugins) plugins[plugin] = {{"enabled", true}};
    Json config{
        {"plugin_dirs", {CRMFLOW_PLUGIN_DIR, CRMFLOW_TEST_PLUGIN_DIR}},
        {"plugins", plugins},
        {"module_map",
         (std::filesystem::path(CRMFLOW_SOURCE_DIR) / "config/crm/1crm.json").string()},
        {"workflows", (dir_ / "workflows").string()},
        {"engine", options.engine},
        {"capture", options.capture},
        // Overridden by the CRMFLOW_DB_* environment HostProcess sets.
        {"database", {{"host", "127.0.0.1"}, {"port", 3306}, {"name", "crm"}, {"user", "crmflow"}}},
        {"log", {{"level", options.log_level}, {"format", "text"}}},
        {"call_deadline_ms", 5000},
    };
    Json merged = config;
    merged.merge_patch(options.extra);
    write(config_file(), merged.dump(2));
  }

  ~HostFiles() { testing::remove_test_dir(dir_); }

  HostFiles(const HostFiles&) = delete;
  HostFiles& operator=(const HostFiles&) = delete;

  // Writes workflows/<id>.json.
  void add_workflow(const Json& workflow) {
    write(dir_ / "workflows" / (workflow.at("id").get<std::string>() + ".json"), workflow.dump(2));
  }

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path config_file() const { return dir_ / "config.json"; }
  // A log file in the directory, e.g. log("host-a").
  std::filesystem::path log(const std::string& name = "host") const {
    return dir_ / (name + ".log");
  }

 private:
  static void write(const std::filesystem::path& file, const std::string& text) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text << '\n';
    if (!out) throw std::runtime_error("cannot write " + file.string());
  }

  std::filesystem::path dir_;
};

// One run of the crmflow binary. Output (stdout and stderr) is appended to the log file, after
// a line naming the run, so several runs can share one log.
class HostProcess {
 public:
  HostProcess(const std::filesystem::path& config, const DatabaseSettings& db,
              std::filesystem::path log, std::string failpoint = {},
              std::vector<std::string> args = {"run"})
      : log_(std::move(log)) {
    {
      std::ofstream out(log_, std::ios::binary | std::ios::app);
      out << "=== crmflow";
      for (const auto& a : args) out << ' ' << a;
      out << (failpoint.empty() ? "" : " (CRMFLOW_FAILPOINT=" + failpoint + ")") << '\n';
    }
    std::error_code ec;
    start_offset_ = static_cast<std::streamoff>(std::filesystem::file_size(log_, ec));

    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls (the test process may have threads).
    std::vector<std::string> argv_text{CRMFLOW_BINARY, "--config", config.string()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    pid_ = testing::spawn_process(std::move(argv_text), testing::host_environment(db, failpoint),
                                  log_);
    started_ = Clock::now();
  }

  ~HostProcess() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    wait(10s);  // never throws: a destructor
  }

  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log() const { return log_; }
  Clock::time_point started() const { return started_; }

  // Whether the process still runs; reaps it once it has exited.
  bool running() {
    if (status_) return false;
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) status_ = status;
    return !status_;
  }

  // Waits up to `timeout` for the process to end; its wait status, or nullopt if it still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    wait_until([&] { return !running(); }, timeout, 10ms);
    return status_;
  }

  // SIGKILL, then reaps it (bounded).
  void kill9() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    if (!wait(10s))
      throw std::runtime_error("crmflow pid " + std::to_string(pid_) + " survived SIGKILL");
  }

  // SIGTERM: the host finishes the batch in hand and exits 0.
  void terminate() {
    if (running()) ::kill(pid_, SIGTERM);
  }

  // The wait status once ended.
  std::optional<int> status() const { return status_; }
  bool exited_cleanly() const {
    return status_ && WIFEXITED(*status_) && WEXITSTATUS(*status_) == 0;
  }
  bool killed_by(int signal) const {
    return status_ && WIFSIGNALED(*status_) && WTERMSIG(*status_) == signal;
  }
  std::string describe_status() const {
    if (!status_) return "running";
    if (WIFEXITED(*status_)) return "exit " + std::to_string(WEXITSTATUS(*status_));
    if (WIFSIGNALED(*status_)) return std::string("killed by ") + ::strsignal(WTERMSIG(*status_));
    return "status " + std::to_string(*status_);
  }

  // This run's output so far.
  std::string output() const { return read_text(log_, start_offset_); }

  // Waits until this run's output contains `text`; false on timeout or when the process ended
  // without writing it.
  bool wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
    bool found = false;
    wait_until(
        [&] {
          const bool alive = running();
          found = output().find(text) != std::string::npos;
          return found || !alive;
        },
        timeout);
    return found;
  }

 private:
  std::filesystem::path log_;
  std::streamoff start_offset_ = 0;
  pid_t pid_ = -1;
  Clock::time_point started_;
  std::optional<int> status_;
};

// Runs a crmflow command to its end (e.g. {"capture", "install"}): exit code (-1 if it did
// not end within the timeout or died by a signal) and its output.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};

inline CommandResult run_command(const std::filesystem::path& config, const DatabaseSettings& db,
                                 const std::filesystem::path& log, std::vector<std::string> args,
                                 std::chrono::milliseconds timeout = 60s) {
  HostProcess process(config, db, log, {}, std::move(args));
  CommandResult result;
  const auto status = process.wait(timeout);
  result.output = process.output();
  if (!status) {
    process.kill9();
    return result;
  }
  if (WIFEXITED(*status)) result.exit_code = WEXITSTATUS(*status);
  return result;
}

}  // namespace crmflow::faults
