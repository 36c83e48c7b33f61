// A helper server for a test (an SMTP sink, an HTTP peer) as a child process that announces
// itself by writing a file, and that never outlives the test.
//
//   testing::PeerProcess sink({"/usr/bin/python3", script, "--dir", dir}, dir / "ready");
//   const std::string port = sink.ready_text();   // what the peer wrote to its ready file
//
// The peer must write its ready file whole (write elsewhere, then rename), since the test
// reads it as soon as it appears.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace crmflow::testing {

class PeerProcess {
 public:
  // Starts argv[0] (a path, not looked up on the PATH) with argv, and waits up to `bound` for
  // `ready_file` to appear. Throws std::runtime_error, the child stopped, when it exits first
  // or the bound passes. A stale ready file is removed first.
  PeerProcess(std::vector<std::string> argv, std::filesystem::path ready_file,
              std::chrono::milliseconds bound = std::chrono::seconds(10))
      : ready_file_(std::move(ready_file)) {
    std::filesystem::remove(ready_file_);
    std::vector<char*> args;
    for (std::string& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("cannot fork for " + argv.front());
    if (pid_ == 0) {
      // A test that crashes or is killed takes its peer along: the kernel signals the child
      // when the forking thread ends (the check covers a parent gone before prctl).
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!std::filesystem::exists(ready_file_)) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error(argv.front() + " " + (argv.size() > 1 ? argv[1] : "") +
                                 " exited before it was ready (status " + std::to_string(status) +
                                 ")");
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        stop();
        throw std::runtime_error(argv.front() + " " + (argv.size() > 1 ? argv[1] : "") +
                                 " wrote no " + ready_file_.string() + " within " +
                                 std::to_string(bound.count()) + " ms");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ~PeerProcess() { stop(); }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  // The ready file's content (a port, a pid: whatever the peer wrote there).
  std::string ready_text() const {
    std::ifstream in(ready_file_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // SIGTERM, up to 5 s for the peer to exit, then SIGKILL; reaps it. Idempotent.
  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::filesystem::path ready_file_;
  pid_t pid_ = -1;
};

}  // namespace crmflow::testing
