// A fresh CRM database for each test: the demo 1CRM schema and data, crmflow's store tables,
// and the 1CRM module map introspected against it.
//
// Needs the private MariaDB (scripts/mariadb.sh start) and its environment:
//   eval "$(scripts/mariadb.sh env)"     # CRMFLOW_DB_HOST/PORT/SOCKET/NAME/USER/PASSWORD
// CRMFLOW_DB_NAME names an existing database used only to create and drop the fresh ones;
// the user must be allowed to CREATE and DROP databases (the private server grants ALL).
//
// Use with Boost.Test as a per-test-case fixture:
//   BOOST_FIXTURE_TEST_CASE(my_test, crmflow::testing::DbFixture) {
//     db() << "UPDATE leads SET status = 'Dead'";
//     const crmflow::Module& leads = *map().find("Leads");
//     auto other = connect_again();            // a second connection to the same database
//   }
// Each fixture creates `crmflow_t_<pid>_<n>` and drops it when destroyed (set
// CRMFLOW_TEST_KEEP_DB=1 to keep it for a look after a failure). The test target needs
// CRMFLOW_SOURCE_DIR defined, the SOCI and MariaDB include directories, and the SOCI
// libraries (see tests/integration/CMakeLists.txt).
#pragma once

#include <soci/soci.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/store_schema.hpp"
#include "test_leftovers.hpp"

#ifndef CRMFLOW_SOURCE_DIR
#error "define CRMFLOW_SOURCE_DIR (the repository root) for the test target"
#endif

namespace crmflow::testing {

inline std::filesystem::path source_dir() {
  return CRMFLOW_SOURCE_DIR;
}

// Database settings from CRMFLOW_DB_HOST/PORT/SOCKET/NAME/USER/PASSWORD (the defaults of
// DatabaseSettings for the unset ones). Throws when CRMFLOW_DB_PORT and CRMFLOW_DB_SOCKET
// are both unset: then no private server was set up for the tests.
inline DatabaseSettings settings_from_env() {
  const auto env = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    return value != nullptr ? value : "";
  };
  if (env("CRMFLOW_DB_PORT").empty() && env("CRMFLOW_DB_SOCKET").empty()) {
    throw std::runtime_error(
        "no test database: start the private MariaDB and export its settings, e.g. "
        "scripts/mariadb.sh start && eval \"$(scripts/mariadb.sh env)\"");
  }
  DatabaseSettings s;
  if (!env("CRMFLOW_DB_HOST").empty()) s.host = env("CRMFLOW_DB_HOST");
  if (!env("CRMFLOW_DB_PORT").empty())
    s.port = static_cast<unsigned>(std::stoul(env("CRMFLOW_DB_PORT")));
  s.socket = env("CRMFLOW_DB_SOCKET");
  if (!env("CRMFLOW_DB_NAME").empty()) s.name = env("CRMFLOW_DB_NAME");
  if (!env("CRMFLOW_DB_USER").empty()) s.user = env("CRMFLOW_DB_USER");
  s.password = env("CRMFLOW_DB_PASSWORD");
  return s;
}

// Opens a session or throws with connect()'s message.
inline std::unique_ptr<soci::session> connect_or_throw(const DatabaseSettings& settings) {
  auto session = connect(settings);
  if (!session) throw std::runtime_error(session.error());
  return std::move(*session);
}

