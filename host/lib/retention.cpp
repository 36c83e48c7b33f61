#include "crmflow/host/retention.hpp"

#include <soci/soci.h>

#include <string>

#include "crmflow/host/host_clock.hpp"

namespace crmflow {

size_t prune_audit(soci::session& db, unsigned days, unsigned batch_size, unsigned max_batches) {
  size_t pruned = 0;
  for (unsigned i = 0; i < max_batches; ++i) {
    // The oldest rows first, by the created_at index; autocommitted, so each batch's row
    // locks are held for one short statement.
    soci::statement prune =
        (db.prepare << "DELETE FROM crmflow_run WHERE created_at < "
                       "TIMESTAMPADD(DAY, -:days, UTC_TIMESTAMP(6)) ORDER BY created_at LIMIT :n",
         soci::use(days), soci::use(batch_size));
    prune.execute(true);
    const auto deleted = static_cast<size_t>(prune.get_affected_rows());
    pruned += deleted;
    if (deleted < batch_size) break;
  }
  return pruned;
}

size_t prune_finished_jobs(soci::session& db, unsigned days, unsigned batch_size,
                           unsigned max_batches) {
  // finished_at is on crmflow's clock (with the configured offset), so the cutoff is too.
  const std::string cutoff = format_utc(now() - std::chrono::days(days));
  size_t pruned = 0;
  for (unsigned i = 0; i < max_batches; ++i) {
    soci::statement prune =
        (db.prepare << "DELETE FROM crmflow_job WHERE state IN ('done', 'skipped', 'cancelled') "
                       "AND finished_at < :cutoff ORDER BY finished_at LIMIT :n",
         soci::use(cutoff), soci::use(batch_size));
    prune.execute(true);
    const auto deleted = static_cast<size_t>(prune.get_affected_rows());
    pruned += deleted;
    if (deleted < batch_size) break;
  }
  return pruned;
}

}  // namespace crmflow
