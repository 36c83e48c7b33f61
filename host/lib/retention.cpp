#include "crmflow/host/retention.hpp"

#include <soci/soci.h>

#include <string>
#include <vector>

#include "crmflow/host/host_clock.hpp"

namespace crmflow {
namespace {

// Runs the DELETE ... LIMIT :n statement `sql` (its other placeholder bound to `value`)
// until a batch deletes fewer than `batch_size` rows or `max_batches` ran; each statement is
// autocommitted, so its row locks are held for one short statement. Returns the rows deleted.
template <class Value>
size_t delete_in_batches(soci::session& db, const std::string& sql, const Value& value,
                         unsigned batch_size, unsigned max_batches) {
  size_t pruned = 0;
  for (unsigned i = 0; i < max_batches; ++i) {
    soci::statement prune = (db.prepare << sql, soci::use(value), soci::use(batch_size));
    prune.execute(true);
    const auto deleted = static_cast<size_t>(prune.get_affected_rows());
    pruned += deleted;
    if (deleted < batch_size) break;
  }
  return pruned;
}

}  // namespace

size_t prune_audit(soci::session& db, unsigned days, unsigned batch_size, unsigned max_batches) {
  // The oldest rows first, by the created_at index.
  return delete_in_batches(db,
                           "DELETE FROM crmflow_run WHERE created_at < TIMESTAMPADD(DAY, -:days, "
                           "UTC_TIMESTAMP(6)) ORDER BY created_at LIMIT :n",
                           days, batch_size, max_batches);
}

size_t prune_finished_jobs(soci::session& db, unsigned days, unsigned batch_size,
                           unsigned max_batches) {
  // finished_at is on crmflow's clock (with the configured offset), so the cutoff is too.
  const std::string cutoff = format_utc(now() - std::chrono::days(days));
  return delete_in_batches(db,
                           "DELETE FROM crmflow_job WHERE state IN ('done', 'skipped', "
                           "'cancelled') AND finished_at < :cutoff ORDER BY finished_at LIMIT :n",
                           cutoff, batch_size, max_batches);
}

size_t prune_firings(soci::session& db, unsigned days, unsigned batch_size, unsigned max_batches) {
  const std::string cutoff = format_utc(now() - std::chrono::days(days));
  size_t pruned = 0;
  for (unsigned i = 0; i < max_batches; ++i) {
    // MySQL cannot DELETE from a table its own subquery reads: the ids first.
    std::vector<long long> ids(batch_size);
    db << "SELECT f.id FROM crmflow_firing f WHERE f.fired_at < :cutoff AND EXISTS (SELECT 1 "
          "FROM crmflow_firing g WHERE g.trigger_id = f.trigger_id AND g.record_id = f.record_id "
          "AND g.id > f.id) ORDER BY f.id LIMIT :n",
        soci::use(cutoff), soci::use(batch_size), soci::into(ids);
    // SOCI leaves the vector as it was when no row came back: count what the DELETE did.
    if (ids.empty()) break;
    std::string list;
    for (const long long id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    soci::statement remove =
        (db.prepare << "DELETE FROM crmflow_firing WHERE id IN (" + list + ")");
    remove.execute(true);
    const auto deleted = static_cast<size_t>(remove.get_affected_rows());
    pruned += deleted;
    if (deleted < batch_size) break;
  }
  return pruned;
}

}  // namespace crmflow
