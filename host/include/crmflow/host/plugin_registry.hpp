// Loading plugin files and instantiating their components.
#pragma once

#include <crmflow/abi.h>

#include <chrono>
#include <deque>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/host/record.hpp"

namespace boost::dll {
class shared_library;
}

namespace crmflow {

std::string_view kind_name(uint32_t kind) noexcept;
std::string_view effect_name(uint32_t effect) noexcept;

// A component as a loaded plugin describes it. Stays valid while its registry lives.
struct Component {
  std::string name;
  std::string version;
  uint32_t kind = 0;
  uint32_t effect = CRMFLOW_EFFECT_NONE;
  std::string params_schema;
  std::string pack_id;
  std::string pack_version;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::filesystem::path file;
  const crmflow_component* abi = nullptr;
  std::shared_ptr<const boost::dll::shared_library> library;  // keeps the code mapped
};

// A component created with parameters. Safe to call from several threads at once.
// Owns the plugin's instance and destroys it; keeps the plugin's library loaded.
class ComponentInstance {
 public:
  ComponentInstance(const Component& component, void* instance) noexcept;
  ComponentInstance(ComponentInstance&& other) noexcept;
  ComponentInstance& operator=(ComponentInstance&&) = delete;
  ComponentInstance(const ComponentInstance&) = delete;
  ~ComponentInstance();

  // Conditions only: whether the condition holds for the record. The error names the
  // component and carries the plugin's message.
  std::expected<bool, std::string> evaluate(const Record& record,
                                            std::chrono::steady_clock::time_point deadline) const;

  // Actions only: runs the action for the record.
  std::expected<void, std::string> run(const Record& record,
                                       std::chrono::steady_clock::time_point deadline) const;

  const Component& component() const noexcept { return component_; }

 private:
  Component component_;  // a copy: the instance may outlive its registry
  void* instance_;
};

class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  // Loads one plugin file and registers its components; `enabled` limits which components
  // are registered (all when absent). Returns every problem found, each naming the file
  // and what was expected and found; when there is one, nothing of that file is
  // registered. Reads the file's symbols before loading it, so a file without the entry
  // point never runs code in this process.
  std::vector<std::string> load(const std::filesystem::path& file,
                                const std::optional<std::set<std::string>>& enabled = {});

  const std::deque<Component>& components() const noexcept { return components_; }
  const Component* find(std::string_view name) const noexcept;

  // Creates an instance of a component with its parameters (JSON object text).
  // The error names the component and file and carries the plugin's message.
  std::expected<ComponentInstance, std::string> instantiate(const Component& component,
                                                            std::string_view params_json) const;

 private:
  std::deque<Component> components_;  // deque: Component addresses stay stable
};

}  // namespace crmflow
