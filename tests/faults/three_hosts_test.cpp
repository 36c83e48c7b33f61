// Three hosts at once in a deadlock storm: thousands of saves on ten Cases, a workflow whose
// update_record writes the very records the CRM saves (and creates a task, the effect counted),
// while CRM-like clients (own plain connections, the server's default session settings) save
// those records in multi-row transactions, in a new order each time. Every transaction of a
// host then holds rows a CRM transaction wants and wants rows it holds. The CRM must never
// fail (the hosts give way, they are never the reason a CRM save dies) and every CRM save's
// event is handled once, by one of the three hosts; nothing stuck, nothing quarantined.
#include <soci/mysql/soci-mysql.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <thread>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "stm";
constexpr int kCases = 10;
constexpr int kClients = 3;
// Between one client's transactions: the saves go on while the hosts work (a storm, not a
// backlog saved first and handled after).
constexpr auto kPause = 15ms;

std::string case_id(int n) {
  return lead_id(kPrefix, n);
}

struct ClientFigures {
  long long saves = 0;                   // rows saved by committed transactions: one event each
  long long transactions = 0;            // committed
  std::chrono::microseconds longest{0};  // the slowest transaction (waits for the hosts\' locks)
  std::map<int, long long> errors;       // MariaDB error number (0: not a server error) → count
  std::vector<std::string> messages;
};

int error_number(const std::exception& e) {
  const auto* mysql = dynamic_cast<const soci::mysql_soci_error*>(&e);
  return mysql == nullptr ? 0 : static_cast<int>(mysql->err_num_);
}

// One CRM client: `quota` saves of its own cases (every kClients-th one, so that CRM clients
// never wait for each other; the hosts' batches cross all of them), in transactions of 2 to all
// of its cases, shuffled each time.
ClientFigures crm_client(const DatabaseSettings& settings, int client, long long quota) {
  ClientFigures figures;
  std::vector<std::string> own;
  for (int n = client + 1; n <= kCases; n += kClients) own.push_back(case_id(n));
  std::mt19937 random(static_cast<unsigned>(1000 + client));
  try {
    soci::session db(*soci::factory_mysql(), connection_string(settings));
    const auto give_up = Clock::now() + 120s;
    while (figures.saves < quota && Clock::now() < give_up) {
      std::shuffle(own.begin(), own.end(), random);
      const long long size = std::min<long long>(
          quota - figures.saves,
          std::uniform_int_distribution<long long>(2, static_cast<long long>(own.size()))(random));
      const auto began = Clock::now();
      try {
        db << "START TRANSACTION";
        for (long long i = 0; i < size; ++i) {
          const std::string description =
              "client " + std::to_string(client) + " save " + std::to_string(figures.saves + i);
          db << "UPDATE cases SET description = :d, status = 'Escalated', priority = 'P3', "
                "modified_user_id = :u, date_modified = UTC_TIMESTAMP() WHERE id = :id",
              soci::use(description), soci::use(client % 2 == 0 ? kMaria : kThomas),
              soci::use(own[static_cast<size_t>(i)]);
        }
        db << "COMMIT";
        figures.saves += size;
        ++figures.transactions;
        figures.longest =
            std::max(figures.longest,
                     std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - began));
      } catch (const std::exception& e) {
        ++figures.errors[error_number(e)];
        if (figures.messages.size() < 5) figures.messages.emplace_back(e.what());
        try {
          db << "ROLLBACK";
        } catch (const std::exception&) {
          // The connection is gone; the next statement reports it.
        }
      }
      std::this_thread::sleep_for(kPause);
    }
  } catch (const std::exception& e) {
    ++figures.errors[error_number(e)];
    figures.messages.emplace_back(std::string("connection: ") + e.what());
  }
  return figures;
}

