// The seed's scenarios (SCENARIOS.md) on the 1CRM demo database, each through the real host
// with the shipped workflow file of config/workflows, the CRM's change made with plain SQL,
// and the outcome checked as a user would: the rows in the CRM, the emails as a mail reader
// decodes them, the requests the ticket system received. Scenario 3 (membership) ships as an
// extension pack and has its own cases.
#define BOOST_TEST_MODULE scenarios_1crm_test
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "scenario_host.hpp"

using namespace crmflow::scenarios;
using Rows = std::vector<std::string>;

namespace {

const std::string kAdmin = "1";
const std::string kMaria = "usr00002-0000-4000-8000-000000000000";       // Maria Huber, sales
const std::string kThomas = "usr00003-0000-4000-8000-000000000000";      // Thomas Weber, support
const std::string kAlpenblick = "acc00001-0000-4000-8000-000000000000";  // Wien, ATU id
const std::string kRheinwerk = "acc00003-0000-4000-8000-000000000000";   // Köln, DE id
const std::string kAtelier = "acc00004-0000-4000-8000-000000000000";     // Lyon, no VAT id
const std::string kSteiner = "acc00005-0000-4000-8000-000000000000";     // Graz, no VAT id
const std::string kGruber = "con00001-0000-4000-8000-000000000000";      // Alpenblick's primary
const std::string kBerger = "con00002-0000-4000-8000-000000000000";      // consultant, no primary
const std::string kHofer = "con00003-0000-4000-8000-000000000000";       // Brennerhof's primary

ScenarioOptions shipped(std::vector<std::string> workflows) {
  ScenarioOptions options;
  options.flavour = one_crm();
  options.workflows = std::move(workflows);
  return options;
}

// The audit's outcome and reason for a workflow on a record, oldest first.
Rows audit(ScenarioDb& db, const std::string& workflow, const std::string& record) {
  return db.rows("SELECT outcome, reason FROM crmflow_run WHERE workflow_id = '" + workflow +
                 "' AND record_id = '" + record + "' ORDER BY id");
}

// A quote as 1CRM's quote editor inserts it.
void insert_quote(ScenarioDb& db, const std::string& id, int number, const std::string& name,
                  const std::string& account, const std::string& contact) {
  db.exec(
      "INSERT INTO quotes (id, name, date_entered, date_modified, modified_user_id, "
      "created_by, assigned_user_id, quote_number, stage, amount, valid_until, "
      "billing_account_id, billing_contact_id) VALUES ('" +
      id + "', '" + name + "', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '" + kMaria + "', '" + kMaria +
      "', '" + kMaria + "', " + std::to_string(number) +
      ", 'Draft', 4800, UTC_DATE() + INTERVAL 30 DAY, '" + account + "', '" + contact + "')");
}

// A case as 1CRM's case form inserts it; case_number comes from AUTO_INCREMENT (3 on the demo).
void insert_case(ScenarioDb& db, const std::string& id, const std::string& name,
                 const std::string& contact) {
  db.exec(
      "INSERT INTO cases (id, name, date_entered, date_modified, modified_user_id, created_by, "
      "assigned_user_id, type, status, priority, account_id, contact_id) VALUES ('" +
      id + "', '" + name + "', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '" + kMaria + "', '" + kMaria +
      "', '" + kThomas + "', 'User', 'Active - New', 'P2', '" + kAlpenblick + "', " +
      (contact.empty() ? "NULL" : "'" + contact + "'") + ")");
}

}  // namespace

