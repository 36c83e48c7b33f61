// Benchmark: the inactivity trigger over a generated CRM. Creates a fresh database (the demo
// 1CRM schema, tests/integration/db_fixture.hpp), adds N leads and M activities linked to them
// (calls, meetings, tasks, notes and emails; set-based INSERT ... SELECT in batches), loads
// the seed workflow "lead-follow-up" (14 quiet days), prints the statement a tick runs with the
// database's plan of it, then times three ticks of the host's scheduler (trigger_ticks.hpp):
// the first (every quiet lead fires), one right after (nothing new: the steady-state cost) and
// one a day later (the leads that became quiet meanwhile). The events the ticks queue are
// counted, not run: the benchmark is about the tick.
//
//   inactivity_bench [--leads N] [--activities M]     (defaults 100000 and 500000)
//
// Needs the private MariaDB and its environment: scripts/bench.sh builds and runs it, or
//   scripts/mariadb.sh start && eval "$(scripts/mariadb.sh env)"
// The database `crmflow_t_<pid>_1` is dropped at the end (CRMFLOW_TEST_KEEP_DB=1 keeps it).
#include <crmflow/abi.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "bench_args.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/trigger_ticks.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "workflow_harness.hpp"

namespace {

using namespace crmflow;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Rows per INSERT ... SELECT; the number table holds this many (at most 10^5: five digits).
constexpr long long kBatch = 50000;
static_assert(kBatch <= 100000);
constexpr long long kMaxLeads = 10'000'000;
constexpr long long kMaxActivities = 50'000'000;
constexpr long long kDay = 24 * 3600;
constexpr int kQuietDays = 14;
constexpr size_t kMaxFirings = 1'000'000;  // one tick fires every quiet lead

// Seed scenario 1 without its conditions: no activity with a lead for two weeks.
const std::string kWorkflow = R"({
  "id": "lead-follow-up", "module": "Leads",
  "trigger": {"plugin": "inactivity",
              "params": {"days": 14, "filter": {"status": ["New", "Assigned", "In Process"]}}},
  "actions": [{"plugin": "create_record",
               "params": {"module": "Tasks", "fields": {"name": "Follow-up"}}}]})";

// The activity tables, each linked to its lead by parent_type/parent_id.
struct ActivityTable {
  const char* table;
  const char* id_prefix;
  const char* name;
};
constexpr ActivityTable kActivities[] = {
    {"calls", "bench-call-", "Bench call"},    {"meetings", "bench-meeting-", "Bench meeting"},
    {"tasks", "bench-task-", "Bench task"},    {"notes", "bench-note-", "Bench note"},
    {"emails", "bench-email-", "Bench email"},
};
constexpr size_t kIdLength = 36;

struct Options {
  long long leads = 100000;
  long long activities = 500000;
};

const char* const kUsage = "usage: inactivity_bench [--leads N] [--activities M]";

using crmflow::bench::parse_count;

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::puts(kUsage);
      std::exit(0);
    }
    if ((arg == "--leads" || arg == "--activities") && i + 1 < argc) {
      const std::string_view value = argv[++i];
      if (arg == "--leads") {
        options.leads = parse_count(arg, value, 1, kMaxLeads);
      } else {
        options.activities = parse_count(arg, value, 0, kMaxActivities);
      }
      continue;
    }
    throw std::runtime_error(fmt::format("unknown or incomplete argument '{}'\n{}", arg, kUsage));
  }
  return options;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long long count(soci::session& db, const std::string& sql) {
  return testing::query_count(db, sql);
}

// A deterministic pseudo-random number in [0, modulus) for row `n` and a purpose: the same
// data on every run, so runs compare.
std::string hashed(std::string_view purpose, long long modulus) {
  return fmt::format("(CRC32(CONCAT('{}-', g.n)) % {})", purpose, modulus);
}

// The rows g.n = first .. first + rows - 1 of a batch.
std::string batch_rows(long long first, long long rows) {
  return fmt::format("(SELECT s.n + {} AS n FROM bench_seq s WHERE s.n < {}) g", first, rows);
}

// Calls `insert` with the numbers table of each batch of kBatch rows (batch_rows) for rows
// 1 .. total, so every statement stays bounded.
void in_batches(long long total, const std::function<void(const std::string&)>& insert) {
  for (long long first = 1; first <= total; first += kBatch) {
    insert(batch_rows(first, std::min(kBatch, total - first + 1)));
  }
}

