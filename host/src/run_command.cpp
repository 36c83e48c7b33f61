#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "commands.hpp"
#include "crmflow/host/database.hpp"

namespace crmflow::cli {

int run_command(const GlobalOptions& options, bool once) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);

  for (const Component& c : host->plugins.components()) {
    spdlog::info("loaded {} {} {} {} from {}", kind_name(c.kind), c.name, c.version, c.pack_id,
                 c.file.string());
  }

  auto session = connect(host->config.database);
  if (!session) return report({session.error()});
  std::string version;
  int tables = 0;
  **session << "SELECT VERSION()", soci::into(version);
  **session << "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
      soci::into(tables);
  spdlog::info("connected to {} (server {}, {} tables)", describe(host->config.database), version,
               tables);

  if (once) return kExitOk;

  boost::asio::io_context io;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int signal) {
    spdlog::info("signal {} received, stopping", signal);
    io.stop();
  });
  spdlog::info("crmflow is running; Ctrl-C stops it");
  io.run();
  return kExitOk;
}

}  // namespace crmflow::cli
