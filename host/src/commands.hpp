// The crmflow command line: one function per subcommand, wired up in main.cpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/workflow.hpp"

namespace soci {
class session;
}

namespace crmflow::cli {

// Options every subcommand shares.
struct GlobalOptions {
  std::filesystem::path config = "config/crmflow.json";
  std::vector<std::filesystem::path> plugin_dirs;  // searched before the config's
  std::string log_level;                           // overrides the config when set
  std::string log_format;
  // Moves the host's clock (the config's clock_offset_seconds) for this run: the demo and
  // tests show what a delay of two weeks does without waiting two weeks.
  std::optional<int> clock_offset_seconds;
};

// Exit codes: 0 success, 1 the config, a plugin or the database has a problem (all of them
// are printed), 2 wrong usage (CLI11's own), 3 `run` ended itself because a plugin call hung
// past hang_limit_ms (kExitPluginHung, watchdog.hpp).
constexpr int kExitOk = 0;
constexpr int kExitProblems = 1;

// Config read, logging set up, enabled plugins loaded — or every problem on the way.
struct Host {
  HostConfig config;
  PluginRegistry plugins;
  std::vector<WorkflowText> pack_workflows;  // of the verified packs, loaded by open_crm
  std::vector<std::string> problems;
  // Filled by open_crm:
  ModuleMap map;
  std::unique_ptr<soci::session> db;
  std::vector<Workflow> workflows;
  ~Host();
};
std::unique_ptr<Host> open_host(const GlobalOptions& options);

// Loads the module map, connects to the database (creating crmflow's tables), reads the
// columns from information_schema and loads the workflows; problems are appended to
// host.problems. Needs the config to name a module map.
void open_crm(Host& host);

// Prints problems to stderr, one per line, and returns kExitProblems.
int report(const std::vector<std::string>& problems);

int plugins_command(const GlobalOptions& options, bool as_json);
int check_command(const GlobalOptions& options);
int run_command(const GlobalOptions& options, bool once);
int capture_command(const GlobalOptions& options, const std::string& action);
int status_command(const GlobalOptions& options);
// The time triggers: last tick, firings; with `explain`, the statements their next tick runs
// and the database's plans of them.
int triggers_command(const GlobalOptions& options, bool explain);

struct RunsOptions {
  std::string record;    // only this record's runs; empty: all
  std::string workflow;  // only this workflow's runs; empty: all
  unsigned limit = 50;   // the newest runs first
};
int runs_command(const GlobalOptions& options, const RunsOptions& filter);
struct AlertsOptions {
  std::string user;     // only alerts for this user (its id); empty: all
  std::string record;   // only alerts about this record (its id); empty: all
  unsigned limit = 50;  // the newest first
};
// Lists crmflow_alert rows and the rows of the CRM's notification table (module map
// "notifications") that are about a record, newest first.
int alerts_command(const GlobalOptions& options, const AlertsOptions& filter);
struct JobsOptions {
  std::string record;  // only this record's jobs; empty: all
  std::string state;   // pending, running, done, skipped, cancelled or dead; empty: all
  unsigned limit = 50;
};
int jobs_command(const GlobalOptions& options, const JobsOptions& filter);
// action: "retry" (a dead or pending job, due now with all its attempts) or "cancel" (a
// pending job that is not running).
int job_action_command(const GlobalOptions& options, const std::string& action, uint64_t id);
int quarantine_command(const GlobalOptions& options, const std::string& action, uint64_t id);

struct TryOptions {
  std::string component;
  std::string params = "{}";
  std::string record;  // JSON: {"module":..., "id":..., "fields":{...}, "old":{...}}
};
int try_command(const GlobalOptions& options, const TryOptions& try_options);

// crmflow pack keygen|sign|verify|install|list (README "Extension packs").
struct PackOptions {
  std::string action;                          // keygen, sign, verify, install or list
  std::filesystem::path out;                   // keygen: <base> of <base>.key and <base>.pub
  std::string comment;                         // keygen
  std::filesystem::path key;                   // sign: the .key file
  std::vector<std::filesystem::path> trusted;  // verify: .pub files instead of the config's
  std::filesystem::path dir;                   // sign, verify, install: the pack directory
};
int pack_command(const GlobalOptions& options, const PackOptions& pack);

}  // namespace crmflow::cli
