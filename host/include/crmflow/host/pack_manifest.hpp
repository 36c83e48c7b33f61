// The manifest.json of an extension pack: what the pack is, which ABI it needs, which
// components its plugin files declare and which files belong to it (README "Extension packs").
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace crmflow {

struct PackComponent {
  std::string file;   // a plugin file of the pack, e.g. "membership.so"
  uint32_t kind = 0;  // CRMFLOW_KIND_*
  std::string name;
};

struct PackFile {
  std::string path;    // relative to the pack directory, '/'-separated, never "..", never absolute
  std::string sha256;  // lower-case hex; empty until `crmflow pack sign` wrote it
};

struct PackManifest {
  std::string id;  // [a-z0-9_-]+, also the name of the pack's directory under packs.dir
  std::string name;
  std::string version;
  std::string publisher;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  std::vector<PackComponent> components;
  std::vector<PackFile> files;

  // The plugin files (".so") and the workflow files ("workflows/*.json") among `files`.
  std::vector<std::string> plugin_files() const;
  std::vector<std::string> workflow_files() const;
};

inline constexpr std::string_view kManifestName = "manifest.json";
inline constexpr std::string_view kSignatureName = "manifest.sig";

// Parses and validates manifest text. `file` names the manifest in every problem, each
// "<file>: <JSON path>: <what is wrong>"; all problems are reported at once. With
// `require_hashes` every files entry needs its "sha256" (a signed manifest); without, a
// present one must still be 64 hex digits. Plain JSON: comments are a syntax error, since
// the signature covers the bytes as written. Does not touch the files the manifest lists.
std::expected<PackManifest, std::vector<std::string>> parse_pack_manifest(
    std::string_view text, const std::filesystem::path& file, bool require_hashes);

// Whether a pack needing ABI `major`.`minor` can run in this host (same major, host minor not
// lower); the error says which ABI the pack needs and which the host speaks.
std::expected<void, std::string> check_pack_abi(const PackManifest& manifest);

// Whether `path` is a safe relative path inside a pack: not empty, not absolute, no "..", "."
// or empty segment, no backslash, not the manifest or its signature. The error says why not.
std::expected<void, std::string> check_pack_path(std::string_view path);

}  // namespace crmflow
