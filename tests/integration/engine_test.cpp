// The engine on a real database: captured saves through workflows to database effects and
// audit rows, with the real plugins (compare, create_record, update_record) loaded through
// the ABI. Each case gets a fresh demo database (db_fixture.hpp).
#define BOOST_TEST_MODULE engine_test
#include <fmt/format.h>
#include <soci/soci.h>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

#include "crmflow/host/capture.hpp"
#include "crmflow/host/engine.hpp"
#include "crmflow/host/record_writer.hpp"
#include "crmflow/host/workflow.hpp"
#include "db_fixture.hpp"
#include "workflow_harness.hpp"

using namespace crmflow;

namespace {

const std::string kLead = "led00001-0000-4000-8000-000000000000";
const std::string kUser2 = "usr00002-0000-4000-8000-000000000000";

PluginRegistry& plugins() {
  return testing::build_plugins({"compare", "changes", "create_record", "update_record"});
}

// A fresh database with capture on Leads, the given workflows, and an engine to step.
struct Harness : testing::DbFixture {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("crmflow_engine_test_" + name());
  std::vector<Workflow> workflows;
  std::unique_ptr<Engine> engine;

  explicit Harness(const std::vector<std::string>& workflow_texts, unsigned max_attempts = 3) {
    workflows = testing::load_workflow_texts(dir, workflow_texts, plugins(), &map());
    for (const char* module : {"Leads", "Cases", "Contacts", "Tasks"}) {
      const auto installed = install_capture(db(), *map().find(module));
      if (!installed) throw std::runtime_error(installed.error());
    }
    EngineOptions options;
    options.owner = "engine_test";
    options.max_attempts = max_attempts;
    options.lease = std::chrono::seconds(1);
    engine = std::make_unique<Engine>(db(), map(), workflows, options);
  }
  ~Harness() { std::filesystem::remove_all(dir); }

  // Steps the engine until the queue is empty (bounded).
  void drain() {
    if (!testing::drain_events(*engine, db())) BOOST_FAIL("the event queue did not drain");
  }

  long long count(const std::string& sql) { return testing::query_count(db(), sql); }

  // The CRM saving a lead, as a plain client would.
  void save_lead(const std::string& status, const std::string& user = kUser2) {
    db() << "UPDATE leads SET status = :s, modified_user_id = :u, date_modified = UTC_TIMESTAMP() "
            "WHERE id = :id",
        soci::use(status), soci::use(user), soci::use(kLead);
  }
};

std::string qualified_lead_workflow(const std::string& fire, const std::string& extra = "") {
  return R"({"id": "follow-up", "module": "Leads", "trigger": "saved", "fire": ")" + fire + R"(",
    "conditions": {"all": [{"field": "status", "op": "equals", "value": "Qualified"}]},
    "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                 "fields": {"name": "Follow-up", "priority": "High"}}}])" +
         extra + "}";
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_save_that_meets_the_conditions_creates_the_task_and_an_audit_row) {
  Harness h({qualified_lead_workflow("every_save")});
  h.save_lead("Qualified", kUser2);
  h.drain();
  std::string name, parent_type, parent_id, assigned, created_by, priority;
  h.db()
      << "SELECT name, parent_type, parent_id, assigned_user_id, created_by, priority FROM tasks "
         "WHERE name = 'Follow-up'",
      soci::into(name), soci::into(parent_type), soci::into(parent_id), soci::into(assigned),
      soci::into(created_by), soci::into(priority);
  BOOST_TEST(parent_type == "Leads");
  BOOST_TEST(parent_id == kLead);
  BOOST_TEST(assigned == kUser2, "assigned to the run-as (triggering) user");
  BOOST_TEST(created_by == kUser2);
  BOOST_TEST(priority == "High");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'follow-up' AND "
                     "outcome = 'done' AND actions_run = 1 AND record_id = '" +
                     kLead + "'") == 1);
}

BOOST_AUTO_TEST_CASE(a_save_that_does_not_meet_them_leaves_only_an_audit_row) {
  Harness h({qualified_lead_workflow("every_save")});
  h.save_lead("Dead");
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 0);
  std::string outcome, reason;
  h.db() << "SELECT outcome, reason FROM crmflow_run", soci::into(outcome), soci::into(reason);
  BOOST_TEST(outcome == "not_matched");
  BOOST_TEST(reason == "conditions not met");
  std::string conditions;
  h.db() << "SELECT conditions FROM crmflow_run", soci::into(conditions);
  BOOST_TEST(conditions == R"(status equals "Qualified": no)");
}

