#include "crmflow/host/plugin_registry.hpp"

#include <fmt/format.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cstring>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/elf_symbols.hpp"
#include "crmflow/host/file_trust.hpp"

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

// A library loaded through a descriptor as /proc/self/fd/<n> (a sealed memfd, or a plugin file
// opened after its trust checks). The descriptor stays open as long as the library is loaded:
// glibc recognises an already loaded library by its path, so a /proc/self/fd/<n> reused for
// another file would hand back the old library. Unloading may leave the library mapped (a
// unique symbol makes it permanent); then the descriptor is never closed, for the same reason.
struct DescriptorLibrary {
  int fd = -1;
  boost::dll::shared_library library;
  explicit DescriptorLibrary(int descriptor) : fd(descriptor) {}
  DescriptorLibrary(const DescriptorLibrary&) = delete;
  DescriptorLibrary& operator=(const DescriptorLibrary&) = delete;
  ~DescriptorLibrary() {
    const bool was_loaded = library.is_loaded();
    library.unload();
    if (fd < 0) return;
    if (was_loaded) {
      const std::string path = fmt::format("/proc/self/fd/{}", fd);
      if (void* still = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
        ::dlclose(still);
        return;
      }
    }
    ::close(fd);
  }
};

std::shared_ptr<boost::dll::shared_library> library_of(int fd) {
  auto holder = std::make_shared<DescriptorLibrary>(fd);
  return {holder, &holder->library};
}

// A memfd holding exactly `bytes`, sealed so that nobody (this process included) can change
// them any more; the error says which step failed.
std::expected<int, std::string> sealed_memfd(const std::string& name, std::string_view bytes) {
  const int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return std::unexpected(fmt::format("memfd_create: {}", std::strerror(errno)));
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return std::unexpected("writing the memfd: " + why);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return std::unexpected("sealing the memfd: " + why);
  }
  return fd;
}

std::string describe(const std::set<std::pair<uint32_t, std::string>>& components) {
  std::string out;
  for (const auto& [kind, name] : components) {
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", kind_name(kind), name);
  }
  return out.empty() ? "none" : out;
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

// Where a plugin's bytes come from and how it is named.
struct PluginRegistry::Source {
  fs::path shown;      // messages, Component::file
  fs::path open_path;  // read for symbols and loaded
  std::string where;
  std::shared_ptr<boost::dll::shared_library> library;  // not yet loaded
  const PackManifest* pack = nullptr;  // a pack's file: its id, version and declared components
  std::string file_in_pack;
};

std::vector<std::string> PluginRegistry::load(const fs::path& file,
                                              const std::optional<std::set<std::string>>& enabled,
                                              const std::string& settings_json) {
  const std::string where = "plugin " + file.string();
  std::error_code ec;
  if (!fs::exists(file, ec)) return {where + ": file not found"};
  if (!fs::is_regular_file(file, ec)) return {where + ": not a regular file"};
  const auto fd = open_trusted(file, current_trust_policy());
  if (!fd) return {fmt::format("{}: refused: {}", where, fd.error())};
  return load_from(Source{file,
                          fs::path(fmt::format("/proc/self/fd/{}", *fd)),
                          where,
                          library_of(*fd),
                          nullptr,
                          {}},
                   enabled, settings_json);
}

std::vector<std::string> PluginRegistry::load_sealed(
    const fs::path& shown_as, std::string_view bytes, const PackManifest& pack,
    const std::string& path_in_pack, const std::optional<std::set<std::string>>& enabled,
    const std::string& settings_json) {
  const std::string where = fmt::format("pack {}: plugin {}", pack.id, shown_as.string());
  auto fd =
      sealed_memfd(fmt::format("crmflow-pack:{}/{}", pack.id, shown_as.filename().string()), bytes);
  if (!fd) return {fmt::format("{}: {}", where, fd.error())};
  return load_from(Source{shown_as, fs::path(fmt::format("/proc/self/fd/{}", *fd)), where,
                          library_of(*fd), &pack, path_in_pack},
                   enabled, settings_json);
}

std::vector<std::string> PluginRegistry::load_from(
    const Source& source, const std::optional<std::set<std::string>>& enabled,
    const std::string& settings_json) {
  const std::string& where = source.where;
  const auto exported = exports_entry_point(source.open_path);
  if (!exported) {
    return {fmt::format("{}: not a shared object: expected an ELF shared library ({})", where,
                        exported.error())};
  }
  if (!*exported) {
    return {fmt::format("{}: no entry point: expected an exported function '{}', found none", where,
                        CRMFLOW_ENTRY_POINT)};
  }

  const std::shared_ptr<boost::dll::shared_library>& library = source.library;
  try {
    library->load(source.open_path.string(),
                  boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
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
  std::set<std::pair<uint32_t, std::string>> declared;
  for (size_t i = 0; i < plugin->component_count; ++i) {
    const crmflow_component* c = plugin->components[i];
    auto component_problems = check_component(c, i, where);
    if (!component_problems.empty()) {
      append(problems, std::move(component_problems));
      continue;
    }
    std::string name(view(c->name));
    offered.insert(name);
    declared.emplace(c->kind, name);
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
        .pack_id = source.pack ? source.pack->id : std::string(view(plugin->pack_id)),
        .pack_version =
            source.pack ? source.pack->version : std::string(view(plugin->pack_version)),
        .abi_major = plugin->abi_major,
        .abi_minor = plugin->abi_minor,
        .file = source.shown,
        .abi = c,
        .library = library,
        .registry = this,
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
  if (source.pack != nullptr) {
    std::set<std::pair<uint32_t, std::string>> listed;
    for (const PackComponent& c : source.pack->components) {
      if (c.file == source.file_in_pack) listed.emplace(c.kind, c.name);
    }
    if (listed != declared) {
      problems.push_back(fmt::format(
          "{}: declares other components than manifest.json lists for it: the file declares "
          "{}; the manifest lists {}",
          where, describe(declared), describe(listed)));
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
