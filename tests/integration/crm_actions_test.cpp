// The CRM actions on a real database, through the engine and the ABI: create_record and its
// presets, update_record, schedule_meeting, update_related and show_warning, with templates
// and date expressions in their fields. Each case checks the exact rows written, on the 1CRM
// demo schema and on the SuiteCRM-shaped one (tests/fixtures/suitecrm-schema.sql), where
// relations differ (join tables with ids, no account_id on opportunities and projects).
#define BOOST_TEST_MODULE crm_actions_test
#include <soci/soci.h>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;

namespace {

const std::string kLead = "led00001-0000-4000-8000-000000000000";     // Florian Wagner
const std::string kAccount = "acc00001-0000-4000-8000-000000000000";  // Alpenblick
const std::string kPrimary = "con00001-0000-4000-8000-000000000000";  // Lukas Gruber
const std::string kOther = "con00002-0000-4000-8000-000000000000";    // Julia Berger
const std::string kContract = "ssc00001-0000-4000-8000-000000000000";
const std::string kUser2 = "usr00002-0000-4000-8000-000000000000";  // Maria Huber

PluginRegistry& plugins() {
  return testing::build_plugins({"compare", "changes", "create_record", "update_record",
                                 "schedule_meeting", "update_related", "show_warning"});
}

testing::DbFixture::Options suitecrm_options() {
  testing::DbFixture::Options options;
  options.demo_data = false;
  options.module_map = testing::source_dir() / "config/crm/suitecrm.json";
  return options;
}

// A fresh database (1CRM demo, or the SuiteCRM schema), capture on `modules`, the workflows,
// and an engine to step.
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_crm_actions_test_" + name());
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;

  Harness(const std::vector<std::string>& workflow_texts, const std::vector<std::string>& modules,
          bool suitecrm = false, bool keep_notifications = true)
      : DbFixture(suitecrm ? suitecrm_options() : Options{}) {
    if (suitecrm) {
      testing::run_sql_file(db(), testing::source_dir() / "tests/fixtures/suitecrm-schema.sql");
      if (const auto problems = reintrospect(); !problems.empty()) {
        throw std::runtime_error(problems.front());
      }
    }
    if (!keep_notifications) mutable_map().notifications.reset();
    workflows = testing::load_workflow_texts(dir, workflow_texts, plugins(), &map());
    for (const std::string& module : modules) {
      const auto installed = install_capture(db(), *map().find(module));
      if (!installed) throw std::runtime_error(installed.error());
    }
    EngineOptions options;
    options.owner = "crm_actions_test";
    options.max_attempts = 1;
    options.lease = std::chrono::seconds(5);
    if (suitecrm) options.settle = std::chrono::milliseconds(100);
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
  }
  ~Harness() { std::filesystem::remove_all(dir); }

  // Steps the engine until the queue is empty (bounded), waiting out a settle window.
  void drain() {
    if (!testing::drain_events(*engine, db(), std::chrono::milliseconds(20)))
      BOOST_FAIL("the event queue did not drain");
  }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }

  std::string text(const std::string& sql) {
    std::string value;
    soci::indicator indicator = soci::i_ok;
    db() << sql, soci::into(value, indicator);
    return indicator == soci::i_null ? "<null>" : value;
  }

  // What failed, as the audit and the quarantine keep it; "" when nothing did.
  std::string run_error() {
    return text(
        "SELECT CONCAT((SELECT COALESCE(MAX(error), '') FROM crmflow_run), "
        "(SELECT COALESCE(MAX(last_error), '') FROM crmflow_event_quarantine))");
  }

  // Seconds from the database's UTC time to the datetime `expression` (SQL) evaluates to.
  long long seconds_from_now(const std::string& expression) {
    return count("SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), " + expression + ")");
  }

  void save_lead(const std::string& status, const std::string& user = kUser2) {
    db() << "UPDATE leads SET status = :s, modified_user_id = :u, date_modified = UTC_TIMESTAMP() "
            "WHERE id = :id",
        soci::use(status), soci::use(user), soci::use(kLead);
  }
  void save_account(const std::string& user = kUser2) {
    db() << "UPDATE accounts SET industry = 'Software', modified_user_id = :u WHERE id = :id",
        soci::use(user), soci::use(kAccount);
  }
};

