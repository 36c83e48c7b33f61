// Connections to the CRM's MySQL/MariaDB database through SOCI.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "crmflow/host/config.hpp"

namespace soci {
class session;
}

namespace crmflow {

// The SOCI connection string for the settings (values quoted; the password is included,
// so never log the result).
std::string connection_string(const DatabaseSettings& settings);

// Opens a session in UTC with utf8mb4. The error names host/socket, database and user,
// never the password. SOCI's automatic reconnect stays off (DESIGN.md "Connections").
std::expected<std::unique_ptr<soci::session>, std::string> connect(
    const DatabaseSettings& settings);

// "host:port" or the socket path, for messages.
std::string describe(const DatabaseSettings& settings);

// Session settings the host relies on, applied on every (re)connection: UTC, READ
// COMMITTED, and a low innodb_lock_wait_timeout so that the host — never the CRM — is the
// side that waits briefly and retries.
void apply_session_settings(soci::session& session, unsigned lock_wait_timeout_seconds);

// A deadlock (1213) or lock wait timeout (1205): the transaction may simply be retried.
bool is_retryable(const std::exception& error) noexcept;

// A row lock that was not granted at once or in time (1205, or MySQL's NOWAIT 3572): the
// statement failed, the transaction is intact, someone else holds the row.
bool is_lock_busy(const std::exception& error) noexcept;

// The connection is gone (server restarted, connection killed, network): reconnect.
bool is_connection_lost(const std::exception& error) noexcept;

}  // namespace crmflow
