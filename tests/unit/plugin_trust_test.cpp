// Plugins run in the host's process, so the host refuses a plugin file that anybody but root
// and the user running crmflow could have changed: the file, its directory or any directory
// above it writable by others or a foreign group, or owned by another user. It names the path,
// the mode and the fix. And plugins load only from the configured plugin directories: a name
// with a path in it, or a symlink leading out, is refused.
#define BOOST_TEST_MODULE plugin_trust_test
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <crmflow/abi.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "crmflow/host/config.hpp"
#include "crmflow/host/enabled_plugins.hpp"
#include "crmflow/host/file_trust.hpp"
#include "crmflow/host/pack.hpp"
#include "test_support.hpp"

using namespace crmflow;
namespace fs = std::filesystem;

namespace {

constexpr gid_t kForeignGroup = 65534;  // nogroup: neither root's nor anybody's private group
constexpr uid_t kForeignUser = 65534;   // nobody

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

struct stat facts(mode_t mode, uid_t uid = 0, gid_t gid = 0) {
  struct stat st {};
  st.st_mode = mode;
  st.st_uid = uid;
  st.st_gid = gid;
  return st;
}

const TrustPolicy kAsUser1000{1000,
                              [](gid_t gid, uid_t owner) { return gid == 1000 && owner == 1000; }};

// A private directory (mode 0700, under the temp directory) holding a copy of compare.so with
// mode 0644, removed at the end.
struct PluginCopy {
  fs::path dir;
  fs::path file;
  PluginCopy() {
    std::string pattern = (fs::temp_directory_path() / "crmflow-trust-XXXXXX").string();
    BOOST_TEST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir = pattern;
    file = dir / "compare.so";
    fs::copy_file(test::kPluginDir / "compare.so", file);
    fs::permissions(file, fs::perms(0644));
  }
  ~PluginCopy() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  // The problems of loading the copy into a fresh registry.
  std::vector<std::string> load() const {
    PluginRegistry registry;
    auto problems = registry.load(file);
    if (problems.empty()) BOOST_TEST(registry.find("compare") != nullptr);
    for (const auto& p : problems) BOOST_TEST_MESSAGE(p);
    return problems;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(the_rule)

BOOST_AUTO_TEST_CASE(owner_root_or_the_user_and_writable_by_them_only) {
  BOOST_TEST(trust_problem("/p/x.so", facts(S_IFREG | 0644), true, kAsUser1000).empty());
  BOOST_TEST(
      trust_problem("/p/x.so", facts(S_IFREG | 0644, 1000, 1000), true, kAsUser1000).empty());
  BOOST_TEST(trust_problem("/p/x.so", facts(S_IFREG | 0644, 1001, 1001), true, kAsUser1000)
                 .starts_with("file /p/x.so is owned by user 1001"));
  BOOST_TEST(trust_problem("/p/x.so", facts(S_IFREG | 0666), true, kAsUser1000) ==
             "file /p/x.so is writable by others (mode 0666): chmod o-w /p/x.so");
  BOOST_TEST(trust_problem("/p", facts(S_IFDIR | 0757), true, kAsUser1000) ==
             "directory /p is writable by others (mode 0757): chmod o-w /p");
}

BOOST_AUTO_TEST_CASE(group_write_only_for_roots_group_or_the_owners_private_group) {
  BOOST_TEST(trust_problem("/p/x.so", facts(S_IFREG | 0664, 0, 0), true, kAsUser1000).empty());
  BOOST_TEST(
      trust_problem("/p/x.so", facts(S_IFREG | 0664, 1000, 1000), true, kAsUser1000).empty());
  BOOST_TEST(has(trust_problem("/p/x.so", facts(S_IFREG | 0664, 1000, 50), true, kAsUser1000),
                 "file /p/x.so is writable by group 50"));
  BOOST_TEST(has(trust_problem("/p/x.so", facts(S_IFREG | 0664, 1000, 50), true, kAsUser1000),
                 "(mode 0664): chmod g-w /p/x.so"));
}

BOOST_AUTO_TEST_CASE(a_sticky_world_writable_directory_only_above_the_files_own) {
  // /tmp: others may create files there but not rename or remove ours.
  BOOST_TEST(trust_problem("/tmp", facts(S_IFDIR | 01777), false, kAsUser1000).empty());
  BOOST_TEST(has(trust_problem("/tmp", facts(S_IFDIR | 01777), true, kAsUser1000),
                 "directory /tmp is writable by others (mode 1777)"));
  BOOST_TEST(
      has(trust_problem("/up", facts(S_IFDIR | 0777), false, kAsUser1000), "writable by others"),
      "without the sticky bit others can rename what is inside");
}

BOOST_AUTO_TEST_CASE(a_private_group_is_named_like_its_only_user) {
  // From the user and group databases: root's group is root's own; nogroup is nobody's
  // primary group only by chance of configuration and not named like nobody.
  const TrustPolicy policy = current_trust_policy();
  BOOST_TEST(policy.private_group(0, 0));
  BOOST_TEST(!policy.private_group(kForeignGroup, kForeignUser));
  BOOST_TEST(!policy.private_group(kForeignGroup, 0), "not root's primary group");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(loading)

BOOST_AUTO_TEST_CASE(the_builds_own_plugins_pass) {
  PluginRegistry registry;
  BOOST_TEST(registry.load(test::kPluginDir / "compare.so").empty());
}

BOOST_AUTO_TEST_CASE(a_file_writable_by_others_is_refused_and_loads_after_chmod) {
  PluginCopy copy;
  BOOST_TEST(copy.load().empty());
  fs::permissions(copy.file, fs::perms(0646));
  const auto problems = copy.load();
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(problems[0] ==
             "plugin " + copy.file.string() + ": refused: file " + copy.file.string() +
                 " is writable by others (mode 0646): chmod o-w " + copy.file.string());
  fs::permissions(copy.file, fs::perms(0644));
  BOOST_TEST(copy.load().empty(), "fine again after chmod o-w");
}

BOOST_AUTO_TEST_CASE(a_directory_writable_by_others_is_refused) {
  PluginCopy copy;
  fs::permissions(copy.dir, fs::perms(0707));
  const auto problems = copy.load();
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(has(problems[0], "refused: directory " + copy.dir.string() +
                                  " is writable by others (mode 0707): chmod o-w " +
                                  copy.dir.string()));
  fs::permissions(copy.dir, fs::perms(01777), fs::perm_options::replace);
  BOOST_TEST(copy.load().size() == 1u, "sticky is not enough for the plugin's own directory");
  fs::permissions(copy.dir, fs::perms(0755));
  BOOST_TEST(copy.load().empty());
}

BOOST_AUTO_TEST_CASE(a_directory_above_writable_by_others_is_refused) {
  PluginCopy copy;
  const fs::path sub = copy.dir / "lib" / "plugins";
  fs::create_directories(sub);
  fs::rename(copy.file, sub / "compare.so");
  copy.file = sub / "compare.so";
  BOOST_TEST(copy.load().empty());
  fs::permissions(copy.dir / "lib", fs::perms(0777));
  const auto problems = copy.load();
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(has(problems[0],
                 "directory " + (copy.dir / "lib").string() + " is writable by others (mode 0777)"),
             "anyone could rename plugins/ away and put their own in its place");
}

BOOST_AUTO_TEST_CASE(a_foreign_group_or_owner_is_refused) {
  if (::geteuid() != 0) {
    BOOST_TEST_MESSAGE("skipped: changing a file's group or owner needs root (CI runs as root)");
    return;
  }
  PluginCopy copy;
  BOOST_TEST_REQUIRE(::chown(copy.file.c_str(), 0, kForeignGroup) == 0);
  BOOST_TEST(copy.load().empty(), "a foreign group without write permission is harmless");
  fs::permissions(copy.file, fs::perms(0664));
  auto problems = copy.load();
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(has(problems[0], "is writable by group 65534"));
  BOOST_TEST(has(problems[0], "(mode 0664): chmod g-w " + copy.file.string()));

  fs::permissions(copy.file, fs::perms(0644));
  BOOST_TEST_REQUIRE(::chown(copy.file.c_str(), kForeignUser, 0) == 0);
  problems = copy.load();
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(has(problems[0], "file " + copy.file.string() + " is owned by user 65534"));
  BOOST_TEST(has(problems[0], "not by root or the user running crmflow"));
}

BOOST_AUTO_TEST_CASE(the_file_checked_is_the_file_loaded_even_when_renamed_meanwhile) {
  // The descriptor is what is loaded: a path reused after the check would not change it.
  PluginCopy copy;
  const auto fd = open_trusted(copy.file, current_trust_policy());
  BOOST_TEST_REQUIRE(fd.has_value(), fd.error());
  fs::rename(copy.file, copy.dir / "moved.so");
  struct stat opened {
  }, moved{};
  BOOST_TEST(::fstat(*fd, &opened) == 0);
  BOOST_TEST(::stat((copy.dir / "moved.so").c_str(), &moved) == 0);
  BOOST_TEST(opened.st_ino == moved.st_ino);
  ::close(*fd);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(only_from_plugin_dirs)

BOOST_AUTO_TEST_CASE(a_name_with_a_path_is_a_config_error) {
  for (const std::string name :
       {"../compare", "sub/compare", "/usr/lib/compare", ".hidden", ".."}) {
    const auto config =
        parse_host_config(R"({"plugins": {")" + name + R"(": {}}})", "/etc/crmflow/host.json");
    BOOST_TEST_REQUIRE(!config.has_value(), name);
    BOOST_TEST_MESSAGE(config.error().at(0));
    BOOST_TEST(config.error().at(0).starts_with("/etc/crmflow/host.json: plugins." + name));
    BOOST_TEST(has(config.error().at(0), "cannot name a file outside plugin_dirs"));
  }
  BOOST_TEST(parse_host_config(R"({"plugins": {"send_email-2.v1": {}}})", "/x.json").has_value());
}

BOOST_AUTO_TEST_CASE(a_symlink_leading_out_of_the_plugin_dir_is_refused) {
  PluginCopy copy;
  fs::remove(copy.file);
  fs::create_symlink(test::kPluginDir / "compare.so", copy.file);
  auto config = parse_host_config(R"({"plugins": {"compare": {}}})", "/etc/crmflow/host.json");
  BOOST_TEST_REQUIRE(config.has_value());
  config->plugin_dirs = {copy.dir, test::kPluginDir};
  PluginRegistry registry;
  const auto problems = load_enabled_plugins(*config, registry);
  for (const auto& p : problems) BOOST_TEST_MESSAGE(p);
  BOOST_TEST_REQUIRE(problems.size() == 1u);
  BOOST_TEST(has(problems[0], "plugins.compare: " + copy.file.string() +
                                  " is a symlink leading out of the plugin directory"));
  BOOST_TEST(registry.find("compare") == nullptr, "not loaded from the second directory either");

  // A link to a file of the same directory (libx.so -> libx.so.1) is fine.
  fs::remove(copy.file);
  fs::copy_file(test::kPluginDir / "compare.so", copy.dir / "compare.so.1");
  fs::permissions(copy.dir / "compare.so.1", fs::perms(0644));
  fs::create_symlink("compare.so.1", copy.file);
  PluginRegistry again;
  BOOST_TEST(load_enabled_plugins(*config, again).empty());
  BOOST_TEST(again.find("compare") != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

// Nothing but the file system vouches for a trusted key (whoever changes it can sign packs) or
// an unsigned pack (packs.allow_unsigned, for development): both follow the plugins' rule.
BOOST_AUTO_TEST_SUITE(packs)

BOOST_AUTO_TEST_CASE(a_trusted_key_others_could_change_is_refused) {
  PluginCopy tmp;
  const auto key = generate_pack_key(tmp.dir / "partner", "Partner");
  BOOST_TEST_REQUIRE(key.has_value(), key.error());
  BOOST_TEST(read_public_key(key->public_file).has_value());
  fs::permissions(key->public_file, fs::perms(0646));
  const auto refused = read_public_key(key->public_file);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST_MESSAGE(refused.error());
  BOOST_TEST(refused.error() ==
             key->public_file.string() + ": cannot read the public key: refused: file " +
                 key->public_file.string() + " is writable by others (mode 0646): chmod o-w " +
                 key->public_file.string());
}

BOOST_AUTO_TEST_CASE(an_unsigned_pack_others_could_change_is_refused) {
  PluginCopy tmp;
  const fs::path pack = tmp.dir / "canary";
  fs::create_directories(pack);
  fs::permissions(pack, fs::perms(0755));
  fs::copy_file(test::kTestPluginDir / "canary.so", pack / "canary.so");
  fs::permissions(pack / "canary.so", fs::perms(0644));
  std::ofstream(pack / "manifest.json")
      << R"({"id": "canary", "name": "Canary", "version": "1.0.0", "publisher": "Test", "abi": ")"
      << CRMFLOW_ABI_MAJOR << '.' << CRMFLOW_ABI_MINOR << R"(",
 "components": [{"file": "canary.so", "kind": "action", "name": "canary_sing"}],
 "files": [{"path": "canary.so"}]})";
  fs::permissions(pack / "manifest.json", fs::perms(0644));
  const PackPolicy development{{}, "no keys", true};
  const auto fine = verify_pack(pack, development);
  BOOST_TEST_REQUIRE(fine.has_value(), fine.error());

  fs::permissions(pack / "canary.so", fs::perms(0666));
  auto refused = verify_pack(pack, development);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST_MESSAGE(refused.error());
  BOOST_TEST(refused.error() ==
             "canary.so: cannot be read: refused: file " + (pack / "canary.so").string() +
                 " is writable by others (mode 0666): chmod o-w " + (pack / "canary.so").string());
  fs::permissions(pack / "canary.so", fs::perms(0644));
  fs::permissions(pack, fs::perms(0777));
  refused = verify_pack(pack, development);
  BOOST_TEST_REQUIRE(!refused.has_value());
  BOOST_TEST_MESSAGE(refused.error());
  BOOST_TEST(refused.error().starts_with("manifest.json: unsigned and refused: directory " +
                                         pack.string() + " is writable by others (mode 0777)"));
}

BOOST_AUTO_TEST_SUITE_END()