// Scenario 1: no activity with an open lead for two weeks → the task "Follow-up" for its owner.
BOOST_AUTO_TEST_CASE(s1_silent_lead_gets_a_follow_up) {
  ScenarioDb db(one_crm());
  const std::string quiet = "led00001-0000-4000-8000-000000000000";
  const std::string called = "led00002-0000-4000-8000-000000000000";
  // Both leads are created now; the second gets a call 12 days from now (3 days before +15d).
  db.exec(
      "UPDATE leads SET date_entered = UTC_TIMESTAMP(), date_modified = UTC_TIMESTAMP(), "
      "assigned_user_id = '" +
      kMaria + "' WHERE id IN ('" + quiet + "', '" + called + "')");
  db.exec("DELETE FROM tasks WHERE parent_id IN ('" + quiet + "', '" + called + "')");
  db.exec(
      "INSERT INTO calls (id, name, date_entered, date_modified, deleted, parent_type, "
      "parent_id) VALUES (UUID(), 'Intro call', UTC_TIMESTAMP() + INTERVAL 12 DAY, "
      "UTC_TIMESTAMP() + INTERVAL 12 DAY, 0, 'Leads', '" +
      called + "')");
  ScenarioHost host(db, shipped({"lead-follow-up.json"}));
  const std::string ticks =
      "SELECT COALESCE(MAX(ticks), 0) FROM crmflow_tick WHERE trigger_id = 'lead-follow-up'";
  const std::string follow_ups =
      "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND "
      "parent_type = 'Leads' AND deleted = 0 AND parent_id = ";
  // Ticked twice (the second tick starts after the first one's events), then drained.
  const auto tick_twice = [&] {
    const long long before = db.count(ticks);
    BOOST_REQUIRE_MESSAGE(host.wait_for_count(ticks, before + 2), host.log_tail());
    BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  };

  host.start();
  tick_twice();
  BOOST_TEST(db.count(follow_ups + "'" + quiet + "'") == 0, "a lead created now is not silent");

  host.restart(15 * kDay);
  tick_twice();
  BOOST_TEST(db.rows("SELECT name, status, priority, assigned_user_id, created_by, description "
                     "FROM tasks WHERE parent_type = 'Leads' AND parent_id = '" +
                     quiet + "'") ==
             (Rows{"Follow-up | Not Started | High | " + kMaria + " | " + kMaria +
                   " | No activity with Florian Wagner (Wagner Bau GmbH) for two weeks: get in "
                   "touch."}));
  BOOST_TEST(db.count(follow_ups + "'" + called + "'") == 0, "a call 3 days ago is activity");
  BOOST_TEST(audit(db, "lead-follow-up", quiet).size() == 1u);
}

// Scenario 2: a service contract becomes active → the task "Reporting" and a meeting with the
// customer's contact, both linked to the contract and assigned to the user who saved it.
BOOST_AUTO_TEST_CASE(s2_active_service_contract_gets_reporting_task_and_meeting) {
  ScenarioDb db(one_crm());
  const std::string brennerhof = "ssc00002-0000-4000-8000-000000000000";  // Inactive
  const std::string draft = "ssc00003-0000-4000-8000-000000000000";
  ScenarioHost host(db, shipped({"service-contract-reporting.json"}));
  host.start();

  // Negative: a new contract saved as a draft.
  db.exec(
      "INSERT INTO service_subcontracts (id, name, date_entered, date_modified, "
      "modified_user_id, created_by, assigned_user_id, account_id, customer_contact_id, "
      "date_start, date_expire, status) VALUES ('" +
      draft +
      "', 'Alpenblick - Extra hours', "
      "UTC_TIMESTAMP(), UTC_TIMESTAMP(), '" +
      kThomas + "', '" + kThomas + "', '" + kThomas + "', '" + kAlpenblick + "', '" + kGruber +
      "', UTC_DATE(), UTC_DATE() + INTERVAL 1 YEAR, "
      "'Draft')");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(audit(db, "service-contract-reporting", draft) ==
             (Rows{"not_matched | conditions not met"}));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM tasks WHERE parent_id = '" + draft + "'") == 0);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM meetings WHERE parent_id = '" + draft + "'") == 0);

  // Thomas sets the Brennerhof contract to Active.
  db.exec("UPDATE service_subcontracts SET status = 'Active', modified_user_id = '" + kThomas +
          "', date_modified = UTC_TIMESTAMP() WHERE id = '" + brennerhof + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.rows("SELECT name, status, priority, parent_type, assigned_user_id, created_by "
                     "FROM tasks WHERE parent_id = '" +
                     brennerhof + "'") ==
             (Rows{"Reporting | Not Started | Medium | ServiceSubcontracts | " + kThomas + " | " +
                   kThomas}));
  BOOST_TEST(
      db.rows("SELECT name, status, CAST(duration_minutes AS CHAR), parent_type, "
              "assigned_user_id, created_by, description FROM meetings WHERE parent_id = '" +
              brennerhof + "'") ==
      (Rows{"Reporting: Brennerhof Handels GmbH | Planned | 60 | ServiceSubcontracts | " + kThomas +
            " | " + kThomas + " | Reporting for Brennerhof - Basic Support with Andreas Hofer."}));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM meetings WHERE parent_id = '" + brennerhof +
                      "' AND date_start BETWEEN UTC_TIMESTAMP() + INTERVAL 7 DAY - INTERVAL 5 "
                      "MINUTE AND UTC_TIMESTAMP() + INTERVAL 7 DAY") == 1,
             "the meeting is a week from now");
  const std::string meeting =
      db.value("SELECT id FROM meetings WHERE parent_id = '" + brennerhof + "'");
  BOOST_TEST(db.rows("SELECT user_id, CAST(deleted AS CHAR) FROM meetings_users WHERE "
                     "meeting_id = '" +
                     meeting + "'") == (Rows{kThomas + " | 0"}));
  BOOST_TEST(db.rows("SELECT contact_id, CAST(deleted AS CHAR) FROM meetings_contacts WHERE "
                     "meeting_id = '" +
                     meeting + "'") == (Rows{kHofer + " | 0"}));

  // A later save of the still-active contract creates nothing new.
  db.exec(
      "UPDATE service_subcontracts SET description = 'Renewed for another year', "
      "modified_user_id = '" +
      kMaria + "', date_modified = UTC_TIMESTAMP() WHERE id = '" + brennerhof + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.count("SELECT COUNT(*) FROM tasks WHERE parent_id = '" + brennerhof + "'") == 1);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM meetings WHERE parent_id = '" + brennerhof + "'") == 1);
  BOOST_TEST(audit(db, "service-contract-reporting", brennerhof) ==
             (Rows{"done | conditions met",
                   "not_matched | conditions held before this save already (fires on_change)"}));
}

