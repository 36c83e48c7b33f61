#include "crmflow/host/pack.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include "crmflow/host/file_trust.hpp"
#include "crmflow/host/json_reader.hpp"

namespace crmflow {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPublicTag = "crmflow-ed25519";
constexpr std::string_view kSecretTag = "crmflow-ed25519-secret";
constexpr std::string_view kSignatureTag = "crmflow-pack-sig-v1";

// libsodium must be initialised once before use; later calls are cheap no-ops.
void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
}

std::string hex(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return hex(digest, sizeof digest);
}

std::string key_id_of(const std::array<unsigned char, 32>& key) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, key.data(), key.size());
  return hex(digest, 8);
}

std::string base64(const unsigned char* bytes, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// Decodes exactly `size` bytes; false for anything else.
bool unbase64(std::string_view text, unsigned char* out, size_t size) {
  size_t written = 0;
  return sodium_base642bin(out, size, text.data(), text.size(), nullptr, &written, nullptr,
                           sodium_base64_VARIANT_ORIGINAL) == 0 &&
         written == size;
}

// "<tag> <field> <rest of the line>" of a one-line key or signature file.
struct Line {
  std::string tag, field, rest;
};
Line split_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  Line line;
  const auto first = text.find(' ');
  line.tag = std::string(text.substr(0, first));
  if (first == std::string_view::npos) return line;
  text.remove_prefix(first + 1);
  const auto second = text.find(' ');
  line.field = std::string(text.substr(0, second));
  if (second != std::string_view::npos) line.rest = std::string(text.substr(second + 1));
  return line;
}

std::string errno_text() {
  return std::strerror(errno);
}

// Reads a whole regular file from `fd` and closes it.
std::expected<std::string, std::string> read_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(std::string("not a regular file"));
  }
  return read_and_close(fd);
}

// Reads a whole file through one descriptor; `O_NOFOLLOW` when the caller resolved links.
std::expected<std::string, std::string> read_all(const fs::path& file, int extra_flags = 0) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | extra_flags);
  if (fd < 0) return std::unexpected(errno_text());
  return read_fd(fd);
}

// Reads a file that nobody but root and the user running crmflow can have changed, nor any
// directory above it (file_trust.hpp): what a trusted key or an unsigned pack is, as nothing
// else vouches for its bytes.
std::expected<std::string, std::string> read_trusted(const fs::path& file) {
  const auto fd = open_trusted(file, current_trust_policy());
  if (!fd) return std::unexpected("refused: " + fd.error());
  return read_fd(*fd);
}

bool write_fd(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return ::fsync(fd) == 0;
}

// Creates `file` (never replacing one) with `mode` and writes `bytes`; the error says why.
std::expected<void, std::string> write_new(const fs::path& file, std::string_view bytes,
                                           mode_t mode) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return std::unexpected(errno_text());
  const bool ok = write_fd(fd, bytes);
  const std::string why = errno_text();
  ::close(fd);
  if (!ok) {
    ::unlink(file.c_str());
    return std::unexpected(why);
  }
  return {};
}

// Replaces `file` by a complete new one in a rename, so a reader sees the old or the new bytes.
std::expected<void, std::string> write_replacing(const fs::path& file, std::string_view bytes) {
  fs::path temp = file;
  temp += fmt::format(".tmp-{}", ::getpid());
  ::unlink(temp.c_str());
  if (auto written = write_new(temp, bytes, 0644); !written) return written;
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(temp.c_str());
    return std::unexpected(why);
  }
  return {};
}

std::string signed_message(std::string_view key_id, std::string_view manifest) {
  return fmt::format("{}\n{}\n{}", kSignatureTag, key_id, manifest);
}

struct SecretKey {
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> key{};
  PackPublicKey pub;
  ~SecretKey() { sodium_memzero(key.data(), key.size()); }
};

