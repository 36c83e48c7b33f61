// Time triggers on a real database: the inactivity, date_reached and schedule plugins ticked
// by the host's scheduler (trigger_ticks.hpp), their firings in the ledger and the queue, the
// workflows run by the engine. Time moves through the one clock's offset (host_clock.hpp).
#define BOOST_TEST_MODULE time_triggers_test
#include <soci/soci.h>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <tuple>

#include "crmflow/host/engine.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/retention.hpp"
#include "crmflow/host/trigger_ticks.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;
using namespace std::chrono_literals;

namespace {

const std::string kQuietLead = "led00001-0000-4000-8000-000000000000";
const std::string kCalledLead = "led00002-0000-4000-8000-000000000000";
const std::string kContract = "ssc00001-0000-4000-8000-000000000000";
constexpr auto kDay = std::chrono::seconds(24 * 3600);

PluginRegistry& plugins() {
  return testing::build_plugins(
      {"compare", "create_record", "inactivity", "date_reached", "schedule"});
}

// Seed scenario 1: no activity with a lead for two weeks → the task "Follow-up".
const std::string kFollowUp = R"({
  "id": "lead-follow-up", "module": "Leads",
  "trigger": {"plugin": "inactivity",
              "params": {"days": 14, "filter": {"status": ["New", "Assigned", "In Process"]}}},
  "run_as": "assigned_user",
  "conditions": {"all": [{"field": "status", "op": "not_in", "value": ["Converted", "Dead"]}]},
  "actions": [{"plugin": "create_record",
               "params": {"module": "Tasks", "fields": {"name": "Follow-up"}}}]})";

// 30 days before a service contract expires, at 08:00 in Vienna: a renewal task.
const std::string kRenewal = R"({
  "id": "contract-renewal", "module": "ServiceSubcontracts",
  "trigger": {"plugin": "date_reached",
              "params": {"field": "date_expire", "offset": "-30d", "at": "08:00",
                         "filter": {"status": "Active"}}},
  "actions": [{"plugin": "create_record",
               "params": {"module": "Tasks", "fields": {"name": "Renewal"}}}]})";

// Every day at 08:00 in Vienna, for the open cases.
const std::string kDailyCases = R"({
  "id": "daily-open-cases", "module": "Cases",
  "trigger": {"plugin": "schedule",
              "params": {"cron": "0 8 * * *",
                         "filter": {"status": ["Active - New", "Active - Assigned"]}}},
  "actions": [{"plugin": "create_record",
               "params": {"module": "Tasks", "fields": {"name": "Look at the case"}}}]})";

