// Capture: triggers on the CRM's tables that write every change into crmflow_event.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <vector>

#include "crmflow/host/module_map.hpp"

namespace soci {
class session;
}

namespace crmflow {

struct CaptureOptions {
  // How long one DDL statement may wait for the table's metadata lock before it gives up
  // (and is retried): the CRM's statements queue behind a waiting DDL, so this stays short.
  std::chrono::seconds lock_wait_timeout{2};
  int attempts = 5;  // per table, with a growing pause between them
};

enum class CaptureState {
  installed,  // all three triggers present and naming exactly the table's current columns
  missing,    // no crmflow trigger on the table
  drifted,    // triggers present but written for other columns (a CRM upgrade added/dropped one)
  partial,    // some of the three triggers are missing
};

struct TableCapture {
  std::string module;
  std::string table;
  CaptureState state = CaptureState::missing;
  std::string detail;  // for drifted: which columns were added or dropped
};

std::string_view state_name(CaptureState state) noexcept;

// Whether the connected user may create triggers here. Problems name what is missing:
// the TRIGGER privilege; with the binary log on, SUPER or log_bin_trust_function_creators.
std::vector<std::string> check_capture_privileges(soci::session& db);

// The CREATE TRIGGER statements for a module (its columns must be introspected).
std::vector<std::string> capture_trigger_sql(const Module& module);

// Installs or repairs the module's triggers, replacing old ones atomically, one table at a
// time, with a short lock_wait_timeout and retries. The error names the table.
std::expected<void, std::string> install_capture(soci::session& db, const Module& module,
                                                 const CaptureOptions& options = {});

// Drops the module's crmflow triggers; the CRM table is left as it was.
std::expected<void, std::string> remove_capture(soci::session& db, const Module& module,
                                                const CaptureOptions& options = {});

// The state of the module's triggers against its current columns (introspect first).
TableCapture capture_status(soci::session& db, const Module& module);

}  // namespace crmflow
