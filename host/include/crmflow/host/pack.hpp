// Signed extension packs: keys, signing, verification, installation (README "Extension
// packs"). A pack is a directory with manifest.json (pack_manifest.hpp), manifest.sig and the
// files the manifest lists. Nothing here loads code: the host loads a pack's plugins only from
// the bytes verify_pack returns (enabled_plugins.hpp).
//
// Formats, each one line of text ending in '\n':
//   <base>.pub    "crmflow-ed25519 <base64 of the 32-byte public key> <comment>"
//   <base>.key    "crmflow-ed25519-secret <base64 of libsodium's 64-byte secret key> <comment>"
//                 (mode 0600; refused when group or others may read it)
//   manifest.sig  "crmflow-pack-sig-v1 <key id> <base64 of the 64-byte Ed25519 signature>"
// The signature covers "crmflow-pack-sig-v1\n<key id>\n" followed by the exact bytes of
// manifest.json, which hold the SHA-256 of every listed file. A key id is the first 16 hex
// digits of the SHA-256 of the 32-byte public key.
#pragma once

#include <array>
#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/pack_manifest.hpp"

namespace crmflow {

struct PackPublicKey {
  std::array<unsigned char, 32> key{};
  std::string id;  // 16 hex digits
  std::string comment;
  std::filesystem::path file;  // where it was read from; empty for a key made in memory
};

struct PackKeyFiles {
  std::filesystem::path secret_file;  // <base>.key
  std::filesystem::path public_file;  // <base>.pub
  std::string key_id;
};

// Makes a new Ed25519 key pair and writes <base>.key (created 0600, O_EXCL) and <base>.pub
// (O_EXCL too). Never overwrites: an existing file is an error naming it, and then neither
// file is left behind. `comment` (one line) ends the .pub line; empty: "<base name>".
std::expected<PackKeyFiles, std::string> generate_pack_key(const std::filesystem::path& base,
                                                           const std::string& comment);

// Reads a .pub file; the error names the file and what is wrong with it. Whoever can change a
// trusted key can sign packs, so the file and every directory above it must be trusted
// (file_trust.hpp: owned by root or the user running crmflow, writable by nobody else).
std::expected<PackPublicKey, std::string> read_public_key(const std::filesystem::path& file);

// The policy packs are verified against.
struct PackPolicy {
  std::vector<PackPublicKey> trusted;
  std::string trusted_from;  // for messages, e.g. "packs.trusted_keys in /etc/crmflow.json"
  bool allow_unsigned = false;
};

// The trusted keys and allow_unsigned of a host config. Problems (a key file that cannot be
// read) name the config file and packs.trusted_keys[i]; the keys that could be read are in
// the policy all the same.
PackPolicy pack_policy(const HostConfig& config, std::vector<std::string>& problems);

// Hashes every file the manifest at `dir` lists, writes the hashes into manifest.json and
// signs it into manifest.sig with the secret key file. Refuses (and writes nothing) on any
// problem: an invalid manifest (each problem names manifest.json and the JSON path), a listed
// path that is unsafe, missing or leads out of the directory (a symlink), a file in the
// directory that is not listed, an unreadable or group-readable key.
struct SignedPack {
  PackManifest manifest;
  std::string key_id;
};
std::expected<SignedPack, std::vector<std::string>> sign_pack(
    const std::filesystem::path& dir, const std::filesystem::path& secret_key_file);

// A pack that passed verification, with the very bytes that were hashed: load these, never
// the files again (they could have changed since).
struct VerifiedPack {
  std::filesystem::path dir;
  PackManifest manifest;
  std::string key_id;  // empty: unsigned, accepted only through allow_unsigned
  std::string key_comment;
  std::string manifest_bytes;
  std::string signature_bytes;                  // empty when unsigned
  std::map<std::string, std::string> contents;  // manifest path → bytes
};

// Verifies the pack at `dir`: manifest.sig by a trusted key over manifest.json (unless the
// pack is unsigned and the policy allows that), the manifest, the ABI it needs, the SHA-256 of
// every listed file, and that no unlisted file is in the directory. The error is one line
// naming the file at fault and why, e.g. "canary.so: sha256 differs from manifest.json (file
// changed after signing)"; the caller names the pack directory. Reads each file once. An
// unsigned pack's files are vouched for by nothing but the file system: each of them and every
// directory above must be trusted (file_trust.hpp), as a plugin file outside a pack.
std::expected<VerifiedPack, std::string> verify_pack(const std::filesystem::path& dir,
                                                     const PackPolicy& policy);

// verify_pack for a pack installed under packs.dir: its directory name must also be its id.
std::expected<VerifiedPack, std::string> verify_installed_pack(const std::filesystem::path& dir,
                                                               const PackPolicy& policy);

// Verifies the pack at `source`, copies the verified bytes into a new directory inside
// `packs_dir`, verifies that copy and then puts it in place as packs_dir/<id> in one rename
// (an exchange when an older version is installed, which is then removed). On any error
// nothing changes under packs_dir/<id>. `replaced_version` is the version it replaced, if any.
struct InstalledPack {
  VerifiedPack pack;
  std::string replaced_version;
};
std::expected<InstalledPack, std::string> install_pack(const std::filesystem::path& source,
                                                       const std::filesystem::path& packs_dir,
                                                       const PackPolicy& policy);

// The pack directories under packs_dir (names starting with '.' are install leftovers and
// skipped), sorted by name; none when the directory does not exist.
std::vector<std::filesystem::path> installed_pack_dirs(const std::filesystem::path& packs_dir);

}  // namespace crmflow
