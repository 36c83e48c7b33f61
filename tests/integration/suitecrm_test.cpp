// The SuiteCRM 7 flavour (config/crm/suitecrm.json) on our own SuiteCRM-shaped schema
// (tests/fixtures/suitecrm-schema.sql): custom fields in <table>_cstm as fields of the
// module, and one save written as several autocommitted statements settling into one event.
#define BOOST_TEST_MODULE suitecrm_test
#include <soci/soci.h>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;

namespace {

const std::string kLead = "led00001-0000-4000-8000-000000000000";

PluginRegistry& plugins() {
  return testing::build_plugins({"compare", "changes", "create_record", "update_record"});
}

testing::DbFixture::Options suitecrm_options() {
  testing::DbFixture::Options options;
  options.demo_data = false;
  options.module_map = testing::source_dir() / "config/crm/suitecrm.json";
  return options;
}

// A fresh database with our SuiteCRM schema, the suitecrm.json map introspected against it,
// the given workflows, capture on Leads (and leads_cstm), and an engine to step.
struct SuiteHarness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_suitecrm_test_" + name());
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;

  explicit SuiteHarness(const std::vector<std::string>& workflow_texts,
                        std::chrono::milliseconds settle = std::chrono::milliseconds(300))
      : DbFixture(suitecrm_options()) {
    testing::run_sql_file(db(), testing::source_dir() / "tests/fixtures/suitecrm-schema.sql");
    if (const auto problems = reintrospect(); !problems.empty()) {
      throw std::runtime_error(problems.front());
    }
    workflows = testing::load_workflow_texts(dir, workflow_texts, plugins(), &map());
    const auto installed = install_capture(db(), *map().find("Leads"));
    if (!installed) throw std::runtime_error(installed.error());
    EngineOptions options;
    options.owner = "suitecrm_test";
    options.lease = std::chrono::seconds(5);
    options.settle = settle;
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
  }
  ~SuiteHarness() { std::filesystem::remove_all(dir); }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }

  // SuiteCRM's statements for one save of the lead, each autocommitted: the _cstm row first,
  // then the main row with every column rewritten (one changed), then a relationship row.
  void suitecrm_save(const std::string& level, const std::string& status) {
    db() << "UPDATE leads_cstm SET membership_level_c = :l, vat_checked_c = 0, "
            "jjwg_maps_lat_c = 0 WHERE id_c = :id",
        soci::use(level), soci::use(kLead);
    db() << "UPDATE leads SET date_modified = date_modified, modified_user_id = '1', created_by "
            "= created_by, description = description, deleted = 0, assigned_user_id = "
            "assigned_user_id, salutation = salutation, first_name = first_name, last_name = "
            "last_name, title = title, phone_work = phone_work, converted = converted, status = "
            ":s, lead_source = lead_source, account_name = account_name, account_id = account_id, "
            "contact_id = contact_id, opportunity_amount = opportunity_amount WHERE id = :id",
        soci::use(status), soci::use(kLead);
    db() << "INSERT INTO accounts_leads (id, account_id, lead_id, date_modified, deleted) VALUES "
            "(UUID(), 'acc00001-0000-4000-8000-000000000000', :id, UTC_TIMESTAMP(), 0)",
        soci::use(kLead);
  }

  // Steps until the queue is empty (bounded), waiting out the settle window.
  void drain() {
    if (!testing::drain_events(*engine, db(), std::chrono::milliseconds(50)))
      BOOST_FAIL("the event queue did not drain");
  }
};

const std::string kGoldWorkflow =
    R"({"id": "gold", "module": "Leads", "trigger": "saved", "fire": "on_change",
        "conditions": {"field": "membership_level_c", "op": "changed_to", "value": "Gold"},
        "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                     "fields": {"name": "Welcome gold member"}}}]})";

// Both the custom change and the main change must be in the one event's images.
const std::string kBothWorkflow =
    R"({"id": "both", "module": "Leads", "trigger": "saved", "fire": "every_save",
        "conditions": {"all": [{"field": "membership_level_c", "op": "changed_from",
                                "value": "Silver"},
                               {"field": "membership_level_c", "op": "equals", "value": "Gold"},
                               {"field": "status", "op": "changed_to", "value": "Assigned"}]},
        "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                     "fields": {"name": "Gold and assigned"}}}]})";

}  // namespace