std::expected<void, std::string> read_secret_key(const fs::path& file, SecretKey& out) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return std::unexpected(fmt::format("{}: cannot read the key: {}", file.string(), errno_text()));
  }
  if ((st.st_mode & 077) != 0) {
    return std::unexpected(fmt::format(
        "{}: a secret key must be readable by its owner only (mode {:04o}); chmod 600 {}",
        file.string(), st.st_mode & 07777, file.string()));
  }
  auto text = read_all(file);
  if (!text) {
    return std::unexpected(fmt::format("{}: cannot read the key: {}", file.string(), text.error()));
  }
  const Line line = split_line(*text);
  sodium_memzero(text->data(), text->size());
  if (line.tag != kSecretTag || !unbase64(line.field, out.key.data(), out.key.size())) {
    return std::unexpected(fmt::format(
        "{}: not a crmflow secret key (expected \"{} <base64> <comment>\", made by crmflow pack "
        "keygen)",
        file.string(), kSecretTag));
  }
  crypto_sign_ed25519_sk_to_pk(out.pub.key.data(), out.key.data());
  out.pub.id = key_id_of(out.pub.key);
  out.pub.comment = line.rest;
  return {};
}

// The canonical pack directory, or why there is none.
std::expected<fs::path, std::string> pack_root(const fs::path& dir) {
  std::error_code ec;
  fs::path root = fs::canonical(dir, ec);
  if (ec)
    return std::unexpected(fmt::format("{}: no pack directory: {}", dir.string(), ec.message()));
  if (!fs::is_directory(root, ec)) {
    return std::unexpected(fmt::format("{}: not a directory", dir.string()));
  }
  return root;
}

// The bytes of a listed file, which must lie inside the pack directory even through links.
std::expected<std::string, std::string> read_listed(const fs::path& root, const std::string& path,
                                                    bool has_signature) {
  const fs::path file = root / path;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(file, ec))) {
    return std::unexpected(fmt::format("{}: missing, but listed in manifest.json{}", path,
                                       has_signature ? " (removed after signing)" : ""));
  }
  const fs::path real = fs::canonical(file, ec);
  if (ec) return std::unexpected(fmt::format("{}: cannot be resolved: {}", path, ec.message()));
  const fs::path inside = real.lexically_relative(root);
  if (inside.empty() || *inside.begin() == "..") {
    return std::unexpected(fmt::format("{}: a symlink leading out of the pack directory (to {})",
                                       path, real.string()));
  }
  // Unsigned, the file is only as good as the hands that could change it.
  auto bytes = has_signature ? read_all(real, O_NOFOLLOW) : read_trusted(real);
  if (!bytes) return std::unexpected(fmt::format("{}: cannot be read: {}", path, bytes.error()));
  return bytes;
}

// Files in the pack directory the manifest does not list (its own two files aside).
std::vector<std::string> unlisted_files(const fs::path& root, const PackManifest& manifest) {
  std::set<std::string> listed{std::string(kManifestName), std::string(kSignatureName)};
  for (const PackFile& f : manifest.files) listed.insert(f.path);
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->symlink_status(ec).type() == fs::file_type::directory) continue;
    const std::string rel = it->path().lexically_relative(root).generic_string();
    if (!listed.contains(rel)) out.push_back(rel);
  }
  std::ranges::sort(out);
  return out;
}