// Scenario 4: a quote is created → a follow-up task at once; saving an existing quote does not.
BOOST_AUTO_TEST_CASE(s4_new_quote_gets_a_follow_up_task) {
  ScenarioDb db(one_crm());
  const std::string quote = "quo00003-0000-4000-8000-000000000000";
  const std::string existing = "quo00001-0000-4000-8000-000000000000";
  ScenarioHost host(db, shipped({"quote-follow-up.json"}));
  host.start();

  insert_quote(db, quote, 1002, "Support hours 2026", kAlpenblick, kGruber);
  db.exec("UPDATE quotes SET stage = 'Negotiation', modified_user_id = '" + kMaria +
          "', date_modified = UTC_TIMESTAMP() WHERE id = '" + existing + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  BOOST_TEST(
      db.rows("SELECT name, status, priority, parent_type, parent_id, assigned_user_id, "
              "description FROM tasks WHERE name LIKE 'Follow up on quote%'") ==
      (Rows{"Follow up on quote 1002 | Not Started | Medium | Quotes | " + quote + " | " + kMaria +
            " | Quote \"Support hours 2026\" for Alpenblick Software GmbH: ask Lukas "
            "Gruber whether it fits."}));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM tasks WHERE parent_id = '" + quote +
                      "' AND date_due BETWEEN UTC_TIMESTAMP() + INTERVAL 2 DAY AND "
                      "UTC_TIMESTAMP() + INTERVAL 3 DAY") == 1,
             "due in three days (midnight, Vienna)");
  BOOST_TEST(audit(db, "quote-follow-up", existing) ==
             (Rows{"not_matched | applies to new records only"}));
}