std::string on_lead(const std::string& actions) {
  return R"({"id": "lead", "module": "Leads", "trigger": "saved", "actions": [)" + actions + "]}";
}
std::string on_account(const std::string& actions) {
  return R"({"id": "account", "module": "Accounts", "trigger": "saved", "actions": [)" + actions +
         "]}";
}

const long long kDay = 24 * 3600;

}  // namespace

BOOST_AUTO_TEST_CASE(create_task_renders_placeholders_and_evaluates_the_due_date) {
  Harness h({on_lead(R"({"plugin": "create_task", "params": {"fields": {
               "name": "Follow-up with {{record.last_name}}",
               "description": "{{user.full_name}} qualified {{record.first_name}} of {{record.account_name}}",
               "priority": "High", "date_due": "now+14d", "date_start": "2027-03-01 08:00:00+2h"}}})")},
            {"Leads"});
  h.save_lead("Qualified");
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM tasks WHERE parent_id = '" + kLead + "'") == 1);
  const std::string where = " FROM tasks WHERE parent_id = '" + kLead + "'";
  BOOST_TEST(h.text("SELECT name" + where) == "Follow-up with Wagner");
  BOOST_TEST(h.text("SELECT description" + where) ==
             "Maria Huber qualified Florian of Wagner Bau GmbH");
  BOOST_TEST(h.text("SELECT parent_type" + where) == "Leads");
  BOOST_TEST(h.text("SELECT priority" + where) == "High");
  BOOST_TEST(h.text("SELECT assigned_user_id" + where) == kUser2);
  BOOST_TEST(h.text("SELECT created_by" + where) == kUser2);
  BOOST_TEST(h.text("SELECT modified_user_id" + where) == kUser2);
  BOOST_TEST(h.text("SELECT deleted" + where) == "0");
  BOOST_TEST(h.text("SELECT DATE_FORMAT(date_start, '%Y-%m-%d %H:%i:%s')" + where) ==
             "2027-03-01 10:00:00");
  const long long due = h.seconds_from_now("(SELECT date_due" + where + ")");
  BOOST_TEST(due <= 14 * kDay);
  BOOST_TEST(due >= 14 * kDay - 120, "now+14d is 14 days after the database's UTC time");
}

BOOST_AUTO_TEST_CASE(the_presets_create_calls_opportunities_and_projects) {
  Harness h({on_lead(R"({"plugin": "schedule_call", "params": {"fields": {
               "name": "Call {{record.first_name}} {{record.last_name}}", "date_start": "now+2h",
               "duration_minutes": 30}}})"),
             on_account(R"({"plugin": "create_opportunity", "params": {"fields": {
               "name": "Renewal {{record.name}}", "date_closed": "2027-03-01-30d",
               "amount": 1200}}},
               {"plugin": "create_project", "params": {"fields": {
               "name": "Onboarding {{record.billing_address_city}}", "date_start": "today"}}},
               {"plugin": "create_task", "params": {"link": false,
               "fields": {"name": "Unlinked"}}})")},
            {"Leads", "Accounts"});
  h.save_lead("In Process");
  h.save_account();
  h.drain();
  BOOST_TEST(h.run_error() == "");

  const std::string call =
      " FROM calls WHERE parent_type = 'Leads' AND parent_id = '" + kLead + "'";
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*)" + call) == 1);
  BOOST_TEST(h.text("SELECT name" + call) == "Call Florian Wagner");
  BOOST_TEST(h.text("SELECT duration_minutes" + call) == "30");
  BOOST_TEST(h.text("SELECT assigned_user_id" + call) == kUser2);
  const long long start = h.seconds_from_now("(SELECT date_start" + call + ")");
  BOOST_TEST((start <= 2 * 3600 && start >= 2 * 3600 - 120));

  const std::string opportunity = " FROM opportunities WHERE name LIKE 'Renewal%'";
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*)" + opportunity) == 1);
  BOOST_TEST(h.text("SELECT name" + opportunity) == "Renewal Alpenblick Software GmbH");
  BOOST_TEST(h.text("SELECT account_id" + opportunity) == kAccount, "linked by its foreign key");
  BOOST_TEST(h.text("SELECT date_closed" + opportunity) == "2027-01-30");
  BOOST_TEST(h.text("SELECT amount" + opportunity) == "1200.000000");
  BOOST_TEST(h.text("SELECT created_by" + opportunity) == kUser2);

  const std::string project = " FROM project WHERE name = 'Onboarding Wien'";
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*)" + project) == 1);
  BOOST_TEST(h.text("SELECT account_id" + project) == kAccount);
  BOOST_TEST(h.text("SELECT date_start = UTC_DATE()" + project) == "1", "today, in UTC");

  BOOST_TEST(h.text("SELECT COALESCE(parent_id, 'none') FROM tasks WHERE name = 'Unlinked'") ==
             "none");
}

