#include "crmflow/host/plugin_registry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/elf_symbols.hpp"

namespace crmflow {
namespace fs = std::filesystem;

namespace {

// The smallest structs a v1 plugin may hand over: everything ABI v1.0 defines.
constexpr uint32_t kMinPluginSize = offsetof(crmflow_plugin, components) + sizeof(void*);
constexpr uint32_t kMinComponentSize = offsetof(crmflow_component, tick) + sizeof(void*);

std::string_view view(crmflow_str s) noexcept {
  return s.len == 0 || s.ptr == nullptr ? std::string_view{} : std::string_view{s.ptr, s.len};
}

// Whether the file exports the entry point, decided from its symbol tables alone.
std::expected<bool, std::string> exports_entry_point(const fs::path& file) {
  const auto has_entry = [](const std::vector<std::string>& names) {
    return std::ranges::find(names, CRMFLOW_ENTRY_POINT) != names.end();
  };
  try {
    boost::dll::library_info info(file.string());
    if (has_entry(info.symbols())) return true;
  } catch (const std::exception& e) {
    return std::unexpected(std::string(e.what()));
  }
  // A stripped library has no .symtab, which is all Boost 1.74 reads.
  const auto dynamic = elf_dynamic_symbols(file);
  return dynamic && has_entry(*dynamic);
}

std::vector<std::string> check_component(const crmflow_component* c, size_t index,
                                         const std::string& where) {
  if (c == nullptr) return {fmt::format("{}: component #{} is a null pointer", where, index)};
  if (c->struct_size < kMinComponentSize) {
    return {fmt::format("{}: component #{}: struct_size is {}, expected at least {} (ABI v1.0)",
                        where, index, c->struct_size, kMinComponentSize)};
  }
  const std::string name(view(c->name));
  const std::string label = fmt::format("{}: component #{} '{}'", where, index, name);
  std::vector<std::string> problems;
  if (name.empty()) problems.push_back(label + ": has no name");
  if (c->create == nullptr || c->destroy == nullptr) {
    problems.push_back(label + ": create and destroy are required");
  }
  switch (c->kind) {
    case CRMFLOW_KIND_CONDITION:
      if (c->evaluate == nullptr) problems.push_back(label + ": a condition needs evaluate");
      break;
    case CRMFLOW_KIND_ACTION:
      if (c->run == nullptr) problems.push_back(label + ": an action needs run");
      if (c->effect != CRMFLOW_EFFECT_DATABASE && c->effect != CRMFLOW_EFFECT_EXTERNAL) {
        problems.push_back(
            fmt::format("{}: an action's effect must be database (1) or external (2), found {}",
                        label, c->effect));
      }
      break;
    case CRMFLOW_KIND_TRIGGER:
      if (c->tick == nullptr) problems.push_back(label + ": a trigger needs tick");
      break;
    default:
      problems.push_back(
          fmt::format("{}: unknown kind {}, expected 1 (trigger), 2 (condition) or 3 (action)",
                      label, c->kind));
  }
  if (c->flags != 0) problems.push_back(fmt::format("{}: unknown flags {:#x}", label, c->flags));
  return problems;
}

void append(std::vector<std::string>& to, std::vector<std::string> from) {
  to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

std::string_view kind_name(uint32_t kind) noexcept {
  switch (kind) {
    case CRMFLOW_KIND_TRIGGER: return "trigger";
    case CRMFLOW_KIND_CONDITION: return "condition";
    case CRMFLOW_KIND_ACTION: return "action";
    default: return "unknown";
  }
}

std::string_view effect_name(uint32_t effect) noexcept {
  switch (effect) {
    case CRMFLOW_EFFECT_DATABASE: return "database";
    case CRMFLOW_EFFECT_EXTERNAL: return "external";
    default: return "-";
  }
}

PluginRegistry::PluginRegistry() = default;
PluginRegistry::~PluginRegistry() = default;

std::vector<std::string> PluginRegistry::load(const fs::path& file,
                                              const std::optional<std::set<std::string>>& enabled,
                                              const std::string& settings_json) {
  const std::string where = "plugin " + file.string();
  std::error_code ec;
  if (!fs::exists(file, ec)) return {where + ": file not found"};
  if (!fs::is_regular_file(file, ec)) return {where + ": not a regular file"};

  const auto exported = exports_entry_point(file);
  if (!exported) {
    return {fmt::format("{}: not a shared object: expected an ELF shared library ({})", where,
                        exported.error())};
  }
  if (!*exported) {
    return {fmt::format("{}: no entry point: expected an exported function '{}', found none", where,
                        CRMFLOW_ENTRY_POINT)};
  }

  std::shared_ptr<boost::dll::shared_library> library;
  try {
    library = std::make_shared<boost::dll::shared_library>(
        file.string(), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return {fmt::format("{}: cannot be loaded: {}", where, e.what())};
  }
  const auto query =
      library->get<int32_t(uint32_t, uint32_t, const crmflow_plugin**)>(CRMFLOW_ENTRY_POINT);

  const crmflow_plugin* plugin = nullptr;
  const int32_t status = query(CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR, &plugin);
  if (status == CRMFLOW_INCOMPATIBLE) {
    return {fmt::format("{}: the plugin refuses host ABI {}.{}", where, CRMFLOW_ABI_MAJOR,
                        CRMFLOW_ABI_MINOR)};
  }
  if (status != CRMFLOW_OK || plugin == nullptr) {
    return {fmt::format("{}: {} returned status {} and {} descriptor", where, CRMFLOW_ENTRY_POINT,
                        status, plugin == nullptr ? "no" : "a")};
  }
  if (plugin->struct_size < kMinPluginSize) {
    return {fmt::format("{}: crmflow_plugin struct_size is {}, expected at least {} (ABI v1.0)",
                        where, plugin->struct_size, kMinPluginSize)};
  }
  if (plugin->abi_major != CRMFLOW_ABI_MAJOR) {
    return {
        fmt::format("{}: ABI major version differs: the host speaks ABI {}.x, the plugin was "
                    "built for ABI {}.{}",
                    where, CRMFLOW_ABI_MAJOR, plugin->abi_major, plugin->abi_minor)};
  }
  if (plugin->abi_minor > CRMFLOW_ABI_MINOR) {
    return {fmt::format(
        "{}: the plugin needs ABI {}.{}, newer than the host's {}.{}; "
        "upgrade crmflow",
        where, plugin->abi_major, plugin->abi_minor, CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR)};
  }
  if (plugin->component_count > 0 && plugin->components == nullptr) {
    return {where + ": component_count is set but components is a null pointer"};
  }

  std::vector<std::string> problems;
  std::vector<Component> accepted;
  std::set<std::string> offered;
  for (size_t i = 0; i < plugin->component_count; ++i) {
    const crmflow_component* c = plugin->components[i];
    auto component_problems = check_component(c, i, where);
    if (!component_problems.empty()) {
      append(problems, std::move(component_problems));
      continue;
    }
    std::string name(view(c->name));
    offered.insert(name);
    if (enabled && !enabled->contains(name)) continue;
    if (const Component* existing = find(name)) {
      problems.push_back(fmt::format("{}: duplicate component name '{}': already provided by {}",
                                     where, name, existing->file.string()));
      continue;
    }
    if (std::ranges::any_of(accepted, [&](const Component& a) { return a.name == name; })) {
      problems.push_back(
          fmt::format("{}: duplicate component name '{}' within the plugin", where, name));
      continue;
    }
    accepted.push_back(Component{
        .name = std::move(name),
        .version = std::string(view(c->version)),
        .kind = c->kind,
        .effect = c->effect,
        .params_schema = std::string(view(c->params_schema)),
        .pack_id = std::string(view(plugin->pack_id)),
        .pack_version = std::string(view(plugin->pack_version)),
        .abi_major = plugin->abi_major,
        .abi_minor = plugin->abi_minor,
        .file = file,
        .abi = c,
        .library = library,
    });
  }
  if (enabled) {
    for (const std::string& wanted : *enabled) {
      if (!offered.contains(wanted)) {
        problems.push_back(fmt::format("{}: enabled component '{}' is not provided by this plugin",
                                       where, wanted));
      }
    }
  }
  if (!problems.empty()) return problems;
  for (Component& component : accepted) component.settings_json = settings_json;
  std::ranges::move(accepted, std::back_inserter(components_));
  return {};
}

const Component* PluginRegistry::find(std::string_view name) const noexcept {
  const auto it = std::ranges::find(components_, name, &Component::name);
  return it == components_.end() ? nullptr : &*it;
}

std::expected<ComponentInstance, std::string> PluginRegistry::instantiate(
    const Component& component, std::string_view params_json) const {
  const std::string tag = component.pack_id + "/" + component.name;
  crmflow_call call;
  call.component = tag;
  call.settings_json = component.settings_json;
  void* instance = nullptr;
  const int32_t status =
      component.abi->create(host_api(), &call, {params_json.data(), params_json.size()}, &instance);
  if (status != CRMFLOW_OK) {
    return std::unexpected(fmt::format("component '{}' ({}): create failed: {}", component.name,
                                       component.file.string(),
                                       call.error.empty() ? "no message" : call.error));
  }
  return ComponentInstance(component, instance);
}

}  // namespace crmflow
