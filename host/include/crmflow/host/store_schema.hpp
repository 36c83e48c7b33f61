// crmflow's own tables in the CRM database: the event queue, the quarantine, the audit.
#pragma once

namespace soci {
class session;
}

namespace crmflow {

// Creates crmflow_event, crmflow_event_quarantine and crmflow_run when they are missing.
// Idempotent; touches no CRM table. Throws soci::soci_error on failure.
//
// crmflow_event — one row per captured change, written by the capture triggers:
//   id, module, record_id, kind ('saved' | 'deleted'), is_new, old_image / new_image (JSON
//   objects of every column as text; old NULL for an insert, new NULL for a hard delete),
//   crm_user_id, cause and depth (from the host's session variables), created_at (UTC), and
//   the lease: owner, fence, attempts, lease_until, last_error.
void ensure_store_schema(soci::session& db);

}  // namespace crmflow
