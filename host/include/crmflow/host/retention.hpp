// Housekeeping: audit rows older than the retention are pruned in small batches.
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

}  // namespace crmflow