BOOST_AUTO_TEST_CASE(a_date_column_refuses_what_is_no_date_and_names_the_field) {
  Harness h({on_lead(R"({"plugin": "create_task", "params": {"fields": {
               "name": "x", "date_due": "next week"}}})")},
            {"Leads"});
  h.save_lead("Qualified");
  for (int i = 0; i < 20 && h.count("SELECT COUNT(*) FROM crmflow_event") > 0; ++i) {
    h.engine->step();
  }
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'x'") == 0);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event_quarantine WHERE last_error LIKE "
                     "'%Tasks.date_due: \"next week\" is not a date%'") == 1);
}

BOOST_AUTO_TEST_CASE(update_record_renders_from_the_record_its_relations_and_the_user) {
  Harness h({R"({"id": "contact", "module": "Contacts", "trigger": "saved",
                 "actions": [{"plugin": "update_record", "params": {"fields": {
                   "description": "{{record.first_name}} of {{account.name}}, seen by {{user.full_name}}",
                   "title": "CEO"}}}]})"},
            {"Contacts"});
  h.db() << "UPDATE contacts SET title = 'Chief', modified_user_id = :u WHERE id = :id",
      soci::use(kUser2), soci::use(kPrimary);
  h.drain();
  BOOST_TEST(h.run_error() == "");
  const std::string contact = " FROM contacts WHERE id = '" + kPrimary + "'";
  BOOST_TEST(h.text("SELECT description" + contact) ==
             "Lukas of Alpenblick Software GmbH, seen by Maria Huber");
  BOOST_TEST(h.text("SELECT title" + contact) == "CEO");
  BOOST_TEST(h.text("SELECT modified_user_id" + contact) == kUser2);
}

BOOST_AUTO_TEST_CASE(schedule_meeting_invites_the_contracts_contact_and_the_run_as_user) {
  Harness h({R"({"id": "kick-off", "module": "ServiceSubcontracts", "trigger": "saved",
                 "actions": [{"plugin": "schedule_meeting", "params": {
                   "fields": {"name": "Kick-off {{record.name}}", "date_start": "now+7d",
                              "duration_minutes": 60, "location": "{{account.billing_address_city}}"},
                   "invite": [{"relation": "customer_contact"}, "run_as_user"]}}]})"},
            {"ServiceSubcontracts"});
  h.db() << "UPDATE service_subcontracts SET status = 'Renewing', modified_user_id = :u WHERE id = "
            ":id",
      soci::use(kUser2), soci::use(kContract);
  h.drain();
  BOOST_TEST(h.run_error() == "");
  const std::string meetings = " FROM meetings WHERE parent_id = '" + kContract + "'";
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*)" + meetings) == 1);
  const std::string meeting = h.text("SELECT id" + meetings);
  BOOST_TEST(meeting.size() == 36u);
  BOOST_TEST(h.text("SELECT name" + meetings) == "Kick-off Alpenblick - Premium Support");
  BOOST_TEST(h.text("SELECT parent_type" + meetings) == "ServiceSubcontracts");
  BOOST_TEST(h.text("SELECT location" + meetings) == "Wien");
  BOOST_TEST(h.text("SELECT duration_minutes" + meetings) == "60");
  BOOST_TEST(h.text("SELECT status" + meetings) == "Planned");
  BOOST_TEST(h.text("SELECT assigned_user_id" + meetings) == kUser2);
  BOOST_TEST(h.text("SELECT created_by" + meetings) == kUser2);
  const long long start = h.seconds_from_now("(SELECT date_start" + meetings + ")");
  BOOST_TEST((start <= 7 * kDay && start >= 7 * kDay - 120));

  // meetings_users has no id column: the pair is the row.
  BOOST_TEST(h.count("SELECT COUNT(*) FROM meetings_users WHERE meeting_id = '" + meeting + "'") ==
             1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM meetings_users WHERE meeting_id = '" + meeting +
                     "' AND user_id = '" + kUser2 + "' AND deleted = 0") == 1);
  // meetings_contacts has one, filled with a new UUID.
  BOOST_TEST(
      h.count("SELECT COUNT(*) FROM meetings_contacts WHERE meeting_id = '" + meeting + "'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM meetings_contacts WHERE meeting_id = '" + meeting +
                     "' AND contact_id = '" + kPrimary + "' AND deleted = 0 AND LENGTH(id) = 36") ==
             1);
}

