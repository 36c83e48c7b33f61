#include "crmflow/host/store_schema.hpp"

#include <soci/soci.h>

#include <string>

namespace crmflow {
namespace {

// Images are LONGTEXT holding JSON, not the JSON type: MySQL 8's JSON type re-encodes
// numbers, and MariaDB's is LONGTEXT anyway. utf8mb4_bin: ids and modules compare exactly.
constexpr const char* kEventColumns = R"(
  id BIGINT NOT NULL AUTO_INCREMENT,
  module VARCHAR(100) NOT NULL,
  record_id VARCHAR(36) NOT NULL,
  kind VARCHAR(10) NOT NULL,
  is_new TINYINT(1) NOT NULL DEFAULT 0,
  old_image LONGTEXT NULL,
  new_image LONGTEXT NULL,
  crm_user_id VARCHAR(36) NULL,
  cause VARCHAR(255) NULL,
  depth INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  owner VARCHAR(64) NULL,
  fence BIGINT NOT NULL DEFAULT 0,
  attempts INT NOT NULL DEFAULT 0,
  lease_until DATETIME(6) NULL,
  last_error TEXT NULL,)";

// MySQL 8 has no ADD COLUMN IF NOT EXISTS; look first, so tables of an older crmflow grow.
void add_column_if_missing(soci::session& db, const std::string& table, const std::string& column,
                           const std::string& definition) {
  int found = 0;
  db << "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
        "TABLE_NAME = :t AND COLUMN_NAME = :c",
      soci::use(table), soci::use(column), soci::into(found);
  if (found == 0) db << "ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition;
}

}  // namespace

