// Helpers shared by the unit tests: building in-memory records, loading plugins.
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <expected>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/record.hpp"

namespace crmflow::test {

inline const std::filesystem::path kPluginDir = CRMFLOW_PLUGIN_DIR;
inline const std::filesystem::path kTestPluginDir = CRMFLOW_TEST_PLUGIN_DIR;

using Field = std::pair<std::string, std::optional<std::string>>;

// A field's text as the CRM stores it; std::nullopt is SQL NULL.
using Value = std::optional<std::string>;
inline constexpr std::nullopt_t kNull = std::nullopt;

// One plugin file of the build loaded through the registry, and the component a test is
// about; a test keeps one for its whole run (a function-local static).
struct PluginUnderTest {
  PluginRegistry registry;
  std::vector<std::string> problems;
  const Component* component = nullptr;

  PluginUnderTest(const std::string& file, const std::string& name)
      : problems(registry.load(kPluginDir / file)), component(registry.find(name)) {}

  // The component created with `params`, or the registry's message why not.
  std::expected<ComponentInstance, std::string> instantiate(std::string_view params) const {
    BOOST_TEST_REQUIRE(component != nullptr, "the plugin did not provide the component");
    return registry.instantiate(*component, params);
  }

  // The component created with `params`; fails the test when they are refused.
  ComponentInstance create(std::string_view params) const {
    auto instance = instantiate(params);
    if (!instance) BOOST_FAIL(params << " was rejected: " << instance.error());
    return std::move(*instance);
  }
};

// A record whose current and new image hold `fields`; `old_fields` is the old image.
inline Record make_record(std::string module, std::initializer_list<Field> fields,
                          std::initializer_list<Field> old_fields = {}) {
  Record record;
  record.module = std::move(module);
  record.id = "00000000-0000-0000-0000-000000000001";
  for (const auto& [name, value] : fields) record.new_image[name] = value;
  for (const auto& [name, value] : old_fields) record.old_image[name] = value;
  record.current = record.new_image;
  return record;
}

inline std::chrono::steady_clock::time_point soon() {
  return std::chrono::steady_clock::now() + std::chrono::seconds(5);
}

}  // namespace crmflow::test
