// Starting crmflow hosts, shared by the fault tests and the benchmarks. The environment a
// spawned host runs with: the parent's, without its own database, config and failpoint settings,
// plus the ones of `db` (and `failpoint`). Built before fork, since after it only async-signal-safe
// calls are allowed.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/host/config.hpp"

extern char** environ;

namespace crmflow::testing {

inline std::vector<std::string> host_environment(const DatabaseSettings& db,
                                                 const std::string& failpoint = {}) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.starts_with("CRMFLOW_DB_") || entry.starts_with("CRMFLOW_FAILPOINT=") ||
        entry.starts_with("CRMFLOW_CONFIG=")) {
      continue;
    }
    env.emplace_back(entry);
  }
  env.push_back("CRMFLOW_DB_HOST=" + db.host);
  env.push_back("CRMFLOW_DB_PORT=" + std::to_string(db.port));
  if (!db.socket.empty()) env.push_back("CRMFLOW_DB_SOCKET=" + db.socket);
  env.push_back("CRMFLOW_DB_NAME=" + db.name);
  env.push_back("CRMFLOW_DB_USER=" + db.user);
  env.push_back("CRMFLOW_DB_PASSWORD=" + db.password);
  if (!failpoint.empty()) env.push_back("CRMFLOW_FAILPOINT=" + failpoint);
  return env;
}

// Starts argv[0] with `args` and `env`, stdout and stderr appended to `log`, stdin from
// /dev/null; the child is killed when its parent dies. Returns its pid; throws when the log
// cannot be opened or fork fails.
inline pid_t spawn_process(std::vector<std::string> args, std::vector<std::string> env,
                           const std::filesystem::path& log) {
  // Prepared before fork: after it, only async-signal-safe calls (the parent has threads).
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log.string());
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    static constexpr char kFailed[] = "spawn_process: execve failed\n";
    [[maybe_unused]] const auto written = ::write(STDERR_FILENO, kFailed, sizeof kFailed - 1);
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

}  // namespace crmflow::testing
