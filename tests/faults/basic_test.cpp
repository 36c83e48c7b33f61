// Test 1: the basic semantics, through the real process. A workflow on Leads, status equals
// "Qualified" → create_record Tasks "Follow-up"; saves come from a plain SQL connection, as the
// CRM's would.
#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kLead = "led00001-0000-4000-8000-000000000000";   // 'New', no tasks
const std::string kOther = "led00004-0000-4000-8000-000000000000";  // 'New', no tasks

void save(soci::session& crm, const std::string& sql, const std::string& id) {
  const std::string user = kThomas;
  crm << sql, soci::use(user, "u"), soci::use(id, "id");
}

long long follow_ups(soci::session& db, const std::string& lead) {
  return query_count(db,
                     "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND parent_type = "
                     "'Leads' AND deleted = 0 AND parent_id = '" +
                         lead + "'");
}

long long runs(soci::session& db, const std::string& lead, const std::string& outcome) {
  return query_count(db, "SELECT COUNT(*) FROM crmflow_run WHERE record_id = '" + lead + "'" +
                             (outcome.empty() ? "" : " AND outcome = '" + outcome + "'"));
}

// Runs the three saves against a host whose workflow fires `fire` and checks what each did.
void run_basic(const std::string& fire) {
  testing::DbFixture fixture;
  HostFiles files("basic-" + fire);
  files.add_workflow(follow_up_workflow("follow-up", fire));
  DumpLogsOnFailure dump({files.log()});
  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE_MESSAGE(host.wait_for_log("handling events as", 30s),
                        "the host did not start: " << host.describe_status());
  const auto crm = fixture.connect_again();

  // A save that meets the conditions: one task, linked, assigned to the saving user.
  save(*crm,
       "UPDATE leads SET status = 'Qualified', modified_user_id = :u, date_modified = "
       "UTC_TIMESTAMP() WHERE id = :id",
       kLead);
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 30s));
  BOOST_TEST(follow_ups(*crm, kLead) == 1);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND "
                         "parent_type = 'Leads' AND parent_id = '" +
                             kLead + "' AND assigned_user_id = '" + kThomas +
                             "' AND created_by = '" + kThomas + "' AND modified_user_id = '" +
                             kThomas + "'") == 1);
  BOOST_TEST(runs(*crm, kLead, "done") == 1);
  BOOST_TEST(runs(*crm, kLead, "") == 1);

  // A save that does not meet them: an audit row 'not_matched', nothing else.
  save(*crm,
       "UPDATE leads SET status = 'Dead', modified_user_id = :u, date_modified = "
       "UTC_TIMESTAMP() WHERE id = :id",
       kOther);
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 30s));
  BOOST_TEST(follow_ups(*crm, kOther) == 0);
  BOOST_TEST(runs(*crm, kOther, "not_matched") == 1);
  BOOST_TEST(runs(*crm, kOther, "") == 1);

  // A second save that keeps the conditions true.
  save(*crm,
       "UPDATE leads SET description = 'called back', modified_user_id = :u, date_modified = "
       "UTC_TIMESTAMP() WHERE id = :id",
       kLead);
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 30s));
  if (fire == "on_change") {
    BOOST_TEST(follow_ups(*crm, kLead) == 1);
    BOOST_TEST(runs(*crm, kLead, "done") == 1);
    BOOST_TEST(runs(*crm, kLead, "not_matched") == 1);
  } else {
    BOOST_TEST(follow_ups(*crm, kLead) == 2);
    BOOST_TEST(runs(*crm, kLead, "done") == 2);
    BOOST_TEST(runs(*crm, kLead, "not_matched") == 0);
  }
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_event_quarantine") == 0);
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'failed'") == 0);

  // SIGTERM drains: the host exits 0.
  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());
  BOOST_TEST_MESSAGE("  fire " << fire << ": " << follow_ups(*crm, kLead)
                               << " Follow-up task(s) after two qualifying saves");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(basic)

BOOST_AUTO_TEST_CASE(on_change_fires_once) {
  run_basic("on_change");
}

BOOST_AUTO_TEST_CASE(every_save_fires_each_time) {
  run_basic("every_save");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
