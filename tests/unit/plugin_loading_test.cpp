// The loader's checks: each refusal with its message, and the plugins that must load —
// the real compare plugin, a stripped copy of it, and one built against the frozen v1.0
// header. The host must survive every bad plugin and keep its good ones.
#define BOOST_TEST_MODULE plugin_loading_test
#include <boost/test/unit_test.hpp>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace crmflow;
using crmflow::test::kPluginDir;
using crmflow::test::kTestPluginDir;

namespace {

// The single problem the registry reports for a file; fails the test when there is not one.
std::string refusal(PluginRegistry& registry, const std::filesystem::path& file) {
  const std::vector<std::string> problems = registry.load(file);
  BOOST_TEST_REQUIRE(problems.size() == 1u, "expected one problem, got " << problems.size());
  BOOST_TEST_MESSAGE(problems.front());
  BOOST_TEST(problems.front().find(file.string()) != std::string::npos, "names the file");
  return problems.front();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(refusals)

BOOST_AUTO_TEST_CASE(missing_file) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "does_not_exist.so");
  BOOST_TEST(has(message, "file not found"));
}

BOOST_AUTO_TEST_CASE(not_a_shared_object) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "not_a_library.so");
  BOOST_TEST(has(message, "not a shared object: expected an ELF shared library"));
}

BOOST_AUTO_TEST_CASE(no_entry_point_and_its_code_never_runs) {
  // no_entry.so aborts the process from a constructor if it is ever loaded.
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "no_entry.so");
  BOOST_TEST(has(message, "no entry point: expected an exported function 'crmflow_plugin_query'"));
}

BOOST_AUTO_TEST_CASE(abi_major_differs) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "bad_major.so");
  BOOST_TEST(has(message,
                 "ABI major version differs: the host speaks ABI 1.x, the plugin was "
                 "built for ABI 2.5"));
}

BOOST_AUTO_TEST_CASE(plugin_minor_newer_than_host) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "newer_minor.so");
  BOOST_TEST(has(message, "the plugin needs ABI 1.6, newer than the host's 1.5; upgrade crmflow"));
}

BOOST_AUTO_TEST_CASE(plugin_struct_smaller_than_required) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "small_plugin_struct.so");
  BOOST_TEST(has(message, "crmflow_plugin struct_size is 16, expected at least 56 (ABI v1.0)"));
}

BOOST_AUTO_TEST_CASE(component_struct_smaller_than_required) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "small_component_struct.so");
  BOOST_TEST(has(message, "component #0: struct_size is 24, expected at least 104 (ABI v1.0)"));
}

BOOST_AUTO_TEST_CASE(entry_point_fails) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "query_fails.so");
  BOOST_TEST(has(message, "crmflow_plugin_query returned status 1 and no descriptor"));
}

BOOST_AUTO_TEST_CASE(unresolved_symbol) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "unresolved_symbol.so");
  BOOST_TEST(has(message, "cannot be loaded"));
  BOOST_TEST(has(message, "crmflow_test_symbol_that_does_not_exist"));
}

BOOST_AUTO_TEST_CASE(action_without_effect_class) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "action_without_effect.so");
  BOOST_TEST(has(message,
                 "'effectless': an action's effect must be database (1) or external (2), "
                 "found 0"));
}

BOOST_AUTO_TEST_CASE(duplicate_component_across_files) {
  PluginRegistry registry;
  BOOST_TEST(registry.load(kTestPluginDir / "twin_a.so").empty());
  const auto message = refusal(registry, kTestPluginDir / "twin_b.so");
  BOOST_TEST(has(message, "duplicate component name 'twin': already provided by " +
                              (kTestPluginDir / "twin_a.so").string()));
  BOOST_TEST(registry.components().size() == 1u, "the first twin stays loaded");
}

BOOST_AUTO_TEST_CASE(duplicate_component_inside_one_file) {
  PluginRegistry registry;
  const auto message = refusal(registry, kTestPluginDir / "duplicate_inside.so");
  BOOST_TEST(has(message, "duplicate component name 'always_true' within the plugin"));
  BOOST_TEST(registry.components().empty(), "nothing of a refused file is registered");
}

