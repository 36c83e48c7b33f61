#include "crmflow/host/enabled_plugins.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "crmflow/host/pack.hpp"

namespace crmflow {
namespace fs = std::filesystem;

namespace {

std::string searched(const std::vector<fs::path>& dirs) {
  if (dirs.empty()) return "none configured";
  std::string list;
  for (const auto& dir : dirs) list += (list.empty() ? "" : ", ") + dir.string();
  return list;
}

std::string stem_of(const std::string& path) {
  return fs::path(path).stem().string();
}

// The plugin names a pack directory's manifest claims, read without verifying it: only so
// that the config's entries for a refused pack's files are not also looked for elsewhere.
void claimed_names(const fs::path& dir, std::set<std::string>& names) {
  std::ifstream in(dir / kManifestName, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (auto manifest = parse_pack_manifest(text.str(), kManifestName, false)) {
    for (const std::string& file : manifest->plugin_files()) names.insert(stem_of(file));
  }
}

// Why `file` (in a plugin directory) must not be loaded because it is a symlink to a file
// outside that directory, or "": plugins load only from the configured directories, as a
// pack's files only from the pack (a link between files of the directory is fine).
std::string leads_outside(const fs::path& file) {
  std::error_code ec;
  const fs::path dir = fs::canonical(file.parent_path(), ec);
  if (ec) return {};
  const fs::path real = fs::canonical(file, ec);
  if (ec) return {};
  const fs::path inside = real.lexically_relative(dir);
  if (!inside.empty() && *inside.begin() != ".." && inside.has_filename()) return {};
  return fmt::format(
      "{} is a symlink leading out of the plugin directory (to {}); plugins load only from "
      "plugin_dirs: copy the file there or add its directory to plugin_dirs",
      file.string(), real.string());
}

const PluginSetting* setting_for(const HostConfig& config, const std::string& name) {
  const auto it = std::ranges::find(config.plugins, name, &PluginSetting::name);
  return it == config.plugins.end() ? nullptr : &*it;
}

}  // namespace

std::vector<std::string> load_enabled_plugins(const HostConfig& config, PluginRegistry& registry,
                                              std::vector<WorkflowText>* pack_workflows) {
  std::vector<std::string> problems;
  // Every pack is verified before any plugin, of a pack or not, runs code in this process.
  std::vector<VerifiedPack> packs;
  std::set<std::string> pack_plugins;
  if (!config.packs.dir.empty()) {
    const PackPolicy policy = pack_policy(config, problems);
    for (const fs::path& dir : installed_pack_dirs(config.packs.dir)) {
      claimed_names(dir, pack_plugins);
      auto pack = verify_installed_pack(dir, policy);
      if (!pack) {
        problems.push_back(fmt::format("pack {}: refused: {}", dir.string(), pack.error()));
        continue;
      }
      if (pack->key_id.empty()) {
        spdlog::warn(
            "pack {}: UNSIGNED pack loaded only because packs.allow_unsigned is true in {} — "
            "for plugin development only, never in production",
            dir.string(), config.file.string());
      }
      packs.push_back(std::move(*pack));
    }
  }

  for (const PluginSetting& plugin : config.plugins) {
    if (!plugin.enabled || pack_plugins.contains(plugin.name)) continue;
    const std::string file_name = plugin.name + ".so";
    fs::path found;
    for (const auto& dir : config.plugin_dirs) {
      std::error_code ec;
      if (fs::exists(dir / file_name, ec)) {
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
    if (auto outside = leads_outside(found); !outside.empty()) {
      problems.push_back(
          fmt::format("{}: plugins.{}: {}", config.file.string(), plugin.name, outside));
      continue;
    }
    auto file_problems = registry.load(found, plugin.components, plugin.settings_json);
    problems.insert(problems.end(), file_problems.begin(), file_problems.end());
  }

  for (const VerifiedPack& pack : packs) {
    for (const std::string& file : pack.manifest.plugin_files()) {
      const PluginSetting* setting = setting_for(config, stem_of(file));
      if (setting != nullptr && !setting->enabled) continue;
      auto file_problems =
          registry.load_sealed(pack.dir / file, pack.contents.at(file), pack.manifest, file,
                               setting != nullptr ? setting->components : std::nullopt,
                               setting != nullptr ? setting->settings_json : std::string("{}"));
      problems.insert(problems.end(), file_problems.begin(), file_problems.end());
    }
    if (pack_workflows == nullptr) continue;
    for (const std::string& file : pack.manifest.workflow_files()) {
      pack_workflows->push_back({pack.dir / file, pack.contents.at(file)});
    }
  }
  return problems;
}

}  // namespace crmflow
