// SIGTERM while a slow job runs (tests/plugins/slow_job: writes a note, then sleeps). The host
// has no stop grace of its own: it finishes the job in hand and exits. A job is finished or
// given back, never both done and failed: each job ends with one terminal audit row, its note
// exists once, and the first host exits 0 within a bound.
//   job_shorter_than_its_lease     the job in hand is finished by the stopping host
//   job_longer_than_its_lease      the lease runs out while the stopping host still sleeps in
//                                  the job: a second host takes it and finishes it, the first
//                                  one's fenced finish is refused and its work rolled back
//   jobs_claimed_but_not_started   several slow jobs claimed in one batch: the stopping host
//                                  finishes the one in hand and gives the others back at once
//                                  (not after running them all), a second host runs them
#include <csignal>

#include "fault_support.hpp"

namespace crmflow::faults {
namespace {

struct Scenario {
  std::string name;
  int jobs = 1;            // qualifying saves, one slow job each, claimed in one batch
  int job_ms = 0;          // how long each job sleeps
  int lease_seconds = 30;  // jobs.lease_seconds
};

struct Figures {
  double exit_seconds = -1;  // SIGTERM to the first host's exit
  long long by_first = 0;    // jobs the first host finished
  long long by_second = 0;   // jobs the second host finished
  std::string first_output;  // the first host's log of this run
};

// The owner name of a host's leases and audit rows: "<hostname>:<pid>:<random>".
std::string owner_like(const HostProcess& host) {
  return "'%:" + std::to_string(host.pid()) + ":%'";
}

Figures stop_during_a_slow_job(const Scenario& s) {
  testing::DbFixture fixture;
  HostFiles::Options options;
  options.plugins.push_back("slow_job");
  options.extra["jobs"] = {{"lease_seconds", s.lease_seconds}, {"backoff_cap_seconds", 1}};
  HostFiles files("sigterm-" + s.name, options);
  Json workflow = follow_up_workflow("slow");
  workflow["actions"] = Json::array({{{"plugin", "slow_job"}, {"params", {{"ms", s.job_ms}}}}});
  files.add_workflow(workflow);
  DumpLogsOnFailure dump({files.log("a"), files.log("b")});

  const auto crm = fixture.connect_again();
  insert_leads(*crm, "sgt", s.jobs);
  install_capture(files.config_file(), fixture.settings(), files.log("cli"));

  HostProcess a(files.config_file(), fixture.settings(), files.log("a"));
  BOOST_REQUIRE(a.wait_for_log("handling events as", 30s));
  qualify_leads(*crm, "sgt", s.jobs);
  // A claimed the jobs and is inside the first one (its note written, not committed).
  BOOST_REQUIRE(wait_until(
      [&] {
        return query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE owner LIKE " +
                                     owner_like(a) + " AND lease_until > UTC_TIMESTAMP(6)") ==
               s.jobs;
      },
      20s));
  std::this_thread::sleep_for(std::chrono::milliseconds(std::min(500, s.job_ms / 4)));
  BOOST_REQUIRE(query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE state = 'done'") == 0);
  const auto stopped = Clock::now();
  a.terminate();

  // A second host, for any job A gives back or loses.
  HostProcess b(files.config_file(), fixture.settings(), files.log("b"));
  Figures f;
  // A's bound: the rest of the job in hand, plus 10 s for a loaded machine.
  const auto bound = std::chrono::milliseconds(s.job_ms) + 10s;
  const bool exited = a.wait(bound).has_value();
  BOOST_TEST(exited, "A still runs " << seconds_since(stopped) << " s after SIGTERM");
  f.exit_seconds = seconds_since(stopped);
  f.first_output = a.output();
  BOOST_TEST(a.exited_cleanly(), "A ended with " << a.describe_status());
  BOOST_TEST(wait_until(
      [&] {
        return query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'") == 0;
      },
      std::chrono::milliseconds(s.job_ms) * s.jobs + 30s));
  BOOST_REQUIRE(b.wait_for_log("handling events as", 30s));
  b.terminate();
  BOOST_TEST(b.wait(std::chrono::milliseconds(s.job_ms) + 15s).has_value());
  BOOST_TEST(b.exited_cleanly(), "B ended with " << b.describe_status());

  // Every job done; each with exactly one terminal audit row and no failed one; each note once.
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM crmflow_job WHERE state = 'done'") == s.jobs);
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_run WHERE job_id IS NOT NULL AND outcome "
                         "NOT IN ('done', 'skipped', 'cancelled', 'dead')") == 0,
             "a job has a failed (or other non-terminal) audit row");
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_job j WHERE (SELECT COUNT(*) FROM "
                         "crmflow_run r WHERE r.job_id = j.id AND r.outcome IN ('done', "
                         "'skipped', 'cancelled', 'dead')) <> 1") == 0,
             "a job without exactly one terminal audit row");
  BOOST_TEST(query_count(*crm,
                         "SELECT COUNT(*) FROM crmflow_job j WHERE (SELECT COUNT(*) FROM notes n "
                         "WHERE n.name = CONCAT('slow job ', j.idempotency_key)) <> 1") == 0,
             "a job's note is missing or there twice");
  BOOST_TEST(query_count(*crm, "SELECT COUNT(*) FROM notes WHERE name LIKE 'slow job %'") ==
             s.jobs);
  f.by_first = query_count(*crm,
                           "SELECT COUNT(*) FROM crmflow_run WHERE job_id IS NOT NULL AND "
                           "outcome = 'done' AND host LIKE " +
                               owner_like(a));
  f.by_second = query_count(*crm,
                            "SELECT COUNT(*) FROM crmflow_run WHERE job_id IS NOT NULL AND "
                            "outcome = 'done' AND host LIKE " +
                                owner_like(b));

  // The workflow's database effect is the job's note.
  const Oracle oracle =
      tally_workflow(*crm, "SIGTERM during a slow job (" + s.name + ")", "slow", "sgt", s.jobs,
                     "SELECT COUNT(*) FROM notes WHERE name LIKE 'slow job %'");
  oracle.report();
  oracle.check();
  std::ostringstream line;
  line << "  sigterm " << s.name << ": " << s.jobs << " job(s) of " << s.job_ms << " ms, lease "
       << s.lease_seconds << " s; A exited " << f.exit_seconds
       << " s after SIGTERM, jobs done by A " << f.by_first << ", by B " << f.by_second
       << "; attempts:";
  soci::rowset<int> attempts = crm->prepare << "SELECT attempts FROM crmflow_job ORDER BY id";
  for (const int n : attempts) line << ' ' << n;
  BOOST_TEST_MESSAGE(line.str());
  return f;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sigterm)

