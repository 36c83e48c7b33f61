#include "crmflow/host/file_trust.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace crmflow {
namespace fs = std::filesystem;

namespace {

std::string user_name(uid_t uid) {
  std::vector<char> buffer(16384);
  struct passwd entry {};
  struct passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return fmt::format("{} ({})", uid, found->pw_name);
  }
  return std::to_string(uid);
}

std::string group_name(gid_t gid) {
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  if (::getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return fmt::format("{} ({})", gid, found->gr_name);
  }
  return std::to_string(gid);
}

bool is_private_group(gid_t gid, uid_t owner) {
  std::vector<char> user_buffer(16384), group_buffer(16384);
  struct passwd user {};
  struct passwd* user_found = nullptr;
  struct group group {};
  struct group* group_found = nullptr;
  if (::getpwuid_r(owner, &user, user_buffer.data(), user_buffer.size(), &user_found) != 0 ||
      user_found == nullptr ||
      ::getgrgid_r(gid, &group, group_buffer.data(), group_buffer.size(), &group_found) != 0 ||
      group_found == nullptr) {
    return false;
  }
  if (user.pw_gid != gid || std::strcmp(user.pw_name, group.gr_name) != 0) return false;
  for (char** member = group.gr_mem; *member != nullptr; ++member) {
    if (std::strcmp(*member, user.pw_name) != 0) return false;
  }
  return true;
}

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

TrustPolicy current_trust_policy() {
  return TrustPolicy{::geteuid(), is_private_group};
}

std::string trust_problem(const fs::path& path, const struct stat& st, bool holds_file,
                          const TrustPolicy& policy) {
  const bool is_dir = S_ISDIR(st.st_mode);
  const std::string what = is_dir ? "directory" : "file";
  const unsigned mode = st.st_mode & 07777;
  if (st.st_uid != 0 && st.st_uid != policy.user) {
    return fmt::format(
        "{} {} is owned by user {}, not by root or the user running crmflow ({}): chown {} {}",
        what, path.string(), user_name(st.st_uid), user_name(policy.user),
        policy.user == 0 ? "root" : std::to_string(policy.user), path.string());
  }
  const bool sticky_above = is_dir && !holds_file && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & S_IWOTH) != 0 && !sticky_above) {
    return fmt::format("{} {} is writable by others (mode {:04o}): chmod o-w {}", what,
                       path.string(), mode, path.string());
  }
  if ((st.st_mode & S_IWGRP) != 0 && st.st_gid != 0 &&
      !(policy.private_group && policy.private_group(st.st_gid, st.st_uid))) {
    return fmt::format("{} {} is writable by group {} (mode {:04o}): chmod g-w {}", what,
                       path.string(), group_name(st.st_gid), mode, path.string());
  }
  return {};
}

std::expected<int, std::string> open_trusted(const fs::path& file, const TrustPolicy& policy) {
  std::error_code ec;
  const fs::path real = fs::canonical(file, ec);
  if (ec) return std::unexpected(fmt::format("{}: {}", file.string(), ec.message()));

  int dir = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return std::unexpected(fmt::format("/: cannot be opened: {}", errno_text()));
  fs::path reached = "/";
  const auto fail = [&](std::string why) {
    ::close(dir);
    return std::unexpected(std::move(why));
  };
  const fs::path relative = real.relative_path();
  const auto components = std::vector<fs::path>(relative.begin(), relative.end());
  if (components.empty()) return fail(fmt::format("{}: not a regular file", real.string()));
  const size_t dirs = components.size() - 1;
  for (size_t i = 0;; ++i) {
    struct stat st {};
    if (::fstat(dir, &st) != 0) {
      return fail(fmt::format("{}: cannot be examined: {}", reached.string(), errno_text()));
    }
    if (std::string problem = trust_problem(reached, st, i == dirs, policy); !problem.empty()) {
      return fail(std::move(problem));
    }
    if (i == dirs) break;
    const int next =
        ::openat(dir, components[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) {
      return fail(fmt::format("{}: cannot be opened as a directory: {}",
                              (reached / components[i]).string(), errno_text()));
    }
    ::close(dir);
    dir = next;
    reached /= components[i];
  }

  const int fd = ::openat(dir, components.back().c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return fail(fmt::format("{}: cannot be opened: {}", real.string(), errno_text()));
  ::close(dir);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(fmt::format("{}: not a regular file", real.string()));
  }
  if (std::string problem = trust_problem(real, st, true, policy); !problem.empty()) {
    ::close(fd);
    return std::unexpected(std::move(problem));
  }
  return fd;
}

std::expected<std::string, std::string> read_and_close(int fd) {
  std::string contents;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = errno_text();
      ::close(fd);
      return std::unexpected(why);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

std::expected<std::string, std::string> read_owner_only(const fs::path& file,
                                                        const std::string& key,
                                                        const TrustPolicy& policy) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::unexpected(
        fmt::format("{}: {} cannot be read: {}", key, file.string(), errno_text()));
  }
  struct stat st {};
  std::string problem;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    problem = fmt::format("{}: {} is not a regular file", key, file.string());
  } else if (st.st_uid != 0 && st.st_uid != policy.user) {
    problem = fmt::format(
        "{}: {} is owned by user {}, not by root or the user running crmflow ({}): chown {} {}",
        key, file.string(), user_name(st.st_uid), user_name(policy.user), user_name(policy.user),
        file.string());
  } else if ((st.st_mode & 077) != 0) {
    problem = fmt::format("{}: {} is readable by group or others (mode {:04o}): chmod 600 {}", key,
                          file.string(), st.st_mode & 07777, file.string());
  }
  if (!problem.empty()) {
    ::close(fd);
    return std::unexpected(std::move(problem));
  }
  auto contents = read_and_close(fd);
  if (!contents) {
    return std::unexpected(
        fmt::format("{}: {} cannot be read: {}", key, file.string(), contents.error()));
  }
  if (contents->ends_with('\n')) contents->pop_back();
  if (contents->ends_with('\r')) contents->pop_back();
  return contents;
}

}  // namespace crmflow
