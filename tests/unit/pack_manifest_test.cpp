// Extension packs without a database: what a partner is told for each manifest mistake (file,
// JSON path, what was expected), the ABI rule, signing and verifying a pack in a temporary
// directory (a changed file, a changed manifest, an untrusted key), and loading a pack's
// plugin from its verified bytes through a sealed memfd.
#define BOOST_TEST_MODULE pack_manifest_test
#include <crmflow/abi.h>
#include <fmt/format.h>
#include <unistd.h>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "crmflow/host/pack.hpp"
#include "crmflow/host/pack_manifest.hpp"
#include "test_support.hpp"

using namespace crmflow;
namespace fs = std::filesystem;

namespace {

const fs::path kFile = "/packs/membership/manifest.json";

std::string host_abi() {
  return fmt::format("{}.{}", CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR);
}

std::string valid_manifest(const std::string& abi = host_abi()) {
  return fmt::format(R"({{
  "id": "membership", "name": "Member onboarding", "version": "1.0.0",
  "publisher": "Example Verein Software GmbH", "abi": "{}",
  "components": [{{"file": "membership.so", "kind": "action", "name": "welcome"}},
                 {{"file": "membership.so", "kind": "condition", "name": "is_member"}}],
  "files": [{{"path": "membership.so"}}, {{"path": "workflows/onboarding.json"}},
            {{"path": "README.txt"}}]
}})",
                     abi);
}

std::vector<std::string> problems_of(std::string_view text, bool require_hashes = false) {
  auto manifest = parse_pack_manifest(text, kFile, require_hashes);
  BOOST_TEST_REQUIRE(!manifest.has_value(), "the manifest was accepted: " << text);
  for (const auto& p : manifest.error()) BOOST_TEST_MESSAGE(p);
  return manifest.error();
}

bool contains(const std::vector<std::string>& problems, const std::string& problem) {
  return std::ranges::find(problems, problem) != problems.end();
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& file, std::string_view text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

// A temporary directory, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / fmt::format("crmflow-pack-test-{}", ::getpid());
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

// A pack of the canary test plugin and one workflow, with its source manifest.
void stage_canary_pack(const fs::path& dir, const std::string& version = "1.0.0") {
  fs::create_directories(dir / "workflows");
  fs::copy_file(test::kTestPluginDir / "canary.so", dir / "canary.so",
                fs::copy_options::overwrite_existing);
  write_file(dir / "workflows/sing.json",
             R"({"id": "sing", "module": "Leads", "actions": [{"plugin": "canary_sing"}]})");
  write_file(dir / "manifest.json",
             fmt::format(R"({{"id": "canary", "name": "Canary", "version": "{}",
 "publisher": "Test", "abi": "{}",
 "components": [{{"file": "canary.so", "kind": "action", "name": "canary_sing"}}],
 "files": [{{"path": "canary.so"}}, {{"path": "workflows/sing.json"}}]}})",
                         version, host_abi()));
}

PackPolicy trusting(const fs::path& pub) {
  auto key = read_public_key(pub);
  BOOST_TEST_REQUIRE(key.has_value(), key.error());
  return PackPolicy{{*key}, "the test's keys", false};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(manifest)

BOOST_AUTO_TEST_CASE(a_valid_manifest_parses) {
  const auto m = parse_pack_manifest(valid_manifest(), kFile, false);
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->id == "membership");
  BOOST_TEST(m->abi_major == static_cast<uint32_t>(CRMFLOW_ABI_MAJOR));
  BOOST_TEST(m->components.size() == 2u);
  BOOST_TEST(m->components[1].kind == static_cast<uint32_t>(CRMFLOW_KIND_CONDITION));
  BOOST_TEST(m->plugin_files() == std::vector<std::string>{"membership.so"});
  BOOST_TEST(m->workflow_files() == std::vector<std::string>{"workflows/onboarding.json"});
}

BOOST_AUTO_TEST_CASE(comments_are_a_syntax_error_with_line_and_column) {
  const auto problems = problems_of("{\n  // the id\n  \"id\": \"x\"\n}");
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(problems[0].starts_with(
                 "/packs/membership/manifest.json:2:3: invalid JSON (manifest.json is plain "
                 "JSON, no comments):"),
             problems[0]);
}