// Splits an SQL script into statements at the `;` that end them. Knows '...', "..." and
// `...` quoting (with backslash escapes and doubled quotes), -- and # line comments and
// /* */ comments, so a `;` inside a value or a comment does not split. Comments are dropped
// (executable /*! */ ones too); no DELIMITER support (scripts with stored routines need the
// mariadb client instead).
inline std::vector<std::string> split_sql_script(std::string_view text) {
  std::vector<std::string> statements;
  std::string current;
  const auto flush = [&] {
    const auto first = current.find_first_not_of(" \t\r\n");
    if (first != std::string::npos) {
      const auto last = current.find_last_not_of(" \t\r\n");
      statements.push_back(current.substr(first, last - first + 1));
    }
    current.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\'' || c == '"' || c == '`') {
      current += c;
      for (++i; i < text.size(); ++i) {
        current += text[i];
        if (text[i] == '\\' && c != '`' && i + 1 < text.size()) {
          current += text[++i];
        } else if (text[i] == c) {
          if (i + 1 < text.size() && text[i + 1] == c) {
            current += text[++i];  // a doubled quote stays inside
          } else {
            break;
          }
        }
      }
    } else if ((c == '-' && next == '-' &&
                (i + 2 >= text.size() || std::isspace(static_cast<unsigned char>(text[i + 2])))) ||
               c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      current += '\n';
    } else if (c == '/' && next == '*') {
      const auto end = text.find("*/", i + 2);
      i = end == std::string_view::npos ? text.size() : end + 1;
      current += ' ';
    } else if (c == ';') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return statements;
}

// Runs every statement of an SQL script file (see split_sql_script) on the session.
inline void run_sql_file(soci::session& db, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  for (const std::string& statement : split_sql_script(text.str())) db << statement;
}

class DbFixture {
 public:
  struct Options {
    bool demo_data = true;     // load config/demo/1crm-demo.sql
    bool store_schema = true;  // ensure_store_schema (crmflow_event, ...)
    // The module map to load and introspect; empty: none.
    std::filesystem::path module_map = source_dir() / "config/crm/1crm.json";
  };

  DbFixture() : DbFixture(Options{}) {}

  explicit DbFixture(const Options& options) {
    static std::atomic<int> counter{0};
    admin_settings_ = settings_from_env();
    name_ = "crmflow_t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    settings_ = admin_settings_;
    settings_.name = name_;
    admin_ = connect_or_throw(admin_settings_);
    *admin_ << "DROP DATABASE IF EXISTS `" + name_ + "`";
    *admin_ << "CREATE DATABASE `" + name_ + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci";
    try {
      db_ = connect_or_throw(settings_);
      if (options.demo_data) run_sql_file(*db_, source_dir() / "config/demo/1crm-demo.sql");
      if (options.store_schema) ensure_store_schema(*db_);
      if (!options.module_map.empty()) {
        auto map = load_module_map(options.module_map);
        if (!map) throw std::runtime_error(join(map.error()));
        map_ = std::move(*map);
        if (options.demo_data) {
          if (const auto problems = introspect(*db_, map_); !problems.empty()) {
            throw std::runtime_error(join(problems));
          }
        }
      }
    } catch (...) {
      drop();
      throw;
    }
  }

  ~DbFixture() { drop(); }

  DbFixture(const DbFixture&) = delete;
  DbFixture& operator=(const DbFixture&) = delete;

  // The connection to the fresh database.
  soci::session& db() { return *db_; }
  // The module map, introspected against the fresh database.
  const ModuleMap& map() const { return map_; }
  ModuleMap& mutable_map() { return map_; }
  // Reads the columns again (after an ALTER TABLE); returns introspect's problems.
  std::vector<std::string> reintrospect() { return introspect(*db_, map_); }
  // Settings that reach the fresh database (for connect(), another connection, a host).
  DatabaseSettings settings() const { return settings_; }
  // The fresh database's name.
  std::string name() const { return name_; }
  // A new, independent connection to the fresh database.
  std::unique_ptr<soci::session> connect_again() const { return connect_or_throw(settings_); }
  // A connection to the bootstrap database (CRMFLOW_DB_NAME), e.g. for CREATE USER.
  soci::session& admin() { return *admin_; }

 private:
  static std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
  }

  void drop() noexcept {
    db_.reset();
    if (admin_ == nullptr || keep_test_leftovers()) return;
    try {
      *admin_ << "DROP DATABASE IF EXISTS `" + name_ + "`";
    } catch (...) {
      // Best effort: a leftover crmflow_t_* database is harmless on the private server.
    }
    admin_.reset();
  }

  DatabaseSettings admin_settings_;
  DatabaseSettings settings_;
  std::string name_;
  std::unique_ptr<soci::session> admin_;
  std::unique_ptr<soci::session> db_;
  ModuleMap map_;
};

}  // namespace crmflow::testing
