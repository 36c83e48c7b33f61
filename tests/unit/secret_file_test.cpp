// The database password from an owner-only file (CRMFLOW_DB_PASSWORD_FILE): read when the
// file is mode 0600 or 0400 and owned by root or the user running crmflow; a file others can
// read is a config problem naming the variable, the file, its mode and the fix, never the
// password. CRMFLOW_DB_PASSWORD, when set, wins.
#define BOOST_TEST_MODULE secret_file_test
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "crmflow/host/config.hpp"
#include "crmflow/host/file_trust.hpp"

using namespace crmflow;
namespace fs = std::filesystem;

namespace {

const fs::path kFile = "/etc/crmflow/host.json";
const std::string kSecret = "S3cr3t-file-password";

// A private directory holding the password file "db-password" with `mode`, removed at the end.
struct PasswordFile {
  fs::path dir;
  fs::path file;
  explicit PasswordFile(fs::perms mode) {
    std::string pattern = (fs::temp_directory_path() / "crmflow-secret-XXXXXX").string();
    BOOST_TEST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    file = dir / "db-password";
    std::ofstream(file) << kSecret << '\n';
    fs::permissions(file, mode);
    ::unsetenv("CRMFLOW_DB_PASSWORD");  // the test database's, set where tests run; it would win
    ::setenv("CRMFLOW_DB_PASSWORD_FILE", file.c_str(), 1);
  }
  ~PasswordFile() {
    ::unsetenv("CRMFLOW_DB_PASSWORD_FILE");
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(an_owner_only_file_gives_the_password_without_its_newline) {
  for (const auto mode : {fs::perms(0600), fs::perms(0400)}) {
    PasswordFile secret(mode);
    const auto config = parse_host_config(R"({"database": {"name": "crm"}})", kFile);
    BOOST_TEST_REQUIRE(config.has_value());
    BOOST_TEST(config->database.password == kSecret);
  }
}

BOOST_AUTO_TEST_CASE(a_file_others_can_read_is_refused_without_showing_the_password) {
  for (const auto mode : {fs::perms(0640), fs::perms(0604), fs::perms(0620)}) {
    PasswordFile secret(mode);
    const auto config = parse_host_config(R"({"database": {"name": "crm"}})", kFile);
    BOOST_TEST_REQUIRE(!config.has_value());
    BOOST_TEST_REQUIRE(config.error().size() == 1u);
    const std::string& problem = config.error()[0];
    BOOST_TEST_MESSAGE(problem);
    BOOST_TEST(problem == "CRMFLOW_DB_PASSWORD_FILE: " + secret.file.string() +
                              " is readable by group or others (mode 0" +
                              std::to_string(static_cast<int>(mode) >> 6 & 7) +
                              std::to_string(static_cast<int>(mode) >> 3 & 7) +
                              std::to_string(static_cast<int>(mode) & 7) + "): chmod 600 " +
                              secret.file.string());
    BOOST_TEST(problem.find(kSecret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_file_names_the_variable) {
  ::unsetenv("CRMFLOW_DB_PASSWORD");
  ::setenv("CRMFLOW_DB_PASSWORD_FILE", "/nonexistent/db-password", 1);
  const auto config = parse_host_config("{}", kFile);
  ::unsetenv("CRMFLOW_DB_PASSWORD_FILE");
  BOOST_TEST_REQUIRE(!config.has_value());
  BOOST_TEST(config.error().at(0) ==
             "CRMFLOW_DB_PASSWORD_FILE: /nonexistent/db-password cannot be read: No such file "
             "or directory");
}

BOOST_AUTO_TEST_CASE(the_environment_variable_wins_over_the_file) {
  PasswordFile secret(fs::perms(0644));  // not even read: no problem about its mode
  ::setenv("CRMFLOW_DB_PASSWORD", "from-the-environment", 1);
  const auto config = parse_host_config("{}", kFile);
  ::unsetenv("CRMFLOW_DB_PASSWORD");
  BOOST_TEST_REQUIRE(config.has_value());
  BOOST_TEST(config->database.password == "from-the-environment");
}

BOOST_AUTO_TEST_CASE(a_file_owned_by_another_user_is_refused) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: giving a file away needs root (CI runs as root)");
    return;
  }
  PasswordFile secret(fs::perms(0600));
  BOOST_TEST_REQUIRE(::chown(secret.file.c_str(), 65534, 65534) == 0);
  const auto problem = read_owner_only(secret.file, "KEY", current_trust_policy());
  BOOST_TEST_REQUIRE(!problem.has_value());
  BOOST_TEST(
      problem.error().starts_with("KEY: " + secret.file.string() + " is owned by user 65534"));
}