BOOST_AUTO_TEST_CASE(custom_fields_are_fields_of_the_module) {
  SuiteHarness h({kGoldWorkflow});
  const Module& leads = *h.map().find("Leads");
  BOOST_TEST(leads.custom_table == "leads_cstm");
  const Column* level = leads.column("membership_level_c");
  BOOST_REQUIRE(level != nullptr);
  BOOST_TEST(level->custom);
  BOOST_TEST(!leads.column("status")->custom);
  BOOST_TEST(leads.column("id_c") == nullptr, "the custom table's id is not a field");
  BOOST_TEST(h.workflows.size() == 1u, "a workflow on a custom field passes the check");
  // A field that is in neither table is still refused.
  const auto dir = h.dir / "bad";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.json") << R"({"id": "bad", "module": "Leads", "trigger": "saved",
             "conditions": {"field": "no_such_c", "op": "equals", "value": "x"},
             "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                          "fields": {"name": "x"}}}]})";
  BOOST_TEST(!load_workflows(dir, plugins(), &h.map()).has_value());
  BOOST_TEST(state_name(capture_status(h.db(), leads).state) == "installed");
}

BOOST_AUTO_TEST_CASE(one_suitecrm_save_is_one_event_with_the_custom_fields) {
  SuiteHarness h({kGoldWorkflow, kBothWorkflow});
  h.suitecrm_save("Gold", "Assigned");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event WHERE module = 'Leads' AND record_id = '" +
                     kLead + "'") == 2,
             "two captured rows: leads_cstm and leads; accounts_leads is not captured");
  BOOST_TEST(h.engine->step() == 0u, "nothing is claimed inside the settle window");
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE record_id = '" +
                     kLead + "'") == 1,
             "exactly one event was handled for the lead");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'gold' AND outcome = "
                     "'done'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Welcome gold member' AND parent_id "
                     "= '" +
                     kLead + "'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'both' AND outcome = "
                     "'done'") == 1,
             "the one event's images hold the custom change and the main change");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'Gold and assigned'") == 1);

  // A later save that leaves the custom field alone does not fire the gold workflow again,
  // and its (main-table) event still carries the custom field.
  h.db() << "UPDATE leads SET status = 'In Process' WHERE id = :id", soci::use(kLead);
  std::string image;
  h.db() << "SELECT JSON_VALUE(new_image, '$.membership_level_c') FROM crmflow_event",
      soci::into(image);
  BOOST_TEST(image == "Gold");
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'gold' AND outcome = "
                     "'done'") == 1);
}

BOOST_AUTO_TEST_CASE(custom_table_drift_is_detected_and_repaired) {
  SuiteHarness h({kGoldWorkflow});
  h.db() << "ALTER TABLE leads_cstm ADD COLUMN loyalty_c varchar(20) DEFAULT NULL";
  BOOST_REQUIRE(h.reintrospect().empty());
  const Module& leads = *h.map().find("Leads");
  const TableCapture status = capture_status(h.db(), leads);
  BOOST_TEST(state_name(status.state) == "drifted");
  BOOST_TEST(status.detail.find("loyalty_c") != std::string::npos, status.detail);
  BOOST_REQUIRE(install_capture(h.db(), leads).has_value());
  BOOST_TEST(state_name(capture_status(h.db(), leads).state) == "installed");
  BOOST_REQUIRE(remove_capture(h.db(), leads).has_value());
  BOOST_TEST(state_name(capture_status(h.db(), leads).state) == "missing");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = "
                     "DATABASE() AND EVENT_OBJECT_TABLE IN ('leads', 'leads_cstm')") == 0);
}

BOOST_AUTO_TEST_CASE(a_new_record_written_custom_row_first_is_one_created_event) {
  SuiteHarness h({R"({"id": "new-gold", "module": "Leads", "trigger": "saved", "fire": "on_change",
                     "conditions": {"field": "membership_level_c", "op": "equals", "value": "Gold"},
                     "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                                  "fields": {"name": "Welcome new gold member"}}}]})"});
  // SuiteCRM 7.14 saving a new lead: the custom row, then the main row, each autocommitted.
  h.db() << "INSERT INTO leads_cstm (id_c, membership_level_c, vat_checked_c) VALUES "
            "('led00009-0000-4000-8000-000000000000', 'Gold', 0)";
  h.db() << "INSERT INTO leads (id, date_entered, date_modified, modified_user_id, created_by, "
            "first_name, last_name, status, deleted) VALUES "
            "('led00009-0000-4000-8000-000000000000', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', "
            "'Eva', 'Neu', 'New', 0)";
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE record_id = "
                     "'led00009-0000-4000-8000-000000000000'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Welcome new gold member' AND "
                     "parent_id = 'led00009-0000-4000-8000-000000000000'") == 1,
             "the created event's new image holds the custom field written before the main row");
}

