#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>

#include "commands.hpp"
#include "crmflow/host/database.hpp"
#include "crmflow/host/runner.hpp"
#include "crmflow/host/watchdog.hpp"

namespace crmflow::cli {
namespace {

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) {
  stop_requested = true;
}

}  // namespace

int run_command(const GlobalOptions& options, bool once) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  for (const Component& c : host->plugins.components()) {
    spdlog::info("loaded {} {} {} {} from {}", kind_name(c.kind), c.name, c.version, c.pack_id,
                 c.file.string());
  }
  if (host->config.module_map.empty()) {
    return report({host->config.file.string() + ": module_map: run needs the CRM's module map"});
  }
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);

  std::string version;
  int tables = 0;
  *host->db << "SELECT VERSION()", soci::into(version);
  *host->db << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
      soci::into(tables);
  spdlog::info("connected to {} (server {}, {} tables)", describe(host->config.database), version,
               tables);
  spdlog::info("{} workflow(s) loaded from {}", host->workflows.size(),
               host->config.workflows_dir.string());
  if (once) return kExitOk;

  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  install_crash_report();
  start_watchdog(host->config.hang_limit);
  spdlog::info("a plugin call running longer than {} ms ends the host (hang_limit_ms)",
               host->config.hang_limit.count());
  spdlog::info("crmflow is running; Ctrl-C or SIGTERM stops it after the batch in hand");
  Runner runner(host->config, host->map, host->workflows, std::move(host->db), stop_requested);
  return runner.run();
}

}  // namespace crmflow::cli
