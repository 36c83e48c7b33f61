// Helpers shared by the unit tests: building in-memory records, loading plugins.
#pragma once

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>

#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/record.hpp"

namespace crmflow::test {

inline const std::filesystem::path kPluginDir = CRMFLOW_PLUGIN_DIR;
inline const std::filesystem::path kTestPluginDir = CRMFLOW_TEST_PLUGIN_DIR;

using Field = std::pair<std::string, std::optional<std::string>>;

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
