#include <fmt/format.h>
#include <soci/soci.h>

#include <iostream>

#include "commands.hpp"
#include "crmflow/host/capture.hpp"
#include "crmflow/host/runner.hpp"

namespace crmflow::cli {

int capture_command(const GlobalOptions& options, const std::string& action) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);

  CaptureOptions capture_options;
  capture_options.lock_wait_timeout =
      std::chrono::seconds(host->config.capture.lock_wait_timeout_seconds);
  const auto modules = watched_modules(host->map, host->workflows);
  std::vector<std::string> problems;
  if (action == "install") {
    problems = check_capture_privileges(*host->db);
    if (!problems.empty()) return report(problems);
  }
  for (const Module* module : modules) {
    if (action == "status") {
      const TableCapture status = capture_status(*host->db, *module);
      std::cout << fmt::format("{:<22} {:<24} {}{}{}\n", module->name, module->table,
                               state_name(status.state), status.detail.empty() ? "" : ": ",
                               status.detail);
      if (status.state != CaptureState::installed) {
        problems.push_back(
            fmt::format("capture of {} is {}", module->name, state_name(status.state)));
      }
      continue;
    }
    const auto done = action == "install" ? install_capture(*host->db, *module, capture_options)
                                          : remove_capture(*host->db, *module, capture_options);
    if (!done) {
      problems.push_back(done.error());
      continue;
    }
    std::cout << fmt::format("{} {} ({})\n", action == "install" ? "installed" : "removed",
                             module->name, module->table);
  }
  if (modules.empty()) std::cout << "no active workflow names a module; nothing is captured\n";
  return problems.empty() ? kExitOk : report(problems);
}

}  // namespace crmflow::cli
