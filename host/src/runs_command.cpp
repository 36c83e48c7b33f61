#include <fmt/format.h>
#include <soci/soci.h>

#include <iostream>

#include "commands.hpp"

namespace crmflow::cli {

int runs_command(const GlobalOptions& options, const RunsOptions& filter) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);

  // Filters are bound values; an empty one matches everything.
  std::string record = filter.record;
  std::string workflow = filter.workflow;
  unsigned limit = filter.limit;
  soci::rowset<soci::row> rows =
      (host->db->prepare
           << "SELECT id, DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s'), event_id, "
              "workflow_id, module, record_id, outcome, COALESCE(reason, ''), "
              "actions_run, duration_us, COALESCE(error, ''), COALESCE(conditions, '') "
              "FROM crmflow_run "
              "WHERE (:r1 = '' OR record_id = :r2) AND (:w1 = '' OR workflow_id = :w2) "
              "ORDER BY id DESC LIMIT :n",
       soci::use(record, "r1"), soci::use(record, "r2"), soci::use(workflow, "w1"),
       soci::use(workflow, "w2"), soci::use(limit, "n"));
  constexpr auto row_format = "{:<8} {:<19} {:<8} {:<28} {:<14} {:<36} {:<11} {:>7} {:>9}  {}\n";
  std::cout << fmt::format(row_format, "RUN", "WHEN (UTC)", "EVENT", "WORKFLOW", "MODULE", "RECORD",
                           "OUTCOME", "ACTIONS", "MICROS", "WHY / ERROR");
  for (const soci::row& row : rows) {
    const std::string error = row.get<std::string>(10);
    std::cout << fmt::format(row_format, row.get<long long>(0), row.get<std::string>(1),
                             row.get<long long>(2), row.get<std::string>(3),
                             row.get<std::string>(4), row.get<std::string>(5),
                             row.get<std::string>(6), row.get<int>(8), row.get<long long>(9),
                             error.empty() ? row.get<std::string>(7) : error);
    // Which conditions decided, under the run: the line that answers "why" in full.
    if (const std::string conditions = row.get<std::string>(11); !conditions.empty()) {
      std::cout << fmt::format("{:<8} conditions: {}\n", "", conditions);
    }
  }
  return kExitOk;
}

}  // namespace crmflow::cli