std::string join(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

std::expected<PackKeyFiles, std::string> generate_pack_key(const fs::path& base,
                                                           const std::string& comment) {
  init_sodium();
  if (comment.find_first_of("\r\n") != std::string::npos) {
    return std::unexpected(std::string("--comment: must be one line"));
  }
  PackKeyFiles files{fs::path(base.string() + ".key"), fs::path(base.string() + ".pub"), ""};
  // Checked first so that neither file is touched; O_EXCL below still guards against a race.
  for (const fs::path& file : {files.secret_file, files.public_file}) {
    std::error_code ec;
    if (fs::exists(fs::symlink_status(file, ec))) {
      return std::unexpected(
          fmt::format("{}: exists already; keygen never overwrites a key", file.string()));
    }
  }
  PackPublicKey pub;
  SecretKey secret;
  crypto_sign_keypair(pub.key.data(), secret.key.data());
  files.key_id = key_id_of(pub.key);
  const std::string label = comment.empty() ? base.filename().string() : comment;

  std::string secret_line =
      fmt::format("{} {} {}\n", kSecretTag, base64(secret.key.data(), secret.key.size()), label);
  const auto wrote_secret = write_new(files.secret_file, secret_line, 0600);
  sodium_memzero(secret_line.data(), secret_line.size());
  if (!wrote_secret) {
    return std::unexpected(fmt::format("{}: cannot create the secret key: {}",
                                       files.secret_file.string(), wrote_secret.error()));
  }
  const std::string public_line =
      fmt::format("{} {} {}\n", kPublicTag, base64(pub.key.data(), pub.key.size()), label);
  if (const auto wrote = write_new(files.public_file, public_line, 0644); !wrote) {
    ::unlink(files.secret_file.c_str());  // ours: made a moment ago, useless without its .pub
    return std::unexpected(fmt::format("{}: cannot create the public key: {}",
                                       files.public_file.string(), wrote.error()));
  }
  return files;
}

std::expected<PackPublicKey, std::string> read_public_key(const fs::path& file) {
  init_sodium();
  // Whoever can change a trusted key can sign packs.
  auto text = read_trusted(file);
  if (!text) {
    return std::unexpected(
        fmt::format("{}: cannot read the public key: {}", file.string(), text.error()));
  }
  const Line line = split_line(*text);
  PackPublicKey key;
  if (line.tag != kPublicTag || !unbase64(line.field, key.key.data(), key.key.size())) {
    return std::unexpected(fmt::format(
        "{}: not a crmflow public key (expected \"{} <base64> <comment>\", the .pub file of "
        "crmflow pack keygen)",
        file.string(), kPublicTag));
  }
  key.id = key_id_of(key.key);
  key.comment = line.rest;
  key.file = file;
  return key;
}

PackPolicy pack_policy(const HostConfig& config, std::vector<std::string>& problems) {
  PackPolicy policy;
  policy.allow_unsigned = config.packs.allow_unsigned;
  policy.trusted_from = "packs.trusted_keys in " + config.file.string();
  for (size_t i = 0; i < config.packs.trusted_keys.size(); ++i) {
    auto key = read_public_key(config.packs.trusted_keys[i]);
    if (key) {
      policy.trusted.push_back(std::move(*key));
    } else {
      problems.push_back(
          fmt::format("{}: packs.trusted_keys[{}]: {}", config.file.string(), i, key.error()));
    }
  }
  return policy;
}

std::expected<SignedPack, std::vector<std::string>> sign_pack(const fs::path& dir,
                                                              const fs::path& secret_key_file) {
  init_sodium();
  SecretKey secret;
  if (auto read = read_secret_key(secret_key_file, secret); !read) {
    return std::unexpected(std::vector<std::string>{read.error()});
  }
  const auto root = pack_root(dir);
  if (!root) return std::unexpected(std::vector<std::string>{root.error()});
  const fs::path manifest_file = *root / kManifestName;
  const auto text = read_all(manifest_file);
  if (!text) {
    return std::unexpected(std::vector<std::string>{
        fmt::format("{}: cannot read the manifest: {}", manifest_file.string(), text.error())});
  }
  auto manifest = parse_pack_manifest(*text, manifest_file, /*require_hashes=*/false);
  if (!manifest) return std::unexpected(std::move(manifest.error()));

  std::vector<std::string> problems;
  for (const std::string& extra : unlisted_files(*root, *manifest)) {
    problems.push_back(fmt::format(
        "{}: in the pack directory but not listed in manifest.json (list it under files, or "
        "remove it)",
        (*root / extra).string()));
  }
  Json json = Json::parse(*text);
  for (size_t i = 0; i < manifest->files.size(); ++i) {
    PackFile& file = manifest->files[i];
    const auto bytes = read_listed(*root, file.path, /*has_signature=*/false);
    if (!bytes) {
      problems.push_back(
          fmt::format("{}: files[{}]: {}", manifest_file.string(), i, bytes.error()));
      continue;
    }
    file.sha256 = sha256_hex(*bytes);
    json["files"][i]["sha256"] = file.sha256;
  }
  if (!problems.empty()) return std::unexpected(std::move(problems));

  const std::string signed_manifest = json.dump(2) + "\n";
  unsigned char signature[crypto_sign_BYTES];
  const std::string message = signed_message(secret.pub.id, signed_manifest);
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret.key.data());
  const std::string sig_line =
      fmt::format("{} {} {}\n", kSignatureTag, secret.pub.id, base64(signature, sizeof signature));
  // An interrupted signing leaves a manifest.json its old manifest.sig does not match, which
  // fails verification: no half-signed pack passes.
  const fs::path sig_file = *root / kSignatureName;
  if (auto wrote = write_replacing(manifest_file, signed_manifest); !wrote) {
    return std::unexpected(std::vector<std::string>{
        fmt::format("{}: cannot write: {}", manifest_file.string(), wrote.error())});
  }
  if (auto wrote = write_replacing(sig_file, sig_line); !wrote) {
    return std::unexpected(std::vector<std::string>{
        fmt::format("{}: cannot write: {}", sig_file.string(), wrote.error())});
  }
  return SignedPack{std::move(*manifest), secret.pub.id};
}