BOOST_AUTO_TEST_CASE(schedule_meeting_refuses_an_invitee_no_meetings_relation_takes) {
  Harness h({R"({"id": "kick-off", "module": "ServiceSubcontracts", "trigger": "saved",
                 "actions": [{"plugin": "schedule_meeting", "params": {
                   "fields": {"name": "Kick-off"}, "invite": [{"relation": "account"}]}}]})"},
            {"ServiceSubcontracts"});
  h.db() << "UPDATE service_subcontracts SET status = 'Renewing' WHERE id = :id",
      soci::use(kContract);
  for (int i = 0; i < 20 && h.count("SELECT COUNT(*) FROM crmflow_event") > 0; ++i) {
    h.engine->step();
  }
  BOOST_TEST(h.count("SELECT COUNT(*) FROM meetings WHERE name = 'Kick-off'") == 0,
             "the meeting is rolled back with its event");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event_quarantine WHERE last_error LIKE "
                     "'%names no Meetings relation for Accounts%'") == 1);
}

BOOST_AUTO_TEST_CASE(update_related_copies_the_billing_address_to_the_primary_contact_only) {
  const std::string address =
      "Billing: {{record.billing_address_street}}, {{record.billing_address_postalcode}} "
      "{{record.billing_address_city}}";
  Harness h({on_account(R"({"plugin": "update_related", "params": {"relation": "primary_contact",
               "fields": {"description": ")" +
                        address + R"("}}})")},
            {"Accounts"});
  h.save_account();
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST(h.text("SELECT description FROM contacts WHERE id = '" + kPrimary + "'") ==
             "Billing: Mariahilfer Straße 101, 1060 Wien");
  BOOST_TEST(h.text("SELECT modified_user_id FROM contacts WHERE id = '" + kPrimary + "'") ==
             kUser2);
  BOOST_TEST(h.text("SELECT description FROM contacts WHERE id = '" + kOther + "'") == "<null>",
             "a contact of the account that is not its primary one stays as it was");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM contacts WHERE description LIKE 'Billing:%'") == 1);
}

BOOST_AUTO_TEST_CASE(update_related_where_picks_the_related_records_to_change) {
  Harness h({on_account(
                R"({"plugin": "update_related", "params": {"relation": "contacts",
                     "where": {"primary_account_id": "{{record.id}}"},
                     "fields": {"title": "Primary contact of {{record.name}}"}}},
                   {"plugin": "update_related", "params": {"relation": "contacts",
                     "where": {"id": ")" +
                kOther + R"(", "primary_account_id": null},
                     "fields": {"description": "Consultant"}}},
                   {"plugin": "update_related", "params": {"relation": "contacts",
                     "where": {"last_name": "Nobody"}, "fields": {"title": "never"}}})")},
            {"Accounts"});
  h.save_account();
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST(h.text("SELECT title FROM contacts WHERE id = '" + kPrimary + "'") ==
             "Primary contact of Alpenblick Software GmbH");
  BOOST_TEST(h.text("SELECT title FROM contacts WHERE id = '" + kOther + "'") ==
             "Purchasing Consultant");
  BOOST_TEST(h.text("SELECT description FROM contacts WHERE id = '" + kOther + "'") ==
             "Consultant");
  BOOST_TEST(
      h.text("SELECT COALESCE(description, '') FROM contacts WHERE id = '" + kPrimary + "'") == "");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM contacts WHERE title = 'never'") == 0);
}