BOOST_AUTO_TEST_CASE(the_audit_names_the_conditions_that_decided) {
  // `any` holds by its second child, a `not`: only that one explains the run; a failing
  // `all` is explained by its first failing child alone, not by the ones before it.
  Harness h({R"({"id": "decided", "module": "Leads", "trigger": "saved",
      "conditions": {"all": [
        {"any": [{"field": "status", "op": "equals", "value": "New"},
                 {"not": {"field": "status", "op": "equals", "value": "Dead"}}]},
        {"field": "last_name", "op": "not_empty"},
        {"field": "status", "op": "in", "value": ["Qualified", "Converted"]}]},
      "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                   "fields": {"name": "Decided"}}}]})"});
  h.save_lead("Qualified");
  h.save_lead("Assigned");
  h.drain();
  std::vector<std::string> conditions(2);
  h.db() << "SELECT conditions FROM crmflow_run ORDER BY id", soci::into(conditions);
  BOOST_TEST(conditions[0] == R"(status equals "Dead": no (under not); last_name not_empty: yes; )"
                              R"(status in ["Qualified","Converted"]: yes)");
  BOOST_TEST(conditions[1] == R"(status in ["Qualified","Converted"]: no)");
}

BOOST_AUTO_TEST_CASE(on_change_fires_once_every_save_fires_each_time) {
  Harness on_change({qualified_lead_workflow("on_change")});
  on_change.save_lead("Qualified");
  on_change.db() << "UPDATE leads SET description = 'called again' WHERE id = :id",
      soci::use(kLead);
  on_change.drain();
  BOOST_TEST(on_change.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 1);
  BOOST_TEST(on_change.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'not_matched' AND "
                             "reason LIKE 'conditions held before this save already%'") == 1);

  Harness every_save({qualified_lead_workflow("every_save")});
  every_save.save_lead("Qualified");
  every_save.db() << "UPDATE leads SET description = 'called again' WHERE id = :id",
      soci::use(kLead);
  every_save.drain();
  BOOST_TEST(every_save.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 2);
}

BOOST_AUTO_TEST_CASE(a_save_that_changes_nothing_runs_nothing) {
  Harness h({qualified_lead_workflow("every_save")});
  h.db() << "UPDATE leads SET status = status WHERE id = :id", soci::use(kLead);
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run") == 0);
}

BOOST_AUTO_TEST_CASE(soft_delete_runs_deleted_workflows_on_the_old_image) {
  Harness h({R"({"id": "gone", "module": "Leads", "trigger": "deleted",
                 "conditions": {"field": "status", "op": "not_empty"},
                 "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                              "fields": {"name": "Lead deleted"}}}]})"});
  h.db() << "UPDATE leads SET deleted = 1 WHERE id = :id", soci::use(kLead);
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'Lead deleted' AND parent_id = '" +
                     kLead + "'") == 1);
}

BOOST_AUTO_TEST_CASE(run_as_assigned_or_a_fixed_user) {
  Harness h({qualified_lead_workflow("every_save", R"(, "run_as": {"user_id": "1"})")});
  h.save_lead("Qualified", kUser2);
  h.drain();
  BOOST_TEST(
      h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND assigned_user_id = '1' "
              "AND created_by = '1'") == 1);
}

BOOST_AUTO_TEST_CASE(an_update_of_the_record_itself_does_not_retrigger_its_workflow) {
  Harness h({R"({"id": "mark", "module": "Leads", "trigger": "saved",
                 "conditions": {"field": "status", "op": "equals", "value": "Qualified"},
                 "actions": [{"plugin": "update_record",
                              "params": {"fields": {"description": "seen by crmflow"}}}]})"});
  h.save_lead("Qualified");
  h.drain();
  std::string description, cause;
  h.db() << "SELECT description FROM leads WHERE id = :id", soci::use(kLead),
      soci::into(description);
  BOOST_TEST(description == "seen by crmflow");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'done'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'not_matched' AND reason = "
                     "'caused by this workflow''s own write; not triggered again'") == 1);
}

