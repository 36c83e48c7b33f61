// Loading the plugins a host config enables.
#pragma once

#include <string>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/plugin_registry.hpp"

namespace crmflow {

// Loads every enabled plugin of the config into the registry: "<name>.so" from the first
// plugin directory that has it. Returns every problem found, each naming the config entry
// or the plugin file; the plugins without problems are loaded.
std::vector<std::string> load_enabled_plugins(const HostConfig& config, PluginRegistry& registry);

}  // namespace crmflow
