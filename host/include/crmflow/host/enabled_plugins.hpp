// Loading the plugins a host config enables, and the installed extension packs.
#pragma once

#include <string>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/workflow.hpp"

namespace crmflow {

// Loads every enabled plugin of the config into the registry: "<name>.so" from the first
// plugin directory that has it (a config name cannot hold a path, config.hpp), refused when it
// is a symlink leading out of that directory and, like every plugin file, when anybody but
// root and the user running crmflow could have changed it (PluginRegistry::load). Then every pack
// installed under packs.dir: each is verified (signature by a trusted key, every hash, pack.hpp)
// before any of its code is loaded, and its plugin files are loaded from the verified bytes
// (PluginRegistry::load_sealed) with the settings of the config's plugins.<file name without .so>
// entry, if there is one ("enabled": false skips the file; such an entry is the pack's, not
// searched in the plugin directories). The workflow files of the verified packs are appended to
// `pack_workflows` when given. Returns every problem found, each naming the config entry, the
// plugin file or the pack directory ("pack <dir>: refused: <why>"); the plugins and packs without
// problems are loaded. An unsigned pack accepted through packs.allow_unsigned is logged as a
// warning every time.
std::vector<std::string> load_enabled_plugins(const HostConfig& config, PluginRegistry& registry,
                                              std::vector<WorkflowText>* pack_workflows = nullptr);

}  // namespace crmflow