// The CRM's open transaction has saved a lead, so it holds a new, uncommitted event row. The
// host must claim and finish the other events without waiting on that row. With ids covering
// most of a small event table the optimizer prefers a full scan, and a scanning UPDATE or
// DELETE waits on every uncommitted row it passes: the claim stalled behind the CRM, and the
// finish, which holds the records the batch's actions wrote, could deadlock with it and make
// the CRM the victim (faults_three_hosts).
BOOST_AUTO_TEST_CASE(an_open_crm_transaction_does_not_hold_up_the_host) {
  Harness h({qualified_lead_workflow("every_save")});
  const auto insert_lead = [](soci::session& db, const std::string& id) {
    db << "INSERT INTO leads (id, date_entered, date_modified, modified_user_id, created_by, "
          "deleted, last_name, status) VALUES (:id, UTC_TIMESTAMP(), UTC_TIMESTAMP(), :u, :u, 0, "
          "'Open', 'Qualified')",
        soci::use(id), soci::use(kUser2), soci::use(kUser2);
  };
  constexpr int kCommitted = 20;
  for (int i = 1; i <= kCommitted; ++i) insert_lead(h.db(), fmt::format("opn{:05d}-0000-4000", i));
  // Fresh statistics, as a live table has them: the optimizer then knows how small it is.
  h.db() << "ANALYZE TABLE crmflow_event";
  auto crm = h.connect_again();
  *crm << "START TRANSACTION";
  insert_lead(*crm, "opn-uncommitted");
  // A wait now ends in a lock wait timeout error after one second instead of a drained queue.
  h.db() << "SET SESSION innodb_lock_wait_timeout = 1";
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == kCommitted);
  *crm << "COMMIT";
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == kCommitted + 1);
}

BOOST_AUTO_TEST_CASE(a_failing_action_is_retried_then_quarantined_and_others_go_on) {
  // Tasks have no field "colour": the action fails on every attempt.
  Harness h({R"({"id": "broken", "module": "Cases", "trigger": "saved",
                 "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                              "fields": {"name": "x", "colour": "red"}}}]})",
             qualified_lead_workflow("every_save")},
            2);
  h.db() << "UPDATE cases SET priority = 'Urgent' WHERE case_number = 1";
  h.save_lead("Qualified");
  for (int i = 0; i < 100 && h.count("SELECT COUNT(*) FROM crmflow_event") > 0; ++i) {
    h.engine->step();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event") == 0);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event_quarantine WHERE module = 'Cases' AND "
                     "attempts = 2 AND last_error LIKE '%module Tasks has no field ''colour''%'") ==
             1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'broken' AND outcome = "
                     "'failed'") == 2);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'") == 1,
             "the lead went on");
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name = 'x'") == 0, "nothing half-done");
}

BOOST_AUTO_TEST_CASE(text_longer_than_its_column_is_refused_not_cut) {
  const std::string long_name(51, 'n');  // tasks.name is varchar(50)
  Harness h({R"({"id": "long", "module": "Leads", "trigger": "saved",
                 "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
                              "fields": {"name": ")" +
             long_name + R"("}}}]})"},
            1);
  h.save_lead("New");
  for (int i = 0; i < 20 && h.count("SELECT COUNT(*) FROM crmflow_event") > 0; ++i)
    h.engine->step();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM tasks WHERE name LIKE 'nnnn%'") == 0);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event_quarantine WHERE last_error LIKE "
                     "'%Tasks.name: 51 characters do not fit the column''s 50%'") == 1);
}

BOOST_AUTO_TEST_CASE(hostile_values_stay_values) {
  // What a CRM user may type reaches conditions and images as data, never as SQL.
  const std::vector<std::string> corpus = {"O'Brien",         "\"quoted\"",
                                           "back\\slash",     "'; DROP TABLE tasks; --",
                                           "/* comment */ x", "Müller 東京 👩‍👩‍👧",
                                           "line\nbreak\r\n", std::string(60000, 'x')};
  Harness h({R"({"id": "any", "module": "Leads", "trigger": "saved",
                 "conditions": {"field": "description", "op": "contains", "value": "'; DROP"},
                 "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                              "fields": {"name": "matched"}}}]})"});
  for (const std::string& value : corpus) {
    h.db() << "UPDATE leads SET description = :d WHERE id = :id", soci::use(value),
        soci::use(kLead);
  }
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run") == static_cast<long long>(corpus.size()));
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'matched'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                     "DATABASE() AND table_name = 'tasks'") == 1);
}