// Scenario 5: an invoice to a customer in another EU country without a VAT id → a warning in
// the CRM's notifications and in `crmflow alerts`; with a VAT id, or at home, none.
BOOST_AUTO_TEST_CASE(s5_eu_invoice_without_vat_id_warns) {
  ScenarioDb db(one_crm());
  ScenarioHost host(db, shipped({"invoice-eu-vat-check.json"}));
  host.start();
  const auto invoice = [&](const std::string& id, int number, const std::string& account,
                           const std::string& country, const std::string& vat_id) {
    db.exec(
        "INSERT INTO invoice (id, name, date_entered, date_modified, modified_user_id, "
        "created_by, assigned_user_id, invoice_number, invoice_date, due_date, amount, "
        "amount_due, billing_account_id, billing_address_country, vat_id) VALUES ('" +
        id + "', 'Support hours March', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '" + kMaria + "', '" +
        kMaria + "', '" + kMaria + "', " + std::to_string(number) +
        ", UTC_DATE(), UTC_DATE() + INTERVAL 30 DAY, 900, 900, '" + account + "', '" + country +
        "', " + (vat_id.empty() ? "NULL" : "'" + vat_id + "'") + ")");
  };
  const std::string lyon = "inv00003-0000-4000-8000-000000000000";
  const std::string lyon_with_id = "inv00004-0000-4000-8000-000000000000";
  const std::string graz = "inv00005-0000-4000-8000-000000000000";
  const std::string koeln = "inv00006-0000-4000-8000-000000000000";
  invoice(lyon, 2025003, kAtelier, "France", "");
  invoice(lyon_with_id, 2025004, kAtelier, "France", "FR40123456824");
  invoice(graz, 2025005, kSteiner, "Austria", "");
  invoice(koeln, 2025006, kRheinwerk, "Germany", "DE123456789");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  const std::string subject = "Invoice 2025003: VAT id missing";
  const std::string text =
      "Atelier Lumière SARL (France) is an EU customer abroad: the invoice "
      "needs the customer's VAT id for the reverse charge.";
  BOOST_TEST(
      db.rows("SELECT related_type, related_id, assigned_user_id, subject, description, "
              "CAST(is_read AS CHAR) FROM notifications WHERE related_type = 'Invoice'") ==
      (Rows{"Invoice | " + lyon + " | " + kMaria + " | " + subject + " | " + text + " | 0"}));
  for (const auto& id : {lyon_with_id, graz, koeln}) {
    BOOST_TEST(audit(db, "invoice-eu-vat-check", id) == (Rows{"not_matched | conditions not met"}));
  }

  const CommandResult alerts = host.command({"alerts", "--record", lyon});
  BOOST_TEST(alerts.exit_code == 0, alerts.output);
  BOOST_TEST(alerts.output.find("Notifications") != std::string::npos, alerts.output);
  BOOST_TEST(alerts.output.find(kMaria) != std::string::npos, alerts.output);
  BOOST_TEST(alerts.output.find(subject + " / " + text) != std::string::npos, alerts.output);
  const CommandResult others = host.command({"alerts", "--record", graz});
  BOOST_TEST(others.exit_code == 0, others.output);
  BOOST_TEST(others.output.find("VAT id missing") == std::string::npos, others.output);

  // Saving the invoice again while the VAT id is still missing warns no second time.
  db.exec("UPDATE invoice SET amount_due = 0, modified_user_id = '" + kMaria + "' WHERE id = '" +
          lyon + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.count("SELECT COUNT(*) FROM notifications WHERE related_id = '" + lyon + "'") == 1);
}

