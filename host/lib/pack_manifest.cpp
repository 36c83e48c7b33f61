#include "crmflow/host/pack_manifest.hpp"

#include <crmflow/abi.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "crmflow/host/json_diagnostics.hpp"
#include "crmflow/host/json_reader.hpp"

namespace crmflow {
namespace {

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_hex_digest(std::string_view text) {
  return text.size() == 64 && std::ranges::all_of(text, [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// "1.5" → {1, 5}; anything else is no ABI version.
bool parse_abi(std::string_view text, uint32_t& major, uint32_t& minor) {
  const auto dot = text.find('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == text.size()) return false;
  const auto whole = [](std::string_view part, uint32_t& out) {
    if (!std::ranges::all_of(part, [](char c) { return c >= '0' && c <= '9'; })) return false;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
    return ec == std::errc{} && end == part.data() + part.size();
  };
  return whole(text.substr(0, dot), major) && whole(text.substr(dot + 1), minor);
}

void read_components(const Json& root, PackManifest& m, JsonProblems& problems) {
  const auto it = root.find("components");
  if (it == root.end()) return problems.add("(top).components", "required, missing");
  if (!it->is_array()) {
    return problems.add("components", R"(expected an array of {"file", "kind", "name"})");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& entry = (*it)[i];
    const std::string path = fmt::format("components[{}]", i);
    if (!entry.is_object()) {
      problems.add(path, R"(expected {"file": "<x>.so", "kind": "action", "name": "..."})");
      continue;
    }
    reject_unknown_keys(entry, path, {"file", "kind", "name"}, problems);
    PackComponent c;
    std::string kind;
    read_required(entry, "file", path, c.file, problems);
    read_required(entry, "kind", path, kind, problems);
    read_required(entry, "name", path, c.name, problems);
    if (kind == "trigger") {
      c.kind = CRMFLOW_KIND_TRIGGER;
    } else if (kind == "condition") {
      c.kind = CRMFLOW_KIND_CONDITION;
    } else if (kind == "action") {
      c.kind = CRMFLOW_KIND_ACTION;
    } else if (entry.contains("kind") && entry["kind"].is_string()) {
      problems.add(path + ".kind", "expected trigger, condition or action, found " + kind);
    }
    if (entry.contains("file") && !c.file.ends_with(".so")) {
      problems.add(path + ".file", "expected a plugin file name ending in .so, found " + c.file);
    }
    if (!c.name.empty() && !names.insert(c.name).second) {
      problems.add(path + ".name", "component listed twice: " + c.name);
    }
    m.components.push_back(std::move(c));
  }
}

void read_files(const Json& root, bool require_hashes, PackManifest& m, JsonProblems& problems) {
  const auto it = root.find("files");
  if (it == root.end()) return problems.add("(top).files", "required, missing");
  if (!it->is_array() || it->empty()) {
    return problems.add("files", R"(expected a non-empty array of {"path": "..."})");
  }
  std::set<std::string> paths;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& entry = (*it)[i];
    const std::string path = fmt::format("files[{}]", i);
    if (!entry.is_object()) {
      problems.add(path, R"(expected {"path": "...", "sha256": "<hex>"})");
      continue;
    }
    reject_unknown_keys(entry, path, {"path", "sha256"}, problems);
    PackFile f;
    read_required(entry, "path", path, f.path, problems);
    if (require_hashes) {
      read_required(entry, "sha256", path, f.sha256, problems);
    } else {
      read(entry, "sha256", path, f.sha256, problems);
    }
    if (entry.contains("path") && entry["path"].is_string()) {
      if (const auto safe = check_pack_path(f.path); !safe) {
        problems.add(path + ".path", safe.error());
      } else if (!paths.insert(f.path).second) {
        problems.add(path + ".path", "file listed twice: " + f.path);
      }
    }
    if (!f.sha256.empty() && !is_hex_digest(f.sha256)) {
      problems.add(path + ".sha256", "expected 64 lower-case hex digits (a SHA-256 digest)");
    }
    m.files.push_back(std::move(f));
  }
}

}  // namespace

std::vector<std::string> PackManifest::plugin_files() const {
  std::vector<std::string> out;
  for (const PackFile& f : files) {
    if (f.path.ends_with(".so")) out.push_back(f.path);
  }
  return out;
}

std::vector<std::string> PackManifest::workflow_files() const {
  std::vector<std::string> out;
  for (const PackFile& f : files) {
    if (f.path.starts_with("workflows/") && f.path.ends_with(".json")) out.push_back(f.path);
  }
  return out;
}

std::expected<void, std::string> check_pack_path(std::string_view path) {
  if (path.empty()) return std::unexpected("expected a file path, found an empty one");
  if (path.front() == '/') {
    return std::unexpected(fmt::format("{}: absolute; expected a path inside the pack", path));
  }
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
    return std::unexpected(fmt::format("{}: expected '/' as the only separator", path));
  }
  size_t start = 0;
  while (start <= path.size()) {
    const size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      return std::unexpected(fmt::format("{}: '..' leaves the pack directory", path));
    }
    if (segment.empty() || segment == ".") {
      return std::unexpected(fmt::format("{}: empty or '.' segment; write the plain path", path));
    }
    start = end + 1;
  }
  if (path == kManifestName || path == kSignatureName) {
    return std::unexpected(fmt::format("{}: the manifest and its signature are not listed", path));
  }
  return {};
}

std::expected<PackManifest, std::vector<std::string>> parse_pack_manifest(
    std::string_view text, const std::filesystem::path& file, bool require_hashes) {
  auto parsed =
      parse_json_text(text, file, /*comments=*/false, "manifest.json is plain JSON, no comments");
  if (!parsed) return std::unexpected(std::vector<std::string>{parsed.error()});
  const Json root = std::move(*parsed);
  JsonProblems problems(file);
  if (!root.is_object()) {
    problems.add("(top)", "expected a JSON object");
    return std::unexpected(problems.take());
  }
  reject_unknown_keys(root, "(top)",
                      {"id", "name", "version", "publisher", "abi", "components", "files"},
                      problems);
  PackManifest m;
  read_required(root, "id", "(top)", m.id, problems);
  read_required(root, "name", "(top)", m.name, problems);
  read_required(root, "version", "(top)", m.version, problems);
  read_required(root, "publisher", "(top)", m.publisher, problems);
  if (root.contains("id") && root["id"].is_string() &&
      (m.id.empty() || m.id.size() > 64 || !std::ranges::all_of(m.id, is_id_char) ||
       m.id.front() == '-')) {
    problems.add("(top).id",
                 fmt::format("'{}' is no pack id: expected 1 to 64 of a-z, 0-9, _ and - (not "
                             "starting with -); it names the install directory",
                             m.id));
  }
  for (const auto& [key, value] :
       {std::pair{"name", &m.name}, {"version", &m.version}, {"publisher", &m.publisher}}) {
    if (root.contains(key) && root[key].is_string() && value->empty()) {
      problems.add(fmt::format("(top).{}", key), "must not be empty");
    }
  }
  std::string abi;
  read_required(root, "abi", "(top)", abi, problems);
  if (root.contains("abi") && root["abi"].is_string() &&
      !parse_abi(abi, m.abi_major, m.abi_minor)) {
    problems.add("(top).abi",
                 fmt::format("expected the plugin ABI the pack needs as \"major.minor\", e.g. "
                             "\"{}.{}\", found \"{}\"",
                             CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR, abi));
  }
  read_components(root, m, problems);
  read_files(root, require_hashes, m, problems);
  const std::vector<std::string> plugins = m.plugin_files();
  for (size_t i = 0; i < m.components.size(); ++i) {
    const std::string& component_file = m.components[i].file;
    if (!component_file.empty() && component_file.ends_with(".so") &&
        std::ranges::find(plugins, component_file) == plugins.end()) {
      problems.add(fmt::format("components[{}].file", i),
                   component_file + " is not among the pack's files");
    }
  }
  for (const std::string& plugin : plugins) {
    if (!check_pack_path(plugin)) continue;  // reported above already
    if (std::ranges::none_of(m.components,
                             [&](const PackComponent& c) { return c.file == plugin; })) {
      problems.add("components", plugin + " is listed in files but declares no component here");
    }
  }
  if (!problems.empty()) return std::unexpected(problems.take());
  return m;
}

std::expected<void, std::string> check_pack_abi(const PackManifest& manifest) {
  if (manifest.abi_major != CRMFLOW_ABI_MAJOR || manifest.abi_minor > CRMFLOW_ABI_MINOR) {
    return std::unexpected(fmt::format(
        "{}: abi: the pack needs plugin ABI {}.{}, this host speaks {}.{}{}", kManifestName,
        manifest.abi_major, manifest.abi_minor, CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR,
        manifest.abi_major == CRMFLOW_ABI_MAJOR ? "; upgrade crmflow" : ""));
  }
  return {};
}

}  // namespace crmflow