BOOST_FIXTURE_TEST_CASE(links_through_join_tables_with_and_without_an_id_and_foreign_keys,
                        testing::DbFixture) {
  RecordWriter writer(db(), map(), 0);
  const std::string meeting =
      writer.create_record("Meetings", nlohmann::ordered_json{{"name", "Kick-off"}}, nullptr, "1")
          .value();
  // meetings_users has a composite key and no id column; meetings_contacts has an id.
  BOOST_TEST(writer.link_records("Meetings", meeting, "users", kUser2).has_value());
  BOOST_TEST(writer.link_records("Meetings", meeting, "users", kUser2).has_value(), "twice");
  const std::string contact = "con00001-0000-4000-8000-000000000000";
  BOOST_TEST(writer.link_records("Meetings", meeting, "contacts", contact).has_value());
  long long users = 0, contacts = 0, contact_ids = 0;
  db() << "SELECT COUNT(*) FROM meetings_users WHERE meeting_id = :m AND user_id = :u AND deleted "
          "= 0",
      soci::use(meeting), soci::use(kUser2), soci::into(users);
  db() << "SELECT COUNT(*), COUNT(id) FROM meetings_contacts WHERE meeting_id = :m AND "
          "contact_id = :c AND deleted = 0",
      soci::use(meeting), soci::use(contact), soci::into(contacts), soci::into(contact_ids);
  BOOST_TEST(users == 1, "linking twice invites once");
  BOOST_TEST(contacts == 1);
  BOOST_TEST(contact_ids == 1, "the join table's own id is filled");

  // A foreign key: the lead's account.
  const std::string account = "acc00002-0000-4000-8000-000000000000";
  BOOST_TEST(writer.link_records("Leads", kLead, "account", account).has_value());
  std::string linked;
  db() << "SELECT account_id FROM leads WHERE id = :id", soci::use(kLead), soci::into(linked);
  BOOST_TEST(linked == account);

  const auto unknown = writer.link_records("Leads", kLead, "nosuch", account);
  BOOST_TEST_REQUIRE(!unknown.has_value());
  BOOST_TEST(unknown.error().message == "module Leads has no relation 'nosuch'");
  const auto missing = writer.update_record("Leads", "no-such-id", {{"status", "New"}}, "1");
  BOOST_TEST_REQUIRE(!missing.has_value());
  BOOST_TEST(missing.error().status == CRMFLOW_NOT_FOUND);
}

BOOST_AUTO_TEST_CASE(one_workflow_triggers_another) {
  // A marks a qualified lead; B reacts to the mark (a chain A → B).
  Harness h({R"({"id": "a-mark", "module": "Leads", "trigger": "saved", "fire": "on_change",
                 "conditions": {"field": "status", "op": "equals", "value": "Qualified"},
                 "actions": [{"plugin": "update_record",
                              "params": {"fields": {"description": "hot"}}}]})",
             R"({"id": "b-note", "module": "Leads", "trigger": "saved", "fire": "on_change",
                 "conditions": {"field": "description", "op": "equals", "value": "hot"},
                 "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                              "fields": {"name": "Hot lead"}}}]})"});
  h.save_lead("Qualified");
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'Hot lead' AND parent_id = '" +
                     kLead + "'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'b-note' AND outcome = "
                     "'done'") == 1);
}

BOOST_AUTO_TEST_CASE(a_loop_between_workflows_stops_at_the_depth_limit) {
  // A turns "ping" into "pong", B turns "pong" back into "ping": a loop only the depth
  // limit (5) stops.
  Harness h({R"({"id": "a-ping", "module": "Leads", "trigger": "saved",
                 "conditions": {"field": "description", "op": "equals", "value": "ping"},
                 "actions": [{"plugin": "update_record",
                              "params": {"fields": {"description": "pong"}}}]})",
             R"({"id": "b-pong", "module": "Leads", "trigger": "saved",
                 "conditions": {"field": "description", "op": "equals", "value": "pong"},
                 "actions": [{"plugin": "update_record",
                              "params": {"fields": {"description": "ping"}}}]})"});
  h.db() << "UPDATE leads SET description = 'ping' WHERE id = :id", soci::use(kLead);
  h.drain();
  // Depths 0..5 ran (6 writes, alternating); at depth 6 the workflow that would go on is
  // stopped by the limit (the other one wrote the event itself), and the audit says so.
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'done'") == 6);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'not_matched' AND reason = "
                     "'chain depth 6 exceeds the limit of 5'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_event") == 0, "the loop ended");
}