BOOST_AUTO_TEST_CASE(show_warning_writes_a_1crm_notification_for_the_run_as_user) {
  Harness h({on_lead(R"({"plugin": "show_warning", "params": {
               "subject": "Lead {{record.first_name}} {{record.last_name}} qualified",
               "text": "{{user.full_name}}: call {{record.account_name}} today"}})")},
            {"Leads"});
  h.save_lead("Qualified");
  h.drain();
  BOOST_TEST(h.run_error() == "");
  const std::string row = " FROM notifications WHERE related_id = '" + kLead + "'";
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*)" + row) == 1);
  BOOST_TEST(h.text("SELECT subject" + row) == "Lead Florian Wagner qualified");
  BOOST_TEST(h.text("SELECT description" + row) == "Maria Huber: call Wagner Bau GmbH today");
  BOOST_TEST(h.text("SELECT related_type" + row) == "Leads");
  BOOST_TEST(h.text("SELECT assigned_user_id" + row) == kUser2);
  BOOST_TEST(h.text("SELECT created_by" + row) == kUser2);
  BOOST_TEST(h.text("SELECT is_read" + row) == "0");
  BOOST_TEST(h.text("SELECT deleted" + row) == "0");
  BOOST_TEST(h.seconds_from_now("(SELECT date_entered" + row + ")") >= -120);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_alert") == 0);
}

BOOST_AUTO_TEST_CASE(show_warning_without_a_notification_table_writes_crmflow_alert) {
  Harness h({on_lead(R"({"plugin": "show_warning", "params": {
               "subject": "Lead {{record.last_name}}", "text": "by {{user.full_name}}"}})")},
            {"Leads"}, false, false);
  h.save_lead("Qualified");
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notifications") == 2, "only the demo's two");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM crmflow_alert") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', module, record_id, user_id, subject, text, is_read) "
                    "FROM crmflow_alert") ==
             "Leads|" + kLead + "|" + kUser2 + "|Lead Wagner|by Maria Huber|0");
}

// ---- The SuiteCRM flavour ----

BOOST_AUTO_TEST_CASE(suitecrm_create_task_and_alert) {
  Harness h({on_lead(R"({"plugin": "create_task", "params": {"fields": {
               "name": "Call {{record.last_name}}", "description": "for {{user.full_name}}",
               "date_due": "today+1d"}}},
               {"plugin": "show_warning", "params": {"subject": "{{record.first_name}} qualified",
               "text": "Status {{record.status}}"}})")},
            {"Leads"}, true);
  h.db() << "UPDATE leads SET status = 'Assigned', modified_user_id = 'seed_sally_id' WHERE id = "
            ":id",
      soci::use(kLead);
  h.drain();
  BOOST_TEST(h.run_error() == "");
  const std::string task =
      " FROM tasks WHERE parent_type = 'Leads' AND parent_id = '" + kLead + "'";
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*)" + task) == 1);
  BOOST_TEST(h.text("SELECT name" + task) == "Call Muster");
  BOOST_TEST(h.text("SELECT description" + task) == "for Sally Bronsen");
  BOOST_TEST(h.text("SELECT assigned_user_id" + task) == "seed_sally_id");
  BOOST_TEST(h.text("SELECT created_by" + task) == "seed_sally_id");
  BOOST_TEST(h.text("SELECT date_due = DATE_ADD(UTC_DATE(), INTERVAL 1 DAY)" + task) == "1",
             "midnight UTC of tomorrow");

  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM alerts") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', name, description, target_module, assigned_user_id, "
                    "is_read, deleted) FROM alerts") ==
             "Max qualified|Status Assigned|Leads|seed_sally_id|0|0");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_alert") == 0);
}

BOOST_AUTO_TEST_CASE(suitecrm_update_related_reaches_contacts_through_the_join_table) {
  Harness h({on_account(R"({"plugin": "update_related", "params": {"relation": "contacts",
               "fields": {"title": "Contact at {{record.name}}", "description": "{{record.vat_number_c}}"}}})")},
            {"Accounts"}, true);
  h.db() << "UPDATE accounts SET industry = 'Software', modified_user_id = 'seed_sally_id' WHERE "
            "id = 'acc00001-0000-4000-8000-000000000000'";
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', title, description, modified_user_id) FROM contacts "
                    "WHERE id = 'con00001-0000-4000-8000-000000000000'") ==
             "Contact at Acme Widgets|DE123456789|seed_sally_id");
}