BOOST_AUTO_TEST_CASE(every_problem_is_named_with_its_json_path) {
  const auto problems = problems_of(R"({
    "id": "Member Ship", "version": "", "publisher": "P", "abi": "one", "extra": 1,
    "components": [{"file": "membership.so", "kind": "widget", "name": "a"},
                   {"file": "other.so", "kind": "action", "name": "a"},
                   {"file": "lib.dll", "kind": "action", "name": "b"}, 7],
    "files": [{"path": "membership.so", "sha256": "XYZ"}, {"path": "../escape.so"},
              {"path": "/etc/passwd"}, {"path": "membership.so"}, {"path": "manifest.sig"},
              {"path": "a//b"}, {"size": 3}]
  })");
  const std::string f = kFile.string() + ": ";
  for (const std::string& expected : {
           f + "(top).extra: unknown setting; expected one of: id, name, version, publisher, abi, "
               "components, files",
           f + "(top).id: 'Member Ship' is no pack id: expected 1 to 64 of a-z, 0-9, _ and - "
               "(not starting with -); it names the install directory",
           f + "(top).name: required, missing",
           f + "(top).version: must not be empty",
           f + "(top).abi: expected the plugin ABI the pack needs as \"major.minor\", e.g. \"" +
               host_abi() + "\", found \"one\"",
           f + "components[0].kind: expected trigger, condition or action, found widget",
           f + "components[1].name: component listed twice: a",
           f + "components[2].file: expected a plugin file name ending in .so, found lib.dll",
           f + "components[3]: expected {\"file\": \"<x>.so\", \"kind\": \"action\", \"name\": "
               "\"...\"}",
           f + "components[1].file: other.so is not among the pack's files",
           f + "files[0].sha256: expected 64 lower-case hex digits (a SHA-256 digest)",
           f + "files[1].path: ../escape.so: '..' leaves the pack directory",
           f + "files[2].path: /etc/passwd: absolute; expected a path inside the pack",
           f + "files[3].path: file listed twice: membership.so",
           f + "files[4].path: manifest.sig: the manifest and its signature are not listed",
           f + "files[5].path: a//b: empty or '.' segment; write the plain path",
           f + "files[6].size: unknown setting; expected one of: path, sha256",
           f + "files[6].path: required, missing",
       }) {
    BOOST_TEST(contains(problems, expected), "missing: " << expected);
  }
}

BOOST_AUTO_TEST_CASE(a_signed_manifest_needs_every_hash) {
  const auto problems = problems_of(valid_manifest(), /*require_hashes=*/true);
  BOOST_TEST(problems.size() == 3u);
  BOOST_TEST(contains(problems, kFile.string() + ": files[0].sha256: required, missing"));
}

BOOST_AUTO_TEST_CASE(a_plugin_file_must_declare_components) {
  const auto problems = problems_of(R"({"id": "x", "name": "X", "version": "1", "publisher": "P",
    "abi": "1.0", "components": [], "files": [{"path": "x.so"}]})");
  BOOST_TEST(contains(problems, kFile.string() +
                                    ": components: x.so is listed in files but declares no "
                                    "component here"));
}