BOOST_AUTO_TEST_CASE(enabled_component_the_file_lacks) {
  PluginRegistry registry;
  const auto problems = registry.load(kPluginDir / "compare.so", std::set<std::string>{"comapre"});
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(has(problems.front(), "enabled component 'comapre' is not provided by this plugin"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(create_failures)

std::string create_error(const std::string& component, const std::string& params = "{}") {
  static PluginRegistry registry;
  if (registry.components().empty()) {
    BOOST_TEST_REQUIRE(registry.load(kTestPluginDir / "throwing.so").empty());
    BOOST_TEST_REQUIRE(registry.load(kTestPluginDir / "create_fails_silently.so").empty());
  }
  const Component* found = registry.find(component);
  BOOST_TEST_REQUIRE(found != nullptr);
  auto instance = registry.instantiate(*found, params);
  BOOST_TEST_REQUIRE(!instance.has_value(), component << " was created but should have failed");
  BOOST_TEST_MESSAGE(instance.error());
  BOOST_TEST(has(instance.error(), "component '" + component + "' ("));
  BOOST_TEST(
      (has(instance.error(), "throwing.so") || has(instance.error(), "create_fails_silently.so")));
  return instance.error();
}

BOOST_AUTO_TEST_CASE(sdk_error_keeps_its_message) {
  BOOST_TEST(has(create_error("rejects_params"), "create failed: parameter 'limit' is required"));
}

BOOST_AUTO_TEST_CASE(std_exception_keeps_its_message) {
  BOOST_TEST(has(create_error("throws_std"), "create failed: index 7 out of range"));
}

BOOST_AUTO_TEST_CASE(non_std_exception_is_caught) {
  BOOST_TEST(has(create_error("throws_int"), "create failed: unknown exception"));
}

BOOST_AUTO_TEST_CASE(malformed_params_json_is_caught) {
  BOOST_TEST(has(create_error("rejects_params", "{not json"),
                 "create failed: [json.exception.parse_error"));
}

BOOST_AUTO_TEST_CASE(failure_without_message_still_says_what_failed) {
  BOOST_TEST(has(create_error("always_true"), "create failed: no message"));
}

BOOST_AUTO_TEST_CASE(exception_while_running_becomes_an_error) {
  PluginRegistry registry;
  BOOST_TEST_REQUIRE(registry.load(kTestPluginDir / "throwing.so").empty());
  auto action = registry.instantiate(*registry.find("fails_on_run"), "{}");
  BOOST_TEST_REQUIRE(action.has_value());
  const auto record = test::make_record("Cases", {{"name", "Printer on fire"}});
  const auto done = action->run(record, test::soon());
  BOOST_TEST_REQUIRE(!done.has_value());
  BOOST_TEST(has(done.error().message, "component 'fails_on_run' failed on Cases record " +
                                           record.id + ": status 1: cannot handle record " +
                                           record.id));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loads)

BOOST_AUTO_TEST_CASE(bad_plugins_do_not_disturb_good_ones) {
  PluginRegistry registry;
  for (const char* bad : {"bad_major.so", "no_entry.so", "not_a_library.so", "query_fails.so"}) {
    BOOST_TEST(!registry.load(kTestPluginDir / bad).empty());
  }
  BOOST_TEST_REQUIRE(registry.load(kPluginDir / "compare.so").empty());
  const Component* compare = registry.find("compare");
  BOOST_TEST_REQUIRE(compare != nullptr);
  BOOST_TEST(compare->pack_id == "crmflow.compare");
  BOOST_TEST(kind_name(compare->kind) == "condition");
  BOOST_TEST(compare->abi_major == 1u);
  BOOST_TEST(compare->abi_minor == 5u);
  BOOST_TEST(has(compare->params_schema, "\"required\": [\"field\", \"op\"]"));
}

BOOST_AUTO_TEST_CASE(stripped_plugin_loads_and_works) {
  const auto stripped = kTestPluginDir / "stripped" / "compare.so";
  PluginRegistry registry;
  BOOST_TEST_REQUIRE(registry.load(stripped).empty());
  auto condition = registry.instantiate(*registry.find("compare"),
                                        R"({"field":"status","op":"equals","value":"Active"})");
  BOOST_TEST_REQUIRE(condition.has_value());
  BOOST_TEST(condition->evaluate(test::make_record("Leads", {{"status", "Active"}}), test::soon())
                 .value());
  BOOST_TEST(
      !condition->evaluate(test::make_record("Leads", {{"status", "New"}}), test::soon()).value());
}

BOOST_AUTO_TEST_CASE(plugin_built_against_frozen_v1_0_header_works) {
  PluginRegistry registry;
  BOOST_TEST_REQUIRE(registry.load(kTestPluginDir / "frozen_v1.so").empty());
  auto condition = registry.instantiate(*registry.find("frozen_active_lead"), "{}");
  auto action = registry.instantiate(*registry.find("frozen_needs_name"), "{}");
  BOOST_TEST_REQUIRE(condition.has_value());
  BOOST_TEST_REQUIRE(action.has_value());

  BOOST_TEST(condition->evaluate(test::make_record("Leads", {{"status", "Active"}}), test::soon())
                 .value());
  BOOST_TEST(
      !condition->evaluate(test::make_record("Leads", {{"status", std::nullopt}}), test::soon())
           .value());
  BOOST_TEST(
      !condition->evaluate(test::make_record("Contacts", {{"status", "Active"}}), test::soon())
           .value());
  const auto no_status =
      condition->evaluate(test::make_record("Leads", {{"name", "x"}}), test::soon());
  BOOST_TEST_REQUIRE(!no_status.has_value());
  BOOST_TEST(has(no_status.error(), "status 2: the record has no status field"));

  BOOST_TEST(action->run(test::make_record("Leads", {{"name", "Ada"}}), test::soon()).has_value());
  const auto nameless =
      action->run(test::make_record("Leads", {{"name", std::nullopt}}), test::soon());
  BOOST_TEST_REQUIRE(!nameless.has_value());
  BOOST_TEST(has(nameless.error().message, "the record has no name"));
  const auto late = action->run(test::make_record("Leads", {{"name", "Ada"}}),
                                std::chrono::steady_clock::now() - std::chrono::seconds(1));
  BOOST_TEST_REQUIRE(!late.has_value());
  BOOST_TEST(has(late.error().message, "status 4: deadline passed before the action started"));
}

BOOST_AUTO_TEST_CASE(instance_outlives_its_registry) {
  std::optional<ComponentInstance> kept;
  {
    PluginRegistry registry;
    BOOST_TEST_REQUIRE(registry.load(kPluginDir / "compare.so").empty());
    kept.emplace(
        registry.instantiate(*registry.find("compare"), R"({"field":"a","op":"not_empty"})")
            .value());
  }
  BOOST_TEST(kept->evaluate(test::make_record("Leads", {{"a", "x"}}), test::soon()).value());
}

BOOST_AUTO_TEST_CASE(one_instance_serves_several_threads_at_once) {
  PluginRegistry registry;
  BOOST_TEST_REQUIRE(registry.load(kPluginDir / "compare.so").empty());
  const auto condition =
      registry.instantiate(*registry.find("compare"), R"({"field":"n","op":"gt","value":500})")
          .value();
  constexpr int kThreads = 4;
  constexpr int kCalls = 2000;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        const auto record = test::make_record("Opportunities", {{"n", std::to_string(i)}});
        if (condition.evaluate(record, test::soon()).value() != (i > 500)) ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) BOOST_TEST(wrong[t] == 0, "thread " << t);
}

BOOST_AUTO_TEST_CASE(a_call_past_its_deadline_is_reported) {
  std::ostringstream log;
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  PluginRegistry registry;
  BOOST_TEST_REQUIRE(registry.load(kTestPluginDir / "slow.so").empty());
  const auto quick = registry.instantiate(*registry.find("sleeps"), R"({"ms": 0})").value();
  const auto slow = registry.instantiate(*registry.find("sleeps"), R"({"ms": 30})").value();
  const auto record = test::make_record("Cases", {});
  const auto deadline = [] {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  };
  BOOST_TEST(quick.evaluate(record, deadline()).value());
  BOOST_TEST(log.str().empty(), "a call within its deadline is not reported");
  BOOST_TEST(slow.evaluate(record, deadline()).value(), "the result still counts");
  spdlog::set_default_logger(previous);
  BOOST_TEST(has(log.str(), "component 'sleeps' (" + (kTestPluginDir / "slow.so").string() +
                                ") overran its deadline on Cases record " + record.id + " by "));
}

BOOST_AUTO_TEST_SUITE_END()
