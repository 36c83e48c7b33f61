#include "crmflow/host/enabled_plugins.hpp"

#include <fmt/format.h>

#include <filesystem>

namespace crmflow {
namespace {

std::string searched(const std::vector<std::filesystem::path>& dirs) {
  if (dirs.empty()) return "none configured";
  std::string list;
  for (const auto& dir : dirs) list += (list.empty() ? "" : ", ") + dir.string();
  return list;
}

}  // namespace

std::vector<std::string> load_enabled_plugins(const HostConfig& config, PluginRegistry& registry) {
  std::vector<std::string> problems;
  for (const PluginSetting& plugin : config.plugins) {
    if (!plugin.enabled) continue;
    const std::string file_name = plugin.name + ".so";
    std::filesystem::path found;
    for (const auto& dir : config.plugin_dirs) {
      std::error_code ec;
      if (std::filesystem::exists(dir / file_name, ec)) {
        found = dir / file_name;
        break;
      }
    }
    if (found.empty()) {
      problems.push_back(fmt::format("{}: plugins.{}: no {} in the plugin directories ({})",
                                     config.file.string(), plugin.name, file_name,
                                     searched(config.plugin_dirs)));
      continue;
    }
    auto file_problems = registry.load(found, plugin.components, plugin.settings_json);
    problems.insert(problems.end(), file_problems.begin(), file_problems.end());
  }
  return problems;
}

}  // namespace crmflow