std::expected<VerifiedPack, std::string> verify_pack(const fs::path& dir,
                                                     const PackPolicy& policy) {
  init_sodium();
  const auto root = pack_root(dir);
  if (!root) return std::unexpected(root.error());
  VerifiedPack pack;
  pack.dir = dir;

  auto manifest_text = read_all(*root / kManifestName, O_NOFOLLOW);
  if (!manifest_text) {
    return std::unexpected(fmt::format("{}: cannot be read ({}): not a pack directory",
                                       kManifestName, manifest_text.error()));
  }
  pack.manifest_bytes = std::move(*manifest_text);

  std::error_code ec;
  const fs::path sig_file = *root / kSignatureName;
  const bool has_signature = fs::exists(fs::symlink_status(sig_file, ec));
  if (!has_signature && !policy.allow_unsigned) {
    return std::unexpected(fmt::format(
        "{}: missing: the pack is not signed (crmflow pack sign); unsigned packs load only with "
        "packs.allow_unsigned, which is for plugin development",
        kSignatureName));
  }
  if (!has_signature) {
    if (auto trusted = read_trusted(*root / kManifestName); !trusted) {
      return std::unexpected(fmt::format("{}: unsigned and {}", kManifestName, trusted.error()));
    }
  }
  if (has_signature) {
    auto sig_text = read_all(sig_file, O_NOFOLLOW);
    if (!sig_text) {
      return std::unexpected(
          fmt::format("{}: cannot be read: {}", kSignatureName, sig_text.error()));
    }
    pack.signature_bytes = *sig_text;
    const Line line = split_line(*sig_text);
    unsigned char signature[crypto_sign_BYTES];
    if (line.tag != kSignatureTag || line.field.size() != 16 || line.rest.empty() ||
        !unbase64(line.rest, signature, sizeof signature)) {
      return std::unexpected(
          fmt::format("{}: not a crmflow pack signature (expected \"{} <key id> <base64>\")",
                      kSignatureName, kSignatureTag));
    }
    const auto key = std::ranges::find(policy.trusted, line.field, &PackPublicKey::id);
    if (key == policy.trusted.end()) {
      return std::unexpected(
          fmt::format("{}: signed by key {}, which is not among the trusted keys ({})",
                      kSignatureName, line.field, policy.trusted_from));
    }
    const std::string message = signed_message(key->id, pack.manifest_bytes);
    if (crypto_sign_verify_detached(signature,
                                    reinterpret_cast<const unsigned char*>(message.data()),
                                    message.size(), key->key.data()) != 0) {
      return std::unexpected(
          fmt::format("{}: signature does not match {} (manifest changed after signing)",
                      kSignatureName, kManifestName));
    }
    pack.key_id = key->id;
    pack.key_comment = key->comment;
  }

  auto manifest = parse_pack_manifest(pack.manifest_bytes, kManifestName, has_signature);
  if (!manifest) return std::unexpected(join(manifest.error()));
  pack.manifest = std::move(*manifest);
  if (auto abi = check_pack_abi(pack.manifest); !abi) return std::unexpected(abi.error());

  const auto extra = unlisted_files(*root, pack.manifest);
  if (!extra.empty()) {
    return std::unexpected(fmt::format("{}: not listed in {}{}", extra.front(), kManifestName,
                                       has_signature ? " (added after signing)" : ""));
  }
  for (const PackFile& file : pack.manifest.files) {
    auto bytes = read_listed(*root, file.path, has_signature);
    if (!bytes) return std::unexpected(bytes.error());
    if (!file.sha256.empty() && sha256_hex(*bytes) != file.sha256) {
      return std::unexpected(fmt::format("{}: sha256 differs from {} (file changed after signing)",
                                         file.path, kManifestName));
    }
    pack.contents.emplace(file.path, std::move(*bytes));
  }
  return pack;
}

