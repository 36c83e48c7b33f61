// Test 3: two hosts at once on 5,000 saves concentrated on 20 records. Nothing is handled twice,
// nothing is left, and each record's events are handled in the order the saves were committed.
#include <map>
#include <random>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "two";
constexpr int kRecords = 20;
constexpr int kSaves = 5000;

}  // namespace

BOOST_AUTO_TEST_SUITE(two_hosts)

BOOST_AUTO_TEST_CASE(nothing_twice_and_in_commit_order) {
  testing::DbFixture fixture;
  HostFiles files("two-hosts");
  Json workflow = follow_up_workflow("every-save", "every_save");
  files.add_workflow(workflow);
  DumpLogsOnFailure dump({files.log("host-a"), files.log("host-b")});
  const auto crm = fixture.connect_again();
  insert_leads(*crm, kPrefix, kRecords);
  *crm << "UPDATE leads SET status = 'Qualified' WHERE id LIKE '" + kPrefix + "%'";

  HostProcess a(files.config_file(), fixture.settings(), files.log("host-a"));
  HostProcess b(files.config_file(), fixture.settings(), files.log("host-b"));
  BOOST_REQUIRE(a.wait_for_log("handling events as", 30s));
  BOOST_REQUIRE(b.wait_for_log("handling events as", 30s));

  // The saves, one transaction each from one connection, so commit order is the order here.
  // Each save's event id is read inside its transaction (the event is our own uncommitted row).
  std::mt19937 random(20240611);
  std::uniform_int_distribution<int> pick(1, kRecords);
  std::map<std::string, std::vector<long long>> committed;  // record → its events, in order
  const auto started = Clock::now();
  for (int n = 1; n <= kSaves; ++n) {
    const std::string id = lead_id(kPrefix, pick(random));
    const std::string description = "n=" + std::to_string(n);
    long long event = 0;
    soci::transaction tx(*crm);
    *crm << "UPDATE leads SET description = :d, modified_user_id = :u, date_modified = "
            "UTC_TIMESTAMP() WHERE id = :id",
        soci::use(description), soci::use(kThomas), soci::use(id);
    *crm << "SELECT MAX(id) FROM crmflow_event WHERE module = 'Leads' AND record_id = :id",
        soci::use(id), soci::into(event);
    tx.commit();
    committed[id].push_back(event);
  }
  const double saving = seconds_since(started);
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 90s));
  const double total = seconds_since(started);
  BOOST_TEST(a.running());
  BOOST_TEST(b.running());
  a.terminate();
  b.terminate();
  BOOST_TEST(a.wait(15s).has_value());
  BOOST_TEST(b.wait(15s).has_value());
  BOOST_TEST(a.exited_cleanly(), "host a ended with " << a.describe_status());
  BOOST_TEST(b.exited_cleanly(), "host b ended with " << b.describe_status());

  // Nothing twice, nothing left.
  const std::string like = "'" + kPrefix + "%'";
  BOOST_TEST(pending_events(*crm) == 0);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine") == 0);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND "
                         "parent_type = 'Leads' AND parent_id LIKE " +
                             like) == kSaves);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'done' AND "
                         "record_id LIKE " +
                             like) == kSaves);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE outcome "
                         "= 'done' AND record_id LIKE " +
                             like) == kSaves);

  // Per record: the audit rows, in the order they were written, name the record's events in
  // the order their saves were committed.
  int out_of_order = 0;
  for (const auto& [id, events] : committed) {
    std::vector<long long> handled;
    soci::rowset<long long> rows =
        (crm->prepare << "SELECT event_id FROM crmflow_run WHERE record_id = :id AND outcome = "
                         "'done' ORDER BY id",
         soci::use(id));
    for (const long long e : rows) handled.push_back(e);
    if (handled != events) {
      ++out_of_order;
      size_t at = 0;
      while (at < handled.size() && at < events.size() && handled[at] == events[at]) ++at;
      BOOST_ERROR("record " << id << ": " << events.size() << " saves committed, " << handled.size()
                            << " handled; first difference at position " << at
                            << ": committed event " << (at < events.size() ? events[at] : -1)
                            << ", handled event " << (at < handled.size() ? handled[at] : -1));
    }
  }
  BOOST_TEST(out_of_order == 0);

  long long by_a = 0, by_b = 0;
  soci::rowset<soci::row> hosts =
      crm->prepare << "SELECT host, COUNT(*) FROM crmflow_run WHERE record_id LIKE " + like +
                          " GROUP BY host ORDER BY host";
  std::vector<long long> per_host;
  for (const soci::row& row : hosts) per_host.push_back(row.get<long long>(1));
  if (!per_host.empty()) by_a = per_host.front();
  if (per_host.size() > 1) by_b = per_host[1];
  BOOST_WARN_MESSAGE(per_host.size() == 2, "only one of the two hosts handled events");
  BOOST_TEST_MESSAGE("  two hosts: " << kSaves << " saves on " << kRecords << " records in "
                                     << saving << " s, all handled after " << total
                                     << " s; per host " << by_a << " / " << by_b
                                     << "; records out of order: " << out_of_order);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