void ensure_store_schema(soci::session& db) {
  db << std::string("CREATE TABLE IF NOT EXISTS crmflow_event (") + kEventColumns + R"(
        PRIMARY KEY (id),
        KEY crmflow_event_record (module, record_id, id),
        KEY crmflow_event_lease (lease_until, id),
        KEY crmflow_event_attempts (attempts, lease_until)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
  // Quarantined events keep their id and everything else, so they can be replayed as they were.
  db << std::string("CREATE TABLE IF NOT EXISTS crmflow_event_quarantine (") + kEventColumns + R"(
        quarantined_at DATETIME(6) NOT NULL,
        PRIMARY KEY (id),
        KEY crmflow_quarantine_record (module, record_id, id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
  // A time trigger's event is for its own workflow only, and says which firing it is.
  for (const char* table : {"crmflow_event", "crmflow_event_quarantine"}) {
    add_column_if_missing(db, table, "workflow_id", "VARCHAR(100) NULL");
    add_column_if_missing(db, table, "firing_key", "VARCHAR(64) NULL");
  }
  // One row per time trigger (a workflow's): the end of its last completed tick, on
  // crmflow's clock. A tick holds the row FOR UPDATE, so hosts take turns.
  db << R"(CREATE TABLE IF NOT EXISTS crmflow_tick (
        trigger_id VARCHAR(100) NOT NULL,
        last_tick_at DATETIME NULL,
        ticks BIGINT NOT NULL DEFAULT 0,
        owner VARCHAR(64) NULL,
        updated_at DATETIME(6) NULL,
        PRIMARY KEY (trigger_id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
  // The firing ledger: a record fires once per trigger and key (a due time, the start of a
  // quiet spell), however often a tick asks and by how many hosts; it outlives the event.
  db << R"(CREATE TABLE IF NOT EXISTS crmflow_firing (
        id BIGINT NOT NULL AUTO_INCREMENT,
        trigger_id VARCHAR(100) NOT NULL,
        module VARCHAR(100) NOT NULL,
        record_id VARCHAR(36) NOT NULL,
        firing_key VARCHAR(64) NOT NULL,
        fired_at DATETIME NOT NULL,
        PRIMARY KEY (id),
        UNIQUE KEY crmflow_firing_once (trigger_id, record_id, firing_key),
        KEY crmflow_firing_trigger (trigger_id, id),
        KEY crmflow_firing_fired (fired_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
  db << R"(CREATE TABLE IF NOT EXISTS crmflow_run (
        id BIGINT NOT NULL AUTO_INCREMENT,
        event_id BIGINT NOT NULL,
        workflow_id VARCHAR(100) NOT NULL,
        module VARCHAR(100) NOT NULL,
        record_id VARCHAR(36) NOT NULL,
        outcome VARCHAR(20) NOT NULL,
        reason VARCHAR(1000) NULL,
        actions_run INT NOT NULL DEFAULT 0,
        duration_us BIGINT NOT NULL DEFAULT 0,
        error TEXT NULL,
        host VARCHAR(64) NOT NULL,
        created_at DATETIME(6) NOT NULL,
        PRIMARY KEY (id),
        KEY crmflow_run_record (module, record_id, id),
        KEY crmflow_run_workflow (workflow_id, id),
        KEY crmflow_run_created (created_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
  add_column_if_missing(db, "crmflow_run", "job_id", "BIGINT NULL AFTER event_id");
  // The conditions that decided a run ("status equals \"Active\": yes"), for "why".
  add_column_if_missing(db, "crmflow_run", "conditions", "VARCHAR(1000) NULL AFTER reason");
  // Warnings of show_warning when the module map names no notification table of the CRM's.
  db << R"(CREATE TABLE IF NOT EXISTS crmflow_alert (
        id BIGINT NOT NULL AUTO_INCREMENT,
        module VARCHAR(100) NOT NULL,
        record_id VARCHAR(36) NOT NULL,
        user_id VARCHAR(36) NULL,
        subject VARCHAR(255) NOT NULL,
        text TEXT NOT NULL,
        is_read TINYINT(1) NOT NULL DEFAULT 0,
        created_at DATETIME(6) NOT NULL,
        PRIMARY KEY (id),
        KEY crmflow_alert_user (user_id, is_read, id),
        KEY crmflow_alert_record (module, record_id, id)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
  // A job: one action of one workflow for one record, run after the event's transaction
  // committed (external effects) or when due (delayed actions). It keeps the event's images
  // for the change conditions a recheck judges. due_at is on crmflow's clock (the database's
  // UTC time plus the configured offset); leases are on the database's own clock. Finished
  // jobs stay (state done, skipped, cancelled or dead) until retention prunes them.
  db << R"(CREATE TABLE IF NOT EXISTS crmflow_job (
        id BIGINT NOT NULL AUTO_INCREMENT,
        state VARCHAR(10) NOT NULL DEFAULT 'pending',
        workflow_id VARCHAR(100) NOT NULL,
        action_index INT NOT NULL,
        plugin VARCHAR(100) NOT NULL,
        module VARCHAR(100) NOT NULL,
        record_id VARCHAR(36) NOT NULL,
        event_id BIGINT NOT NULL,
        kind VARCHAR(10) NOT NULL,
        is_new TINYINT(1) NOT NULL DEFAULT 0,
        old_image LONGTEXT NULL,
        new_image LONGTEXT NULL,
        run_as VARCHAR(36) NULL,
        depth INT NOT NULL DEFAULT 0,
        recheck TINYINT(1) NOT NULL DEFAULT 0,
        idempotency_key VARCHAR(64) NOT NULL,
        due_at DATETIME(6) NOT NULL,
        created_at DATETIME(6) NOT NULL,
        finished_at DATETIME(6) NULL,
        owner VARCHAR(64) NULL,
        fence BIGINT NOT NULL DEFAULT 0,
        attempts INT NOT NULL DEFAULT 0,
        lease_until DATETIME(6) NULL,
        last_error TEXT NULL,
        PRIMARY KEY (id),
        UNIQUE KEY crmflow_job_key (idempotency_key),
        KEY crmflow_job_due (state, due_at, id),
        KEY crmflow_job_record (module, record_id, id),
        KEY crmflow_job_finished (finished_at)
      ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin)";
}

}  // namespace crmflow
