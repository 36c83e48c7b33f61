// Whether a file the host runs code from (a plugin) or reads a secret from may be trusted:
// nobody but root and the user running crmflow can change it, or the path leading to it.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <functional>
#include <string>

namespace crmflow {

// Who may own and write what is trusted.
struct TrustPolicy {
  uid_t user = 0;  // the user running crmflow; root (0) is always trusted too
  // Whether group `gid` is the user private group of `owner` (the group named like the user,
  // the user's primary group, no other members): its write bit then gives nobody else access,
  // which is why a umask of 002 is safe on such systems (Debian's OpenSSH accepts it too).
  std::function<bool(gid_t gid, uid_t owner)> private_group;
};

// The policy for this process: the effective user, private groups looked up in the user and
// group databases (no entry: not a private group).
TrustPolicy current_trust_policy();

// What makes one path of a trusted chain untrusted, or "" when nothing does. `st` is the
// path's lstat/fstat; `holds_file` is true for the file itself and the directory holding it,
// false for the directories above. The rule (sshd's StrictModes, extended up to /): owned by
// root or the user; not writable by others; not writable by the group unless the group is
// root's or the owner's private group. A directory above the file's own may be writable by
// others when it has the sticky bit (/tmp): then nobody else can rename or remove what is in
// it, so the path below it stays the owner's. The message names the path, the mode and the
// command that fixes it.
std::string trust_problem(const std::filesystem::path& path, const struct stat& st, bool holds_file,
                          const TrustPolicy& policy);

// A regular file opened for reading (O_CLOEXEC) after every directory from / down to it and
// the file itself passed trust_problem(); each step is opened relative to the one before
// without following links (O_NOFOLLOW), and the checks are made on the opened descriptors, so
// what was checked is what is read. `file` is made absolute and its links resolved first.
// The error names the path and what is wrong. The caller owns the descriptor.
std::expected<int, std::string> open_trusted(const std::filesystem::path& file,
                                             const TrustPolicy& policy);

// Everything left to read in `fd` (EINTR retried), which is closed whatever the outcome: the
// caller gives up ownership. The error is the system's text for the failed read.
std::expected<std::string, std::string> read_and_close(int fd);

// The contents of a secret file, one trailing newline removed: a regular file owned by root or
// the user running crmflow and neither readable nor writable by anybody else (mode 0600 or
// 0400). `key` names the setting the file came from, for messages such as
// "CRMFLOW_DB_PASSWORD_FILE: /etc/crmflow/db is readable by group or others (mode 0644):
// chmod 600 /etc/crmflow/db". The contents never appear in a message.
std::expected<std::string, std::string> read_owner_only(const std::filesystem::path& file,
                                                        const std::string& key,
                                                        const TrustPolicy& policy);

}  // namespace crmflow