// A server-wide InnoDB counter (the test's private server: the figures are this test's).
long long innodb_status(soci::session& db, const std::string& name) {
  std::string value;
  db << "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '" +
            name + "'",
      soci::into(value);
  return value.empty() ? -1 : std::stoll(value);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(three_hosts)

BOOST_AUTO_TEST_CASE(deadlock_storm_every_event_once_and_no_crm_error) {
  const long long saves_wanted = soak_or(3000, 30000);
  testing::DbFixture fixture;
  HostFiles files("three-hosts");
  files.add_workflow(Json{
      {"id", "storm"},
      {"module", "Cases"},
      {"trigger", "saved"},
      {"fire", "every_save"},
      {"run_as", "triggering_user"},
      {"conditions", {{"all", {{{"field", "status"}, {"op", "equals"}, {"value", "Escalated"}}}}}},
      {"actions",
       {{{"plugin", "update_record"}, {"params", {{"fields", {{"priority", "P1"}}}}}},
        {{"plugin", "create_record"},
         {"params",
          {{"module", "Tasks"},
           {"fields", {{"name", "Storm follow-up"}, {"status", "Not Started"}}}}}}}}});
  const std::vector<std::string> names{"host-a", "host-b", "host-c"};
  DumpLogsOnFailure dump({files.log(names[0]), files.log(names[1]), files.log(names[2])});
  const auto db = fixture.connect_again();
  *db << "INSERT INTO cases (id, name, date_entered, date_modified, modified_user_id, created_by, "
         "assigned_user_id, deleted, type, status, priority) SELECT CONCAT('" +
             kPrefix +
             "', LPAD(seq, 8, '0')), CONCAT('Case ', seq), UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', "
             "'1', '" +
             kThomas + "', 0, 'User', 'Active - New', 'P3' FROM seq_1_to_" + std::to_string(kCases);
  install_capture(files.config_file(), fixture.settings(), files.log("cli"));

  std::vector<std::unique_ptr<HostProcess>> hosts;
  for (const auto& name : names) {
    hosts.push_back(
        std::make_unique<HostProcess>(files.config_file(), fixture.settings(), files.log(name)));
  }
  for (auto& host : hosts) BOOST_REQUIRE(host->wait_for_log("handling events as", 30s));

  const long long deadlocks_before = innodb_status(*db, "INNODB_DEADLOCKS");
  const long long lock_waits_before = innodb_status(*db, "INNODB_ROW_LOCK_WAITS");
  const auto started = Clock::now();
  std::vector<ClientFigures> figures(kClients);
  std::atomic<int> finished{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    const long long quota = saves_wanted / kClients + (c < saves_wanted % kClients ? 1 : 0);
    clients.emplace_back([&, c, quota] {
      figures[c] = crm_client(fixture.settings(), c, quota);
      ++finished;
    });
  }
  // The clients give up after 120 s themselves.
  long long largest_backlog = 0;
  while (finished < kClients) {
    largest_backlog = std::max(largest_backlog, pending_events(*db));
    std::this_thread::sleep_for(200ms);
  }
  for (auto& t : clients) t.join();
  const double saving = seconds_since(started);
  BOOST_REQUIRE(wait_for_empty_queue(*db, 120s));
  const double total = seconds_since(started);
  for (size_t i = 0; i < hosts.size(); ++i) {
    BOOST_TEST(hosts[i]->running(), names[i] << " ended with " << hosts[i]->describe_status());
    hosts[i]->terminate();
  }
  for (size_t i = 0; i < hosts.size(); ++i) {
    BOOST_TEST(hosts[i]->wait(15s).has_value());
    BOOST_TEST(hosts[i]->exited_cleanly(),
               names[i] << " ended with " << hosts[i]->describe_status());
  }

  const long long deadlocks = innodb_status(*db, "INNODB_DEADLOCKS") - deadlocks_before;
  const long long lock_waits = innodb_status(*db, "INNODB_ROW_LOCK_WAITS") - lock_waits_before;
  long long saves = 0, transactions = 0, errors = 0;
  std::chrono::microseconds longest{0};
  std::map<int, long long> by_code;
  for (const auto& f : figures) {
    saves += f.saves;
    transactions += f.transactions;
    longest = std::max(longest, f.longest);
    for (const auto& [code, n] : f.errors) {
      by_code[code] += n;
      errors += n;
    }
    for (const auto& m : f.messages) BOOST_TEST_MESSAGE("  CRM error: " << m);
  }
  std::string codes;
  for (const auto& [code, n] : by_code) {
    codes += (codes.empty() ? "" : ", ") + std::to_string(n) + " × " + std::to_string(code);
  }

  const Oracle oracle = tally_workflow(
      *db, "deadlock storm, three hosts", "storm", kPrefix, saves,
      "SELECT COUNT(*) FROM tasks WHERE parent_type = 'Cases' AND name = 'Storm follow-up' AND "
      "parent_id LIKE '" +
          kPrefix + "%'");
  oracle.report();
  std::string per_host;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const std::string output = hosts[i]->output();
    const std::string owner_like = "%:" + std::to_string(hosts[i]->pid()) + ":%";
    const long long handled =
        query_count(*db,
                    "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'storm' AND "
                    "outcome = 'done' AND host LIKE '" +
                        owner_like + "'");
    per_host += (per_host.empty() ? "" : "; ") + names[i] + " " + std::to_string(handled) +
                " done, " + std::to_string(count_occurrences(output, "Deadlock")) +
                " deadlock(s), " + std::to_string(count_occurrences(output, "Lock wait timeout")) +
                " lock wait timeout(s), " +
                std::to_string(count_occurrences(output, "rolled back")) + " batch(es) rolled back";
  }
  BOOST_TEST_MESSAGE("  three hosts: "
                     << saves << " CRM saves in " << transactions << " transactions on " << kCases
                     << " cases by " << kClients << " clients in " << saving << " s, CRM errors "
                     << errors << (codes.empty() ? "" : " (" + codes + ")")
                     << ", longest CRM transaction "
                     << static_cast<double>(longest.count()) / 1000.0 << " ms; all handled after "
                     << total << " s, largest backlog " << largest_backlog << "; server: "
                     << deadlocks << " deadlock(s), " << lock_waits << " row lock wait(s)");
  BOOST_TEST_MESSAGE("  three hosts: " << per_host);
  BOOST_TEST(errors == 0, "CRM errors: " << codes);
  BOOST_TEST(saves == saves_wanted);
  oracle.check();
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
