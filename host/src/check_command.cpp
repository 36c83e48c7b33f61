#include <iostream>

#include "commands.hpp"

namespace crmflow::cli {

int check_command(const GlobalOptions& options) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  std::cout << options.config.string() << ": ok, " << host->plugins.components().size()
            << " components enabled\n";
  return kExitOk;
}

}  // namespace crmflow::cli
