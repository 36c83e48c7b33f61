#include "crmflow/host/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crmflow/host/file_trust.hpp"
#include "crmflow/host/json_diagnostics.hpp"
#include "crmflow/host/json_reader.hpp"

namespace crmflow {
namespace fs = std::filesystem;
using json = Json;

namespace {

// Whether `name` names a file in a directory and nothing else: no separator, no "..".
bool is_plugin_name(std::string_view name) {
  if (name.empty() || name.front() == '.') return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

void read_plugins(const json& root, const fs::path& base, HostConfig& config,
                  JsonProblems& problems) {
  if (const auto dirs = root.find("plugin_dirs"); dirs != root.end()) {
    if (!dirs->is_array()) {
      problems.add("plugin_dirs", "expected an array of directory names");
    } else {
      for (size_t i = 0; i < dirs->size(); ++i) {
        const json& dir = (*dirs)[i];
        if (!dir.is_string() || dir.get<std::string>().empty()) {
          problems.add(fmt::format("plugin_dirs[{}]", i), "expected a directory name");
          continue;
        }
        config.plugin_dirs.push_back((base / dir.get<std::string>()).lexically_normal());
      }
    }
  }
  const auto plugins = root.find("plugins");
  if (plugins == root.end()) return;
  if (!plugins->is_object())
    return problems.add("plugins", "expected an object: plugin name → settings");
  for (const auto& [name, settings] : plugins->items()) {
    const std::string path = "plugins." + name;
    if (!settings.is_object()) {
      problems.add(path, R"(expected an object such as {"enabled": true})");
      continue;
    }
    if (!is_plugin_name(name)) {
      problems.add(path,
                   "a plugin name is its file name without .so (letters, digits, '_', '-' and "
                   "'.', not starting with '.'), so it cannot name a file outside plugin_dirs");
      continue;
    }
    reject_unknown_keys(settings, path, {"enabled", "components", "settings"}, problems);
    PluginSetting plugin;
    plugin.name = name;
    read(settings, "enabled", path, plugin.enabled, problems);
    if (const auto own = settings.find("settings"); own != settings.end()) {
      if (own->is_object()) {
        plugin.settings_json = own->dump();
      } else {
        problems.add(path + ".settings", "expected an object of the plugin's settings");
      }
    }
    if (const auto components = settings.find("components"); components != settings.end()) {
      plugin.components.emplace();
      if (!components->is_array()) {
        problems.add(path + ".components", "expected an array of component names");
      } else {
        for (size_t i = 0; i < components->size(); ++i) {
          const json& component = (*components)[i];
          if (!component.is_string()) {
            problems.add(fmt::format("{}.components[{}]", path, i), "expected a component name");
          } else if (!plugin.components->insert(component.get<std::string>()).second) {
            problems.add(fmt::format("{}.components[{}]", path, i),
                         "component listed twice: " + component.get<std::string>());
          }
        }
      }
    }
    config.plugins.push_back(std::move(plugin));
  }
}

void read_database(const json& root, DatabaseSettings& db, JsonProblems& problems) {
  const auto it = root.find("database");
  if (it == root.end()) return;
  if (!it->is_object()) return problems.add("database", "expected an object");
  if (it->contains("password")) {
    problems.add("database.password",
                 "a password does not belong in the config file; set CRMFLOW_DB_PASSWORD in the "
                 "host's environment");
  }
  auto settings = *it;
  settings.erase("password");
  reject_unknown_keys(settings, "database", {"host", "port", "socket", "name", "user"}, problems);
  read(*it, "host", "database", db.host, problems);
  read(*it, "port", "database", db.port, problems);
  read(*it, "socket", "database", db.socket, problems);
  read(*it, "name", "database", db.name, problems);
  read(*it, "user", "database", db.user, problems);
}

void read_log(const json& root, LogSettings& log, JsonProblems& problems) {
  const auto it = root.find("log");
  if (it == root.end()) return;
  if (!it->is_object()) return problems.add("log", "expected an object");
  reject_unknown_keys(*it, "log", {"level", "format"}, problems);
  read(*it, "level", "log", log.level, problems);
  read(*it, "format", "log", log.format, problems);
  static constexpr std::string_view levels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(levels), std::end(levels), log.level) == std::end(levels)) {
    problems.add("log.level", "expected trace, debug, info, warn or error, found " + log.level);
  }
  if (log.format != "text" && log.format != "json") {
    problems.add("log.format", "expected text or json, found " + log.format);
  }
}

void read_crm(const json& root, const fs::path& base, HostConfig& config, JsonProblems& problems) {
  std::string module_map, workflows;
  read(root, "module_map", "(top)", module_map, problems);
  read(root, "workflows", "(top)", workflows, problems);
  if (!module_map.empty()) config.module_map = (base / module_map).lexically_normal();
  if (!workflows.empty()) config.workflows_dir = (base / workflows).lexically_normal();
  read(root, "clock_offset_seconds", "(top)", config.clock_offset_seconds, problems);
  read(root, "time_zone", "(top)", config.time_zone, problems);
  if (const auto engine = root.find("engine"); engine != root.end()) {
    if (!engine->is_object()) return problems.add("engine", "expected an object");
    reject_unknown_keys(*engine, "engine",
                        {"batch_size", "lease_seconds", "max_attempts", "depth_limit",
                         "idle_poll_ms", "lock_wait_timeout_seconds", "settle_ms"},
                        problems);
    EngineSettings& e = config.engine;
    read(*engine, "batch_size", "engine", e.batch_size, problems);
    read(*engine, "lease_seconds", "engine", e.lease_seconds, problems);
    read(*engine, "max_attempts", "engine", e.max_attempts, problems);
    read(*engine, "depth_limit", "engine", e.depth_limit, problems);
    read(*engine, "idle_poll_ms", "engine", e.idle_poll_ms, problems);
    read(*engine, "lock_wait_timeout_seconds", "engine", e.lock_wait_timeout_seconds, problems);
    read(*engine, "settle_ms", "engine", e.settle_ms, problems);
    if (e.settle_ms > 60000) problems.add("engine.settle_ms", "must be at most 60000");
    if (e.batch_size == 0) problems.add("engine.batch_size", "must be at least 1");
    if (e.max_attempts == 0) problems.add("engine.max_attempts", "must be at least 1");
    if (e.lease_seconds == 0) problems.add("engine.lease_seconds", "must be at least 1");
    if (e.lock_wait_timeout_seconds == 0) {
      problems.add("engine.lock_wait_timeout_seconds", "must be at least 1");
    }
    if (e.idle_poll_ms == 0 || e.idle_poll_ms > 1000) {
      problems.add("engine.idle_poll_ms", "must be between 1 and 1000");
    }
  }
  if (const auto capture = root.find("capture"); capture != root.end()) {
    if (!capture->is_object()) return problems.add("capture", "expected an object");
    reject_unknown_keys(*capture, "capture",
                        {"auto_repair", "drift_check_seconds", "lock_wait_timeout_seconds"},
                        problems);
    read(*capture, "auto_repair", "capture", config.capture.auto_repair, problems);
    read(*capture, "drift_check_seconds", "capture", config.capture.drift_check_seconds, problems);
    read(*capture, "lock_wait_timeout_seconds", "capture", config.capture.lock_wait_timeout_seconds,
         problems);
    if (config.capture.drift_check_seconds == 0) {
      problems.add("capture.drift_check_seconds", "must be at least 1");
    }
  }
}

void read_jobs(const json& root, JobSettings& jobs, JsonProblems& problems) {
  const auto it = root.find("jobs");
  if (it == root.end()) return;
  if (!it->is_object()) return problems.add("jobs", "expected an object");
  reject_unknown_keys(*it, "jobs",
                      {"batch_size", "lease_seconds", "max_attempts", "backoff_cap_seconds"},
                      problems);
  read(*it, "batch_size", "jobs", jobs.batch_size, problems);
  read(*it, "lease_seconds", "jobs", jobs.lease_seconds, problems);
  read(*it, "max_attempts", "jobs", jobs.max_attempts, problems);
  read(*it, "backoff_cap_seconds", "jobs", jobs.backoff_cap_seconds, problems);
  for (const auto& [name, value] : {std::pair{"batch_size", jobs.batch_size},
                                    {"lease_seconds", jobs.lease_seconds},
                                    {"max_attempts", jobs.max_attempts},
                                    {"backoff_cap_seconds", jobs.backoff_cap_seconds}}) {
    if (value == 0) problems.add(std::string("jobs.") + name, "must be at least 1");
  }
}

void read_triggers(const json& root, TriggerSettings& triggers, JsonProblems& problems) {
  const auto it = root.find("triggers");
  if (it == root.end()) return;
  if (!it->is_object()) return problems.add("triggers", "expected an object");
  reject_unknown_keys(*it, "triggers", {"tick_seconds", "max_firings_per_tick"}, problems);
  read(*it, "tick_seconds", "triggers", triggers.tick_seconds, problems);
  read(*it, "max_firings_per_tick", "triggers", triggers.max_firings_per_tick, problems);
  if (triggers.max_firings_per_tick == 0) {
    problems.add("triggers.max_firings_per_tick", "must be at least 1");
  }
}

void read_retention(const json& root, RetentionSettings& retention, JsonProblems& problems) {
  const auto it = root.find("retention");
  if (it == root.end()) return;
  if (!it->is_object()) return problems.add("retention", "expected an object");
  reject_unknown_keys(*it, "retention",
                      {"audit_days", "job_days", "firing_days", "batch_size", "interval_seconds"},
                      problems);
  read(*it, "audit_days", "retention", retention.audit_days, problems);
  read(*it, "job_days", "retention", retention.job_days, problems);
  read(*it, "firing_days", "retention", retention.firing_days, problems);
  read(*it, "batch_size", "retention", retention.batch_size, problems);
  read(*it, "interval_seconds", "retention", retention.interval_seconds, problems);
  if (retention.audit_days == 0) problems.add("retention.audit_days", "must be at least 1");
  if (retention.job_days == 0) problems.add("retention.job_days", "must be at least 1");
  if (retention.firing_days == 0) problems.add("retention.firing_days", "must be at least 1");
  if (retention.batch_size == 0) problems.add("retention.batch_size", "must be at least 1");
  if (retention.interval_seconds == 0) {
    problems.add("retention.interval_seconds", "must be at least 1");
  }
}

void read_packs(const json& root, const fs::path& base, PackSettings& packs,
                JsonProblems& problems) {
  const auto it = root.find("packs");
  if (it == root.end()) return;
  if (!it->is_object()) return problems.add("packs", "expected an object");
  reject_unknown_keys(*it, "packs", {"dir", "trusted_keys", "allow_unsigned"}, problems);
  std::string dir;
  read(*it, "dir", "packs", dir, problems);
  if (it->contains("dir") && (*it)["dir"].is_string() && dir.empty()) {
    problems.add("packs.dir", "expected a directory name");
  }
  if (!dir.empty()) packs.dir = (base / dir).lexically_normal();
  read(*it, "allow_unsigned", "packs", packs.allow_unsigned, problems);
  const auto keys = it->find("trusted_keys");
  if (keys == it->end()) return;
  if (!keys->is_array()) {
    return problems.add("packs.trusted_keys", "expected an array of public key files (.pub)");
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    const json& key = (*keys)[i];
    if (!key.is_string() || key.get<std::string>().empty()) {
      problems.add(fmt::format("packs.trusted_keys[{}]", i), "expected a public key file (.pub)");
      continue;
    }
    packs.trusted_keys.push_back((base / key.get<std::string>()).lexically_normal());
  }
  if (packs.dir.empty() && (!packs.trusted_keys.empty() || packs.allow_unsigned)) {
    problems.add("packs.dir", "required with trusted_keys or allow_unsigned: where packs live");
  }
}

// The database settings the environment overrides; a problem when the password file is not
// owner-only or cannot be read.
std::optional<std::string> apply_environment(DatabaseSettings& db) {
  const auto env = [](const char* name) -> const char* {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : nullptr;
  };
  if (const char* v = env("CRMFLOW_DB_HOST")) db.host = v;
  if (const char* v = env("CRMFLOW_DB_PORT"))
    db.port = static_cast<unsigned>(std::strtoul(v, nullptr, 10));
  if (const char* v = env("CRMFLOW_DB_SOCKET")) db.socket = v;
  if (const char* v = env("CRMFLOW_DB_NAME")) db.name = v;
  if (const char* v = env("CRMFLOW_DB_USER")) db.user = v;
  if (const char* v = env("CRMFLOW_DB_PASSWORD")) {
    db.password = v;
  } else if (const char* file = env("CRMFLOW_DB_PASSWORD_FILE")) {
    auto password = read_owner_only(file, "CRMFLOW_DB_PASSWORD_FILE", current_trust_policy());
    if (!password) return password.error();
    db.password = std::move(*password);
  }
  return std::nullopt;
}

}  // namespace