// The presets on SuiteCRM: a call on the lead it was triggered by; SuiteCRM's call shares
// 1CRM's columns (parent_type/parent_id, duration_*, status defaulting to Planned).
BOOST_AUTO_TEST_CASE(suitecrm_schedule_call_writes_a_call_on_the_lead) {
  Harness h({on_lead(R"({"plugin": "schedule_call", "params": {"fields": {
               "name": "Call {{record.first_name}} {{record.last_name}}", "date_start": "now+2h",
               "duration_hours": 0, "duration_minutes": 30, "direction": "Outbound",
               "description": "Source: {{record.lead_source}}"}}})")},
            {"Leads"}, true);
  h.db() << "UPDATE leads SET status = 'Assigned', modified_user_id = 'seed_sally_id' WHERE id = "
            ":id",
      soci::use(kLead);
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM calls") == 1);
  BOOST_TEST(h.text("SELECT LENGTH(id) FROM calls") == "36");
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', name, description, parent_type, parent_id, "
                    "duration_hours, duration_minutes, direction, status, assigned_user_id, "
                    "created_by, modified_user_id, deleted) FROM calls") ==
             "Call Max Muster|Source: Web Site|Leads|" + kLead +
                 "|0|30|Outbound|Planned|seed_sally_id|seed_sally_id|seed_sally_id|0");
  const long long start = h.seconds_from_now("(SELECT date_start FROM calls)");
  BOOST_TEST((start <= 2 * 3600 && start >= 2 * 3600 - 120));
  BOOST_TEST(h.seconds_from_now("(SELECT date_entered FROM calls)") >= -120);
  BOOST_TEST(h.count("SELECT (SELECT COUNT(*) FROM calls_users) + "
                     "(SELECT COUNT(*) FROM calls_contacts)") == 0,
             "schedule_call invites nobody");
}

// SuiteCRM relates opportunities and projects to accounts only through join tables
// (accounts_opportunities, projects_accounts); create_record links through a parent link or
// a foreign key only, so from an account these presets run with "link": false and write the
// record alone. Fields are SuiteCRM's: estimated_start_date, not 1CRM's date_start.
BOOST_AUTO_TEST_CASE(suitecrm_create_opportunity_and_project_unlinked) {
  Harness h({on_account(R"({"plugin": "create_opportunity", "params": {"link": false, "fields": {
               "name": "Renewal {{record.name}}", "date_closed": "2027-03-01-30d",
               "amount": 1200, "sales_stage": "Prospecting", "competitor_c": "{{record.partner_tier_c}} tier"}}},
               {"plugin": "create_project", "params": {"link": false, "fields": {
               "name": "Onboarding {{record.name}}", "estimated_start_date": "today",
               "estimated_end_date": "today+30d", "status": "Draft"}}})")},
            {"Accounts"}, true);
  h.db() << "UPDATE accounts SET industry = 'Software', modified_user_id = 'seed_sally_id' WHERE "
            "id = :id",
      soci::use(kAccount);
  h.drain();
  BOOST_TEST(h.run_error() == "");

  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM opportunities") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', LENGTH(o.id), o.name, o.date_closed, o.amount, "
                    "o.sales_stage, o.assigned_user_id, o.created_by, o.modified_user_id, "
                    "o.deleted, c.competitor_c) FROM opportunities o JOIN opportunities_cstm c "
                    "ON c.id_c = o.id") ==
             "36|Renewal Acme Widgets|2027-01-30|1200|Prospecting|seed_sally_id|seed_sally_id|"
             "seed_sally_id|0|Silver tier");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM accounts_opportunities") == 0,
             "create_record writes no join row");

  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM project") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', LENGTH(id), name, status, assigned_user_id, "
                    "created_by, modified_user_id, deleted) FROM project") ==
             "36|Onboarding Acme Widgets|Draft|seed_sally_id|seed_sally_id|seed_sally_id|0");
  BOOST_TEST(h.text("SELECT estimated_start_date = UTC_DATE() AND estimated_end_date = "
                    "DATE_ADD(UTC_DATE(), INTERVAL 30 DAY) FROM project") == "1");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM projects_accounts") == 0);
}