BOOST_AUTO_TEST_CASE(a_hard_delete_of_both_rows_is_one_deleted_event_with_the_custom_fields) {
  SuiteHarness h({R"({"id": "lost-silver", "module": "Leads", "trigger": "deleted",
                     "conditions": {"field": "membership_level_c", "op": "equals",
                                    "value": "Silver"},
                     "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                                  "link": false, "fields": {"name": "Silver lead removed"}}}]})"});
  h.db() << "DELETE FROM leads_cstm WHERE id_c = :id", soci::use(kLead);
  h.db() << "DELETE FROM leads WHERE id = :id", soci::use(kLead);
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE record_id = '" +
                     kLead + "'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'Silver lead removed'") == 1,
             "the old image keeps the custom field the deleted custom row held");
}

BOOST_AUTO_TEST_CASE(actions_write_custom_fields_and_conditions_read_related_custom_fields) {
  // A lead of a Silver partner account becomes Gold: mark it checked and open a Gold case.
  // A contact of an account with a German VAT number gets a note (join table, custom field).
  // A flagged lead without a custom row gets one.
  SuiteHarness h({R"({"id": "gold", "module": "Leads", "trigger": "saved", "fire": "on_change",
           "conditions": {"all": [
             {"field": "membership_level_c", "op": "changed_to", "value": "Gold"},
             {"field": "account.partner_tier_c", "op": "equals", "value": "Silver"}]},
           "actions": [
             {"plugin": "update_record", "params": {"fields": {"vat_checked_c": 1,
                                                               "status": "Converted"}}},
             {"plugin": "create_record", "params": {"module": "Cases", "link": false,
              "fields": {"name": "Gold onboarding", "sla_level_c": "Gold"}}}]})",
                  R"({"id": "german-vat", "module": "Contacts", "trigger": "saved",
           "conditions": {"field": "accounts.vat_number_c", "op": "starts_with", "value": "DE"},
           "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                        "fields": {"name": "German VAT contact"}}}]})",
                  R"({"id": "flag", "module": "Leads", "trigger": "saved", "fire": "on_change",
           "conditions": {"field": "status", "op": "equals", "value": "Flagged"},
           "actions": [{"plugin": "update_record",
                        "params": {"fields": {"membership_level_c": "Bronze"}}}]})"});
  BOOST_REQUIRE(install_capture(h.db(), *h.map().find("Contacts")).has_value());
  h.db() << "UPDATE leads SET account_id = 'acc00001-0000-4000-8000-000000000000' WHERE id = :id",
      soci::use(kLead);
  h.drain();
  h.db() << "UPDATE leads_cstm SET membership_level_c = 'Gold' WHERE id_c = :id", soci::use(kLead);
  h.db() << "UPDATE contacts SET title = 'CTO' WHERE id = 'con00001-0000-4000-8000-000000000000'";
  h.db() << "INSERT INTO leads (id, first_name, last_name, status, deleted) VALUES "
            "('led00002-0000-4000-8000-000000000000', 'Ida', 'Ohne', 'Flagged', 0)";
  h.drain();

  BOOST_TEST(h.count("SELECT COUNT(*) FROM leads l JOIN leads_cstm c ON c.id_c = l.id WHERE l.id "
                     "= '" +
                     kLead + "' AND l.status = 'Converted' AND c.vat_checked_c = 1") == 1,
             "update_record wrote a main field and a custom field");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM cases c JOIN cases_cstm x ON x.id_c = c.id WHERE "
                     "c.name = 'Gold onboarding' AND x.sla_level_c = 'Gold'") == 1,
             "create_record wrote the new record's custom row");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'German VAT contact' AND parent_id "
                     "= 'con00001-0000-4000-8000-000000000000'") == 1);
  BOOST_TEST(
      h.count("SELECT COUNT(*) FROM leads_cstm WHERE id_c = "
              "'led00002-0000-4000-8000-000000000000' AND membership_level_c = 'Bronze'") == 1,
      "a missing custom row is created");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed'") == 0);
}
