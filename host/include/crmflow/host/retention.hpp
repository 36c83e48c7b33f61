// Housekeeping: audit rows and finished jobs older than the retention are pruned in small
// batches.
#pragma once

#include <cstddef>

namespace soci {
class session;
}

namespace crmflow {

// Deletes crmflow_run rows older than `days`, at most `batch_size` per statement and
// `max_batches` statements per call, each statement its own short transaction on crmflow's
// table only: the CRM's tables and the capture path (crmflow_event) are never locked.
// Returns the number of rows deleted.
size_t prune_audit(soci::session& db, unsigned days, unsigned batch_size, unsigned max_batches);

// Deletes jobs that finished (done, skipped or cancelled) more than `days` before crmflow's
// clock says now, in batches as prune_audit does. Dead jobs stay: an admin has to see them
// and retry or cancel them. Returns the number of jobs deleted.
size_t prune_finished_jobs(soci::session& db, unsigned days, unsigned batch_size,
                           unsigned max_batches);

}  // namespace crmflow