// SuiteCRM relates opportunities and projects to accounts only through join tables
// (accounts_opportunities, projects_accounts): the new record is linked through the join
// table the account's side of the map names, one row, not deleted.
BOOST_AUTO_TEST_CASE(suitecrm_create_opportunity_and_project_link_through_the_join_table) {
  for (const std::string module : {"Opportunities", "Project"}) {
    const std::string preset = module == "Project" ? "create_project" : "create_opportunity";
    const std::string table = module == "Project" ? "project" : "opportunities";
    const std::string join = module == "Project" ? "projects_accounts" : "accounts_opportunities";
    const std::string column = module == "Project" ? "project_id" : "opportunity_id";
    Harness h({on_account(R"({"plugin": ")" + preset +
                          R"(", "params": {"fields": {"name": "Linked"}}})")},
              {"Accounts"}, true);
    h.db() << "UPDATE accounts SET industry = 'Software' WHERE id = :id", soci::use(kAccount);
    h.drain();
    BOOST_TEST(h.run_error() == "", module);
    BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM " + table) == 1, module);
    BOOST_TEST(h.count("SELECT COUNT(*) FROM " + join + " j JOIN " + table + " r ON r.id = j." +
                       column + " WHERE j.account_id = '" + kAccount +
                       "' AND j.deleted = 0 AND LENGTH(j.id) = 36") == 1,
               module << ": one join row links it to the account");
  }
}

// SuiteCRM's meetings_users, unlike 1CRM's, has an id column: both invitations get a new
// UUID of their own; required and accept_status keep SuiteCRM's defaults.
BOOST_AUTO_TEST_CASE(suitecrm_schedule_meeting_invites_the_accounts_contact_and_the_user) {
  Harness h({on_account(R"({"plugin": "schedule_meeting", "params": {
               "fields": {"name": "Review {{record.name}}", "date_start": "now+7d",
                          "duration_hours": 1, "duration_minutes": 0,
                          "description": "VAT {{record.vat_number_c}}"},
               "invite": [{"relation": "contacts"}, "run_as_user"]}})")},
            {"Accounts"}, true);
  h.db() << "UPDATE accounts SET industry = 'Software', modified_user_id = 'seed_sally_id' WHERE "
            "id = :id",
      soci::use(kAccount);
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM meetings") == 1);
  const std::string meeting = h.text("SELECT id FROM meetings");
  BOOST_TEST(meeting.size() == 36u);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', name, description, parent_type, parent_id, "
                    "duration_hours, duration_minutes, status, type, assigned_user_id, "
                    "created_by, modified_user_id, deleted) FROM meetings") ==
             "Review Acme Widgets|VAT DE123456789|Accounts|" + kAccount +
                 "|1|0|Planned|Sugar|seed_sally_id|seed_sally_id|seed_sally_id|0");
  const long long start = h.seconds_from_now("(SELECT date_start FROM meetings)");
  BOOST_TEST((start <= 7 * kDay && start >= 7 * kDay - 120));

  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM meetings_users") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', LENGTH(id), meeting_id, user_id, required, "
                    "accept_status, deleted) FROM meetings_users") ==
             "36|" + meeting + "|seed_sally_id|1|none|0");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM meetings_contacts") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', LENGTH(id), meeting_id, contact_id, required, "
                    "accept_status, deleted) FROM meetings_contacts") ==
             "36|" + meeting + "|" + kPrimary + "|1|none|0");
  BOOST_TEST(h.text("SELECT id FROM meetings_users") != h.text("SELECT id FROM meetings_contacts"));
}

// The custom row (leads_cstm) takes a template and a date expression like a main field does;
// fields the action does not name keep their values.
BOOST_AUTO_TEST_CASE(suitecrm_update_record_writes_placeholders_and_a_custom_date) {
  Harness h({on_lead(R"({"plugin": "update_record", "params": {"fields": {
               "description": "{{record.first_name}} of {{account.name}}, by {{user.full_name}}",
               "membership_level_c": "Gold", "next_contact_c": "today+7d"}}})")},
            {"Leads"}, true);
  h.db() << "UPDATE leads SET status = 'Assigned', account_id = :a, modified_user_id = "
            "'seed_sally_id' WHERE id = :id",
      soci::use(kAccount), soci::use(kLead);
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', description, status, modified_user_id, deleted) "
                    "FROM leads WHERE id = '" +
                    kLead + "'") ==
             "Max of Acme Widgets, by Sally Bronsen|Assigned|seed_sally_id|0");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM leads_cstm WHERE id_c = '" + kLead + "'") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', membership_level_c, vat_checked_c, "
                    "next_contact_c = DATE_ADD(UTC_DATE(), INTERVAL 7 DAY)) FROM leads_cstm "
                    "WHERE id_c = '" +
                    kLead + "'") == "Gold|0|1");
  BOOST_TEST(h.seconds_from_now("(SELECT date_modified FROM leads WHERE id = '" + kLead + "')") >=
             -120);
}

