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

using namespace crmflow;

namespace {

const std::string kLead = "led00001-0000-4000-8000-000000000000";

PluginRegistry& plugins() {
  static PluginRegistry registry;
  if (registry.components().empty()) {
    for (const char* name : {"compare", "changes", "create_record"}) {
      const auto problems =
          registry.load(std::filesystem::path(CRMFLOW_PLUGIN_DIR) / (std::string(name) + ".so"));
      if (!problems.empty()) throw std::runtime_error(problems.front());
    }
  }
  return registry;
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

  explicit SuiteHarness(std::initializer_list<std::string> workflow_texts,
                        std::chrono::milliseconds settle = std::chrono::milliseconds(300))
      : DbFixture(suitecrm_options()) {
    testing::run_sql_file(db(), testing::source_dir() / "tests/fixtures/suitecrm-schema.sql");
    if (const auto problems = reintrospect(); !problems.empty()) {
      throw std::runtime_error(problems.front());
    }
    std::filesystem::create_directories(dir);
    int n = 0;
    for (const std::string& text : workflow_texts) {
      std::ofstream(dir / ("w" + std::to_string(++n) + ".json")) << text;
    }
    auto loaded = load_workflows(dir, plugins(), &map());
    if (!loaded) throw std::runtime_error(loaded.error().front());
    workflows = std::move(*loaded);
    const auto installed = install_capture(db(), *map().find("Leads"));
    if (!installed) throw std::runtime_error(installed.error());
    EngineOptions options;
    options.owner = "suitecrm_test";
    options.lease = std::chrono::seconds(5);
    options.settle = settle;
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
  }
  ~SuiteHarness() { std::filesystem::remove_all(dir); }

  long long count(const std::string& sql) {
    long long n = 0;
    db() << sql, soci::into(n);
    return n;
  }

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
    for (int i = 0; i < 100; ++i) {
      engine->step();
      if (count("SELECT COUNT(*) FROM crmflow_event") == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
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
