// crmflow pack: keys, signing, verification and installation of extension packs; the work is
// done by crmflow/host/pack.hpp, this file only talks to the admin.
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "crmflow/host/pack.hpp"

namespace crmflow::cli {
namespace fs = std::filesystem;

namespace {

int keygen(const PackOptions& pack) {
  auto keys = generate_pack_key(pack.out, pack.comment);
  if (!keys) return report({keys.error()});
  std::cout << fmt::format(
      "key id {}\n  {}  secret: signs packs (crmflow pack sign --key); keep it private\n"
      "  {}  public: admins add it to packs.trusted_keys to trust what it signs\n",
      keys->key_id, keys->secret_file.string(), keys->public_file.string());
  return kExitOk;
}

int sign(const PackOptions& pack) {
  auto signed_pack = sign_pack(pack.dir, pack.key);
  if (!signed_pack) return report(signed_pack.error());
  const PackManifest& m = signed_pack->manifest;
  std::cout << fmt::format("{}: signed {} {} ({} files) with key {}; wrote {} and {}\n",
                           pack.dir.string(), m.id, m.version, m.files.size(), signed_pack->key_id,
                           kManifestName, kSignatureName);
  return kExitOk;
}

// The config's pack settings, or the problems reading it.
std::expected<HostConfig, std::vector<std::string>> config_of(const GlobalOptions& options) {
  return load_host_config(options.config);
}

std::string signer(const VerifiedPack& pack) {
  if (pack.key_id.empty()) return "UNSIGNED (packs.allow_unsigned)";
  return pack.key_comment.empty() ? pack.key_id : pack.key_id + " (" + pack.key_comment + ")";
}

int verify(const GlobalOptions& options, const PackOptions& pack) {
  PackPolicy policy;
  std::vector<std::string> problems;
  if (!pack.trusted.empty()) {
    policy.trusted_from = "the keys given with --trusted";
    for (const fs::path& file : pack.trusted) {
      auto key = read_public_key(file);
      if (key) {
        policy.trusted.push_back(std::move(*key));
      } else {
        problems.push_back(key.error());
      }
    }
  } else {
    auto config = config_of(options);
    if (!config) return report(config.error());
    policy = pack_policy(*config, problems);
  }
  if (!problems.empty()) return report(problems);
  auto verified = verify_pack(pack.dir, policy);
  if (!verified) {
    std::cerr << fmt::format("{}: refused: {}\n", pack.dir.string(), verified.error());
    return kExitProblems;
  }
  const PackManifest& m = verified->manifest;
  std::cout << fmt::format("{}: ok: {} {} by {}, signed by key {}, {} files verified\n",
                           pack.dir.string(), m.id, m.version, m.publisher, signer(*verified),
                           m.files.size());
  return kExitOk;
}

int install(const GlobalOptions& options, const PackOptions& pack) {
  auto config = config_of(options);
  if (!config) return report(config.error());
  if (config->packs.dir.empty()) {
    return report({config->file.string() +
                   ": packs.dir: not set; the config names no directory to install packs into"});
  }
  std::vector<std::string> problems;
  const PackPolicy policy = pack_policy(*config, problems);
  if (!problems.empty()) return report(problems);
  auto installed = install_pack(pack.dir, config->packs.dir, policy);
  if (!installed) {
    std::cerr << "refused: " << installed.error() << '\n';
    return kExitProblems;
  }
  const VerifiedPack& p = installed->pack;
  std::cout << fmt::format("installed {} {} by {} into {}{}\n  signed by key {}\n", p.manifest.id,
                           p.manifest.version, p.manifest.publisher, p.dir.string(),
                           installed->replaced_version.empty()
                               ? ""
                               : " (replacing version " + installed->replaced_version + ")",
                           signer(p));
  return kExitOk;
}

int list(const GlobalOptions& options) {
  auto config = config_of(options);
  if (!config) return report(config.error());
  std::vector<std::string> problems;
  const PackPolicy policy = pack_policy(*config, problems);
  for (const auto& problem : problems) std::cerr << "error: " << problem << '\n';
  bool all_ok = problems.empty();
  constexpr auto row = "{:<20} {:<10} {:<30} {:<20} {}\n";
  std::cout << fmt::format(row, "ID", "VERSION", "PUBLISHER", "SIGNER", "STATUS");
  for (const fs::path& dir : installed_pack_dirs(config->packs.dir)) {
    auto pack = verify_installed_pack(dir, policy);
    if (pack) {
      const PackManifest& m = pack->manifest;
      std::cout << fmt::format(row, m.id, m.version, m.publisher,
                               pack->key_id.empty() ? "UNSIGNED" : pack->key_id, "ok");
      continue;
    }
    all_ok = false;
    // What the unverified manifest claims, only to tell the admin which pack this is.
    std::ifstream in(dir / kManifestName, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    const auto claimed = parse_pack_manifest(text.str(), kManifestName, false);
    std::cout << fmt::format(row, dir.filename().string(), claimed ? claimed->version : "?",
                             claimed ? claimed->publisher : "?", "-", "refused: " + pack.error());
  }
  return all_ok ? kExitOk : kExitProblems;
}

}  // namespace

int pack_command(const GlobalOptions& options, const PackOptions& pack) {
  if (pack.action == "keygen") return keygen(pack);
  if (pack.action == "sign") return sign(pack);
  if (pack.action == "verify") return verify(options, pack);
  if (pack.action == "install") return install(options, pack);
  return list(options);
}

}  // namespace crmflow::cli