std::string lead_id(const std::string& number) {
  return fmt::format("CONCAT('bench-lead-', LPAD({}, 25, '0'))", number);
}

// bench_seq: the numbers 0 .. kBatch - 1, from a table of digits cross-joined (no recursive
// CTE, so it runs on MySQL 8 as well).
void make_number_table(soci::session& db) {
  db << "CREATE TABLE bench_digits (d INT NOT NULL PRIMARY KEY) ENGINE=InnoDB";
  db << "INSERT INTO bench_digits VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)";
  db << "CREATE TABLE bench_seq (n INT NOT NULL PRIMARY KEY) ENGINE=InnoDB";
  db << fmt::format(
      "INSERT INTO bench_seq (n) SELECT x.n FROM (SELECT a.d + 10 * b.d + 100 * c.d + "
      "1000 * d.d + 10000 * e.d AS n FROM bench_digits a CROSS JOIN bench_digits b CROSS JOIN "
      "bench_digits c CROSS JOIN bench_digits d CROSS JOIN bench_digits e) x WHERE x.n < {}",
      kBatch);
}

// Leads 1 .. total: 85% New, Assigned or In Process, the rest Converted or Dead; 5% created in
// the last 13 days, the others 60 to 180 days ago.
void insert_leads(soci::session& db, long long total) {
  const std::string entered = fmt::format(
      "TIMESTAMPADD(SECOND, -IF({} < 5, {}, {} + {}), UTC_TIMESTAMP())", hashed("new", 100),
      hashed("age", 13 * kDay), 60 * kDay, hashed("age", 120 * kDay));
  const std::string status = fmt::format(
      "ELT(1 + {}, 'New', 'New', 'New', 'New', 'New', 'New', 'Assigned', 'Assigned', "
      "'Assigned', 'Assigned', 'Assigned', 'In Process', 'In Process', 'In Process', "
      "'In Process', 'In Process', 'In Process', 'Converted', 'Converted', 'Dead')",
      hashed("status", 20));
  in_batches(total, [&](const std::string& numbers) {
    db << fmt::format(
        "INSERT INTO leads (id, date_entered, date_modified, created_by, modified_user_id, "
        "assigned_user_id, deleted, first_name, last_name, status, lead_source) "
        "SELECT {}, {}, {}, '1', '1', ELT(1 + g.n % 2, 'usr00002-0000-4000-8000-000000000000', "
        "'usr00003-0000-4000-8000-000000000000'), 0, 'Bench', CONCAT('Lead ', g.n), {}, 'Web' "
        "FROM {}",
        lead_id("g.n"), entered, entered, status, numbers);
  });
}

// Activities 1 .. total of one table, each with a lead picked at random, changed at a random
// time in the last 60 days.
void insert_activities(soci::session& db, const ActivityTable& a, long long total,
                       long long leads) {
  const std::string table = a.table;
  const std::string at =
      fmt::format("TIMESTAMPADD(SECOND, -{}, UTC_TIMESTAMP())", hashed(table + "-age", 60 * kDay));
  const std::string parent = lead_id("1 + " + hashed(table + "-parent", leads));
  const size_t digits = kIdLength - std::string_view(a.id_prefix).size();
  in_batches(total, [&](const std::string& numbers) {
    db << fmt::format(
        "INSERT INTO {} (id, name, date_entered, date_modified, created_by, modified_user_id, "
        "assigned_user_id, deleted, parent_type, parent_id) "
        "SELECT CONCAT('{}', LPAD(g.n, {}, '0')), '{}', {}, {}, '1', '1', "
        "'usr00002-0000-4000-8000-000000000000', 0, 'Leads', {} FROM {}",
        table, a.id_prefix, digits, a.name, at, at, parent, numbers);
  });
}

// Runs a statement that returns rows (ANALYZE TABLE) and reads them all.
void run_and_drain(soci::session& db, const std::string& sql) {
  soci::rowset<soci::row> rows = db.prepare << sql;
  for (const soci::row& row : rows) (void)row;
}