BOOST_AUTO_TEST_CASE(change_operators_on_captured_events) {
  // changed_to fires on the save that makes the change, not on later saves, in either mode.
  Harness h({R"({"id": "to-qualified", "module": "Leads", "trigger": "saved", "fire": "on_change",
                 "conditions": {"field": "status", "op": "changed_to", "value": "Qualified"},
                 "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                              "fields": {"name": "became qualified"}}}]})",
             R"({"id": "from-new", "module": "Leads", "trigger": "saved", "fire": "every_save",
                 "conditions": {"all": [{"field": "status", "op": "changed_from", "value": "New"},
                                        {"field": "status", "op": "changed"}]},
                 "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                              "fields": {"name": "left New"}}}]})"});
  h.save_lead("Qualified");  // New -> Qualified
  h.db() << "UPDATE leads SET description = 'more' WHERE id = :id", soci::use(kLead);
  h.save_lead("Dead");
  h.save_lead("Qualified");  // Dead -> Qualified again
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'became qualified'") == 2);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'left New'") == 1);
}

BOOST_AUTO_TEST_CASE(conditions_on_fields_of_related_records) {
  // Through a foreign key (lead → account), a join table (contact → accounts) and a parent
  // link (task → its lead).
  const auto note = [](const std::string& id, const std::string& module,
                       const std::string& condition) {
    return R"({"id": ")" + id + R"(", "module": ")" + module + R"(", "trigger": "saved",
               "conditions": )" +
           condition + R"(,
               "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                            "fields": {"name": ")" +
           id + R"("}}}]})";
  };
  Harness h(
      {note("german-account", "Leads",
            R"({"field": "account.billing_address_country", "op": "equals", "value": "Germany"})"),
       note("alpenblick-contact", "Contacts",
            R"({"field": "accounts.name", "op": "starts_with", "value": "Alpenblick"})"),
       note("task-of-qualified-lead", "Tasks",
            R"({"all": [{"field": "parent.status", "op": "equals", "value": "Qualified"},
                              {"field": "status", "op": "changed"}]})")});
  // A lead moves to the German account, then to the Austrian one.
  h.db() << "UPDATE leads SET account_id = 'acc00003-0000-4000-8000-000000000000' WHERE id = :id",
      soci::use(kLead);
  h.db() << "UPDATE leads SET account_id = 'acc00001-0000-4000-8000-000000000000' WHERE id = :id",
      soci::use(kLead);
  // A contact linked to Alpenblick through accounts_contacts is saved.
  h.db() << "UPDATE contacts SET title = 'CTO' WHERE id = 'con00001-0000-4000-8000-000000000000'";
  // A task of the lead changes status, once while the lead is New, once when Qualified.
  h.db() << "INSERT INTO tasks (id, name, status, parent_type, parent_id, deleted) VALUES "
            "('tsk-rel-1', 'Call back', 'Not Started', 'Leads', :id, 0)",
      soci::use(kLead);
  h.db() << "UPDATE tasks SET status = 'In Progress' WHERE id = 'tsk-rel-1'";
  h.drain();
  h.save_lead("Qualified");
  h.drain();
  h.db() << "UPDATE tasks SET status = 'Completed' WHERE id = 'tsk-rel-1'";
  h.drain();
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'german-account'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'alpenblick-contact'") == 1);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM notes WHERE name = 'task-of-qualified-lead'") == 1);
}