// A fresh demo database, the workflows, an engine and one host's tick scheduler; the clock
// in Vienna, back at UTC and offset 0 when done.
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_time_test_" + name());
  std::vector<Workflow> workflows;
  std::chrono::seconds offset{0};

  explicit Harness(const std::vector<std::string>& texts) {
    BOOST_REQUIRE(configure_clock("Europe/Vienna", 0s).has_value());
    workflows = testing::load_workflow_texts(dir, texts, plugins(), &map());
  }
  ~Harness() {
    (void)configure_clock("UTC", 0s);
    std::filesystem::remove_all(dir);
  }

  void move_clock(std::chrono::seconds to) {
    offset = to;
    BOOST_REQUIRE(configure_clock("Europe/Vienna", offset).has_value());
  }
  // Moves the clock so that "now" is `when` (UTC text).
  void set_now(const std::string& when) {
    const auto target = parse_utc(when);
    BOOST_REQUIRE(target.has_value());
    const auto real = now() - offset;
    move_clock(std::chrono::duration_cast<std::chrono::seconds>(*target - real));
  }

  TriggerTicks scheduler(soci::session& session, const std::string& owner) {
    TickOptions options;
    options.owner = owner;
    options.interval = 0s;
    return TriggerTicks(session, map(), workflows, options);
  }

  // One tick of this host, then the events handled.
  size_t tick() {
    const size_t fired = scheduler(db(), "host-a").step();
    EngineOptions options;
    options.owner = "time_test";
    options.clock_offset_seconds = static_cast<int>(offset.count());
    Engine engine(db(), map(), workflows, options);
    if (!testing::drain_events(engine, db())) BOOST_FAIL("the event queue did not drain");
    return fired;
  }

  // The demo's first contract is the only active one, expiring on `date`.
  void only_active_contract_expires(const std::string& date) {
    db() << "UPDATE service_subcontracts SET status = IF(id = :c, 'Active', 'Expired'), "
            "date_expire = IF(id = :c2, :d, date_expire)",
        soci::use(kContract, "c"), soci::use(kContract, "c2"), soci::use(date, "d");
  }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }
  long long tasks(const std::string& name, const std::string& parent) {
    return count("SELECT COUNT(*) FROM tasks WHERE name = '" + name + "' AND parent_id = '" +
                 parent + "' AND deleted = 0");
  }
  std::vector<std::string> keys(const std::string& trigger) {
    std::vector<std::string> out;
    soci::rowset<std::string> rows =
        (db().prepare << "SELECT firing_key FROM crmflow_firing WHERE trigger_id = :t ORDER BY "
                         "firing_key",
         soci::use(trigger));
    for (const std::string& key : rows) out.push_back(key);
    return out;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_quiet_lead_gets_one_follow_up_and_another_after_the_next_quiet_spell) {
  Harness h({kFollowUp});
  // Every demo lead but two is converted; the two are created now. One gets a call three
  // days before the moved clock's now, the other nothing at all.
  h.db() << "UPDATE leads SET status = 'Converted' WHERE id NOT IN (:a, :b)", soci::use(kQuietLead),
      soci::use(kCalledLead);
  h.db() << "UPDATE leads SET date_entered = UTC_TIMESTAMP(), date_modified = UTC_TIMESTAMP(), "
            "assigned_user_id = 'usr00002-0000-4000-8000-000000000000' WHERE id IN (:a, :b)",
      soci::use(kQuietLead), soci::use(kCalledLead);
  h.db() << "DELETE FROM calls";
  h.db() << "INSERT INTO calls (id, name, date_entered, date_modified, deleted, parent_type, "
            "parent_id) VALUES ('cal09999-0000-4000-8000-000000000000', 'Intro call', "
            "TIMESTAMPADD(DAY, 12, UTC_TIMESTAMP()), TIMESTAMPADD(DAY, 12, UTC_TIMESTAMP()), 0, "
            "'Leads', :b)",
      soci::use(kCalledLead);

  BOOST_TEST(h.tick() == 0u, "nobody is quiet for 14 days yet");
  h.move_clock(15 * kDay);
  BOOST_TEST(h.tick() == 1u);
  BOOST_TEST(h.tasks("Follow-up", kQuietLead) == 1, "15 quiet days: one follow-up task");
  BOOST_TEST(h.tasks("Follow-up", kCalledLead) == 0, "a call 3 days ago: no task");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND assigned_user_id = "
                     "'usr00002-0000-4000-8000-000000000000'") == 1,
             "assigned to the lead's owner");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'lead-follow-up' AND "
                     "outcome = 'done' AND reason LIKE 'inactivity fired (%); conditions met'") ==
             1);

  // The task is activity: the lead is quiet again from now on.
  BOOST_TEST(h.tick() == 0u, "the same spell fires once");
  h.move_clock(16 * kDay);
  BOOST_TEST(h.tick() == 0u);
  h.move_clock(28 * kDay);
  BOOST_TEST(h.tick() == 1u, "16 days after its call, the called lead; the other not yet");
  BOOST_TEST(h.tasks("Follow-up", kCalledLead) == 1);
  BOOST_TEST(h.tasks("Follow-up", kQuietLead) == 1, "13 days after its task");
  h.move_clock(30 * kDay);
  BOOST_TEST(h.tick() == 1u, "15 days after the task: the next quiet spell");
  BOOST_TEST(h.tasks("Follow-up", kQuietLead) == 2);
  BOOST_TEST(h.tasks("Follow-up", kCalledLead) == 1);
}

