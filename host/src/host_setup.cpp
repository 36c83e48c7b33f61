#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/enabled_plugins.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/logging.hpp"
#include "crmflow/host/store_schema.hpp"

namespace crmflow::cli {

std::unique_ptr<Host> open_host(const GlobalOptions& options) {
  auto host = std::make_unique<Host>();
  auto config = load_host_config(options.config);
  if (!config) {
    host->problems = std::move(config.error());
    return host;
  }
  host->config = std::move(*config);
  if (options.clock_offset_seconds)
    host->config.clock_offset_seconds = *options.clock_offset_seconds;
  auto& dirs = host->config.plugin_dirs;
  dirs.insert(dirs.begin(), options.plugin_dirs.begin(), options.plugin_dirs.end());

  const std::string level = options.log_level.empty() ? host->config.log.level : options.log_level;
  const std::string format =
      options.log_format.empty() ? host->config.log.format : options.log_format;
  setup_logging(level, format);  // both were validated by the config reader or CLI11

  if (const auto clock = configure_clock(host->config.time_zone,
                                         std::chrono::seconds(host->config.clock_offset_seconds));
      !clock) {
    host->problems.push_back(host->config.file.string() + ": time_zone: " + clock.error());
    return host;
  }
  host->problems = load_enabled_plugins(host->config, host->plugins, &host->pack_workflows);
  return host;
}

Host::~Host() = default;

void open_crm(Host& host) {
  if (host.config.module_map.empty()) {
    host.problems.push_back(host.config.file.string() +
                            ": module_map: the config names no module map (e.g. crm/1crm.json)");
    return;
  }
  std::error_code ec;
  if (!std::filesystem::exists(host.config.module_map, ec)) {
    host.problems.push_back(host.config.file.string() +
                            ": module_map: " + host.config.module_map.string() + " does not exist");
    return;
  }
  auto map = load_module_map(host.config.module_map);
  if (!map) {
    host.problems.insert(host.problems.end(), map.error().begin(), map.error().end());
    return;
  }
  host.map = std::move(*map);
  auto db = connect(host.config.database);
  if (!db) {
    host.problems.push_back(db.error());
    return;
  }
  host.db = std::move(*db);
  ensure_store_schema(*host.db);
  const auto schema_problems = introspect(*host.db, host.map);
  host.problems.insert(host.problems.end(), schema_problems.begin(), schema_problems.end());
  if (host.config.workflows_dir.empty() && host.pack_workflows.empty()) return;
  auto workflows =
      load_workflows(host.config.workflows_dir, host.pack_workflows, host.plugins, &host.map);
  if (!workflows) {
    host.problems.insert(host.problems.end(), workflows.error().begin(), workflows.error().end());
    return;
  }
  host.workflows = std::move(*workflows);
}

int report(const std::vector<std::string>& problems) {
  for (const auto& problem : problems) std::cerr << "error: " << problem << '\n';
  std::cerr << problems.size() << (problems.size() == 1 ? " problem" : " problems") << " found\n";
  return kExitProblems;
}

}  // namespace crmflow::cli