BOOST_AUTO_TEST_CASE(job_shorter_than_its_lease) {
  const Figures f = stop_during_a_slow_job({"short", 1, 2000, 30});
  BOOST_TEST(f.by_first == 1, "the stopping host finishes the job in hand");
  BOOST_TEST(f.by_second == 0);
}

BOOST_AUTO_TEST_CASE(job_longer_than_its_lease) {
  const Figures f = stop_during_a_slow_job({"long", 1, 6000, 2});
  // A's finish came after B took the job: refused, A's note rolled back.
  BOOST_TEST(f.by_first == 0);
  BOOST_TEST(f.by_second == 1);
  BOOST_TEST(f.first_output.find("another host claimed it after our lease ran out") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(jobs_claimed_but_not_started) {
  constexpr int kJobs = 4;
  constexpr int kJobMs = 4000;
  const Figures f = stop_during_a_slow_job({"batch", kJobs, kJobMs, 30});
  BOOST_TEST(f.by_first == 1, "the stopping host finishes the job in hand only");
  BOOST_TEST(f.by_second == kJobs - 1);
  BOOST_TEST(f.first_output.find("3 claimed job(s) not started were given back") !=
             std::string::npos);
  BOOST_TEST(f.exit_seconds < kJobMs / 1000.0 + 5.0,
             "A took " << f.exit_seconds << " s to stop: it ran the jobs it had not started");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace crmflow::faults
