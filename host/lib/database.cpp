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
    apply_session_settings(*session, 2);
    return session;
  } catch (const std::exception& e) {
    return std::unexpected(fmt::format("cannot connect to {}: {}", describe(settings), e.what()));
  }
}

void apply_session_settings(soci::session& session, unsigned lock_wait_timeout_seconds) {
  session << "SET time_zone = '+00:00'";
  session << "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";
  session << fmt::format("SET SESSION innodb_lock_wait_timeout = {}", lock_wait_timeout_seconds);
}

namespace {

int mysql_error_number(const std::exception& error) noexcept {
  const auto* mysql = dynamic_cast<const soci::mysql_soci_error*>(&error);
  return mysql == nullptr ? 0 : static_cast<int>(mysql->err_num_);
}

}  // namespace

bool is_retryable(const std::exception& error) noexcept {
  const int number = mysql_error_number(error);
  return number == 1213 || number == 1205 || number == 3572;
}

bool is_lock_busy(const std::exception& error) noexcept {
  const int number = mysql_error_number(error);
  return number == 1205 || number == 3572;
}

bool is_connection_lost(const std::exception& error) noexcept {
  switch (mysql_error_number(error)) {
    case 2002:  // can't connect through the socket
    case 2003:  // can't connect to the server
    case 2006:  // server has gone away
    case 2013:  // lost connection during query
    case 2055:  // lost connection, system error
    case 1927:  // connection was killed (MariaDB)
    case 1053:  // server shutdown in progress
    case 4031:  // disconnected for inactivity (MySQL 8)
      return true;
    default: break;
  }
  // SOCI reports some broken-connection cases without a server error number.
  const std::string_view text = error.what();
  return text.find("Lost connection") != std::string_view::npos ||
         text.find("server has gone away") != std::string_view::npos;
}

}  // namespace crmflow