std::expected<HostConfig, std::vector<std::string>> parse_host_config(std::string_view text,
                                                                      const fs::path& file) {
  auto root = parse_json_with_comments(text, file);
  if (!root) return std::unexpected(std::vector<std::string>{root.error()});

  JsonProblems problems(file);
  if (!root->is_object()) {
    problems.add("(top)", "expected a JSON object");
    return std::unexpected(problems.take());
  }
  reject_unknown_keys(*root, "(top)",
                      {"plugin_dirs", "plugins", "database", "log", "call_deadline_ms",
                       "hang_limit_ms", "module_map", "workflows", "engine", "capture", "retention",
                       "jobs", "triggers", "clock_offset_seconds", "time_zone", "packs"},
                      problems);

  HostConfig config;
  config.file = file;
  read_plugins(*root, fs::absolute(file).parent_path(), config, problems);
  read_database(*root, config.database, problems);
  read_log(*root, config.log, problems);
  unsigned deadline_ms = static_cast<unsigned>(config.call_deadline.count());
  read(*root, "call_deadline_ms", "(top)", deadline_ms, problems);
  if (deadline_ms == 0) problems.add("call_deadline_ms", "must be greater than 0");
  config.call_deadline = std::chrono::milliseconds(deadline_ms);
  unsigned hang_ms = static_cast<unsigned>(std::min<unsigned long long>(
      std::numeric_limits<unsigned>::max(), std::max(30000ULL, 10ULL * deadline_ms)));
  read(*root, "hang_limit_ms", "(top)", hang_ms, problems);
  if (root->contains("hang_limit_ms") && hang_ms <= deadline_ms) {
    problems.add("hang_limit_ms",
                 fmt::format("must be more than call_deadline_ms ({}): a call may use its "
                             "whole deadline; found {}",
                             deadline_ms, hang_ms));
  }
  config.hang_limit = std::chrono::milliseconds(hang_ms);

  read_crm(*root, fs::absolute(file).parent_path(), config, problems);
  read_retention(*root, config.retention, problems);
  read_jobs(*root, config.jobs, problems);
  read_triggers(*root, config.triggers, problems);
  read_packs(*root, fs::absolute(file).parent_path(), config.packs, problems);
  if (!problems.empty()) return std::unexpected(problems.take());
  if (auto problem = apply_environment(config.database)) {
    return std::unexpected(std::vector<std::string>{std::move(*problem)});
  }
  return config;
}

std::expected<HostConfig, std::vector<std::string>> load_host_config(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return std::unexpected(
        std::vector<std::string>{file.string() + ": cannot read the config file"});
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_host_config(text.str(), file);
}

}  // namespace crmflow