std::expected<VerifiedPack, std::string> verify_installed_pack(const fs::path& dir,
                                                               const PackPolicy& policy) {
  auto pack = verify_pack(dir, policy);
  if (pack && pack->manifest.id != dir.filename().string()) {
    return std::unexpected(fmt::format(
        "{}: id is '{}' but the pack is installed as '{}' (install packs with crmflow pack "
        "install)",
        kManifestName, pack->manifest.id, dir.filename().string()));
  }
  return pack;
}

std::expected<InstalledPack, std::string> install_pack(const fs::path& source,
                                                       const fs::path& packs_dir,
                                                       const PackPolicy& policy) {
  auto verified = verify_pack(source, policy);
  if (!verified) return std::unexpected(source.string() + ": " + verified.error());
  const PackManifest& manifest = verified->manifest;

  std::error_code ec;
  fs::create_directories(packs_dir, ec);
  if (ec) {
    return std::unexpected(
        fmt::format("{}: cannot create the packs directory: {}", packs_dir.string(), ec.message()));
  }
  // In packs.dir itself, so the final rename never crosses a file system; the leading dot keeps
  // the loader away from it.
  const fs::path temp = packs_dir / fmt::format(".install-{}-{}", manifest.id, ::getpid());
  fs::remove_all(temp, ec);
  const auto fail = [&](std::string why) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    return std::unexpected(std::move(why));
  };
  if (!fs::create_directory(temp, ec)) {
    return fail(fmt::format("{}: cannot create: {}", temp.string(), ec.message()));
  }
  std::vector<std::pair<std::string, const std::string*>> writes{
      {std::string(kManifestName), &verified->manifest_bytes}};
  if (!verified->signature_bytes.empty()) {
    writes.emplace_back(std::string(kSignatureName), &verified->signature_bytes);
  }
  for (const auto& [path, bytes] : verified->contents) writes.emplace_back(path, &bytes);
  for (const auto& [path, bytes] : writes) {
    const fs::path target = temp / path;
    fs::create_directories(target.parent_path(), ec);
    if (auto wrote = write_new(target, *bytes, 0644); ec || !wrote) {
      return fail(
          fmt::format("{}: cannot write: {}", target.string(), ec ? ec.message() : wrote.error()));
    }
  }
  auto copy = verify_pack(temp, policy);
  if (!copy)
    return fail(fmt::format("{}: the copy fails verification: {}", temp.string(), copy.error()));

  InstalledPack installed{std::move(*copy), ""};
  const fs::path target = packs_dir / manifest.id;
  installed.pack.dir = target;
  if (fs::exists(fs::symlink_status(target, ec))) {
    if (auto old = read_all(target / kManifestName)) {
      if (auto old_manifest = parse_pack_manifest(*old, kManifestName, false)) {
        installed.replaced_version = old_manifest->version;
      }
    }
    // One step: readers see the old pack or the new one, never neither.
    if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
      return fail(
          fmt::format("{}: cannot replace the installed pack: {}", target.string(), errno_text()));
    }
    fs::remove_all(temp, ec);  // now the old version
  } else if (::rename(temp.c_str(), target.c_str()) != 0) {
    return fail(fmt::format("{}: cannot install: {}", target.string(), errno_text()));
  }
  if (const int fd = ::open(packs_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  return installed;
}

std::vector<fs::path> installed_pack_dirs(const fs::path& packs_dir) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (auto it = fs::directory_iterator(packs_dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->path().filename().string().starts_with('.')) continue;
    if (it->is_directory(ec)) dirs.push_back(it->path());
  }
  std::ranges::sort(dirs);
  return dirs;
}

}  // namespace crmflow
