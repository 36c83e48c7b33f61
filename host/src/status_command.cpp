#include <fmt/format.h>
#include <soci/soci.h>

#include <iostream>

#include "commands.hpp"
#include "crmflow/host/engine.hpp"

namespace crmflow::cli {

int status_command(const GlobalOptions& options) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  Engine engine(*host->db, host->map, host->workflows, EngineOptions{});
  const auto backlog = engine.backlog();
  std::cout << fmt::format("pending events      {}\n", backlog.pending);
  std::cout << fmt::format("oldest pending      {:.1f} s\n", backlog.oldest_age_seconds);
  std::cout << fmt::format("quarantined events  {}\n", backlog.quarantined);
  long long pending_jobs = 0, due_jobs = 0, dead_jobs = 0;
  *host->db << "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'pending' AND "
               "due_at <= TIMESTAMPADD(SECOND, :offset, UTC_TIMESTAMP(6))), 0), "
               "COALESCE(SUM(state = 'dead'), 0) FROM crmflow_job",
      soci::use(host->config.clock_offset_seconds), soci::into(pending_jobs), soci::into(due_jobs),
      soci::into(dead_jobs);
  std::cout << fmt::format("pending jobs        {} ({} due)\n", pending_jobs, due_jobs);
  std::cout << fmt::format("dead jobs           {}\n", dead_jobs);
  return kExitOk;
}

int quarantine_command(const GlobalOptions& options, const std::string& action, uint64_t id) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  soci::session& db = *host->db;
  if (action == "list") {
    soci::rowset<soci::row> rows =
        db.prepare << "SELECT id, module, record_id, kind, attempts, "
                      "DATE_FORMAT(quarantined_at, '%Y-%m-%d %H:%i:%s'), COALESCE(last_error, '') "
                      "FROM crmflow_event_quarantine ORDER BY id";
    std::cout << fmt::format("{:<10} {:<16} {:<38} {:<8} {:<8} {:<20} {}\n", "EVENT", "MODULE",
                             "RECORD", "KIND", "ATTEMPTS", "QUARANTINED (UTC)", "LAST ERROR");
    for (const soci::row& row : rows) {
      std::cout << fmt::format("{:<10} {:<16} {:<38} {:<8} {:<8} {:<20} {}\n",
                               row.get<long long>(0), row.get<std::string>(1),
                               row.get<std::string>(2), row.get<std::string>(3), row.get<int>(4),
                               row.get<std::string>(5), row.get<std::string>(6));
    }
    return kExitOk;
  }
  // replay: back into the queue as it was captured, with its attempts reset.
  const long long event_id = static_cast<long long>(id);
  soci::transaction tx(db);
  soci::statement copy =
      (db.prepare
           << "INSERT INTO crmflow_event (id, module, record_id, kind, is_new, old_image, "
              "new_image, crm_user_id, cause, depth, created_at, attempts, last_error, "
              "workflow_id, "
              "firing_key) SELECT id, module, record_id, kind, is_new, old_image, new_image, "
              "crm_user_id, cause, depth, created_at, 0, last_error, workflow_id, firing_key "
              "FROM crmflow_event_quarantine WHERE id = :id",
       soci::use(event_id));
  copy.execute(true);
  if (copy.get_affected_rows() == 0) {
    return report({fmt::format("no quarantined event {}", id)});
  }
  db << "DELETE FROM crmflow_event_quarantine WHERE id = :id", soci::use(event_id);
  tx.commit();
  std::cout << fmt::format("event {} is back in the queue\n", id);
  return kExitOk;
}

}  // namespace crmflow::cli
