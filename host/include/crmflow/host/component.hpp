// A component as a loaded plugin describes it.
#pragma once

#include <crmflow/abi.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace boost::dll {
class shared_library;
}

namespace crmflow {

class PluginRegistry;

std::string_view kind_name(uint32_t kind) noexcept;
std::string_view effect_name(uint32_t effect) noexcept;

// A component as a loaded plugin describes it. Stays valid while its registry lives.
struct Component {
  std::string name;
  std::string version;
  uint32_t kind = 0;
  uint32_t effect = CRMFLOW_EFFECT_NONE;
  std::string params_schema;
  std::string settings_json = "{}";  // the host config's settings for the plugin's file
  std::string pack_id;
  std::string pack_version;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::filesystem::path file;
  const crmflow_component* abi = nullptr;
  std::shared_ptr<const boost::dll::shared_library> library;  // keeps the code mapped
  // The registry that loaded it: where an action's run_action (ABI 1.5) finds the actions it
  // composes. Only read during calls, while the registry serves the host.
  const PluginRegistry* registry = nullptr;
};

}  // namespace crmflow