// "name=value" of an EXPLAIN line as TriggerTicks::explain writes it ("id=1 select_type=...
// Extra=Using where; Using index"): the value runs to the next " word="; "" when absent.
std::string plan_field(const std::string& line, std::string_view name) {
  const auto next_field = [&line](size_t from) {
    for (size_t space = line.find(' ', from); space != std::string::npos;
         space = line.find(' ', space + 1)) {
      size_t end = space + 1;
      while (end < line.size() &&
             (std::isalnum(static_cast<unsigned char>(line[end])) || line[end] == '_')) {
        ++end;
      }
      if (end > space + 1 && end < line.size() && line[end] == '=') return space;
    }
    return line.size();
  };
  const std::string key = std::string(name) + "=";
  for (size_t at = line.find(key); at != std::string::npos; at = line.find(key, at + 1)) {
    if (at == 0 || line[at - 1] == ' ') {
      const size_t from = at + key.size();
      return line.substr(from, next_field(from) - from);
    }
  }
  return "";
}

// Prints the statements and plan rows; returns the number of warnings: a table other than
// the driving leads (`t`) read in full, or more than one statement.
int print_and_check_plan(const std::vector<std::string>& lines) {
  int statements = 0;
  int warnings = 0;
  for (const std::string& line : lines) {
    if (!line.starts_with("id=")) {
      ++statements;
      fmt::print("statement {}:\n  {}\n", statements, line);
      fmt::print("plan:\n");
      continue;
    }
    fmt::print("  {}\n", line);
  }
  for (const std::string& line : lines) {
    if (!line.starts_with("id=")) continue;
    const std::string table = plan_field(line, "table");
    const std::string type = plan_field(line, "type");
    if (table.starts_with("<")) continue;  // a derived or materialized temporary table
    if (type != "ALL" && type != "index") continue;
    if (table == "t") {
      fmt::print("note: the driving leads table (t) is read in full (type={}), as expected\n",
                 type);
      continue;
    }
    ++warnings;
    const std::string select_type = plan_field(line, "select_type");
    fmt::print(
        "WARNING: table {} (select id={} {}) is read by a full {} (type={}, possible_keys={}, "
        "key={}, rows={}): {}\n",
        table, plan_field(line, "id"), select_type, type == "ALL" ? "table scan" : "index scan",
        type, plan_field(line, "possible_keys"), plan_field(line, "key"), plan_field(line, "rows"),
        select_type == "MATERIALIZED" ? "read once to materialize a subquery"
                                      : "an index is missing or not used");
  }
  if (statements != 1) {
    ++warnings;
    fmt::print("WARNING: the tick selects with {} statements, expected one set-based query\n",
               statements);
  }
  if (warnings == 0) {
    fmt::print(
        "plan: one set-based statement; every table but the driving leads is read "
        "through an index\n");
  }
  return warnings;
}

// The leads quiet since `since` by an independent query (one scan of each activity table),
// to check that the tick fired every one of them.
long long quiet_leads(soci::session& db, const std::string& since) {
  std::string activities;
  for (const ActivityTable& a : kActivities) {
    activities += fmt::format(
        "{}SELECT parent_id, date_modified FROM {} WHERE parent_type = 'Leads' AND deleted = 0",
        activities.empty() ? "" : " UNION ALL ", a.table);
  }
  long long n = 0;
  db << fmt::format(
      "SELECT COUNT(*) FROM leads l LEFT JOIN (SELECT parent_id, MAX(date_modified) AS latest "
      "FROM ({}) x GROUP BY parent_id) a ON a.parent_id = l.id "
      "WHERE l.deleted = 0 AND l.status IN ('New', 'Assigned', 'In Process') "
      "AND COALESCE(l.date_entered, '1970-01-01') <= :since "
      "AND (a.latest IS NULL OR a.latest <= :since2)",
      activities),
      soci::use(since), soci::use(since), soci::into(n);
  return n;
}

// The trigger's last completed tick (crmflow's clock), as the tick row says.
SysSeconds last_tick(soci::session& db) {
  std::string text;
  soci::indicator ind = soci::i_null;
  db << "SELECT DATE_FORMAT(last_tick_at, '%Y-%m-%d %H:%i:%s') FROM crmflow_tick "
        "WHERE trigger_id = 'lead-follow-up'",
      soci::into(text, ind);
  if (ind != soci::i_ok) throw std::runtime_error("the trigger has no completed tick");
  const auto at = parse_utc(text);
  if (!at) throw std::runtime_error("crmflow_tick.last_tick_at: " + at.error());
  return *at;
}