// Scenario 6: an account's billing address changes → a notice for its owner, and the new
// address on the primary contact only; a save without an address change does nothing.
BOOST_AUTO_TEST_CASE(s6_billing_address_goes_to_the_primary_contact) {
  ScenarioDb db(one_crm());
  ScenarioHost host(db, shipped({"account-billing-address-change.json"}));
  host.start();
  const std::string contacts =
      "SELECT id, primary_address_street, primary_address_city, COALESCE(primary_address_state, "
      "'NULL'), primary_address_postalcode, primary_address_country FROM contacts WHERE id IN ('" +
      kGruber + "', '" + kBerger + "') ORDER BY id";
  const Rows before = db.rows(contacts);
  BOOST_TEST(before ==
             (Rows{kGruber + " | Mariahilfer Straße 101 | Wien | NULL | 1060 | Austria",
                   kBerger + " | Landstraßer Hauptstraße 5 | Wien | NULL | 1030 | Austria"}));

  // Negative: a new phone number is no address change.
  db.exec("UPDATE accounts SET phone_office = '+43 1 2345699', modified_user_id = '" + kThomas +
          "', date_modified = UTC_TIMESTAMP() WHERE id = '" + kAlpenblick + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(audit(db, "account-billing-address-change", kAlpenblick) ==
             (Rows{"not_matched | conditions not met"}));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM notifications WHERE related_type = 'Accounts'") == 0);
  BOOST_TEST(db.rows(contacts) == before);

  // Alpenblick moves; Thomas enters the new address.
  db.exec(
      "UPDATE accounts SET billing_address_street = 'Praterstraße 1', "
      "billing_address_postalcode = '1020', modified_user_id = '" +
      kThomas + "', date_modified = UTC_TIMESTAMP() WHERE id = '" + kAlpenblick + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.rows("SELECT related_id, assigned_user_id, subject, description FROM "
                     "notifications WHERE related_type = 'Accounts'") ==
             (Rows{kAlpenblick + " | " + kMaria +
                   " | Billing address of Alpenblick Software GmbH changed | New address: "
                   "Praterstraße 1, 1020 Wien, Austria. Check open quotes, invoices and "
                   "contracts; the address was copied to the primary contact Lukas Gruber."}));
  // The primary contact has the new address (an empty state: the account has none); Julia
  // Berger, linked to the account but not its primary contact, keeps hers.
  BOOST_TEST(db.rows(contacts) ==
             (Rows{kGruber + " | Praterstraße 1 | Wien |  | 1020 | Austria",
                   kBerger + " | Landstraßer Hauptstraße 5 | Wien | NULL | 1030 | Austria"}));
  BOOST_TEST(db.value("SELECT modified_user_id FROM contacts WHERE id = '" + kGruber + "'") ==
             kMaria);
  BOOST_TEST(db.count("SELECT COUNT(*) FROM contacts WHERE primary_address_street = "
                      "'Praterstraße 1'") == 1);
}

// Scenario 7: an email sent with a delay — a day after a case is closed, its contact is asked
// how satisfied they were. Nothing before the day has passed, exactly one email after.
BOOST_AUTO_TEST_CASE(s7_satisfaction_email_a_day_after_closing) {
  ScenarioDb db(one_crm());
  SmtpSink mail;
  ScenarioOptions options = shipped({"case-satisfaction-email.json"});
  options.use(mail);
  ScenarioHost host(db, options);
  host.start();
  const std::string login = "cas00001-0000-4000-8000-000000000000";   // Julia Berger's, open
  const std::string closed = "cas00002-0000-4000-8000-000000000000";  // closed long ago

  db.exec(
      "UPDATE cases SET status = 'Closed - Resolved', resolution = 'Password store reset', "
      "modified_user_id = '" +
      kThomas + "', date_modified = UTC_TIMESTAMP() WHERE id = '" + login + "'");
  // Negative: a case closed before, saved again, was not closed by this save.
  db.exec("UPDATE cases SET description = 'Address fixed in the template', modified_user_id = '" +
          kThomas + "' WHERE id = '" + closed + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.rows("SELECT state, plugin, record_id FROM crmflow_job") ==
             (Rows{"pending | send_email | " + login}));
  BOOST_TEST(db.count("SELECT COUNT(*) FROM crmflow_job WHERE due_at BETWEEN UTC_TIMESTAMP() + "
                      "INTERVAL 1 DAY - INTERVAL 5 MINUTE AND UTC_TIMESTAMP() + INTERVAL 1 DAY") ==
             1);
  const CommandResult jobs = host.command({"jobs", "--record", login});
  BOOST_TEST(jobs.output.find("pending") != std::string::npos, jobs.output);
  BOOST_TEST(jobs.output.find("case-satisfaction-email") != std::string::npos, jobs.output);
  BOOST_TEST(mail.messages().empty(), "nothing is sent before the day has passed");

  // A day and an hour later the host runs again: the email goes, once.
  host.restart(kDay + 3600);
  BOOST_REQUIRE_MESSAGE(mail.wait_for(1), host.log_tail());
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  const auto messages = mail.messages();
  BOOST_REQUIRE(messages.size() == 1u);
  const Json& message = messages.front();
  BOOST_TEST(message["rcpt_tos"] == Json::array({"julia@berger-beratung.example"}));
  BOOST_TEST(message["subject"].get<std::string>() == "How did we do? Case 1");
  BOOST_TEST(lines(message["text"]) ==
             "Dear Ms. Berger,\n\nyour case 1 \"Login fails after password reset\" was closed "
             "yesterday. How satisfied are you with our help? A short reply to this email is "
             "enough.\n\nKind regards,\nThomas Weber\n");
  BOOST_TEST(db.rows("SELECT state FROM crmflow_job") == (Rows{"done"}));
  BOOST_TEST(audit(db, "case-satisfaction-email", login).back() ==
             "done | due; conditions still met");
}

// Scenario 8: a quote is created → two weeks later a follow-up task, only if the quote is then
// neither accepted nor closed. One quote stays open, the other is accepted in between.
BOOST_AUTO_TEST_CASE(s8_follow_up_after_two_weeks_only_for_open_quotes) {
  ScenarioDb db(one_crm());
  ScenarioHost host(db, shipped({"quote-open-after-two-weeks.json"}));
  host.start();
  const std::string open = "quo00003-0000-4000-8000-000000000000";
  const std::string accepted = "quo00004-0000-4000-8000-000000000000";
  insert_quote(db, open, 1002, "Support hours 2026", kAlpenblick, kGruber);
  insert_quote(db, accepted, 1003, "Training days", kRheinwerk,
               "con00004-0000-4000-8000-000000000000");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending' AND due_at "
                      "BETWEEN UTC_TIMESTAMP() + INTERVAL 14 DAY - INTERVAL 5 MINUTE AND "
                      "UTC_TIMESTAMP() + INTERVAL 14 DAY") == 2);
  const CommandResult pending = host.command({"jobs", "--record", accepted});
  BOOST_TEST(pending.output.find("pending") != std::string::npos, pending.output);

  // A week later the customer accepts the second quote.
  host.restart(7 * kDay);
  db.exec("UPDATE quotes SET stage = 'Closed Accepted', modified_user_id = '" + kMaria +
          "', date_modified = UTC_TIMESTAMP() WHERE id = '" + accepted + "'");
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.count("SELECT COUNT(*) FROM tasks WHERE parent_type = 'Quotes'") == 0,
             "nothing before the two weeks are up");

  host.restart(15 * kDay);
  BOOST_REQUIRE_MESSAGE(
      host.wait_for_count("SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'", 0),
      host.log_tail());
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());
  BOOST_TEST(db.rows("SELECT name, priority, parent_id, assigned_user_id, description FROM tasks "
                     "WHERE parent_type = 'Quotes'") ==
             (Rows{"Quote 1002 still open | High | " + open + " | " + kMaria +
                   " | Quote \"Support hours 2026\" (Alpenblick Software GmbH) has been open for "
                   "two weeks, stage Draft: call the customer."}));
  BOOST_TEST(db.rows("SELECT record_id, state FROM crmflow_job ORDER BY id") ==
             (Rows{open + " | done", accepted + " | skipped"}));
  BOOST_TEST(audit(db, "quote-open-after-two-weeks", accepted) ==
             (Rows{"done | conditions met; 1 job(s) scheduled",
                   "not_matched | applies to new records only",
                   "skipped | skipped: conditions no longer met"}));
  const CommandResult jobs = host.command({"jobs", "--record", accepted});
  BOOST_TEST(jobs.output.find("skipped") != std::string::npos, jobs.output);
  BOOST_TEST(jobs.output.find(open) == std::string::npos, jobs.output);
}

