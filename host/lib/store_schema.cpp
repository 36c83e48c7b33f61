#include "crmflow/host/store_schema.hpp"

#include <soci/soci.h>

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
}

}  // namespace crmflow
