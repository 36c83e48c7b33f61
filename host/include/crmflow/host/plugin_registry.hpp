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

#include "crmflow/host/component.hpp"
#include "crmflow/host/component_instance.hpp"
#include "crmflow/host/pack_manifest.hpp"
#include "crmflow/host/record.hpp"

namespace crmflow {

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
  // point never runs code in this process. The file must be trusted (file_trust.hpp: owned
  // by root or the user running crmflow and writable by nobody else, nor any directory from
  // / down to it); it is opened once, checked on that descriptor and loaded through it, so a
  // file swapped after the check is never what runs. A refusal reads
  // "plugin <file>: refused: <path> is writable by others (mode 0666): chmod o-w <path>".
  // `settings_json` (a JSON object's text) is what the file's components read through the
  // host API's settings().
  std::vector<std::string> load(const std::filesystem::path& file,
                                const std::optional<std::set<std::string>>& enabled = {},
                                const std::string& settings_json = "{}");

  // Loads a plugin file of a verified pack from `bytes`, the very bytes whose hash was
  // checked: they are copied into a sealed memfd (no write, grow or shrink ever after), whose
  // symbols are read and which is then loaded as /proc/self/fd/<n>; the memfd stays open
  // while the library is loaded. `shown_as` (the file in the pack directory) is what messages
  // and Component::file name; the components get the pack's id and version. `path_in_pack`
  // is the file's path in the manifest; the components the file declares (kind and name) must
  // be exactly the manifest's entries for that file, or nothing of it is registered. Loading
  // runs the library's constructors: call this only for bytes of a verified pack. Otherwise as
  // load().
  std::vector<std::string> load_sealed(const std::filesystem::path& shown_as,
                                       std::string_view bytes, const PackManifest& pack,
                                       const std::string& path_in_pack,
                                       const std::optional<std::set<std::string>>& enabled = {},
                                       const std::string& settings_json = "{}");

  const std::deque<Component>& components() const noexcept { return components_; }
  const Component* find(std::string_view name) const noexcept;

  // Creates an instance of a component with its parameters (JSON object text).
  // The error names the component and file and carries the plugin's message.
  std::expected<ComponentInstance, std::string> instantiate(const Component& component,
                                                            std::string_view params_json) const;

 private:
  struct Source;
  std::vector<std::string> load_from(const Source& source,
                                     const std::optional<std::set<std::string>>& enabled,
                                     const std::string& settings_json);
  std::deque<Component> components_;  // deque: Component addresses stay stable
};

}  // namespace crmflow
