// The host config: what an admin gets told for each mistake (file, JSON path or line and
// column, what was expected), all mistakes at once, and the plugins the config enables.
#define BOOST_TEST_MODULE config_test
#include <boost/test/unit_test.hpp>
#include <cstdlib>

#include "crmflow/host/config.hpp"
#include "crmflow/host/enabled_plugins.hpp"
#include "test_support.hpp"

using namespace crmflow;

namespace {

const std::filesystem::path kFile = "/etc/crmflow/host.json";

std::vector<std::string> problems_of(std::string_view text) {
  auto config = parse_host_config(text, kFile);
  BOOST_TEST_REQUIRE(!config.has_value(), "the config was accepted: " << text);
  for (const auto& p : config.error()) BOOST_TEST_MESSAGE(p);
  return config.error();
}

std::string only_problem(std::string_view text) {
  const auto problems = problems_of(text);
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  return problems.front();
}

}  // namespace

BOOST_AUTO_TEST_CASE(syntax_error_names_line_and_column) {
  const auto message =
      only_problem("{\n  \"plugins\": {\n    \"compare\": {enabled: true}\n  }\n}\n");
  BOOST_TEST(message.starts_with("/etc/crmflow/host.json:3:17: invalid JSON:"), message);
}

// Found by tests/fuzz (fuzz_config): nlohmann throws out_of_range, not parse_error, for it.
BOOST_AUTO_TEST_CASE(a_number_beyond_a_double_is_a_problem_not_an_exception) {
  const auto message = only_problem("{\"call_deadline_ms\": 1E400}");
  BOOST_TEST(message.starts_with("/etc/crmflow/host.json: invalid JSON: number overflow"), message);
}

BOOST_AUTO_TEST_CASE(comments_are_allowed) {
  const auto config = parse_host_config(
      "// the demo\n{ /* dirs */ \"plugin_dirs\": [\"plugins\"] // trailing\n}", kFile);
  BOOST_TEST_REQUIRE(config.has_value());
  BOOST_TEST(config->plugin_dirs.at(0) == "/etc/crmflow/plugins");
}

BOOST_AUTO_TEST_CASE(unknown_setting_is_named_with_the_known_ones) {
  BOOST_TEST(
      only_problem(R"({"plugin_dir": ["x"]})") ==
      "/etc/crmflow/host.json: (top).plugin_dir: unknown setting; expected one of: "
      "plugin_dirs, plugins, database, log, call_deadline_ms, hang_limit_ms, module_map, "
      "workflows, engine, capture, retention, jobs, triggers, clock_offset_seconds, time_zone, "
      "packs");
}

BOOST_AUTO_TEST_CASE(every_problem_is_reported_at_once) {
  const auto problems = problems_of(R"({
    "plugins": {"compare": {"enabled": "yes", "components": ["compare", "compare"]},
                "other": []},
    "log": {"level": "loud", "format": "xml"},
    "database": {"port": "3306", "password": "hunter2"},
    "call_deadline_ms": 0
  })");
  const std::vector<std::string> expected = {
      "/etc/crmflow/host.json: plugins.compare.enabled: expected true or false, found string",
      "/etc/crmflow/host.json: plugins.compare.components[1]: component listed twice: compare",
      R"(/etc/crmflow/host.json: plugins.other: expected an object such as {"enabled": true})",
      "/etc/crmflow/host.json: database.password: a password does not belong in the config "
      "file; set CRMFLOW_DB_PASSWORD in the host's environment",
      "/etc/crmflow/host.json: database.port: expected a whole number >= 0, found \"3306\"",
      "/etc/crmflow/host.json: log.level: expected trace, debug, info, warn or error, found loud",
      "/etc/crmflow/host.json: log.format: expected text or json, found xml",
      "/etc/crmflow/host.json: call_deadline_ms: must be greater than 0",
  };
  BOOST_TEST(problems == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_hang_limit_defaults_to_ten_deadlines_and_at_least_30_seconds) {
  const auto plain = parse_host_config("{}", kFile);
  BOOST_TEST_REQUIRE(plain.has_value());
  BOOST_TEST(plain->hang_limit.count() == 30000);
  const auto long_deadline = parse_host_config(R"({"call_deadline_ms": 7000})", kFile);
  BOOST_TEST_REQUIRE(long_deadline.has_value());
  BOOST_TEST(long_deadline->hang_limit.count() == 70000);
  const auto given =
      parse_host_config(R"({"call_deadline_ms": 500, "hang_limit_ms": 2000})", kFile);
  BOOST_TEST_REQUIRE(given.has_value());
  BOOST_TEST(given->hang_limit.count() == 2000);
}

