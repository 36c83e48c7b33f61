// Test 5: the CRM is never hurt. While a host handles events with an update_record workflow on
// Cases, four CRM-like clients (own plain connections, the server's default session settings)
// save the same records, every column each time, for about 10 s. No CRM statement may fail; the
// longest one's wait is printed.
#include <soci/mysql/soci-mysql.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

constexpr int kCases = 8;
constexpr int kClients = 4;
constexpr auto kDuration = 10s;
// A pause between one client's saves: four users saving as fast as the server allows would be
// no CRM (and a backlog on 8 records drains only 8 events per claim round; see the report).
constexpr auto kPause = 0ms;

std::string case_id(int n) {
  return lead_id("cse", n);
}

struct ClientFigures {
  long long saves = 0;
  long long errors = 0;
  std::chrono::microseconds longest{0};
  std::vector<std::string> messages;
};

// One CRM client: saves the cases round-robin (starting at its own offset, so the clients meet
// on every record), alternating the status between 'Escalated' and 'Active - Assigned'.
ClientFigures crm_client(const DatabaseSettings& settings, int client, Clock::time_point until) {
  ClientFigures figures;
  try {
    soci::session db(*soci::factory_mysql(), connection_string(settings));
    for (long long n = 0; Clock::now() < until; ++n) {
      const std::string id = case_id(static_cast<int>((client + n) % kCases) + 1);
      const std::string name = "Case " + id;
      const std::string user = client % 2 == 0 ? kMaria : kThomas;
      const std::string description =
          "client " + std::to_string(client) + " save " + std::to_string(n);
      const std::string status = (n / kCases) % 2 == 0 ? "Escalated" : "Active - Assigned";
      const std::string priority = "P3";
      const std::string type = "User";
      const std::string resolution = "";
      const std::string account = "acc00001-0000-4000-8000-000000000000";
      const std::string contact = "con00002-0000-4000-8000-000000000000";
      const auto started = Clock::now();
      try {
        db << "UPDATE cases SET name = :name, date_modified = UTC_TIMESTAMP(), "
              "modified_user_id = :user, created_by = '1', assigned_user_id = :user2, "
              "description = :description, deleted = 0, type = :type, status = :status, "
              "priority = :priority, resolution = :resolution, account_id = :account, "
              "contact_id = :contact WHERE id = :id",
            soci::use(name), soci::use(user), soci::use(user), soci::use(description),
            soci::use(type), soci::use(status), soci::use(priority), soci::use(resolution),
            soci::use(account), soci::use(contact), soci::use(id);
        ++figures.saves;
      } catch (const std::exception& e) {
        ++figures.errors;
        if (figures.messages.size() < 5) figures.messages.emplace_back(e.what());
      }
      figures.longest =
          std::max(figures.longest,
                   std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started));
      std::this_thread::sleep_for(kPause);
    }
  } catch (const std::exception& e) {
    ++figures.errors;
    figures.messages.emplace_back(std::string("connection: ") + e.what());
  }
  return figures;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crm_load)

BOOST_AUTO_TEST_CASE(crm_saves_never_fail) {
  testing::DbFixture fixture;
  HostFiles files("crm-load");
  files.add_workflow(Json{
      {"id", "escalate"},
      {"module", "Cases"},
      {"trigger", "saved"},
      {"fire", "on_change"},
      {"run_as", "triggering_user"},
      {"conditions", {{"all", {{{"field", "status"}, {"op", "equals"}, {"value", "Escalated"}}}}}},
      {"actions",
       {{{"plugin", "update_record"}, {"params", {{"fields", {{"priority", "P1"}}}}}}}}});
  DumpLogsOnFailure dump({files.log()});
  const auto db = fixture.connect_again();
  *db << "INSERT INTO cases (id, name, date_entered, date_modified, modified_user_id, created_by, "
         "assigned_user_id, deleted, type, status, priority) SELECT CONCAT('cse', LPAD(seq, 8, "
         "'0')), CONCAT('Case ', seq), UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', '" +
             kThomas + "', 0, 'User', 'Active - New', 'P3' FROM seq_1_to_" + std::to_string(kCases);

  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE(host.wait_for_log("handling events as", 30s));

  const auto until = Clock::now() + kDuration;
  std::vector<ClientFigures> figures(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] { figures[c] = crm_client(fixture.settings(), c, until); });
  }
  // The backlog while the CRM works: the host should keep up.
  long long largest_backlog = 0;
  while (Clock::now() < until) {
    largest_backlog = std::max(largest_backlog, pending_events(*db));
    std::this_thread::sleep_for(200ms);
  }
  for (auto& t : clients) t.join();
  BOOST_REQUIRE(wait_for_empty_queue(*db, 60s));
  BOOST_TEST(host.running());
  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());

  long long saves = 0, errors = 0;
  std::chrono::microseconds longest{0};
  for (const auto& f : figures) {
    saves += f.saves;
    errors += f.errors;
    longest = std::max(longest, f.longest);
    for (const auto& m : f.messages) BOOST_TEST_MESSAGE("  CRM error: " << m);
  }
  const long long done = query_count(
      *db, "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'escalate' AND outcome = 'done'");
  const long long runs = query_count(*db, "SELECT COUNT(*) FROM crmflow_run");
  const long long failed =
      query_count(*db, "SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed'");
  BOOST_TEST(errors == 0);
  BOOST_TEST(saves > 0);
  BOOST_TEST(done > 0);
  BOOST_TEST(query_count(*db, "SELECT COUNT(*) FROM crmflow_event_quarantine") == 0);
  BOOST_TEST_MESSAGE("  CRM load: " << kClients << " clients, " << saves << " saves on " << kCases
                                    << " cases in " << std::chrono::seconds(kDuration).count()
                                    << " s, CRM errors " << errors << ", longest CRM statement "
                                    << static_cast<double>(longest.count()) / 1000.0
                                    << " ms; host: largest backlog " << largest_backlog
                                    << " events, " << runs << " audit rows, " << done
                                    << " escalations done, " << failed << " failed attempts");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
