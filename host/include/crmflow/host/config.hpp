// The host configuration file (JSON with comments), e.g. config/crmflow.json.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace crmflow {

struct PluginSetting {
  std::string name;  // file name without ".so" (no path: letters, digits, _ - .), in plugin_dirs
  bool enabled = true;
  std::optional<std::set<std::string>> components;  // absent: every component of the file
  std::string settings_json = "{}";  // the object the file's components read (settings())
};

struct DatabaseSettings {
  std::string host = "127.0.0.1";
  unsigned port = 3306;
  std::string socket;  // a unix socket, used instead of host and port when set
  std::string name = "crm";
  std::string user = "crmflow";
  std::string password;  // never in the config: from the environment or an owner-only file
};

struct LogSettings {
  std::string level = "info";   // trace, debug, info, warn, error
  std::string format = "text";  // text or json
};

struct EngineSettings {
  unsigned batch_size = 50;
  unsigned lease_seconds = 30;
  unsigned max_attempts = 5;
  unsigned depth_limit = 5;
  unsigned idle_poll_ms = 500;  // the longest pause between polls when there is nothing to do
  unsigned lock_wait_timeout_seconds = 2;
  // Wait this long after a record's first pending event and fold the record's events of that
  // window into one (0: no wait; SuiteCRM/1CRM write _cstm and relation rows separately).
  unsigned settle_ms = 0;
};

// Jobs: actions with external effects and delayed actions (jobs.hpp).
struct JobSettings {
  unsigned batch_size = 20;
  unsigned lease_seconds = 60;  // longer than the slowest job: an email or an HTTP call
  unsigned max_attempts = 8;    // then the job is dead
  unsigned backoff_cap_seconds = 3600;
};

// Time triggers (trigger_ticks.hpp).
struct TriggerSettings {
  unsigned tick_seconds = 60;             // a trigger ticks at most this often, across hosts
  unsigned max_firings_per_tick = 10000;  // per trigger and tick; the rest on the next tick
};

struct CaptureSettings {
  bool auto_repair = false;          // reinstall drifted or missing triggers without being asked
  unsigned drift_check_seconds = 2;  // a drifted trigger fails the CRM's saves until repaired
  unsigned lock_wait_timeout_seconds = 2;
};

struct RetentionSettings {
  unsigned audit_days = 30;   // crmflow_run rows older than this are pruned
  unsigned job_days = 30;     // jobs finished (not dead) longer ago than this are pruned
  unsigned firing_days = 90;  // the firing ledger beyond each record's newest firing
  unsigned batch_size = 500;
  unsigned interval_seconds = 60;  // how often the host prunes
};

// Signed extension packs (pack.hpp, README "Extension packs").
struct PackSettings {
  std::filesystem::path dir;  // absolute; where packs are installed; empty: no packs
  std::vector<std::filesystem::path> trusted_keys;  // absolute paths of .pub files
  // Plugin development only: a pack without manifest.sig is loaded (hashes still checked when
  // present), with a warning at every start. A bad or untrusted signature is never accepted.
  bool allow_unsigned = false;
};

struct HostConfig {
  std::filesystem::path file;
  std::vector<std::filesystem::path> plugin_dirs;  // absolute, in search order
  std::vector<PluginSetting> plugins;
  DatabaseSettings database;
  LogSettings log;
  std::chrono::milliseconds call_deadline{2000};
  // A plugin call running longer than this ends the host (watchdog.hpp, exit code 3).
  // Default: max(30 s, 10 × call_deadline).
  std::chrono::milliseconds hang_limit{30000};
  std::filesystem::path module_map;     // absolute; empty when the config names none
  std::filesystem::path workflows_dir;  // absolute; empty when the config names none
  EngineSettings engine;
  CaptureSettings capture;
  RetentionSettings retention;
  JobSettings jobs;
  TriggerSettings triggers;
  PackSettings packs;
  int clock_offset_seconds = 0;   // "now" = the database's UTC_TIMESTAMP() + this (tests, demo)
  std::string time_zone = "UTC";  // IANA name: calendar steps, "today" and schedules happen here
};

// Reads and validates a host config. Relative plugin directories, the packs directory and the
// trusted keys are resolved against the file's directory. The database settings are then
// overridden by the environment (CRMFLOW_DB_HOST, _PORT, _SOCKET, _NAME, _USER) and the
// password is read from CRMFLOW_DB_PASSWORD or, when that is unset, from the file
// CRMFLOW_DB_PASSWORD_FILE names, which must be owner-only (file_trust.hpp: read_owner_only;
// a group- or world-readable file is a problem naming it). Every problem is reported, each naming
// the file and the JSON path (or line and column for a syntax error).
std::expected<HostConfig, std::vector<std::string>> load_host_config(
    const std::filesystem::path& file);

// Parses config text; `file` is used for messages and to resolve relative directories.
std::expected<HostConfig, std::vector<std::string>> parse_host_config(
    std::string_view text, const std::filesystem::path& file);

}  // namespace crmflow
