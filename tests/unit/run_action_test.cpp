// Composition (ABI 1.5 run_action): an action runs another loaded action as part of itself.
// What must hold without a database: the inner action's refusals reach the caller with their
// reason and a status that says whether a retry can help; effect classes do not mix; a job's
// inner call gets its own stable key; a plugin that calls itself stops at a depth limit.
#define BOOST_TEST_MODULE run_action_test
#include <boost/test/unit_test.hpp>

#include <string>

#include "crmflow/host/plugin_registry.hpp"
#include "test_support.hpp"

using namespace crmflow;
using crmflow::test::kPluginDir;
using crmflow::test::kTestPluginDir;

namespace {

PluginRegistry& registry() {
  static PluginRegistry plugins;
  if (plugins.components().empty()) {
    for (const auto& file : {kTestPluginDir / "composer.so", kPluginDir / "create_record.so",
                             kPluginDir / "call_remote_api.so"}) {
      const auto problems = plugins.load(file, std::nullopt, R"({"allowed_hosts": ["127.0.0.1"]})");
      if (!problems.empty()) throw std::runtime_error(problems.front());
    }
  }
  return plugins;
}

Record lead() {
  Record record;
  record.module = "Leads";
  record.id = "led00001-0000-4000-8000-000000000000";
  record.current = {{"id", record.id}, {"last_name", "Wagner"}};
  return record;
}

// Runs `component` with `params` for a lead; returns the failure (status 0 when it ran).
ActionFailure run(const std::string& component, const std::string& params,
                  const std::string& job_key = {}) {
  const Component* found = registry().find(component);
  BOOST_TEST_REQUIRE(found != nullptr);
  auto instance = registry().instantiate(*found, params);
  BOOST_TEST_REQUIRE(instance.has_value(), instance.error());
  const auto done = instance->run(
      lead(), std::chrono::steady_clock::now() + std::chrono::seconds(5), nullptr, {}, job_key);
  return done ? ActionFailure{CRMFLOW_OK, ""} : done.error();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_CASE(an_unknown_action_is_named) {
  const auto failure = run("compose_database", R"({"action": "create_taks"})");
  BOOST_TEST(failure.status == CRMFLOW_NOT_FOUND);
  BOOST_TEST(has(failure.message,
                 "run_action 'create_taks' from 'compose_database': no enabled "
                 "plugin offers an action of that name"),
             failure.message);
}

BOOST_AUTO_TEST_CASE(effect_classes_do_not_mix) {
  // A database action runs in the event's transaction; an HTTP call inside it would run again
  // with every retry of the transaction, so it is refused, permanently.
  const auto failure =
      run("compose_database",
          R"({"action": "call_remote_api", "params": {"url": "http://127.0.0.1:9/x"}})");
  BOOST_TEST(failure.status == CRMFLOW_PERMANENT);
  BOOST_TEST(has(failure.message, "effect class external differs from the caller's database"),
             failure.message);
}

BOOST_AUTO_TEST_CASE(the_inner_actions_parameters_are_checked_against_its_schema) {
  const auto failure =
      run("compose_database", R"({"action": "create_task", "params": {"fields": 5}})");
  BOOST_TEST(failure.status == CRMFLOW_PERMANENT);
  BOOST_TEST(
      has(failure.message, "run_action 'create_task' from 'compose_database': params.fields"),
      failure.message);
}

BOOST_AUTO_TEST_CASE(the_inner_actions_own_failure_reaches_the_caller) {
  // Valid parameters, but no database to write to: create_task's refusal, with the chain.
  const auto failure =
      run("compose_database", R"({"action": "create_task", "params": {"fields": {"name": "x"}}})");
  BOOST_TEST(failure.status != CRMFLOW_OK);
  BOOST_TEST(has(failure.message, "component 'compose_database' failed on Leads record"),
             failure.message);
  BOOST_TEST(has(failure.message, "database effects are only available to actions"),
             failure.message);
}

BOOST_AUTO_TEST_CASE(a_jobs_inner_call_gets_a_key_of_its_own) {
  const auto failure = run("compose_external", R"({"action": "key_probe"})", "job-41");
  BOOST_TEST(failure.status == CRMFLOW_PERMANENT);
  BOOST_TEST(has(failure.message, "job key job-41/1"), failure.message);
  const auto nested =
      run("compose_external",
          R"({"action": "compose_external", "params": {"action": "key_probe"}})", "job-41");
  BOOST_TEST(has(nested.message, "job key job-41/1/1"), nested.message);
}

BOOST_AUTO_TEST_CASE(nesting_stops_at_four) {
  std::string params = R"({"action": "key_probe"})";
  for (int level = 0; level < 4; ++level) {
    params = R"({"action": "compose_external", "params": )" + params + "}";
  }
  // compose_external ×5 around the probe: the fifth run_action is one too deep.
  const auto failure = run("compose_external", params, "job-7");
  BOOST_TEST(failure.status == CRMFLOW_PERMANENT);
  BOOST_TEST(has(failure.message, "actions nested more than 4 deep"), failure.message);
  // Four deep is fine: the probe answers with a key four levels long.
  std::string four = R"({"action": "key_probe"})";
  for (int level = 0; level < 3; ++level) {
    four = R"({"action": "compose_external", "params": )" + four + "}";
  }
  const auto deep = run("compose_external", four, "job-7");
  BOOST_TEST(has(deep.message, "job key job-7/1/1/1/1"), deep.message);
}
