// Benchmark: how many events the real `crmflow run` turns into effects, against what the
// database itself can write, how long one save takes to its effect, and how much memory the
// host needs. Every figure comes from real processes on a durable MariaDB (loopback only):
//
//  1. baseline: a plain client on the same SOCI/Connector stack inserts the task rows the
//     workflow would create (the columns create_record writes for a Task), one prepared
//     INSERT per row, 100 rows per transaction: the physical limit of the write.
//  2. drain, one host: 20,000 qualifying lead saves queued with no host running (UPDATE of
//     1,000 leads per statement; the capture triggers write one event per lead), then one
//     `crmflow run` started; timed from the spawn until the last task exists.
//  3. drain, two hosts: the same with two `crmflow run` started together.
//  4. latency: one idle host; four writer connections commit single-lead updates at a steady
//     200/s, then 1,000/s (absolute deadlines); latency = crmflow_run.created_at minus the
//     UTC_TIMESTAMP(6) the update wrote into the lead, both read on the database's clock.
//  5. memory: VmHWM/VmRSS of a host with 100 generated workflows (five modules, 1-5
//     conditions, create_record/update_record) plus the drain workflow and every plugin,
//     idle after start and after a drain of 20,000 events.
// Each part has a fresh database (tests/integration/db_fixture.hpp: the demo 1CRM schema,
// crmflow's store tables). The figures are printed as one table at the end; --results FILE
// also writes it as Markdown with the machine's facts.
//
//   throughput_bench [--events N] [--quick] [--results FILE]
//
// Needs the private MariaDB and its environment (CRMFLOW_DB_*):
//   scripts/mariadb.sh start && eval "$(scripts/mariadb.sh env)"
// The hosts get the same CRMFLOW_DB_* settings, with the fresh database's name. Each host
// runs with PR_SET_PDEATHSIG and is stopped (SIGTERM, then SIGKILL) however the benchmark
// ends. CRMFLOW_TEST_KEEP_DB=1 keeps the databases and the work directory (configs, logs).
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench_args.hpp"
#include "crmflow/host/config.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/record_writer.hpp"
#include "db_fixture.hpp"
#include "host_environment.hpp"

#ifndef CRMFLOW_BINARY
#error "define CRMFLOW_BINARY (the crmflow executable)"
#endif
#ifndef CRMFLOW_PLUGIN_DIR
#error "define CRMFLOW_PLUGIN_DIR (the directory of the built plugins)"
#endif

extern char** environ;

namespace {

using namespace crmflow;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;
namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Settings of the benchmark
// ---------------------------------------------------------------------------------------------

constexpr long long kMaxEvents = 1'000'000;
constexpr long long kSeqRows = 100'000;        // rows of the number table (five digits)
constexpr long long kPreloadChunk = 1'000;     // leads per qualifying UPDATE
constexpr long long kBaselineRowsPerTx = 100;  // task rows per transaction of the baseline
constexpr auto kPoll = 50ms;                   // how often a drain polls the queue
constexpr auto kDrainTimeout = 300s;           // per 20,000 events
constexpr auto kStartTimeout = 60s;            // a host until "handling events as"
constexpr auto kStopGrace = 10s;               // SIGTERM, then SIGKILL
constexpr int kWriters = 4;                    // latency: writer connections
constexpr int kMemoryWorkflows = 100;
constexpr double kIdleRssTargetMiB = 64.0;

// The demo CRM's users: Thomas saves the leads (the triggering user, so the task is his).
const std::string kThomas = "usr00003-0000-4000-8000-000000000000";
const std::string kMaria = "usr00002-0000-4000-8000-000000000000";
const std::string kLeadPrefix = "bench-lead-";  // + 25 digits: a 36-character id
constexpr int kLeadDigits = 25;
const std::string kWorkflowId = "bench-follow-up";
const std::string kTaskName = "Follow-up {{record.last_name}}";

// Every plugin the build makes (build/plugins), with the settings those that read settings at
// load need (none of them talks to these addresses: no workflow uses them).
const std::vector<std::pair<std::string, Json>> kAllPlugins = {
    {"compare", Json::object()},
    {"changes", Json::object()},
    {"create_record", Json::object()},
    {"update_record", Json::object()},
    {"update_related", Json::object()},
    {"schedule_meeting", Json::object()},
    {"show_warning", Json::object()},
    {"call_remote_api", Json{{"allowed_hosts", {"127.0.0.1"}}}},
    {"send_email", Json{{"smtp_url", "smtp://127.0.0.1:1"}, {"from", "crm@example.com"}}},
    {"inactivity", Json::object()},
    {"date_reached", Json::object()},
    {"schedule", Json::object()},
};

struct Options {
  long long events = 20000;
  bool quick = false;
  std::string results;
  std::chrono::seconds latency_phase = 10s;
  std::vector<int> latency_rates{200, 1000};
};

const char* const kUsage =
    "usage: throughput_bench [--events N] [--quick] [--results FILE]\n"
    "  --events N      events per drain and task rows of the baseline (default 20000)\n"
    "  --quick         a smoke run: 2000 events, 3 s per latency rate\n"
    "  --results FILE  also write the figures and the machine's facts as Markdown";

using crmflow::bench::parse_count;

Options parse_options(int argc, char** argv) {
  Options options;
  std::optional<long long> events;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::puts(kUsage);
      std::exit(0);
    }
    if (arg == "--quick") {
      options.quick = true;
      continue;
    }
    if (arg == "--events" && i + 1 < argc) {
      events = parse_count(arg, argv[++i], 100, kMaxEvents);
      continue;
    }
    if (arg == "--results" && i + 1 < argc) {
      options.results = argv[++i];
      continue;
    }
    throw std::runtime_error(fmt::format("unknown or incomplete argument '{}'\n{}", arg, kUsage));
  }
  if (options.quick) {
    options.events = 2000;
    options.latency_phase = 3s;
  }
  if (events) options.events = *events;
  return options;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string lead_id(long long n) {
  std::string digits = std::to_string(n);
  return kLeadPrefix + std::string(static_cast<size_t>(kLeadDigits) - digits.size(), '0') + digits;
}

// Thousands separators for counts in the output.
std::string grouped(long long n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (n < 0 ? "-" : "") + out;
}

