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

}  // namespace crmflow