// Scenario 9: a case is created → an email to its contact with the case's placeholders.
BOOST_AUTO_TEST_CASE(s9_new_case_email_with_placeholders) {
  ScenarioDb db(one_crm());
  SmtpSink mail;
  ScenarioOptions options = shipped({"case-created-email.json"});
  options.use(mail);
  ScenarioHost host(db, options);
  host.start();
  const std::string printer = "cas00003-0000-4000-8000-000000000000";
  const std::string anonymous = "cas00004-0000-4000-8000-000000000000";
  insert_case(db, printer, "Printer driver missing after update", kGruber);
  // Negative: a case without a contact has no one to write to.
  insert_case(db, anonymous, "Monitoring alert from the web shop", "");
  BOOST_REQUIRE_MESSAGE(mail.wait_for(1), host.log_tail());
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  const auto messages = mail.messages();
  BOOST_REQUIRE(messages.size() == 1u);
  const Json& message = messages.front();
  BOOST_TEST(message["mail_from"].get<std::string>() == "crm@demo.example");
  BOOST_TEST(message["rcpt_tos"] == Json::array({"lukas.gruber@alpenblick.example"}));
  BOOST_TEST(message["subject"].get<std::string>() ==
             "[Case 3] Printer driver missing after update");
  BOOST_TEST(lines(message["text"]) ==
             "Dear Mr. Lukas Gruber,\n\nthank you for contacting us. We have registered your "
             "request for Alpenblick Software GmbH as case 3:\n\n  Printer driver missing after "
             "update\n  Priority: P2\n\nThomas Weber takes care of it. Please quote the case "
             "number in any reply.\n\nKind regards,\nYour support team\n");
  // The email is filed at the case, as the CRM files its own.
  BOOST_TEST(db.rows("SELECT name, to_addrs, parent_type FROM emails WHERE parent_id = '" +
                     printer + "'") == (Rows{"[Case 3] Printer driver missing after update | "
                                             "lukas.gruber@alpenblick.example | Cases"}));
  BOOST_TEST(audit(db, "case-created-email", anonymous) ==
             (Rows{"not_matched | conditions not met"}));
}