// Pages InnoDB had to read from disk so far (server-wide: other clients count too).
long long disk_reads(soci::session& db) {
  std::string name, value;
  db << "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_reads'", soci::into(name), soci::into(value);
  return std::stoll(value);
}

struct TickRow {
  std::string what;
  size_t fired = 0;
  double seconds = 0;
  long long disk_reads = 0;
};

// Removes the workflow directory however the benchmark ends.
struct TempDir {
  std::filesystem::path path;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

int run(const Options& options) {
  if (auto clock = configure_clock("UTC", 0s); !clock) throw std::runtime_error(clock.error());

  auto started = Clock::now();
  testing::DbFixture fixture;
  soci::session& db = fixture.db();
  std::string version;
  long long pool = 0;
  db << "SELECT VERSION(), @@innodb_buffer_pool_size", soci::into(version), soci::into(pool);
  fmt::print(
      "database {} on MariaDB/MySQL {} (InnoDB buffer pool {} MiB), demo schema in {:.1f} s\n",
      fixture.name(), version, pool / (1024 * 1024), seconds_since(started));

  // ---- the data ----
  fmt::print("generating {} leads and {} activities (batches of {} rows) ...\n", options.leads,
             options.activities, kBatch);
  std::fflush(stdout);
  started = Clock::now();
  make_number_table(db);
  insert_leads(db, options.leads);
  const double leads_seconds = seconds_since(started);
  const long long per_table = options.activities / std::ssize(kActivities);
  const long long rest = options.activities % std::ssize(kActivities);
  std::string spread;
  for (size_t i = 0; i < std::size(kActivities); ++i) {
    const long long n = per_table + (static_cast<long long>(i) < rest ? 1 : 0);
    insert_activities(db, kActivities[i], n, options.leads);
    spread += fmt::format("{}{} {}", spread.empty() ? "" : ", ", kActivities[i].table, n);
  }
  db << "DROP TABLE bench_seq";
  db << "DROP TABLE bench_digits";
  const double generate_seconds = seconds_since(started);
  started = Clock::now();
  run_and_drain(db, "ANALYZE TABLE leads, calls, meetings, tasks, notes, emails");
  const double analyze_seconds = seconds_since(started);
  fmt::print("generated in {:.1f} s (leads {:.1f} s; activities: {}), ANALYZE TABLE {:.1f} s\n",
             generate_seconds, leads_seconds, spread, analyze_seconds);
  fmt::print(
      "leads: {} in all, {} New/Assigned/In Process, {} created in the last {} days\n",
      count(db, "SELECT COUNT(*) FROM leads WHERE deleted = 0"),
      count(db,
            "SELECT COUNT(*) FROM leads WHERE deleted = 0 AND status IN ('New', "
            "'Assigned', 'In Process')"),
      count(db, fmt::format("SELECT COUNT(*) FROM leads WHERE deleted = 0 AND date_entered > "
                            "TIMESTAMPADD(DAY, -{}, UTC_TIMESTAMP())",
                            kQuietDays)),
      kQuietDays);

  // ---- the workflow and the plan ----
  PluginRegistry& registry = testing::build_plugins({"compare", "create_record", "inactivity"});
  TempDir dir{std::filesystem::temp_directory_path() / ("crmflow_bench_" + fixture.name())};
  const std::vector<Workflow> workflows =
      testing::load_workflow_texts(dir.path, {kWorkflow}, registry, &fixture.map());
  TickOptions tick_options;
  tick_options.owner = "inactivity_bench";
  tick_options.interval = 0s;
  tick_options.max_firings = kMaxFirings;
  TriggerTicks ticks(db, fixture.map(), workflows, tick_options);

  fmt::print("\n== the query a tick of lead-follow-up runs (TriggerTicks::explain)\n");
  const auto plan = ticks.explain(workflows.front());
  if (!plan) throw std::runtime_error("explain: " + plan.error());
  const int warnings = print_and_check_plan(*plan);

  // ---- the ticks ----
  fmt::print("\n== ticks\n");
  std::fflush(stdout);
  std::vector<TickRow> rows;
  const auto timed_tick = [&](std::string what) {
    const long long reads = disk_reads(db);
    const auto start = Clock::now();
    const size_t fired = ticks.step();
    rows.push_back({std::move(what), fired, seconds_since(start), disk_reads(db) - reads});
    return fired;
  };

  const size_t first = timed_tick("first: every quiet lead");
  if (first >= kMaxFirings) {
    fmt::print("WARNING: tick 1 reached max_firings ({}); the rest wait for the next tick\n",
               kMaxFirings);
  }
  // A tick within the same second as the last one has no window: wait (at most 3 s).
  const SysSeconds tick1 = last_tick(db);
  for (int i = 0; i < 30 && now() <= tick1; ++i) std::this_thread::sleep_for(100ms);
  timed_tick("right after: the steady state");

  if (auto clock = configure_clock("UTC", std::chrono::seconds(kDay)); !clock) {
    throw std::runtime_error(clock.error());
  }
  timed_tick("a day later: the newly quiet leads");

  // The advice for large CRMs (README "Time triggers"): an index that holds date_modified
  // beside the parent link, so "no activity since T" is answered from the index alone.
  const auto indexing = Clock::now();
  for (const ActivityTable& a : kActivities) {
    db << fmt::format(
        "CREATE INDEX crmflow_quiet ON {} (parent_id, parent_type, deleted, "
        "date_modified)",
        a.table);
  }
  fmt::print(
      "\nadvised index (parent_id, parent_type, deleted, date_modified) on the {} activity "
      "tables: created in {:.1f} s\n",
      std::size(kActivities), seconds_since(indexing));
  if (auto clock = configure_clock("UTC", std::chrono::seconds(2 * kDay)); !clock) {
    throw std::runtime_error(clock.error());
  }
  timed_tick("two days later, with the advised index");
  (void)configure_clock("UTC", 0s);

  fmt::print("\ntick  {:<36} {:>9} {:>9} {:>11} {:>11}\n", "", "firings", "seconds", "firings/s",
             "disk reads");
  for (size_t i = 0; i < rows.size(); ++i) {
    const TickRow& r = rows[i];
    const std::string rate = r.fired == 0 || r.seconds <= 0
                                 ? "-"
                                 : fmt::format("{:.0f}", static_cast<double>(r.fired) / r.seconds);
    fmt::print("{:<5} {:<36} {:>9} {:>9.3f} {:>11} {:>11}\n", i + 1, r.what, r.fired, r.seconds,
               rate, r.disk_reads);
  }
  fmt::print(
      "(disk reads: InnoDB pages read from disk during the tick, server-wide; many of them "
      "mean the buffer pool does not hold the tables)\n");
  fmt::print(
      "\nqueued: {} events in crmflow_event, {} rows in the firing ledger (crmflow_firing); the "
      "engine is not run on them (this benchmark times the tick only)\n",
      count(db, "SELECT COUNT(*) FROM crmflow_event"),
      count(db, "SELECT COUNT(*) FROM crmflow_firing"));

  // Tick 1 against an independent count with the tick's own "since" (the activities did not
  // change since: the engine did not run).
  const auto since = shift(tick1, -kQuietDays, CRMFLOW_UNIT_DAY, false);
  if (!since) throw std::runtime_error(since.error());
  started = Clock::now();
  const long long expected = quiet_leads(db, format_utc(*since));
  fmt::print("cross-check: {} leads quiet since {} by an independent query ({:.1f} s): {}\n",
             expected, format_utc(*since), seconds_since(started),
             static_cast<long long>(first) == expected ? "tick 1 fired each of them"
                                                       : "DIFFERS from tick 1");
  if (static_cast<long long>(first) != expected && first < kMaxFirings) {
    throw std::runtime_error(
        fmt::format("tick 1 fired {} leads, the independent count says {} (see the log above)",
                    first, expected));
  }
  fmt::print("plan warnings: {}\n", warnings);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_options(argc, argv));
  } catch (const std::exception& e) {
    (void)configure_clock("UTC", std::chrono::seconds(0));
    std::fprintf(stderr, "inactivity_bench: error: %s\n", e.what());
    return 1;
  }
}
