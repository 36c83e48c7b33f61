// Jobs are claimed by lease and finished by fence like events: a job runner stopped with
// SIGSTOP in the middle of a job, past its lease, loses the job to another host; when it
// resumes, its fenced finish finds the job taken and rolls its work back, so the job's
// database effect exists once.
#include <csignal>

#include "fault_support.hpp"

namespace crmflow::faults {

BOOST_AUTO_TEST_SUITE(job_lease)

BOOST_AUTO_TEST_CASE(a_stopped_runner_loses_its_job_and_its_work_is_rolled_back) {
  testing::DbFixture fixture;
  HostFiles::Options options;
  options.plugins.push_back("slow_job");
  options.extra["jobs"] = {{"lease_seconds", 2}, {"backoff_cap_seconds", 1}};
  HostFiles files("job_lease", options);
  Json workflow = follow_up_workflow("slow");
  workflow["actions"] = Json::array({{{"plugin", "slow_job"}, {"params", {{"ms", 3000}}}}});
  files.add_workflow(workflow);
  DumpLogsOnFailure dump({files.log("a"), files.log("b")});

  const auto crm = fixture.connect_again();
  insert_leads(*crm, "jls", 1);
  install_capture(files.config_file(), fixture.settings(), files.log("cli"));

  HostProcess a(files.config_file(), fixture.settings(), files.log("a"));
  BOOST_REQUIRE(a.wait_for_log("handling events as", 30s));
  qualify_leads(*crm, "jls", 1);
  // A claimed the job and is inside it (its note written, not committed): stop it there.
  BOOST_REQUIRE(wait_until(
      [&] {
        return query_count(*crm,
                           "SELECT COUNT(*) FROM crmflow_job WHERE owner IS NOT NULL AND "
                           "lease_until > UTC_TIMESTAMP(6)") == 1;
      },
      20s));
  std::this_thread::sleep_for(500ms);
  ::kill(a.pid(), SIGSTOP);
  const auto stopped = Clock::now();

  // Past A's lease, B takes the job and finishes it.
  HostProcess b(files.config_file(), fixture.settings(), files.log("b"));
  BOOST_REQUIRE(wait_until(
      [&] {
        return query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE state = 'done'") == 1;
      },
      30s));
  BOOST_TEST(seconds_since(stopped) >= 2.0, "B took the job only after A's lease ran out");
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE attempts = 2") == 1);

  // A resumes: its finish is fenced off and its transaction, note included, rolled back.
  ::kill(a.pid(), SIGCONT);
  BOOST_TEST(a.wait_for_log("another host claimed it after our lease ran out", 20s));
  a.terminate();
  b.terminate();
  BOOST_TEST(a.wait(15s).has_value());
  BOOST_TEST(b.wait(15s).has_value());
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM notes WHERE name LIKE 'slow job %'") == 1,
             "the job's database effect exists once");
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_run WHERE job_id IS NOT NULL AND "
                         "outcome = 'done'") == 1);
  BOOST_TEST_MESSAGE("  job_lease: A stopped " << seconds_since(stopped)
                                               << " s ago; one note, one done audit row");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
