// Test 7: schema drift. A CRM upgrade drops a column of leads while the host runs; the old
// trigger names the dropped column, so the CRM's saves on leads fail until the host (auto_repair,
// drift_check_seconds 1) has rewritten the triggers. Saves after the repair are captured and
// handled.
#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

const std::string kPrefix = "dft";
constexpr int kBefore = 50;
constexpr int kAfter = 50;

}  // namespace

BOOST_AUTO_TEST_SUITE(drift)

BOOST_AUTO_TEST_CASE(dropped_column_is_repaired) {
  testing::DbFixture fixture;
  HostFiles files("drift");  // auto_repair, drift_check_seconds 1
  files.add_workflow(follow_up_workflow("follow-up"));
  DumpLogsOnFailure dump({files.log()});
  const auto crm = fixture.connect_again();
  insert_leads(*crm, kPrefix, kBefore + kAfter);

  HostProcess host(files.config_file(), fixture.settings(), files.log());
  BOOST_REQUIRE(host.wait_for_log("handling events as", 30s));
  qualify_leads(*crm, kPrefix, kBefore);
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 30s));

  // The upgrade.
  *crm << "ALTER TABLE leads DROP COLUMN title";
  const auto altered = Clock::now();

  // The CRM saves a lead again and again until the save goes through.
  const std::string first = lead_id(kPrefix, kBefore + 1);
  int failed_saves = 0;
  std::string first_error;
  const bool saved = wait_until(
      [&] {
        try {
          *crm << "UPDATE leads SET status = 'Qualified', modified_user_id = '" + kThomas +
                      "', date_modified = UTC_TIMESTAMP() WHERE id = '" + first + "'";
          return true;
        } catch (const soci::soci_error& e) {
          if (failed_saves++ == 0) first_error = e.what();
          return false;
        }
      },
      15s, 20ms);
  const double repair_seconds = seconds_since(altered);
  BOOST_REQUIRE_MESSAGE(saved,
                        "CRM saves on leads still fail 15 s after the ALTER: " << first_error);
  BOOST_WARN_MESSAGE(failed_saves > 0, "the first save after the ALTER went through already");
  BOOST_TEST_MESSAGE("  drift: the first CRM save failed with: " << first_error);
  BOOST_TEST(host.running());
  BOOST_TEST(host.output().find("repaired") != std::string::npos);

  // Saves after the repair are captured and handled.
  *crm << "UPDATE leads SET status = 'Qualified', modified_user_id = '" + kThomas +
              "', date_modified = UTC_TIMESTAMP() WHERE id > '" + first + "' AND id LIKE '" +
              kPrefix + "%'";
  BOOST_REQUIRE(wait_for_empty_queue(*crm, 30s));
  check_exactly_once(*crm, kPrefix, kBefore + kAfter, "follow-up");

  host.terminate();
  BOOST_TEST(host.wait(15s).has_value());
  BOOST_TEST(host.exited_cleanly(), "crmflow ended with " << host.describe_status());
  BOOST_TEST_MESSAGE("  drift: CRM saves on leads failed "
                     << failed_saves << " time(s); repaired within " << repair_seconds
                     << " s of the ALTER TABLE");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
