// The seed's scenarios on the SuiteCRM-shaped schema (tests/fixtures/suitecrm-schema.sql) with
// config/crm/suitecrm.json and the workflow files of config/workflows-suitecrm: the same
// plugins and host as on 1CRM, only the module map and the workflows differ. The real host
// runs with the settle window SuiteCRM needs; the changes are plain SQL as SuiteCRM writes
// them (the main row, the custom row, relationship rows, each autocommitted).
#define BOOST_TEST_MODULE scenarios_suitecrm_test
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "scenario_host.hpp"

using namespace crmflow::scenarios;
using Rows = std::vector<std::string>;

namespace {

const std::string kSally = "seed_sally_id";
const std::string kAcme = "acc00001-0000-4000-8000-000000000000";
const std::string kJane = "con00001-0000-4000-8000-000000000000";  // Acme's primary contact
const std::string kJohn = "con00002-0000-4000-8000-000000000000";  // added by a test

ScenarioOptions shipped(std::vector<std::string> workflows) {
  ScenarioOptions options;
  options.flavour = suitecrm();
  options.workflows = std::move(workflows);
  return options;
}

Rows audit(ScenarioDb& db, const std::string& workflow, const std::string& record) {
  return db.rows("SELECT outcome, reason FROM crmflow_run WHERE workflow_id = '" + workflow +
                 "' AND record_id = '" + record + "' ORDER BY id");
}

// A quote as SuiteCRM's AOS module inserts it.
void insert_quote(ScenarioDb& db, const std::string& id, int number, const std::string& name) {
  db.exec(
      "INSERT INTO aos_quotes (id, name, date_entered, date_modified, modified_user_id, "
      "created_by, assigned_user_id, billing_account_id, billing_contact_id, expiration, "
      "number, total_amount, stage) VALUES ('" +
      id + "', '" + name + "', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '" + kSally + "', '" + kSally +
      "', '" + kSally + "', '" + kAcme + "', '" + kJane + "', UTC_DATE() + INTERVAL 30 DAY, " +
      std::to_string(number) + ", 1200, 'Draft')");
}

}  // namespace