void say(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

// ---------------------------------------------------------------------------------------------
// Files and /proc
// ---------------------------------------------------------------------------------------------

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string tail(const fs::path& file, size_t lines) {
  const std::string text = read_text(file);
  size_t at = text.size();
  for (size_t n = 0; n <= lines && at > 0; ++n) {
    const size_t nl = text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return text.substr(at + 1);
}

// utime + stime of a process in clock ticks; -1 when it cannot be read.
long long cpu_ticks(pid_t pid) {
  if (pid <= 0) return -1;
  const std::string stat = read_text(fmt::format("/proc/{}/stat", pid));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  long long utime = 0, stime = 0;
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  for (int index = 3; index <= 15 && (fields >> field); ++index) {
    if (index == 14) utime = std::stoll(field);
    if (index == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

double ticks_per_second() {
  return static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// A "VmHWM:"-style line of /proc/PID/status in MiB; -1 when absent.
double status_mib(pid_t pid, std::string_view key) {
  std::istringstream in(read_text(fmt::format("/proc/{}/status", pid)));
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') continue;
    return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return -1;
}

// The machine's CPU time from /proc/stat: all and busy (not idle, not iowait), in ticks.
struct MachineCpu {
  long long total = 0;
  long long busy = 0;
};

MachineCpu machine_cpu() {
  std::istringstream in(read_text("/proc/stat"));
  std::string cpu;
  in >> cpu;
  MachineCpu m;
  long long value = 0;
  for (int i = 0; i < 8 && (in >> value); ++i) {
    m.total += value;
    if (i != 3 && i != 4) m.busy += value;  // idle, iowait
  }
  return m;
}

// The first three fields of /proc/loadavg.
std::string load_average() {
  std::istringstream in(read_text("/proc/loadavg"));
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return fmt::format("{} {} {}", one, five, fifteen);
}

std::string cpu_model() {
  std::istringstream in(read_text("/proc/cpuinfo"));
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("model name")) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  }
  return "unknown";
}

double memory_gib() {
  std::istringstream in(read_text("/proc/meminfo"));
  std::string key;
  long long kib = 0;
  while (in >> key >> kib) {
    if (key == "MemTotal:") return static_cast<double>(kib) / (1024.0 * 1024.0);
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Child processes: crmflow, never outliving the benchmark
// ---------------------------------------------------------------------------------------------

// One run of the crmflow binary with the database settings in its environment (CRMFLOW_DB_*),
// stdout and stderr appended to a log file. The destructor stops it: SIGTERM, up to
// kStopGrace for the batch in hand, then SIGKILL. PR_SET_PDEATHSIG kills it with the
// benchmark.
class Child {
 public:
  Child(const std::vector<std::string>& args, const DatabaseSettings& db, fs::path log)
      : log_(std::move(log)) {
    // Prepared before fork: after it, only async-signal-safe calls (the benchmark has threads).
    std::vector<std::string> argv_text{CRMFLOW_BINARY};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    started_ = Clock::now();
    pid_ = crmflow::testing::spawn_process(std::move(argv_text),
                                           crmflow::testing::host_environment(db), log_);
  }

  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  Clock::time_point started() const { return started_; }
  const fs::path& log() const { return log_; }

  // Whether it still runs; reaps it once it ended.
  bool running() {
    if (status_ || pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
    return !status_;
  }

  // Waits up to `timeout` for it to end; its wait status, or nothing while it runs.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    const auto until = Clock::now() + timeout;
    while (running() && Clock::now() < until) std::this_thread::sleep_for(10ms);
    return status_;
  }

  // SIGTERM, up to kStopGrace, then SIGKILL; reaps it. Idempotent, never throws.
  void stop() noexcept {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    if (wait(kStopGrace)) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_) status_ = status;
  }

  std::string describe_status() const {
    if (!status_) return "running";
    if (WIFEXITED(*status_)) return "exit " + std::to_string(WEXITSTATUS(*status_));
    if (WIFSIGNALED(*status_)) return std::string("killed by ") + ::strsignal(WTERMSIG(*status_));
    return "status " + std::to_string(*status_);
  }

  bool exited_cleanly() const {
    return status_ && WIFEXITED(*status_) && WEXITSTATUS(*status_) == 0;
  }

  // Throws with the log's tail when the process ended.
  void expect_running(const std::string& what) {
    if (running()) return;
    throw std::runtime_error(fmt::format("{} ended ({}); last lines of {}:\n{}", what,
                                         describe_status(), log_.string(), tail(log_, 30)));
  }

  // Waits (bounded) until the log holds `text`; throws when the process ends first.
  void wait_for_log(const std::string& text, std::chrono::milliseconds timeout,
                    const std::string& what) {
    const auto until = Clock::now() + timeout;
    for (;;) {
      if (read_text(log_).find(text) != std::string::npos) return;
      expect_running(what);
      if (Clock::now() >= until) {
        throw std::runtime_error(fmt::format("{} wrote no '{}' within {} s; last lines of {}:\n{}",
                                             what, text, timeout.count() / 1000, log_.string(),
                                             tail(log_, 30)));
      }
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  Clock::time_point started_;
  std::optional<int> status_;
};

// The warning and error lines of a host's log (spdlog's text format: "<date> <time> warning
// ..."): the figures of a run that logged any deserve a look. At most `keep` are returned,
// with the count of all.
struct LogProblems {
  size_t count = 0;
  std::vector<std::string> first;
};

LogProblems log_problems(const fs::path& log, size_t keep = 3) {
  LogProblems problems;
  std::istringstream in(read_text(log));
  for (std::string line; std::getline(in, line);) {
    if (line.find(" warning ") == std::string::npos && line.find(" error ") == std::string::npos) {
      continue;
    }
    if (++problems.count <= keep) problems.first.push_back(line);
  }
  return problems;
}

// Runs a crmflow command to its end (bounded); throws unless it exits 0.
void run_crmflow(const std::vector<std::string>& args, const DatabaseSettings& db,
                 const fs::path& log, std::chrono::milliseconds timeout = 120s) {
  Child child(args, db, log);
  const auto status = child.wait(timeout);
  if (!status) {
    child.stop();
    throw std::runtime_error(fmt::format("crmflow {} did not end within {} s; see {}",
                                         fmt::join(args, " "), timeout.count() / 1000,
                                         log.string()));
  }
  if (!child.exited_cleanly()) {
    throw std::runtime_error(fmt::format("crmflow {} failed ({}):\n{}", fmt::join(args, " "),
                                         child.describe_status(), tail(log, 30)));
  }
}

// The work directory: host configs, workflow directories and logs. Removed at the end unless
// CRMFLOW_TEST_KEEP_DB=1 or the benchmark failed (then its path is printed).
class WorkDir {
 public:
  WorkDir() {
    path_ = fs::temp_directory_path() / fmt::format("crmflow-throughput-{}", ::getpid());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~WorkDir() {
    const char* keep = std::getenv("CRMFLOW_TEST_KEEP_DB");
    if (!ok_ || (keep != nullptr && std::string_view(keep) == "1")) {
      std::fprintf(stderr, "throughput_bench: work directory kept: %s\n", path_.c_str());
      return;
    }
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  const fs::path& path() const { return path_; }
  void succeeded() { ok_ = true; }

 private:
  fs::path path_;
  bool ok_ = false;
};

// A host config and its workflows directory: <work>/<name>/config.json, .../workflows/.
struct HostSetup {
  fs::path dir;
  fs::path config;

  HostSetup(const fs::path& work, const std::string& name,
            const std::vector<std::pair<std::string, Json>>& plugins) {
    dir = work / name;
    fs::create_directories(dir / "workflows");
    config = dir / "config.json";
    Json enabled = Json::object();
    for (const auto& [plugin, settings] : plugins) {
      enabled[plugin] = {{"enabled", true}};
      if (!settings.empty()) enabled[plugin]["settings"] = settings;
    }
    // No "engine" section: the defaults (EngineSettings), printed with the figures.
    const Json text{
        {"plugin_dirs", {CRMFLOW_PLUGIN_DIR}},
        {"plugins", enabled},
        {"module_map", (testing::source_dir() / "config/crm/1crm.json").string()},
        {"workflows", (dir / "workflows").string()},
        // Overridden by the CRMFLOW_DB_* environment each host gets.
        {"database", {{"host", "127.0.0.1"}}},
        {"log", {{"level", "info"}, {"format", "text"}}},
    };
    write_text(config, text.dump(2) + "\n");
  }

  void add_workflow(const Json& workflow) const {
    write_text(dir / "workflows" / (workflow.at("id").get<std::string>() + ".json"),
               workflow.dump(2) + "\n");
  }

  fs::path log(const std::string& name) const { return dir / (name + ".log"); }
};

// The workflow every part runs: a lead saved as Qualified gets a follow-up task, assigned to
// the user who saved it.
Json drain_workflow() {
  return Json{
      {"id", kWorkflowId},
      {"module", "Leads"},
      {"trigger", "saved"},
      {"fire", "on_change"},
      {"run_as", "triggering_user"},
      {"conditions", {{"all", {{{"field", "status"}, {"op", "equals"}, {"value", "Qualified"}}}}}},
      {"actions",
       {{{"plugin", "create_record"},
         {"params",
          {{"module", "Tasks"},
           {"fields", {{"name", kTaskName}, {"status", "Not Started"}, {"priority", "High"}}}}}}}}};
}

// ---------------------------------------------------------------------------------------------
// The database side
// ---------------------------------------------------------------------------------------------

long long count(soci::session& db, const std::string& sql) {
  long long n = -1;
  db << sql, soci::into(n);
  return n;
}

// bench_seq: the numbers 0 .. kSeqRows - 1 (a cross join of digits; MySQL 8 as well).
void make_number_table(soci::session& db) {
  db << "CREATE TABLE bench_digits (d INT NOT NULL PRIMARY KEY) ENGINE=InnoDB";
  db << "INSERT INTO bench_digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)";
  db << "CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY) ENGINE=InnoDB";
  db << "INSERT INTO bench_seq (n) SELECT a.d + 10 * b.d + 100 * c.d + 1000 * d.d + 10000 * e.d "
        "FROM bench_digits a CROSS JOIN bench_digits b CROSS JOIN bench_digits c CROSS JOIN "
        "bench_digits d CROSS JOIN bench_digits e";
}

// Leads 1 .. total, status New, assigned to Maria, set-based (INSERT ... SELECT in batches of
// kSeqRows). Written before the capture triggers exist, so they queue no events.
void insert_leads(soci::session& db, long long total) {
  make_number_table(db);
  for (long long first = 1; first <= total; first += kSeqRows) {
    const long long rows = std::min(kSeqRows, total - first + 1);
    db << fmt::format(
        "INSERT INTO leads (id, date_entered, date_modified, created_by, modified_user_id, "
        "assigned_user_id, deleted, first_name, last_name, status, lead_source) "
        "SELECT CONCAT('{0}', LPAD(g.n, {1}, '0')), UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', "
        "'{2}', 0, 'Bench', CONCAT('Lead ', g.n), 'New', 'Web' "
        "FROM (SELECT s.n + {3} AS n FROM bench_seq s WHERE s.n < {4}) g",
        kLeadPrefix, kLeadDigits, kMaria, first, rows);
  }
  db << "DROP TABLE bench_seq";
  db << "DROP TABLE bench_digits";
}

// Qualifies leads first .. last as Thomas, kPreloadChunk leads per statement: with the
// capture triggers installed, one event per lead. Autocommit, or inside the caller's
// transaction.
void qualify_leads(soci::session& db, long long first, long long last) {
  for (long long from = first; from <= last; from += kPreloadChunk) {
    const long long to = std::min(last, from + kPreloadChunk - 1);
    db << fmt::format(
        "UPDATE leads SET status = 'Qualified', modified_user_id = '{}', date_modified = "
        "UTC_TIMESTAMP() WHERE id BETWEEN '{}' AND '{}'",
        kThomas, lead_id(from), lead_id(to));
  }
}

long long bench_tasks(soci::session& db) {
  return count(db, fmt::format("SELECT COUNT(*) FROM tasks WHERE parent_type = 'Leads' AND "
                               "parent_id LIKE '{}%'",
                               kLeadPrefix));
}

std::string db_now(soci::session& db) {
  std::string now;
  db << "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f')", soci::into(now);
  return now;
}

// Server counters (SHOW GLOBAL STATUS), server-wide.
using Status = std::map<std::string, long long>;

Status server_status(soci::session& db) {
  Status status;
  soci::rowset<soci::row> rows =
      db.prepare << "SHOW GLOBAL STATUS WHERE Variable_name IN ('Questions', 'Com_select', "
                    "'Com_insert', 'Com_insert_select', 'Com_update', 'Com_delete', "
                    "'Com_savepoint', 'Com_set_option', 'Com_commit', 'Com_rollback', "
                    "'Innodb_data_fsyncs', 'Innodb_log_writes', 'Innodb_row_lock_waits', "
                    "'Innodb_deadlocks', "
                    "'Handler_read_next', 'Handler_read_key')";
  for (const soci::row& row : rows) {
    status[row.get<std::string>(0)] = std::stoll(row.get<std::string>(1));
  }
  return status;
}

long long delta(const Status& after, const Status& before, const std::string& key) {
  const auto a = after.find(key);
  const auto b = before.find(key);
  return (a == after.end() ? 0 : a->second) - (b == before.end() ? 0 : b->second);
}

// The server's pid from @@pid_file, for its CPU time; -1 when not readable (another machine).
pid_t server_pid(soci::session& db) {
  std::string file;
  db << "SELECT @@pid_file", soci::into(file);
  const std::string text = read_text(file);
  const long long pid = std::atoll(text.c_str());
  return pid > 0 && cpu_ticks(static_cast<pid_t>(pid)) >= 0 ? static_cast<pid_t>(pid) : -1;
}

// ---------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------

struct Figure {
  std::string name;
  std::string value;
  std::string unit;
  std::string target = "-";
  std::string met = "-";
};

struct Report {
  std::vector<Figure> figures;
  std::vector<std::string> notes;
  bool failed = false;

  void add(std::string name, std::string value, std::string unit, std::string target = "-",
           std::string met = "-") {
    figures.push_back(
        {std::move(name), std::move(value), std::move(unit), std::move(target), std::move(met)});
  }
  void note(std::string text) {
    say("note: " + text + "\n");
    notes.push_back(std::move(text));
  }
  void failure(const std::string& text) {
    failed = true;
    say("FAILED: " + text + "\n");
    notes.push_back("FAILED: " + text);
  }
};

// Reports what the hosts' logs warned about, if anything.
void report_log_problems(const std::string& what, const std::vector<Child*>& hosts,
                         Report& report) {
  for (const Child* host : hosts) {
    const LogProblems problems = log_problems(host->log());
    if (problems.count == 0) continue;
    report.note(fmt::format("{}: crmflow pid {} logged {} warning(s)/error(s), e.g. {}", what,
                            host->pid(), problems.count, fmt::join(problems.first, " | ")));
  }
}

std::string fixed(double value, int decimals) {
  return fmt::format("{:.{}f}", value, decimals);
}

std::string rate_text(double value) {
  return grouped(std::llround(value));
}

// CPU use of processes and the machine over an interval.
struct CpuProbe {
  std::vector<pid_t> hosts;
  pid_t server = -1;
  std::vector<long long> host_start;
  long long server_start = 0;
  long long self_start = 0;
  MachineCpu machine_start;
  Clock::time_point started;

  CpuProbe(std::vector<pid_t> host_pids, pid_t server_pid)
      : hosts(std::move(host_pids)), server(server_pid) {
    // A host spawned just now has used nothing yet: count from zero.
    for (size_t i = 0; i < hosts.size(); ++i) host_start.push_back(0);
    server_start = cpu_ticks(server);
    self_start = cpu_ticks(::getpid());
    machine_start = machine_cpu();
    started = Clock::now();
  }

  // "crmflow[1] 85%, mariadbd 120%, this benchmark 3%, other processes 10% (of one core);
  // machine 98% busy over 2 cores". Other processes: the machine's busy time less the named
  // ones (other builds on a shared machine take CPU from both sides).
  std::string describe() const {
    const double wall = seconds_since(started);
    const double hz = ticks_per_second();
    const auto percent = [&](long long ticks) {
      return 100.0 * static_cast<double>(ticks) / hz / wall;
    };
    std::string out;
    long long named = 0;
    for (size_t i = 0; i < hosts.size(); ++i) {
      const long long ticks = std::max(0LL, cpu_ticks(hosts[i]) - host_start[i]);
      named += ticks;
      out += fmt::format("{}crmflow[{}] {:.0f}%", out.empty() ? "" : ", ", i + 1, percent(ticks));
    }
    if (server > 0) {
      const long long ticks = cpu_ticks(server) - server_start;
      named += ticks;
      out += fmt::format(", mariadbd {:.0f}%", percent(ticks));
    }
    const long long self = cpu_ticks(::getpid()) - self_start;
    named += self;
    const MachineCpu now = machine_cpu();
    const long long total = now.total - machine_start.total;
    const long long busy = now.busy - machine_start.busy;
    out += fmt::format(
        ", this benchmark {:.0f}%, other processes {:.0f}% (of one core); machine {:.0f}% busy "
        "over {} cores",
        percent(self), percent(std::max(0LL, busy - named)),
        total <= 0 ? 0.0 : 100.0 * static_cast<double>(busy) / static_cast<double>(total),
        std::thread::hardware_concurrency());
    return out;
  }
};

// What the server did per event during a drain.
std::string per_event(const Status& after, const Status& before, long long events) {
  const auto per = [&](const std::string& key) {
    return static_cast<double>(delta(after, before, key)) / static_cast<double>(events);
  };
  return fmt::format(
      "per event (server-wide, includes this benchmark's polls): {:.1f} statements (select "
      "{:.1f}, insert {:.1f}, update {:.1f}, delete {:.1f}, savepoint {:.1f}, set {:.1f}), "
      "{:.3f} commits, {:.3f} redo-log writes, {:.3f} fsyncs, {:.0f} index rows read; row lock "
      "waits {}, deadlocks {}",
      per("Questions"), per("Com_select"), per("Com_insert") + per("Com_insert_select"),
      per("Com_update"), per("Com_delete"), per("Com_savepoint"), per("Com_set_option"),
      per("Com_commit"), per("Innodb_log_writes"), per("Innodb_data_fsyncs"),
      per("Handler_read_next") + per("Handler_read_key"),
      delta(after, before, "Innodb_row_lock_waits"), delta(after, before, "Innodb_deadlocks"));
}

// ---------------------------------------------------------------------------------------------
// 1. Baseline
// ---------------------------------------------------------------------------------------------

double baseline(const Options& options, Report& report) {
  say(fmt::format("\n== 1. baseline: a plain client inserts {} task rows, {} per transaction\n",
                  grouped(options.events), kBaselineRowsPerTx));
  testing::DbFixture fixture;
  auto session = fixture.connect_again();
  soci::session& db = *session;
  // The columns create_record writes for the drain workflow's task, in its order: the
  // action's fields, the parent link, then what the host fills (id, dates, deleted, users).
  std::string id, name, status = "Not Started", priority = "High", parent, user = kThomas;
  soci::statement insert =
      (db.prepare << "INSERT INTO tasks (name, status, priority, parent_type, parent_id, id, "
                     "date_entered, date_modified, deleted, assigned_user_id, created_by, "
                     "modified_user_id) VALUES (:name, :status, :priority, 'Leads', :parent, :id, "
                     "TIMESTAMPADD(SECOND, 0, UTC_TIMESTAMP()), TIMESTAMPADD(SECOND, 0, "
                     "UTC_TIMESTAMP()), '0', :assigned, :created, :modified)",
       soci::use(name), soci::use(status), soci::use(priority), soci::use(parent), soci::use(id),
       soci::use(user), soci::use(user), soci::use(user));
  const Status before = server_status(db);
  const auto started = Clock::now();
  for (long long n = 1; n <= options.events;) {
    soci::transaction tx(db);
    for (long long row = 0; row < kBaselineRowsPerTx && n <= options.events; ++row, ++n) {
      id = new_uuid();
      name = fmt::format("Follow-up Lead {}", n);
      parent = lead_id(n);
      insert.execute(true);
    }
    tx.commit();
  }
  const double seconds = seconds_since(started);
  const Status after = server_status(db);
  const long long rows = bench_tasks(db);
  if (rows != options.events) {
    throw std::runtime_error(
        fmt::format("baseline: {} task rows, expected {}", rows, options.events));
  }
  const double rate = static_cast<double>(options.events) / seconds;
  const double transactions =
      std::ceil(static_cast<double>(options.events) / static_cast<double>(kBaselineRowsPerTx));
  say(fmt::format(
      "{} rows in {:.2f} s: {} rows/s; per transaction {:.2f} redo-log writes, {:.2f} fsyncs\n",
      grouped(options.events), seconds, rate_text(rate),
      static_cast<double>(delta(after, before, "Innodb_log_writes")) / transactions,
      static_cast<double>(delta(after, before, "Innodb_data_fsyncs")) / transactions));
  report.add("baseline: plain client, prepared INSERT of the task row, 100 rows/transaction",
             rate_text(rate), "rows/s");
  return rate;
}

// ---------------------------------------------------------------------------------------------
// 2./3. Drain of a preloaded queue
// ---------------------------------------------------------------------------------------------

// Whether any event is pending: one index dive, however long the queue.
bool queue_empty(soci::session& db) {
  return count(db, "SELECT COUNT(*) FROM (SELECT 1 FROM crmflow_event LIMIT 1) x") == 0;
}

// Waits (bounded) until `expected` bench tasks exist, polling every kPoll; calls `each` on
// every poll (e.g. to sample memory); throws when a host ends. Every event is queued before
// the wait starts, and a task commits with its event's delete, so an empty queue means every
// task exists: the polls ask for that (one index dive) and count the tasks once it holds. A
// COUNT(*) of the tasks on each poll reads all of them: at 20,000 that took 8 ms a poll, 14%
// of a drain on the 2-core machine, time taken from the server being measured.
struct DrainTimes {
  bool complete = false;
  double done = -1;  // seconds after `from`
  long long tasks = 0;
  long long polls = 0;
  double poll_seconds = 0;  // spent in the polls' queries (round trips included)
};

DrainTimes wait_for_tasks(soci::session& db, long long expected, Clock::time_point from,
                          std::vector<Child*> hosts, std::chrono::milliseconds timeout,
                          const std::function<void()>& each = {}) {
  DrainTimes t;
  const auto until = from + timeout;
  for (;;) {
    const auto polled = Clock::now();
    const bool empty = queue_empty(db);
    if (empty) t.tasks = bench_tasks(db);
    t.poll_seconds += seconds_since(polled);
    ++t.polls;
    if (empty && t.tasks >= expected) {
      t.done = seconds_since(from);
      t.complete = true;
      return t;
    }
    // The queue is empty and tasks are missing: events failed or were quarantined.
    if (empty) return t;
    if (each) each();
    for (Child* host : hosts) host->expect_running("crmflow run");
    if (Clock::now() >= until) {
      t.tasks = bench_tasks(db);
      return t;
    }
    std::this_thread::sleep_for(kPoll);
  }
}

std::chrono::milliseconds drain_timeout(long long events) {
  const double scale = std::max(1.0, static_cast<double>(events) / 20000.0);
  return std::chrono::milliseconds(
      std::llround(scale * static_cast<double>(std::chrono::milliseconds(kDrainTimeout).count())));
}

// When the first and the last task of the drain workflow were written (crmflow_run.created_at),
// in seconds after the database time `t0`.
struct RunSpan {
  double first = -1;
  double last = -1;
  long long done = 0;
};

RunSpan run_span(soci::session& db, const std::string& t0) {
  RunSpan span;
  soci::indicator first_ind = soci::i_null, last_ind = soci::i_null;
  long long first_us = 0, last_us = 0;
  db << "SELECT COUNT(*), TIMESTAMPDIFF(MICROSECOND, CAST(:t0 AS DATETIME(6)), MIN(created_at)), "
        "TIMESTAMPDIFF(MICROSECOND, CAST(:t1 AS DATETIME(6)), MAX(created_at)) FROM crmflow_run "
        "WHERE workflow_id = :w AND outcome = 'done'",
      soci::use(t0), soci::use(t0), soci::use(kWorkflowId), soci::into(span.done),
      soci::into(first_us, first_ind), soci::into(last_us, last_ind);
  if (first_ind == soci::i_ok) span.first = static_cast<double>(first_us) / 1e6;
  if (last_ind == soci::i_ok) span.last = static_cast<double>(last_us) / 1e6;
  return span;
}

// The user's checks after a drain: nothing left or quarantined, one task per lead, one done
// run per event, no failed attempt.
void check_drain(soci::session& db, long long events, const std::string& what, Report& report) {
  const long long left = count(db, "SELECT COUNT(*) FROM crmflow_event");
  const long long quarantined = count(db, "SELECT COUNT(*) FROM crmflow_event_quarantine");
  const long long failed = count(db, "SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed'");
  const long long leads_with_task =
      count(db, fmt::format("SELECT COUNT(DISTINCT parent_id) FROM tasks WHERE parent_type = "
                            "'Leads' AND parent_id LIKE '{}%'",
                            kLeadPrefix));
  const long long done =
      count(db, fmt::format("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = '{}' AND "
                            "outcome = 'done'",
                            kWorkflowId));
  if (left != 0 || quarantined != 0 || leads_with_task != events || done != events) {
    report.failure(fmt::format(
        "{}: {} events left, {} quarantined, {} leads with a task and {} done runs (expected "
        "{} each)",
        what, left, quarantined, leads_with_task, done, events));
  }
  if (failed != 0) {
    report.note(fmt::format("{}: {} failed attempts (retried; see the host log)", what, failed));
  }
}

// Generates the leads, installs capture for `setup`, queues `events` qualifying saves.
void prepare_queue(testing::DbFixture& fixture, const HostSetup& setup, long long events) {
  soci::session& db = fixture.db();
  auto started = Clock::now();
  insert_leads(db, events);
  const double generated = seconds_since(started);
  started = Clock::now();
  run_crmflow({"--config", setup.config.string(), "capture", "install"}, fixture.settings(),
              setup.log("capture-install"));
  const double installed = seconds_since(started);
  started = Clock::now();
  qualify_leads(db, 1, events);
  const double queued_seconds = seconds_since(started);
  const long long queued = count(db, "SELECT COUNT(*) FROM crmflow_event");
  if (queued != events) {
    throw std::runtime_error(fmt::format("{} events queued, expected {}", queued, events));
  }
  say(fmt::format(
      "{} leads generated in {:.1f} s; capture installed in {:.1f} s; {} qualifying saves "
      "({} leads per UPDATE, autocommit) queued {} events in {:.1f} s ({} saves/s with capture)\n",
      grouped(events), generated, installed, grouped(events), kPreloadChunk, grouped(queued),
      queued_seconds, rate_text(static_cast<double>(events) / queued_seconds)));
}

struct DrainResult {
  bool complete = false;
  double seconds = 0;  // spawn → last task seen
  double rate = 0;
};

DrainResult drain(const Options& options, const WorkDir& work, int hosts, double baseline_rate,
                  Report& report) {
  const std::string label = fmt::format("drain-{}host", hosts);
  say(fmt::format("\n== {}. drain: {} queued events, {}\n", hosts == 1 ? 2 : 3,
                  grouped(options.events),
                  hosts == 1 ? std::string("one `crmflow run`")
                             : fmt::format("{} `crmflow run` started together", hosts)));
  testing::DbFixture fixture;
  soci::session& db = fixture.db();
  const HostSetup setup(work.path(), label,
                        {{"compare", Json::object()}, {"create_record", Json::object()}});
  setup.add_workflow(drain_workflow());
  prepare_queue(fixture, setup, options.events);

  const pid_t server = server_pid(db);
  const Status before = server_status(db);
  const std::string t0 = db_now(db);
  const auto spawned = Clock::now();
  std::vector<std::unique_ptr<Child>> children;
  std::vector<Child*> pointers;
  std::vector<pid_t> pids;
  for (int h = 0; h < hosts; ++h) {
    children.push_back(
        std::make_unique<Child>(std::vector<std::string>{"--config", setup.config.string(), "run"},
                                fixture.settings(), setup.log(fmt::format("host-{}", h + 1))));
    pointers.push_back(children.back().get());
    pids.push_back(children.back()->pid());
  }
  const CpuProbe cpu(pids, server);
  say(fmt::format("spawned crmflow pid {}\n", fmt::join(pids, ", ")));
  const DrainTimes times =
      wait_for_tasks(db, options.events, spawned, pointers, drain_timeout(options.events));
  const std::string cpu_text = cpu.describe();
  const Status after = server_status(db);
  for (auto& child : children) child->stop();
  report_log_problems(label, pointers, report);
  for (auto& child : children) {
    if (!child->exited_cleanly()) {
      report.note(fmt::format("{}: crmflow pid {} ended with {} after SIGTERM", label, child->pid(),
                              child->describe_status()));
    }
  }

  DrainResult result;
  if (!times.complete) {
    report.failure(fmt::format("{}: {} of {} tasks after {} s", label, grouped(times.tasks),
                               grouped(options.events),
                               drain_timeout(options.events).count() / 1000));
    report.add(fmt::format("drain, {} host(s): events/s, spawn to last task", hosts), "timeout",
               "events/s");
    return result;
  }
  check_drain(db, options.events, label, report);
  result.complete = true;
  result.seconds = times.done;
  result.rate = static_cast<double>(options.events) / times.done;
  const RunSpan span = run_span(db, t0);
  const double steady = span.last > span.first
                            ? static_cast<double>(options.events - 1) / (span.last - span.first)
                            : 0;
  say(fmt::format(
      "drained in {:.2f} s (spawn to the poll that saw the last task; polls every {} ms): {} "
      "events/s = {:.1f}% of the baseline\n",
      times.done, kPoll.count(), rate_text(result.rate), 100.0 * result.rate / baseline_rate));
  say(fmt::format(
      "on the database's clock: first task {:.2f} s after the spawn (startup), last {:.2f} s; "
      "between them {} events/s\n",
      span.first, span.last, rate_text(steady)));
  say("cpu: " + cpu_text + "\n");
  say(
      fmt::format("this benchmark's {} polls (is the queue empty?) took {:.2f} s in all, "
                  "{:.1f}% of the drain\n",
                  times.polls, times.poll_seconds, 100.0 * times.poll_seconds / times.done));
  const std::string statements = per_event(after, before, options.events);
  say(statements + "\n");
  if (hosts > 1) {
    std::string shares;
    soci::rowset<soci::row> rows =
        db.prepare << "SELECT host, COUNT(*) FROM crmflow_run WHERE outcome = 'done' GROUP BY "
                      "host ORDER BY host";
    for (const soci::row& row : rows) {
      shares += fmt::format("{}{}: {}", shares.empty() ? "" : ", ", row.get<std::string>(0),
                            grouped(row.get<long long>(1)));
    }
    say("events per host: " + shares + "\n");
  }

  const std::string who = hosts == 1 ? "1 host" : fmt::format("{} hosts", hosts);
  report.add(fmt::format("drain, {}: spawn to last task", who), rate_text(result.rate), "events/s");
  report.add(fmt::format("drain, {}: ratio to the baseline", who),
             fixed(100.0 * result.rate / baseline_rate, 1), "%");
  report.add(fmt::format("drain, {}: startup, spawn to first task", who), fixed(span.first, 2),
             "s");
  report.add(fmt::format("drain, {}: first to last task", who), rate_text(steady), "events/s");
  report.note(fmt::format("drain, {}: cpu {}", who, cpu_text));
  report.note(fmt::format("drain, {}: {}", who, statements));
  return result;
}

// ---------------------------------------------------------------------------------------------
// 4. Latency at a steady rate
// ---------------------------------------------------------------------------------------------

struct WriterFigures {
  long long updates = 0;
  double achieved = 0;     // updates per second, first deadline to last commit
  double max_late_ms = 0;  // the latest an update started after its deadline
  double late_p99_ms = 0;
  std::string error;
};

// Commits `n` single-lead updates, update k (leads first + k) at start + k / rate, over
// kWriters connections (update k on connection k % kWriters), each autocommitted: status
// Qualified and the database's UTC_TIMESTAMP(6) in the description, in one statement.
WriterFigures write_at_rate(const DatabaseSettings& settings, long long first, long long n,
                            int rate) {
  std::vector<std::unique_ptr<soci::session>> sessions;
  for (int w = 0; w < kWriters; ++w) {
    // A CRM client: the server's default session settings, autocommit.
    sessions.push_back(
        std::make_unique<soci::session>(*soci::factory_mysql(), connection_string(settings)));
  }
  std::vector<std::vector<double>> late(kWriters);
  std::vector<std::string> errors(kWriters);
  const auto start = Clock::now() + 100ms;
  const auto period = std::chrono::duration<double>(1.0 / rate);
  std::vector<Clock::time_point> finished(kWriters, start);
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        soci::session& db = *sessions[static_cast<size_t>(w)];
        std::string id;
        soci::statement update =
            (db.prepare << "UPDATE leads SET status = 'Qualified', modified_user_id = :user, "
                           "date_modified = UTC_TIMESTAMP(), description = "
                           "DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%d %H:%i:%s.%f') WHERE id = :id",
             soci::use(kThomas), soci::use(id));
        for (long long k = w; k < n; k += kWriters) {
          const auto deadline =
              start + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(k));
          std::this_thread::sleep_until(deadline);
          late[static_cast<size_t>(w)].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - deadline).count());
          id = lead_id(first + k);
          update.execute(true);
        }
        finished[static_cast<size_t>(w)] = Clock::now();
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(w)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  WriterFigures f;
  for (const auto& e : errors) {
    if (!e.empty()) f.error = e;
  }
  std::vector<double> all;
  for (const auto& l : late) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  f.updates = static_cast<long long>(all.size());
  if (!all.empty()) {
    f.max_late_ms = all.back();
    f.late_p99_ms = all[static_cast<size_t>(std::ceil(0.99 * static_cast<double>(all.size()))) - 1];
  }
  const auto last = *std::max_element(finished.begin(), finished.end());
  // n updates span n - 1 periods from the first deadline; the last one's commit ends it.
  const double span = std::chrono::duration<double>(last - start).count();
  f.achieved = span > 0 ? static_cast<double>(n - 1) / span : 0;
  return f;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

// Update → its run's audit row, in ms, for the leads first .. last (database clock).
std::vector<double> latencies(soci::session& db, long long first, long long last) {
  std::vector<double> out;
  const std::string from = lead_id(first), to = lead_id(last);
  soci::rowset<long long> rows =
      (db.prepare << "SELECT TIMESTAMPDIFF(MICROSECOND, CAST(l.description AS DATETIME(6)), "
                     "r.created_at) FROM crmflow_run r JOIN leads l ON l.id = r.record_id "
                     "WHERE r.workflow_id = :w AND r.outcome = 'done' AND r.record_id BETWEEN "
                     ":first AND :last",
       soci::use(kWorkflowId), soci::use(from), soci::use(to));
  for (const long long us : rows) out.push_back(static_cast<double>(us) / 1000.0);
  std::sort(out.begin(), out.end());
  return out;
}

// Returns the idle host's VmRSS in MiB (1 workflow, 2 plugins), for the memory figures.
double latency(const Options& options, const WorkDir& work, Report& report) {
  const double phase = static_cast<double>(options.latency_phase.count());
  long long needed = 0;
  for (const int rate : options.latency_rates) needed += std::llround(rate * phase);
  say(fmt::format(
      "\n== 4. latency: one idle host; {} writer connections commit single-lead updates at {} "
      "/s, {} s each\n",
      kWriters, fmt::join(options.latency_rates, " then "), options.latency_phase.count()));
  const EngineSettings engine;
  say(
      fmt::format("engine settings (crmflow's defaults): batch_size {}, idle_poll_ms {}, "
                  "settle_ms {}\n",
                  engine.batch_size, engine.idle_poll_ms, engine.settle_ms));
  testing::DbFixture fixture;
  soci::session& db = fixture.db();
  const HostSetup setup(work.path(), "latency",
                        {{"compare", Json::object()}, {"create_record", Json::object()}});
  setup.add_workflow(drain_workflow());
  insert_leads(db, needed);
  run_crmflow({"--config", setup.config.string(), "capture", "install"}, fixture.settings(),
              setup.log("capture-install"));
  Child host({"--config", setup.config.string(), "run"}, fixture.settings(), setup.log("host"));
  host.wait_for_log("handling events as", kStartTimeout, "crmflow run");
  std::this_thread::sleep_for(3s);  // idle: its poll interval has grown to idle_poll_ms
  host.expect_running("crmflow run");
  const double idle_rss = status_mib(host.pid(), "VmRSS");
  const double idle_hwm = status_mib(host.pid(), "VmHWM");
  say(fmt::format("idle host (1 workflow, 2 plugins): VmRSS {:.1f} MiB, VmHWM {:.1f} MiB\n",
                  idle_rss, idle_hwm));

  const pid_t server = server_pid(db);
  long long first = 1;
  for (const int rate : options.latency_rates) {
    const long long n = std::llround(rate * phase);
    // The host's CPU from here: subtract what it used before.
    CpuProbe host_cpu({host.pid()}, server);
    host_cpu.host_start[0] = cpu_ticks(host.pid());
    const WriterFigures w = write_at_rate(fixture.settings(), first, n, rate);
    if (!w.error.empty()) throw std::runtime_error("latency writer: " + w.error);
    const DrainTimes t = wait_for_tasks(db, first + n - 1, Clock::now(), {&host}, drain_timeout(n));
    const std::string cpu_text = host_cpu.describe();
    if (!t.complete) {
      report.failure(fmt::format("latency at {}/s: only {} of {} tasks", rate,
                                 grouped(t.tasks - first + 1), grouped(n)));
      break;
    }
    const std::vector<double> ms = latencies(db, first, first + n - 1);
    if (static_cast<long long>(ms.size()) != n) {
      report.failure(
          fmt::format("latency at {}/s: {} audited runs, expected {}", rate, ms.size(), n));
    }
    const bool kept = w.achieved >= 0.97 * rate;
    say(fmt::format(
        "{}/s: {} updates, achieved {:.0f}/s{} (start lateness p99 {:.1f} ms, max {:.1f} ms); "
        "update → audit row: p50 {:.1f} ms, p95 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n",
        rate, grouped(w.updates), w.achieved, kept ? "" : " — THE WRITER COULD NOT KEEP THE RATE",
        w.late_p99_ms, w.max_late_ms, percentile(ms, 50), percentile(ms, 95), percentile(ms, 99),
        ms.empty() ? 0.0 : ms.back()));
    say("cpu: " + cpu_text + "\n");
    const std::string at = fmt::format("latency at {}/s", rate);
    report.add(at + ": achieved rate", fixed(w.achieved, 0), "updates/s", std::to_string(rate),
               kept ? "yes" : "NO: the writer fell behind");
    report.add(at + ": p50", fixed(percentile(ms, 50), 1), "ms");
    report.add(at + ": p95", fixed(percentile(ms, 95), 1), "ms");
    report.add(at + ": p99", fixed(percentile(ms, 99), 1), "ms");
    report.add(at + ": max", fixed(ms.empty() ? 0.0 : ms.back(), 1), "ms");
    report.note(fmt::format("{}: cpu {}", at, cpu_text));
    first += n;
  }
  host.stop();
  report_log_problems("latency", {&host}, report);
  report.note(fmt::format(
      "latency: engine.settle_ms = {} (the 1CRM default: no settle window), batch_size {}, "
      "idle_poll_ms {}; latency = crmflow_run.created_at (written in the transaction that "
      "creates the task, before its commit) − UTC_TIMESTAMP(6) of the lead's UPDATE (taken at "
      "the statement's start, before its commit), both on the database's clock",
      engine.settle_ms, engine.batch_size, engine.idle_poll_ms));
  return idle_rss;
}

// ---------------------------------------------------------------------------------------------
// 5. Memory with 100 workflows and every plugin
// ---------------------------------------------------------------------------------------------

// Five condition leaves per module; none of them holds for the generated leads (lead_source
// 'Web', status New → Qualified, last name "Lead n"), so the drain creates only its own tasks.
struct ModuleSpec {
  const char* module;
  std::vector<Json> leaves;
};

std::vector<ModuleSpec> memory_modules(int i) {
  const std::string n = std::to_string(i);
  return {
      {"Leads",
       {Json{{"field", "lead_source"}, {"op", "equals"}, {"value", "Partner " + n}},
        Json{{"field", "status"}, {"op", "in"}, {"value", {"Converted", "Dead"}}},
        Json{{"field", "last_name"}, {"op", "starts_with"}, {"value", "Z"}},
        Json{{"field", "status"}, {"op", "changed_to"}, {"value", "Dead"}},
        Json{{"field", "primary_address_country"}, {"op", "not_empty"}}}},
      {"Accounts",
       {Json{{"field", "industry"}, {"op", "equals"}, {"value", "Industry " + n}},
        Json{{"field", "account_type"}, {"op", "equals"}, {"value", "Partner"}},
        Json{{"field", "billing_address_country"}, {"op", "in"}, {"value", {"Austria", "Germany"}}},
        Json{{"field", "name"}, {"op", "contains"}, {"value", "GmbH"}},
        Json{{"field", "vat_id"}, {"op", "changed"}}}},
      {"Contacts",
       {Json{{"field", "title"}, {"op", "equals"}, {"value", "Title " + n}},
        Json{{"field", "last_name"}, {"op", "starts_with"}, {"value", "B"}},
        Json{{"field", "email1"}, {"op", "ends_with"}, {"value", ".example"}},
        Json{{"field", "salutation"}, {"op", "in"}, {"value", {"Mr.", "Ms."}}},
        Json{
            {"field", "account.billing_address_country"}, {"op", "equals"}, {"value", "Austria"}}}},
      {"Cases",
       {Json{{"field", "status"}, {"op", "equals"}, {"value", "Closed " + n}},
        Json{{"field", "priority"}, {"op", "in"}, {"value", {"P1", "P2"}}},
        Json{{"field", "type"}, {"op", "equals"}, {"value", "User"}},
        Json{{"field", "name"}, {"op", "contains"}, {"value", "urgent"}},
        Json{{"field", "account.name"}, {"op", "not_empty"}}}},
      {"Opportunities",
       {Json{{"field", "sales_stage"}, {"op", "equals"}, {"value", "Stage " + n}},
        Json{{"field", "amount"}, {"op", "gt"}, {"value", 10000}},
        Json{{"field", "probability"}, {"op", "gte"}, {"value", 50}},
        Json{{"field", "lead_source"}, {"op", "equals"}, {"value", "Web Site"}},
        Json{{"field", "sales_stage"}, {"op", "changed_to"}, {"value", "Closed Won"}}}},
  };
}

// Workflow i (0-based): module i % 5, 1 + (i / 5) % 5 conditions (every third with its later
// ones under "any"), create_record of a task or update_record of the record.
Json memory_workflow(int i) {
  const std::vector<ModuleSpec> modules = memory_modules(i);
  const ModuleSpec& m = modules[static_cast<size_t>(i) % modules.size()];
  const size_t conditions = 1 + static_cast<size_t>(i / 5) % 5;
  Json all = Json::array({m.leaves[0]});
  Json rest = Json::array();
  for (size_t c = 1; c < conditions; ++c) rest.push_back(m.leaves[c]);
  if (i % 3 == 0 && rest.size() > 1) {
    all.push_back(Json{{"any", rest}});
  } else {
    for (const Json& leaf : rest) all.push_back(leaf);
  }
  Json action;
  if (i % 2 == 0) {
    action = {{"plugin", "create_record"},
              {"params",
               {{"module", "Tasks"},
                {"fields",
                 {{"name", fmt::format("Review {}", i)},
                  {"priority", i % 4 == 0 ? "High" : "Medium"},
                  {"description", "Workflow " + std::to_string(i) + " on {{record.id}}"}}}}}};
  } else {
    action = {
        {"plugin", "update_record"},
        {"params", {{"fields", {{"description", fmt::format("Checked by workflow {}", i)}}}}}};
  }
  return Json{{"id", fmt::format("bench-{:03}-{}", i, m.module)},
              {"module", m.module},
              {"trigger", "saved"},
              {"fire", i % 2 == 0 ? "on_change" : "every_save"},
              {"run_as", i % 3 == 0 ? "assigned_user" : "triggering_user"},
              {"conditions", {{"all", all}}},
              {"actions", {action}}};
}

void memory(const Options& options, const WorkDir& work, double small_idle_rss, Report& report) {
  say(fmt::format(
      "\n== 5. memory: {} workflows + the drain workflow, all {} plugins; idle, then a drain of "
      "{} events\n",
      kMemoryWorkflows, kAllPlugins.size(), grouped(options.events)));
  testing::DbFixture fixture;
  soci::session& db = fixture.db();
  const HostSetup setup(work.path(), "memory", kAllPlugins);
  for (int i = 0; i < kMemoryWorkflows; ++i) setup.add_workflow(memory_workflow(i));
  setup.add_workflow(drain_workflow());
  insert_leads(db, options.events);
  run_crmflow({"--config", setup.config.string(), "capture", "install"}, fixture.settings(),
              setup.log("capture-install"));

  Child host({"--config", setup.config.string(), "run"}, fixture.settings(), setup.log("host"));
  host.wait_for_log("handling events as", kStartTimeout, "crmflow run");
  const double started_s = seconds_since(host.started());
  std::this_thread::sleep_for(3s);
  host.expect_running("crmflow run");
  const double idle_rss = status_mib(host.pid(), "VmRSS");
  const double idle_hwm = status_mib(host.pid(), "VmHWM");
  say(fmt::format(
      "started in {:.2f} s (spawn to \"handling events as\"); idle 3 s later: VmRSS {:.1f} MiB, "
      "VmHWM {:.1f} MiB\n",
      started_s, idle_rss, idle_hwm));

  // The saves in one transaction, so the events appear at once (the host runs meanwhile).
  const pid_t server = server_pid(db);
  const Status before = server_status(db);
  auto started = Clock::now();
  {
    soci::transaction tx(db);
    qualify_leads(db, 1, options.events);
    tx.commit();
  }
  const double queued = seconds_since(started);
  CpuProbe cpu({host.pid()}, server);
  cpu.host_start[0] = cpu_ticks(host.pid());
  double peak_rss = 0;
  const auto committed = Clock::now();
  const DrainTimes t =
      wait_for_tasks(db, options.events, committed, {&host}, drain_timeout(options.events),
                     [&] { peak_rss = std::max(peak_rss, status_mib(host.pid(), "VmRSS")); });
  const std::string cpu_text = cpu.describe();
  const Status after = server_status(db);
  const double load_rss = status_mib(host.pid(), "VmRSS");
  const double load_hwm = status_mib(host.pid(), "VmHWM");
  host.stop();
  report_log_problems("memory", {&host}, report);

  const bool met = idle_rss >= 0 && idle_rss < kIdleRssTargetMiB;
  report.add("memory: 1 workflow, 2 plugins, idle 3 s: VmRSS", fixed(small_idle_rss, 1), "MiB");
  const std::string shape =
      fmt::format("{} workflows, {} plugins", kMemoryWorkflows + 1, kAllPlugins.size());
  report.add(fmt::format("memory: {}, idle 3 s: VmRSS", shape), fixed(idle_rss, 1), "MiB",
             fmt::format("< {:.0f}", kIdleRssTargetMiB), met ? "yes" : "NO");
  report.add(fmt::format("memory: {}, idle 3 s: VmHWM", shape), fixed(idle_hwm, 1), "MiB");
  if (!t.complete) {
    report.failure(
        fmt::format("memory drain: {} of {} tasks", grouped(t.tasks), grouped(options.events)));
    return;
  }
  check_drain(db, options.events, "memory drain", report);
  const long long extra_tasks = count(db, "SELECT COUNT(*) FROM tasks WHERE name LIKE 'Review %'");
  const double rate = static_cast<double>(options.events) / t.done;
  say(fmt::format(
      "{} saves committed in one transaction ({:.1f} s); drained {:.2f} s after the commit: {} "
      "events/s with {} workflows ({} tasks of the {} others: none expected)\n",
      grouped(options.events), queued, t.done, rate_text(rate), kMemoryWorkflows + 1, extra_tasks,
      kMemoryWorkflows));
  say("cpu: " + cpu_text + "\n");
  const std::string statements = per_event(after, before, options.events);
  say(statements + "\n");
  say(
      fmt::format("after the drain: VmRSS {:.1f} MiB (highest sampled during it {:.1f} MiB), "
                  "VmHWM {:.1f} MiB\n",
                  load_rss, peak_rss, load_hwm));
  report.add("memory: after a drain of the events: VmRSS", fixed(load_rss, 1), "MiB");
  report.add("memory: after a drain of the events: VmHWM (peak)", fixed(load_hwm, 1), "MiB");
  report.add(fmt::format("drain, 1 host, {} workflows: commit to last task", kMemoryWorkflows + 1),
             rate_text(rate), "events/s");
  report.note(fmt::format("memory drain ({} workflows): cpu {}", kMemoryWorkflows + 1, cpu_text));
  report.note(fmt::format("memory drain ({} workflows): {}", kMemoryWorkflows + 1, statements));
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

struct MachineFacts {
  std::vector<std::pair<std::string, std::string>> facts;
};

MachineFacts machine_facts(const Options& options) {
  const DatabaseSettings s = testing::settings_from_env();
  const auto session = testing::connect_or_throw(s);
  soci::session& db = *session;
  std::string version, log_bin;
  long long flush = 0, pool = 0, sync_binlog = 0;
  db << "SELECT VERSION(), @@innodb_flush_log_at_trx_commit, @@innodb_buffer_pool_size, "
        "@@sync_binlog, CAST(@@log_bin AS CHAR)",
      soci::into(version), soci::into(flush), soci::into(pool), soci::into(sync_binlog),
      soci::into(log_bin);
  const EngineSettings engine;
  MachineFacts m;
  m.facts = {
      {"date",
       [] {
         char text[32];
         const std::time_t now = std::time(nullptr);
         std::tm tm{};
         ::gmtime_r(&now, &tm);
         std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
         return std::string(text);
       }()},
      {"cores",
       fmt::format("{} (std::thread::hardware_concurrency)", std::thread::hardware_concurrency())},
      {"CPU", cpu_model()},
      {"RAM", fmt::format("{:.1f} GiB", memory_gib())},
      {"load average at the start (1, 5, 15 min)", load_average()},
      {"database", fmt::format("MariaDB/MySQL {} over {}", version,
                               s.socket.empty() ? fmt::format("TCP {}:{}", s.host, s.port)
                                                : "the unix socket " + s.socket)},
      {"innodb_flush_log_at_trx_commit", std::to_string(flush)},
      {"innodb_buffer_pool_size", fmt::format("{} MiB", pool / (1024 * 1024))},
      {"log_bin / sync_binlog", fmt::format("{} / {}", log_bin == "1" ? "ON" : "OFF", sync_binlog)},
      {"crmflow engine",
       fmt::format("defaults: batch_size {}, idle_poll_ms {}, settle_ms {}, "
                   "lease_seconds {}",
                   engine.batch_size, engine.idle_poll_ms, engine.settle_ms, engine.lease_seconds)},
      {"sizes", fmt::format("--events {}{}; latency {} s per rate", options.events,
                            options.quick ? " (--quick)" : "", options.latency_phase.count())},
  };
  if (flush != 1) {
    m.facts.emplace_back("WARNING",
                         "innodb_flush_log_at_trx_commit is not 1: commits are not "
                         "durable, the figures are not comparable");
  }
  return m;
}

void print_table(const Report& report) {
  size_t name_width = 6, value_width = 5, unit_width = 4, target_width = 6;
  for (const Figure& f : report.figures) {
    name_width = std::max(name_width, f.name.size());
    value_width = std::max(value_width, f.value.size());
    unit_width = std::max(unit_width, f.unit.size());
    target_width = std::max(target_width, f.target.size());
  }
  say(fmt::format("\n{:<{}}  {:>{}}  {:<{}}  {:<{}}  {}\n", "figure", name_width, "value",
                  value_width, "unit", unit_width, "target", target_width, "met?"));
  for (const Figure& f : report.figures) {
    say(fmt::format("{:<{}}  {:>{}}  {:<{}}  {:<{}}  {}\n", f.name, name_width, f.value,
                    value_width, f.unit, unit_width, f.target, target_width, f.met));
  }
}

void write_markdown(const fs::path& file, const MachineFacts& machine, const Report& report) {
  // scripts/bench.sh puts this under "## The latest run", beside "### Dispatch".
  std::string md = "### Throughput (bench/throughput_bench)\n\n";
  for (const auto& [key, value] : machine.facts) md += fmt::format("- {}: {}\n", key, value);
  md += "\n| figure | value | unit | target | met? |\n| --- | ---: | --- | --- | --- |\n";
  for (const Figure& f : report.figures) {
    md += fmt::format("| {} | {} | {} | {} | {} |\n", f.name, f.value, f.unit, f.target, f.met);
  }
  if (!report.notes.empty()) {
    md += "\n";
    for (const std::string& note : report.notes) md += "- " + note + "\n";
  }
  write_text(file, md);
}

int run(const Options& options) {
  const auto started = Clock::now();
  const MachineFacts machine = machine_facts(options);
  say("throughput_bench: crmflow " CRMFLOW_BINARY "\n");
  for (const auto& [key, value] : machine.facts) say(fmt::format("  {}: {}\n", key, value));

  WorkDir work;
  Report report;
  const double base = baseline(options, report);
  const DrainResult one = drain(options, work, 1, base, report);
  const DrainResult two = drain(options, work, 2, base, report);
  if (one.complete && two.complete) {
    report.add("drain, 2 hosts: speed-up over 1 host", fixed(two.rate / one.rate, 2), "x");
  }
  const double small_idle_rss = latency(options, work, report);
  memory(options, work, small_idle_rss, report);

  report.note(fmt::format("whole run {:.0f} s; load average at the end (1, 5, 15 min): {}",
                          seconds_since(started), load_average()));
  print_table(report);
  for (const std::string& note : report.notes) say("- " + note + "\n");
  if (!options.results.empty()) {
    write_markdown(options.results, machine, report);
    say("results written to " + options.results + "\n");
  }
  if (!report.failed) work.succeeded();
  return report.failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "throughput_bench: error: %s\n", e.what());
    return 1;
  }
}
