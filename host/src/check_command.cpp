#include <iostream>

#include "commands.hpp"

namespace crmflow::cli {

int check_command(const GlobalOptions& options) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  // With a module map, the workflows are checked against the live schema too.
  if (!host->config.module_map.empty()) open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  std::cout << options.config.string() << ": ok, " << host->plugins.components().size()
            << " components enabled";
  if (!host->config.module_map.empty()) {
    std::cout << ", " << host->map.modules.size() << " modules, " << host->workflows.size()
              << " workflows";
  }
  std::cout << '\n';
  return kExitOk;
}

}  // namespace crmflow::cli