// call_remote_api: a new case is pushed to a ticket system as JSON; the ticket id comes back
// into the case.
BOOST_AUTO_TEST_CASE(new_case_is_pushed_to_the_ticket_system) {
  ScenarioDb db(one_crm());
  HttpPeer tickets(R"([{"status": 201, "body": {"ticket": {"id": "TCK-4711", "queue": "L1"}}}])");
  ScenarioOptions options = shipped({"case-to-ticket-system.json"});
  // The shipped URL names the ticket system; here it is the peer.
  options.replacements = {{"http://127.0.0.1:8080", tickets.base_url()}};
  options.environment = {{"TICKETS_TOKEN", "tk-0815-secret"}};
  ScenarioHost host(db, options);
  host.start();
  const std::string printer = "cas00003-0000-4000-8000-000000000000";
  insert_case(db, printer, "Printer driver missing after update", kGruber);
  BOOST_REQUIRE_MESSAGE(tickets.wait_for(1), host.log_tail());
  BOOST_REQUIRE_MESSAGE(
      host.wait_for_count("SELECT COUNT(*) FROM cases WHERE external_ticket_id = 'TCK-4711'", 1),
      host.log_tail());
  BOOST_REQUIRE_MESSAGE(host.settle(), host.log_tail());

  const auto requests = tickets.requests();
  BOOST_REQUIRE(requests.size() == 1u);
  const Json& request = requests.front();
  BOOST_TEST(request["method"].get<std::string>() == "POST");
  BOOST_TEST(request["path"].get<std::string>() == "/api/v1/tickets");
  BOOST_TEST(HttpPeer::header(request, "Content-Type").value_or("") == "application/json");
  BOOST_TEST(HttpPeer::header(request, "X-Source").value_or("") == "crmflow");
  BOOST_TEST(HttpPeer::header(request, "Authorization").value_or("") == "Bearer tk-0815-secret");
  BOOST_TEST(
      HttpPeer::header(request, "Idempotency-Key").value_or("") ==
      db.value("SELECT idempotency_key FROM crmflow_job WHERE record_id = '" + printer + "'"));
  BOOST_TEST(Json::parse(request["body"].get<std::string>()) ==
             (Json{{"external_id", printer},
                   {"case_number", "3"},
                   {"title", "Printer driver missing after update"},
                   {"priority", "P2"},
                   {"customer", {{"name", "Alpenblick Software GmbH"}, {"vat_id", "ATU12345678"}}},
                   {"contact",
                    {{"name", "Lukas Gruber"}, {"email", "lukas.gruber@alpenblick.example"}}}}));
  BOOST_TEST(db.value("SELECT external_ticket_id FROM cases WHERE id = '" + printer + "'") ==
             "TCK-4711");
  BOOST_TEST(db.rows("SELECT state FROM crmflow_job") == (Rows{"done"}),
             "the write-back, a save of the case, calls no one again");
  BOOST_TEST(host.command({"status"}).output.find("secret") == std::string::npos);
}