// Emails on SuiteCRM: filed on the record by its parent link, in SuiteCRM's own columns. What
// 1CRM keeps in emails (description, to_addrs, from_addr, date_sent) SuiteCRM keeps in
// emails_text or names date_sent_received, so a write of those fields is refused by name.
BOOST_AUTO_TEST_CASE(suitecrm_emails_are_filed_on_the_record_in_suitecrms_columns) {
  Harness h({on_lead(R"({"plugin": "create_record", "params": {"module": "Emails", "fields": {
               "name": "Welcome {{record.last_name}}", "message_id": "<k1@crmflow>",
               "type": "out", "status": "sent", "date_sent_received": "now"}}})")},
            {"Leads"}, true);
  h.save_lead("Assigned", "seed_sally_id");
  h.drain();
  BOOST_TEST(h.run_error() == "");
  BOOST_TEST_REQUIRE(h.count("SELECT COUNT(*) FROM emails") == 1);
  BOOST_TEST(h.text("SELECT CONCAT_WS('|', LENGTH(id), name, message_id, type, status, "
                    "parent_type, parent_id, assigned_user_id, deleted) FROM emails") ==
             "36|Welcome Muster|<k1@crmflow>|out|sent|Leads|" + kLead + "|seed_sally_id|0");
  BOOST_TEST(h.seconds_from_now("(SELECT date_sent_received FROM emails)") >= -120);

  Harness refused({on_lead(R"({"plugin": "create_record", "params": {"module": "Emails",
                     "fields": {"name": "x", "to_addrs": "a@example.org"}}})")},
                  {"Leads"}, true);
  refused.save_lead("Assigned", "seed_sally_id");
  refused.drain();
  BOOST_TEST(refused.count("SELECT COUNT(*) FROM crmflow_event_quarantine WHERE last_error LIKE "
                           "'%module Emails has no field ''to_addrs''%'") == 1);
  BOOST_TEST(refused.count("SELECT COUNT(*) FROM emails") == 0);
}

// The host names no column of its own accord: the dates it sets and the user's display name
// are the columns the module map names, here renamed in the database and in the map.
BOOST_AUTO_TEST_CASE(dates_and_display_names_are_the_columns_the_module_map_names) {
  Harness h({on_lead(R"({"plugin": "create_task", "params": {"fields": {
               "name": "Call {{record.last_name}}", "description": "by {{user.full_name}}"}}})")},
            {"Leads"});
  h.db() << "ALTER TABLE tasks CHANGE date_entered created_on DATETIME NULL, "
            "CHANGE date_modified changed_on DATETIME NULL";
  h.db() << "ALTER TABLE users CHANGE first_name given_name VARCHAR(30) NULL";
  for (Module& module : h.mutable_map().modules) {
    if (module.name == "Tasks") {
      module.created_at_column = "created_on";
      module.modified_at_column = "changed_on";
    } else if (module.name == "Users") {
      module.display_name_columns = {"given_name", "last_name"};
    }
  }
  BOOST_TEST_REQUIRE(h.reintrospect().empty());
  h.save_lead("Qualified");
  h.drain();
  BOOST_TEST(h.run_error() == "");
  const std::string where = " FROM tasks WHERE parent_id = '" + kLead + "'";
  BOOST_TEST(h.text("SELECT description" + where) == "by Maria Huber");
  BOOST_TEST(std::abs(h.seconds_from_now("(SELECT created_on" + where + ")")) < 60);
  BOOST_TEST(h.count("SELECT COUNT(*)" + where + " AND changed_on = created_on") == 1);

  // A map that names a column the table lacks is refused, naming the role, column and table.
  for (Module& module : h.mutable_map().modules) {
    if (module.name == "Tasks") module.created_at_column = "date_entered";
  }
  const auto problems = h.reintrospect();
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(problems[0].find("the creation date column 'date_entered' is not in table 'tasks'") !=
                 std::string::npos,
             problems[0]);
}
