// The host's main loop: the engine polled adaptively, capture drift watched, the database
// connection rebuilt when it is lost, a stop request drained.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/workflow.hpp"

namespace soci {
class session;
}

namespace crmflow {

// The modules whose tables are captured: those the active saved/deleted workflows are about.
std::vector<const Module*> watched_modules(const ModuleMap& map,
                                           const std::vector<Workflow>& workflows);

// A random owner name for this process's leases: "<hostname>:<pid>:<random>".
std::string new_owner_name();

class Runner {
 public:
  // `map` is re-introspected when drift is checked; `stop` ends the loop once the batch at
  // hand is finished (SIGTERM drains).
  Runner(const HostConfig& config, ModuleMap& map, const std::vector<Workflow>& workflows,
         std::unique_ptr<soci::session> db, const std::atomic<bool>& stop);
  ~Runner();

  // Runs until stopped. Returns 0 after a clean stop.
  int run();

 private:
  void check_capture(bool at_start);
  void reconnect();

  const HostConfig& config_;
  ModuleMap& map_;
  const std::vector<Workflow>& workflows_;
  std::unique_ptr<soci::session> db_;
  const std::atomic<bool>& stop_;
  std::string owner_;
};

}  // namespace crmflow