BOOST_AUTO_TEST_CASE(every_condition_operator_on_a_captured_save) {
  // One save of the lead, captured by the triggers, judged by one workflow per case; each
  // operator has a case that holds and one that does not. The lead before the save: status
  // New, title 'Office Manager', phone set, converted 0, entered 2025-03-01, description and
  // e-mail as in the demo data.
  struct Case {
    std::string id;
    std::string condition;
    bool fires;
  };
  const std::vector<Case> cases = {
      {"equals-yes", R"({"field": "status", "op": "equals", "value": "Qualified"})", true},
      {"equals-no", R"({"field": "status", "op": "equals", "value": "New"})", false},
      {"not-equals-yes", R"({"field": "status", "op": "not_equals", "value": "Dead"})", true},
      {"not-equals-no", R"({"field": "status", "op": "not_equals", "value": "Qualified"})", false},
      {"in-yes", R"({"field": "primary_address_country", "op": "in", "value": ["Germany",
                     "Austria"]})",
       true},
      {"in-no", R"({"field": "primary_address_country", "op": "in", "value": ["France"]})", false},
      {"not-in-yes", R"({"field": "status", "op": "not_in", "value": ["New", "Dead"]})", true},
      {"not-in-no", R"({"field": "status", "op": "not_in", "value": ["Qualified"]})", false},
      {"contains-yes", R"({"field": "description", "op": "contains", "value": "ticketing"})", true},
      {"contains-no", R"({"field": "description", "op": "contains", "value": "invoice"})", false},
      {"starts-with-yes", R"({"field": "email1", "op": "starts_with", "value": "f.wagner@"})",
       true},
      {"starts-with-no", R"({"field": "email1", "op": "starts_with", "value": "wagner"})", false},
      {"ends-with-yes", R"({"field": "email1", "op": "ends_with", "value": ".example"})", true},
      {"ends-with-no", R"({"field": "email1", "op": "ends_with", "value": ".com"})", false},
      {"empty-yes", R"({"field": "phone_work", "op": "empty"})", true},
      {"empty-no", R"({"field": "title", "op": "empty"})", false},
      {"not-empty-yes", R"({"field": "title", "op": "not_empty"})", true},
      {"not-empty-no", R"({"field": "phone_work", "op": "not_empty"})", false},
      {"gt-yes", R"({"field": "converted", "op": "gt", "value": 0})", true},
      {"gt-no", R"({"field": "converted", "op": "gt", "value": 1})", false},
      {"gte-yes", R"({"field": "converted", "op": "gte", "value": 1})", true},
      {"gte-no", R"({"field": "converted", "op": "gte", "value": 2})", false},
      {"lt-yes", R"({"field": "date_entered", "op": "lt", "value": "2025-03-02"})", true},
      {"lt-no", R"({"field": "date_entered", "op": "lt", "value": "2025-03-01"})", false},
      {"lte-yes", R"({"field": "date_entered", "op": "lte", "value": "2025-03-01 07:12:00"})",
       true},
      {"lte-no", R"({"field": "converted", "op": "lte", "value": 0})", false},
      {"relative-yes", R"({"field": "date_entered", "op": "lt", "value": "now-14d"})", true},
      {"relative-no", R"({"field": "date_entered", "op": "gt", "value": "now-14d"})", false},
      {"today-yes", R"({"field": "date_modified", "op": "gte", "value": "today"})", true},
      {"field-relative-yes",
       R"({"field": "date_modified", "op": "gt", "value": "date_entered+30d"})", true},
      {"field-relative-no", R"({"field": "date_entered", "op": "gt", "value": "date_modified-1d"})",
       false},
      {"changed-yes", R"({"field": "title", "op": "changed"})", true},
      {"changed-no", R"({"field": "last_name", "op": "changed"})", false},
      {"changed-to-yes", R"({"field": "status", "op": "changed_to", "value": "Qualified"})", true},
      {"changed-to-no", R"({"field": "title", "op": "changed_to", "value": "Office Manager"})",
       false},
      {"changed-from-yes", R"({"field": "status", "op": "changed_from", "value": "New"})", true},
      {"changed-from-no", R"({"field": "status", "op": "changed_from", "value": "Dead"})", false},
      {"any-yes", R"({"any": [{"field": "status", "op": "equals", "value": "Dead"},
                              {"not": {"field": "title", "op": "empty"}}]})",
       true},
      {"all-not-no", R"({"all": [{"field": "status", "op": "equals", "value": "Qualified"},
                                 {"not": {"field": "converted", "op": "equals", "value": 1}}]})",
       false},
  };
  std::vector<std::string> texts;
  for (const Case& c : cases) {
    texts.push_back(R"({"id": ")" + c.id + R"(", "module": "Leads", "trigger": "saved",
        "fire": "every_save", "conditions": )" +
                    c.condition + R"(,
        "actions": [{"plugin": "create_record", "params": {"module": "Notes",
                     "fields": {"name": ")" +
                    c.id + R"("}}}]})");
  }
  Harness h(texts);
  h.db() << "UPDATE leads SET status = 'Qualified', title = 'Head of IT', phone_work = NULL, "
            "converted = 1, date_modified = UTC_TIMESTAMP() WHERE id = :id",
      soci::use(kLead);
  h.drain();

  std::string expected, fired;
  for (const Case& c : cases) {
    if (c.fires) expected += c.id + " ";
    if (h.count("SELECT COUNT(*) FROM notes WHERE name = '" + c.id + "'") == 1) fired += c.id + " ";
  }
  BOOST_TEST(fired == expected);
  BOOST_TEST(h.count("SELECT COUNT(*) FROM crmflow_run") == static_cast<long long>(cases.size()),
             "each workflow judged the one event once");
}