BOOST_AUTO_TEST_CASE(the_abi_rule) {
  const auto with_abi = [](const std::string& abi) {
    auto m = parse_pack_manifest(valid_manifest(abi), kFile, false);
    BOOST_TEST_REQUIRE(m.has_value());
    return check_pack_abi(*m);
  };
  BOOST_TEST(with_abi(host_abi()).has_value());
  BOOST_TEST(with_abi(fmt::format("{}.0", CRMFLOW_ABI_MAJOR)).has_value());
  const auto newer = with_abi(fmt::format("{}.{}", CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR + 1));
  BOOST_TEST_REQUIRE(!newer.has_value());
  BOOST_TEST(newer.error() ==
             fmt::format("manifest.json: abi: the pack needs plugin ABI {}.{}, this host speaks "
                         "{}.{}; upgrade crmflow",
                         CRMFLOW_ABI_MAJOR, CRMFLOW_ABI_MINOR + 1, CRMFLOW_ABI_MAJOR,
                         CRMFLOW_ABI_MINOR));
  BOOST_TEST(!with_abi(fmt::format("{}.0", CRMFLOW_ABI_MAJOR + 1)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signing)

BOOST_AUTO_TEST_CASE(sign_verify_and_the_three_refusals) {
  TempDir tmp;
  const auto partner = generate_pack_key(tmp.path / "partner", "Partner");
  const auto stranger = generate_pack_key(tmp.path / "stranger", "");
  BOOST_TEST_REQUIRE(partner.has_value(), partner.error());
  BOOST_TEST_REQUIRE(stranger.has_value(), stranger.error());
  const auto mode = fs::status(partner->secret_file).permissions() & fs::perms::all;
  BOOST_TEST((mode == (fs::perms::owner_read | fs::perms::owner_write)));
  BOOST_TEST(!generate_pack_key(tmp.path / "partner", "again").has_value());
  BOOST_TEST(partner->key_id.size() == 16u);

  const fs::path pack = tmp.path / "canary";
  stage_canary_pack(pack);
  const auto signed_pack = sign_pack(pack, partner->secret_file);
  BOOST_TEST_REQUIRE(signed_pack.has_value());
  BOOST_TEST(signed_pack->key_id == partner->key_id);

  const PackPolicy policy = trusting(partner->public_file);
  const auto verified = verify_pack(pack, policy);
  BOOST_TEST_REQUIRE(verified.has_value(), verified.error());
  BOOST_TEST(verified->key_id == partner->key_id);
  BOOST_TEST(verified->contents.at("canary.so") == read_file(pack / "canary.so"));

  // Untrusted signer.
  const auto untrusted = verify_pack(pack, trusting(stranger->public_file));
  BOOST_TEST_REQUIRE(!untrusted.has_value());
  BOOST_TEST(untrusted.error() == "manifest.sig: signed by key " + partner->key_id +
                                      ", which is not among the trusted keys (the test's keys)");

  // A changed manifest.
  const std::string manifest = read_file(pack / "manifest.json");
  std::string bumped = manifest;
  bumped.replace(bumped.find("1.0.0"), 5, "1.0.1");
  write_file(pack / "manifest.json", bumped);
  BOOST_TEST(verify_pack(pack, policy).error() ==
             "manifest.sig: signature does not match manifest.json (manifest changed after "
             "signing)");
  write_file(pack / "manifest.json", manifest);

  // A changed byte.
  const std::string library = read_file(pack / "canary.so");
  std::string changed = library;
  changed[changed.size() / 2] ^= 1;
  write_file(pack / "canary.so", changed);
  BOOST_TEST(verify_pack(pack, policy).error() ==
             "canary.so: sha256 differs from manifest.json (file changed after signing)");
  write_file(pack / "canary.so", library);

  // An added file.
  write_file(pack / "workflows/extra.json", "{}");
  BOOST_TEST(verify_pack(pack, policy).error() ==
             "workflows/extra.json: not listed in manifest.json (added after signing)");
  fs::remove(pack / "workflows/extra.json");

  // Unsigned: refused, unless allowed.
  fs::remove(pack / "manifest.sig");
  BOOST_TEST(verify_pack(pack, policy)
                 .error()
                 .starts_with("manifest.sig: missing: the pack is not signed"));
  PackPolicy development = policy;
  development.allow_unsigned = true;
  const auto unsigned_pack = verify_pack(pack, development);
  BOOST_TEST_REQUIRE(unsigned_pack.has_value(), unsigned_pack.error());
  BOOST_TEST(unsigned_pack->key_id.empty());
}

BOOST_AUTO_TEST_CASE(a_symlink_out_of_the_pack_is_refused) {
  TempDir tmp;
  const auto key = generate_pack_key(tmp.path / "k", "");
  BOOST_TEST_REQUIRE(key.has_value());
  const fs::path pack = tmp.path / "canary";
  stage_canary_pack(pack);
  fs::rename(pack / "workflows/sing.json", tmp.path / "outside.json");
  fs::create_symlink(tmp.path / "outside.json", pack / "workflows/sing.json");
  const auto signed_pack = sign_pack(pack, key->secret_file);
  BOOST_TEST_REQUIRE(!signed_pack.has_value());
  BOOST_TEST(signed_pack.error().front().find(
                 "files[1]: workflows/sing.json: a symlink leading out of the pack directory") !=
                 std::string::npos,
             signed_pack.error().front());
}

BOOST_AUTO_TEST_CASE(install_replaces_an_older_version) {
  TempDir tmp;
  const auto key = generate_pack_key(tmp.path / "k", "");
  BOOST_TEST_REQUIRE(key.has_value());
  const PackPolicy policy = trusting(key->public_file);
  const fs::path source = tmp.path / "src";
  stage_canary_pack(source, "1.0.0");
  BOOST_TEST_REQUIRE(sign_pack(source, key->secret_file).has_value());
  const auto first = install_pack(source, tmp.path / "packs", policy);
  BOOST_TEST_REQUIRE(first.has_value(), first.error());
  BOOST_TEST(first->replaced_version.empty());
  stage_canary_pack(source, "2.0.0");
  BOOST_TEST_REQUIRE(sign_pack(source, key->secret_file).has_value());
  const auto second = install_pack(source, tmp.path / "packs", policy);
  BOOST_TEST_REQUIRE(second.has_value(), second.error());
  BOOST_TEST(second->replaced_version == "1.0.0");
  BOOST_TEST(installed_pack_dirs(tmp.path / "packs") ==
             std::vector<fs::path>{tmp.path / "packs/canary"});
  const auto installed = verify_installed_pack(tmp.path / "packs/canary", policy);
  BOOST_TEST_REQUIRE(installed.has_value(), installed.error());
  BOOST_TEST(installed->manifest.version == "2.0.0");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sealed_loading)

BOOST_AUTO_TEST_CASE(a_pack_plugin_runs_from_a_sealed_memfd) {
  TempDir tmp;
  const fs::path pack = tmp.path / "canary";
  stage_canary_pack(pack);
  auto manifest = parse_pack_manifest(read_file(pack / "manifest.json"), "manifest.json", false);
  BOOST_TEST_REQUIRE(manifest.has_value());
  const std::string bytes = read_file(pack / "canary.so");

  PluginRegistry registry;
  const auto problems = registry.load_sealed(pack / "canary.so", bytes, *manifest, "canary.so");
  BOOST_TEST_REQUIRE(problems.empty(), (problems.empty() ? "" : problems.front()));
  const Component* sing = registry.find("canary_sing");
  BOOST_TEST_REQUIRE(sing != nullptr);
  BOOST_TEST(sing->file == pack / "canary.so");
  BOOST_TEST(sing->pack_id == "canary");
  BOOST_TEST(sing->pack_version == "1.0.0");
  // The code is mapped from the memfd, not from the file in the pack directory.
  const std::string maps = read_file("/proc/self/maps");
  BOOST_TEST(maps.find("/memfd:crmflow-pack:canary/canary.so") != std::string::npos);
  BOOST_TEST(maps.find((pack / "canary.so").string()) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(components_must_match_the_manifest) {
  TempDir tmp;
  const fs::path pack = tmp.path / "canary";
  stage_canary_pack(pack);
  auto manifest = parse_pack_manifest(read_file(pack / "manifest.json"), "manifest.json", false);
  BOOST_TEST_REQUIRE(manifest.has_value());
  manifest->components[0].name = "canary_other";
  PluginRegistry registry;
  const auto problems = registry.load_sealed(pack / "canary.so", read_file(pack / "canary.so"),
                                             *manifest, "canary.so");
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(problems[0] == "pack canary: plugin " + (pack / "canary.so").string() +
                                ": declares other components than manifest.json lists for it: "
                                "the file declares action canary_sing; the manifest lists "
                                "action canary_other");
  BOOST_TEST(registry.components().empty());
}

BOOST_AUTO_TEST_SUITE_END()