// Scenario 4: a quote is created → a follow-up task at once; saving an existing one does not.
BOOST_AUTO_TEST_CASE(s4_new_quote_gets_a_follow_up_task) {
  ScenarioDb db(suitecrm());
  ScenarioHost host(db, shipped({"quote-follow-up.json"}));
  host.start();
  const std::string quote = "quo00001-0000-4000-8000-000000000000";
  insert_quote(db, quote, 1, "Widget spare parts");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  db.exec("UPDATE aos_quotes SET stage = 'Negotiation', modified_user_id = '" + kSally +
          "' WHERE id = '" + quote + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  BOOST_TEST(
      db.rows("SELECT name, status, priority, parent_type, parent_id, assigned_user_id, "
              "description FROM tasks") ==
      (Rows{"Follow up on quote 1 | Not Started | Medium | AOS_Quotes | " + quote + " | " + kSally +
            " | Quote \"Widget spare parts\" for Acme Widgets: ask Jane Doe "
            "whether it fits."}));
  BOOST_TEST(audit(db, "quote-follow-up", quote) ==
             (Rows{"done | conditions met", "not_matched | applies to new records only"}));
}

// Scenario 8: two weeks after a quote was created, a follow-up task only if it is still open.
BOOST_AUTO_TEST_CASE(s8_follow_up_after_two_weeks_only_for_open_quotes) {
  ScenarioDb db(suitecrm());
  ScenarioHost host(db, shipped({"quote-open-after-two-weeks.json"}));
  host.start();
  const std::string open = "quo00001-0000-4000-8000-000000000000";
  const std::string lost = "quo00002-0000-4000-8000-000000000000";
  insert_quote(db, open, 1, "Widget spare parts");
  insert_quote(db, lost, 2, "Widget maintenance");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'") == 2);
  db.exec("UPDATE aos_quotes SET stage = 'Closed Lost', modified_user_id = '" + kSally +
          "' WHERE id = '" + lost + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  host.restart(15 * kDay);
  BOOST_REQUIRE_MESSAGE(
      host.wait_for_count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'", 0),
      host.log_tail());
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.rows("SELECT name, priority, parent_type, parent_id, assigned_user_id, "
                     "description FROM tasks") ==
             (Rows{"Quote 1 still open | High | AOS_Quotes | " + open + " | " + kSally +
                   " | Quote \"Widget spare parts\" (Acme Widgets) has been open for two weeks, "
                   "stage Draft: call the customer."}));
  BOOST_TEST(db.rows("SELECT record_id, state FROM crmflow_job ORDER BY id") ==
             (Rows{open + " | done", lost + " | skipped"}));
  BOOST_TEST(audit(db, "quote-open-after-two-weeks", lost).back() ==
             "skipped | skipped: conditions no longer met");
}

// Scenario 9: a case is created → an email whose text uses the case's placeholders.
BOOST_AUTO_TEST_CASE(s9_new_case_email_with_placeholders) {
  ScenarioDb db(suitecrm());
  SmtpSink mail;
  ScenarioOptions options = shipped({"case-created-email.json"});
  options.use(mail);
  ScenarioHost host(db, options);
  host.start();
  // SuiteCRM's save: the case row, its custom row and the contact link, each on its own.
  const std::string id = "cas00002-0000-4000-8000-000000000000";
  db.exec(
      "INSERT INTO cases (id, name, date_entered, date_modified, modified_user_id, "
      "created_by, assigned_user_id, type, status, priority, state, account_id) VALUES ('" +
      id + "', 'Widget squeaks', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', '" + kSally +
      "', 'User', 'Open_New', 'P1', 'Open', '" + kAcme + "')");
  db.exec("INSERT INTO cases_cstm (id_c, sla_level_c) VALUES ('" + id + "', 'Gold')");
  db.exec(
      "INSERT INTO contacts_cases (id, contact_id, case_id, date_modified, deleted) VALUES "
      "(UUID(), '" +
      kJane + "', '" + id + "', UTC_TIMESTAMP(), 0)");
  BOOST_REQUIRE_MESSAGE(mail.wait_for(1), host.log_tail());
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  const auto messages = mail.messages();
  BOOST_REQUIRE(messages.size() == 1u);
  const Json& message = messages.front();
  BOOST_TEST(message["rcpt_tos"] == Json::array({"support@demo.example"}));
  BOOST_TEST(message["subject"].get<std::string>() == "[Case 2] Widget squeaks");
  BOOST_TEST(lines(message["text"]) ==
             "New case 2 for Acme Widgets:\n\n  Widget squeaks\n  Priority: P1\n  Contact: Jane "
             "Doe\n\nAssigned to Sally Bronsen.\n");
  BOOST_TEST(db.count("SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE record_id = '" + id +
                      "'") == 1,
             "one event for the case row and its custom row");
}

// Scenario 6: an account's billing address changes → an alert for its owner and the address
// on the primary contact only; a save without an address change does nothing.
BOOST_AUTO_TEST_CASE(s6_billing_address_goes_to_the_primary_contact) {
  ScenarioDb db(suitecrm());
  // A second contact of Acme, John Smith, not its primary contact (SuiteCRM writes the
  // contact, its custom row and the account link).
  db.exec(
      "INSERT INTO contacts (id, date_entered, date_modified, modified_user_id, created_by, "
      "assigned_user_id, salutation, first_name, last_name, primary_address_street, "
      "primary_address_city, primary_address_postalcode, primary_address_country) VALUES ('" +
      kJohn + "', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '1', '1', '" + kSally +
      "', 'Mr.', 'John', 'Smith', '7 Harbour Road', 'Hamburg', '20095', 'Germany')");
  db.exec("INSERT INTO contacts_cstm (id_c, newsletter_c, primary_contact_c) VALUES ('" + kJohn +
          "', 1, 0)");
  db.exec(
      "INSERT INTO accounts_contacts (id, contact_id, account_id, date_modified, deleted) "
      "VALUES (UUID(), '" +
      kJohn + "', '" + kAcme + "', UTC_TIMESTAMP(), 0)");
  ScenarioHost host(db, shipped({"account-billing-address-change.json"}));
  host.start();
  const std::string contacts =
      "SELECT id, primary_address_street, primary_address_city, primary_address_postalcode, "
      "primary_address_country FROM contacts ORDER BY id";
  const Rows before = db.rows(contacts);
  BOOST_TEST(before == (Rows{kJane + " | 1 Widget Way | Berlin | 10115 | Germany",
                             kJohn + " | 7 Harbour Road | Hamburg | 20095 | Germany"}));

  // Negative: a new industry is no address change.
  db.exec("UPDATE accounts SET industry = 'Software', modified_user_id = '1' WHERE id = '" + kAcme +
          "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(audit(db, "account-billing-address-change", kAcme) ==
             (Rows{"not_matched | conditions not met"}));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM alerts") == 0);
  BOOST_TEST(db.rows(contacts) == before);

  db.exec(
      "UPDATE accounts SET billing_address_street = '12 Gear Street', billing_address_city = "
      "'Leipzig', billing_address_postalcode = '04109', modified_user_id = '1' WHERE id = '" +
      kAcme + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.rows("SELECT name, description, target_module, assigned_user_id, "
                     "CAST(is_read AS CHAR) FROM alerts") ==
             (Rows{"Billing address of Acme Widgets changed | New address: 12 Gear Street, 04109 "
                   "Leipzig, Germany. Check open quotes and invoices; the address was copied to "
                   "the primary contact. | Accounts | " +
                   kSally + " | 0"}));
  BOOST_TEST(db.rows(contacts) == (Rows{kJane + " | 12 Gear Street | Leipzig | 04109 | Germany",
                                        kJohn + " | 7 Harbour Road | Hamburg | 20095 | Germany"}));
  const CommandResult alerts = host.command({"alerts", "--user", kSally});
  BOOST_TEST(alerts.exit_code == 0, alerts.output);
  BOOST_TEST(alerts.output.find("Billing address of Acme Widgets changed") != std::string::npos,
             alerts.output);
}
