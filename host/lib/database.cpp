#include "crmflow/host/database.hpp"

#include <fmt/format.h>
#include <soci/mysql/soci-mysql.h>
#include <soci/soci.h>

namespace crmflow {
namespace {

// SOCI's connection strings take name=value pairs; a value with blanks or quotes is
// written in single quotes with embedded quotes and backslashes escaped.
std::string quoted(const std::string& value) {
  std::string out = "'";
  for (const char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string connection_string(const DatabaseSettings& s) {
  std::string text = fmt::format("dbname={} user={} password={} charset=utf8mb4", quoted(s.name),
                                 quoted(s.user), quoted(s.password));
  if (!s.socket.empty()) return text + " unix_socket=" + quoted(s.socket);
  return text + fmt::format(" host={} port={}", quoted(s.host), s.port);
}

std::string describe(const DatabaseSettings& s) {
  const std::string where = s.socket.empty() ? fmt::format("{}:{}", s.host, s.port) : s.socket;
  return fmt::format("database '{}' at {} as '{}'", s.name, where, s.user);
}

std::expected<std::unique_ptr<soci::session>, std::string> connect(
    const DatabaseSettings& settings) {
  try {
    auto session =
        std::make_unique<soci::session>(*soci::factory_mysql(), connection_string(settings));
    *session << "SET time_zone = '+00:00'";
    return session;
  } catch (const std::exception& e) {
    return std::unexpected(fmt::format("cannot connect to {}: {}", describe(settings), e.what()));
  }
}

}  // namespace crmflow
