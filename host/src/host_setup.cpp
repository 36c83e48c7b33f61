#include <spdlog/spdlog.h>

#include <iostream>

#include "commands.hpp"
#include "crmflow/host/enabled_plugins.hpp"
#include "crmflow/host/logging.hpp"

namespace crmflow::cli {

std::unique_ptr<Host> open_host(const GlobalOptions& options) {
  auto host = std::make_unique<Host>();
  auto config = load_host_config(options.config);
  if (!config) {
    host->problems = std::move(config.error());
    return host;
  }
  host->config = std::move(*config);
  auto& dirs = host->config.plugin_dirs;
  dirs.insert(dirs.begin(), options.plugin_dirs.begin(), options.plugin_dirs.end());

  const std::string level = options.log_level.empty() ? host->config.log.level : options.log_level;
  const std::string format =
      options.log_format.empty() ? host->config.log.format : options.log_format;
  setup_logging(level, format);  // both were validated by the config reader or CLI11

  host->problems = load_enabled_plugins(host->config, host->plugins);
  return host;
}

int report(const std::vector<std::string>& problems) {
  for (const auto& problem : problems) std::cerr << "error: " << problem << '\n';
  std::cerr << problems.size() << (problems.size() == 1 ? " problem" : " problems") << " found\n";
  return kExitProblems;
}

}  // namespace crmflow::cli
