// crmflow jobs | retry | cancel: the job queue as an admin sees it (the seed's tip: a delayed
// action can be traced at its record).
#include <fmt/format.h>
#include <soci/soci.h>

#include <iostream>

#include "commands.hpp"

namespace crmflow::cli {
namespace {

// Running is not a stored state: a pending job whose lease a host holds.
constexpr const char* kStateExpression =
    "IF(state = 'pending' AND owner IS NOT NULL AND lease_until > UTC_TIMESTAMP(6), 'running', "
    "state)";

}  // namespace

int jobs_command(const GlobalOptions& options, const JobsOptions& filter) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  std::string record = filter.record;
  std::string state = filter.state;
  unsigned limit = filter.limit;
  soci::rowset<soci::row> rows =
      (host->db->prepare << fmt::format(
           "SELECT id, {0}, DATE_FORMAT(due_at, '%Y-%m-%d %H:%i:%s'), workflow_id, plugin, "
           "module, record_id, attempts, COALESCE(last_error, '') FROM crmflow_job "
           "WHERE (:r1 = '' OR record_id = :r2) AND (:s1 = '' OR {0} = :s2) "
           "ORDER BY due_at DESC, id DESC LIMIT :n",
           kStateExpression),
       soci::use(record, "r1"), soci::use(record, "r2"), soci::use(state, "s1"),
       soci::use(state, "s2"), soci::use(limit, "n"));
  constexpr auto row_format = "{:<8} {:<9} {:<19} {:<28} {:<16} {:<12} {:<36} {:>8}  {}\n";
  std::cout << fmt::format(row_format, "JOB", "STATE", "DUE (UTC)", "WORKFLOW", "ACTION", "MODULE",
                           "RECORD", "ATTEMPTS", "LAST ERROR");
  for (const soci::row& row : rows) {
    std::cout << fmt::format(row_format, row.get<long long>(0), row.get<std::string>(1),
                             row.get<std::string>(2), row.get<std::string>(3),
                             row.get<std::string>(4), row.get<std::string>(5),
                             row.get<std::string>(6), row.get<int>(7), row.get<std::string>(8));
  }
  return kExitOk;
}

int job_action_command(const GlobalOptions& options, const std::string& action, uint64_t id) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  soci::session& db = *host->db;
  const long long job_id = static_cast<long long>(id);
  soci::transaction tx(db);
  std::string state;
  soci::indicator found = soci::i_null;
  db << fmt::format("SELECT {} FROM crmflow_job WHERE id = :id FOR UPDATE", kStateExpression),
      soci::into(state, found), soci::use(job_id);
  if (!db.got_data()) return report({fmt::format("no job {}", id)});
  if (state == "running") {
    return report({fmt::format("job {} is running on a host now; try again when it finished", id)});
  }
  if (action == "retry") {
    if (state != "dead" && state != "pending") {
      return report(
          {fmt::format("job {} is {}; only dead or pending jobs can be retried", id, state)});
    }
    // Due now on crmflow's clock, with all its attempts again.
    db << "UPDATE crmflow_job SET state = 'pending', attempts = 0, owner = NULL, lease_until = "
          "NULL, finished_at = NULL, due_at = TIMESTAMPADD(SECOND, :offset, UTC_TIMESTAMP(6)) "
          "WHERE id = :id",
        soci::use(host->config.clock_offset_seconds), soci::use(job_id);
    tx.commit();
    std::cout << fmt::format("job {} is due now\n", id);
    return kExitOk;
  }
  if (state != "pending") {
    return report({fmt::format("job {} is {}; only pending jobs can be cancelled", id, state)});
  }
  db << "UPDATE crmflow_job SET state = 'cancelled', finished_at = TIMESTAMPADD(SECOND, :offset, "
        "UTC_TIMESTAMP(6)) WHERE id = :id",
      soci::use(host->config.clock_offset_seconds), soci::use(job_id);
  db << "INSERT INTO crmflow_run (event_id, job_id, workflow_id, module, record_id, outcome, "
        "reason, actions_run, duration_us, host, created_at) SELECT event_id, id, workflow_id, "
        "module, record_id, 'cancelled', 'cancelled by an admin (crmflow cancel)', 0, 0, "
        "'crmflow cancel', UTC_TIMESTAMP(6) FROM crmflow_job WHERE id = :id",
      soci::use(job_id);
  tx.commit();
  std::cout << fmt::format("job {} is cancelled\n", id);
  return kExitOk;
}

}  // namespace crmflow::cli