BOOST_AUTO_TEST_CASE(a_quiet_spell_fires_once_even_after_its_event_was_handled_and_removed) {
  Harness h({kFollowUp});
  h.db() << "UPDATE leads SET status = 'Converted' WHERE id <> :a", soci::use(kQuietLead);
  h.db() << "DELETE FROM tasks";
  // No action that counts as activity: the spell goes on, and must not fire again.
  h.db() << "DELETE FROM calls";
  h.db() << "DELETE FROM meetings";
  h.db() << "DELETE FROM notes";
  h.db() << "DELETE FROM emails";
  BOOST_TEST(h.tick() == 1u, "a demo lead from 2025 is quiet at once");
  h.db() << "DELETE FROM tasks";  // someone removed the task; the spell is not new
  h.db() << "UPDATE crmflow_tick SET last_tick_at = NULL";  // as if the tick state were lost
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event") == 0);
  h.move_clock(3 * kDay);
  BOOST_TEST(h.tick() == 0u, "the ledger remembers the spell");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks") == 0);
}

BOOST_AUTO_TEST_CASE(date_reached_and_schedule_fire_once_per_due_time_with_two_hosts_overlapping) {
  Harness h({kRenewal, kDailyCases});
  // Expires on 2027-01-10: due 30 days before, 2026-12-11 08:00 in Vienna = 07:00 UTC.
  h.only_active_contract_expires("2027-01-10");
  h.set_now("2026-12-11 06:00:00");
  BOOST_TEST(h.tick() == 0u, "the first tick starts the window");

  // Both hosts enter the tick at 07:30 UTC; A is held inside while B comes in.
  h.set_now("2026-12-11 07:30:00");
  auto other = h.connect_again();
  std::atomic<int> inside{0};
  TickOptions a_options;
  a_options.owner = "host-a";
  a_options.interval = 0s;
  a_options.inside_tick = [&](const std::string&) {
    ++inside;
    std::this_thread::sleep_for(1500ms);
  };
  TickOptions b_options = a_options;
  b_options.owner = "host-b";
  TriggerTicks a(h.db(), h.map(), h.workflows, a_options);
  TriggerTicks b(*other, h.map(), h.workflows, b_options);
  size_t fired_a = 0, fired_b = 0;
  std::thread host_a([&] { fired_a = a.step(); });
  while (inside == 0) std::this_thread::sleep_for(10ms);
  std::thread host_b([&] { fired_b = b.step(); });
  host_a.join();
  host_b.join();
  BOOST_TEST(inside == 4, "each host ticked each trigger, B after A on each row");
  BOOST_TEST(fired_a + fired_b == 2u, "the contract and the open case, once between the hosts");
  BOOST_TEST(h.keys("contract-renewal") == std::vector<std::string>{"2026-12-11 07:00:00"});
  BOOST_TEST(h.keys("daily-open-cases") == std::vector<std::string>{"2026-12-11 07:00:00"},
             "08:00 in Vienna");
  BOOST_TEST(h.tick() == 0u);
  BOOST_TEST(h.tasks("Renewal", kContract) == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Look at the case'") == 1);

  // The events are handled and gone; a tick over the same window again (its row set back,
  // as a host with a stale view would) finds every firing in the ledger.
  h.db() << "UPDATE crmflow_tick SET last_tick_at = '2026-12-11 06:00:00'";
  BOOST_TEST(h.tick() == 0u, "the ledger keeps the due times from firing twice");

  // The contract is renewed: its new expiry falls due once more, a year later.
  h.db() << "UPDATE service_subcontracts SET date_expire = '2028-01-10' WHERE id = :c",
      soci::use(kContract);
  h.set_now("2027-12-11 07:00:30");
  BOOST_TEST(h.tick() == 2u, "the renewal, and the day's 08:00 for the open case");
  BOOST_TEST(h.tasks("Renewal", kContract) == 2);
}

BOOST_AUTO_TEST_CASE(after_a_downtime_each_missed_firing_fires_once) {
  Harness h({kRenewal, kDailyCases});
  h.only_active_contract_expires("2027-01-10");
  h.set_now("2026-12-08 12:00:00");
  BOOST_TEST(h.tick() == 0u);
  // Down from the 8th to the 14th: six daily 08:00s and the contract's due time passed.
  h.set_now("2026-12-14 12:00:00");
  BOOST_TEST(h.tick() == 2u, "the contract once, the open case once");
  BOOST_TEST(h.keys("contract-renewal") == std::vector<std::string>{"2026-12-11 07:00:00"});
  BOOST_TEST(h.keys("daily-open-cases") == std::vector<std::string>{"2026-12-14 07:00:00"},
             "only the latest missed 08:00");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Look at the case'") == 1);
  h.set_now("2026-12-15 07:00:05");
  BOOST_TEST(h.tick() == 1u, "and the next day as usual");
}

BOOST_AUTO_TEST_CASE(a_daily_0800_schedule_neither_doubles_nor_skips_at_the_dst_changes) {
  Harness h({kDailyCases});
  for (const auto& [start, expected] :
       {std::pair<std::string, std::vector<std::string>>{
            "2026-03-27 12:00:00",
            {"2026-03-28 07:00:00", "2026-03-29 06:00:00", "2026-03-30 06:00:00"}},
        {"2026-10-23 12:00:00",
         {"2026-10-24 06:00:00", "2026-10-25 07:00:00", "2026-10-26 07:00:00"}}}) {
    h.db() << "DELETE FROM crmflow_firing";
    h.db() << "DELETE FROM crmflow_tick";
    h.set_now(start);
    h.tick();
    // Every 10 minutes for three days: 432 ticks.
    const SysSeconds first = *parse_utc(start);
    for (int i = 1; i <= 3 * 24 * 6; ++i) {
      h.set_now(format_utc(first + std::chrono::minutes(10 * i)));
      h.scheduler(h.db(), "host-a").step();
    }
    BOOST_TEST(h.keys("daily-open-cases") == expected, "around " << start);
  }
}

BOOST_AUTO_TEST_CASE(check_rejects_a_trigger_request_the_schema_cannot_serve) {
  testing::DbFixture fixture;
  const auto dir =
      std::filesystem::temp_directory_path() / ("crmflow_time_check_" + fixture.name());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({
    "id": "bad", "module": "Leads",
    "trigger": {"plugin": "date_reached", "params": {"field": "status", "filter": {"stauts": "New"}}},
    "actions": [{"plugin": "create_record", "params": {"module": "Tasks", "fields": {"name": "x"}}}]})";
  const auto loaded = load_workflows(dir, plugins(), &fixture.map());
  std::filesystem::remove_all(dir);
  BOOST_REQUIRE(!loaded.has_value());
  BOOST_TEST(loaded.error().size() == 1u);
  BOOST_TEST(loaded.error().front().find(
                 "trigger.params: trigger 'date_reached' failed on Leads: "
                 "status 1: field: Leads.status is a varchar, not a date") != std::string::npos,
             loaded.error().front());
}

BOOST_AUTO_TEST_CASE(retention_prunes_old_firings_but_keeps_each_records_newest) {
  testing::DbFixture fixture;
  soci::session& db = fixture.db();
  for (const auto& [record, key, days_ago] :
       {std::tuple{"r1", "a", 100}, {"r1", "b", 95}, {"r1", "c", 10}, {"r2", "a", 100}}) {
    db << "INSERT INTO crmflow_firing (trigger_id, module, record_id, firing_key, fired_at) "
          "VALUES ('t', 'Leads', :r, :k, TIMESTAMPADD(DAY, -:d, UTC_TIMESTAMP()))",
        soci::use(std::string(record)), soci::use(std::string(key)), soci::use(days_ago);
  }
  BOOST_TEST(prune_firings(db, 90, 1, 10) == 2u, "r1's a and b, one per batch");
  std::vector<std::string> left(10);
  db << "SELECT CONCAT(record_id, ':', firing_key) FROM crmflow_firing ORDER BY id",
      soci::into(left);
  BOOST_TEST(left == (std::vector<std::string>{"r1:c", "r2:a"}));
}