BOOST_AUTO_TEST_CASE(a_hang_limit_within_the_deadline_is_a_problem) {
  BOOST_TEST(only_problem(R"({"call_deadline_ms": 5000, "hang_limit_ms": 5000})") ==
             "/etc/crmflow/host.json: hang_limit_ms: must be more than call_deadline_ms (5000): "
             "a call may use its whole deadline; found 5000");
  BOOST_TEST(only_problem(R"({"hang_limit_ms": "30s"})") ==
             "/etc/crmflow/host.json: (top).hang_limit_ms: expected a whole number >= 0, found "
             "\"30s\"");
}

BOOST_AUTO_TEST_CASE(the_password_comes_from_the_environment_and_overrides_apply) {
  ::setenv("CRMFLOW_DB_PASSWORD", "s3cret with 'quotes'", 1);
  ::setenv("CRMFLOW_DB_PORT", "33099", 1);
  const auto config = parse_host_config(R"({"database": {"port": 3306, "name": "crm"}})", kFile);
  ::unsetenv("CRMFLOW_DB_PASSWORD");
  ::unsetenv("CRMFLOW_DB_PORT");
  BOOST_TEST_REQUIRE(config.has_value());
  BOOST_TEST(config->database.password == "s3cret with 'quotes'");
  BOOST_TEST(config->database.port == 33099u);
  BOOST_TEST(config->database.name == "crm");
}

BOOST_AUTO_TEST_CASE(a_missing_file_says_so) {
  const auto config = load_host_config("/nonexistent/crmflow.json");
  BOOST_TEST_REQUIRE(!config.has_value());
  BOOST_TEST(config.error().at(0) == "/nonexistent/crmflow.json: cannot read the config file");
}

BOOST_AUTO_TEST_CASE(only_enabled_plugins_and_components_are_loaded) {
  auto config = parse_host_config(R"({
    "plugins": {"compare": {}, "frozen_v1": {"components": ["frozen_needs_name"]},
                "twin_a": {"enabled": false}}
  })",
                                  kFile);
  BOOST_TEST_REQUIRE(config.has_value());
  config->plugin_dirs = {test::kPluginDir, test::kTestPluginDir};
  PluginRegistry registry;
  BOOST_TEST(load_enabled_plugins(*config, registry).empty());
  BOOST_TEST(registry.find("compare") != nullptr);
  BOOST_TEST(registry.find("frozen_needs_name") != nullptr);
  BOOST_TEST(registry.find("frozen_active_lead") == nullptr, "not enabled");
  BOOST_TEST(registry.find("twin") == nullptr, "disabled plugin");
  BOOST_TEST(registry.components().size() == 2u);
}

BOOST_AUTO_TEST_CASE(every_plugin_problem_is_reported_and_the_rest_loads) {
  auto config = parse_host_config(
      R"({"plugins": {"compare": {}, "nosuch": {}, "bad_major": {}, "twin_a": {}}})", kFile);
  BOOST_TEST_REQUIRE(config.has_value());
  config->plugin_dirs = {test::kPluginDir, test::kTestPluginDir};
  PluginRegistry registry;
  const auto problems = load_enabled_plugins(*config, registry);
  for (const auto& p : problems) BOOST_TEST_MESSAGE(p);
  BOOST_TEST_REQUIRE(problems.size() == 2u, "in the order the config lists them");
  BOOST_TEST(problems[1].find("bad_major.so: ABI major version differs") != std::string::npos);
  BOOST_TEST(problems[0] ==
             "/etc/crmflow/host.json: plugins.nosuch: no nosuch.so in the plugin "
             "directories (" +
                 test::kPluginDir.string() + ", " + test::kTestPluginDir.string() + ")");
  BOOST_TEST(registry.find("compare") != nullptr);
  BOOST_TEST(registry.find("twin") != nullptr);
}
