// Housekeeping: audit rows, finished jobs and old firings beyond the retention are pruned in
// small batches.
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

// Deletes ledger rows (crmflow_firing) fired more than `days` before crmflow's clock says
// now, except the newest of each trigger and record: an inactivity trigger needs it to know
// the record's current quiet spell fired; older keys lie behind every trigger's window.
// In batches as prune_audit does; returns the number of rows deleted.
size_t prune_firings(soci::session& db, unsigned days, unsigned batch_size, unsigned max_batches);

}  // namespace crmflow
