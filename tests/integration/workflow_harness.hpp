// What the in-process engine tests share: the build's plugins loaded once, and workflows
// written as files and loaded the way the host loads them (so `check`'s rules apply).
//
//   PluginRegistry& registry = testing::build_plugins({"compare", "create_record"});
//   PluginRegistry& mailing = testing::build_plugins({"compare"}, "send_email", settings);
//   std::vector<Workflow> w = testing::load_workflow_texts(dir, {R"({"id": ...})"}, registry,
//   &map);
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <soci/soci.h>

#include <chrono>
#include <thread>

#include "crmflow/host/engine.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/workflow.hpp"

#ifndef CRMFLOW_PLUGIN_DIR
#error "define CRMFLOW_PLUGIN_DIR (the build's plugin directory) for the test target"
#endif

namespace crmflow::testing {

// One registry per test process with the named plugins of the build (CRMFLOW_PLUGIN_DIR);
// the first call decides which. Throws with the loader's first problem.
inline PluginRegistry& build_plugins(std::initializer_list<const char*> names) {
  static PluginRegistry registry;
  if (registry.components().empty()) {
    for (const char* name : names) {
      const auto problems =
          registry.load(std::filesystem::path(CRMFLOW_PLUGIN_DIR) / (std::string(name) + ".so"));
      if (!problems.empty()) throw std::runtime_error(problems.front());
    }
  }
  return registry;
}

// The named plugins of the build plus `configured` loaded with `settings` (a JSON object's
// text: the host config's "plugins": {"<configured>": {"settings": ...}}). One registry per
// distinct `configured` and `settings`, kept for the process, since a plugin's settings are
// fixed when it is loaded; the first call for them decides `names`. Throws with the loader's
// first problem.
inline PluginRegistry& build_plugins(std::initializer_list<const char*> names,
                                     const std::string& configured, const std::string& settings) {
  static std::map<std::string, std::unique_ptr<PluginRegistry>> registries;
  auto& registry = registries[configured + '\n' + settings];
  if (!registry) {
    auto loading = std::make_unique<PluginRegistry>();
    const std::filesystem::path dir = CRMFLOW_PLUGIN_DIR;
    for (const char* name : names) {
      const auto problems = loading->load(dir / (std::string(name) + ".so"));
      if (!problems.empty()) throw std::runtime_error(problems.front());
    }
    const auto problems = loading->load(dir / (configured + ".so"), std::nullopt, settings);
    if (!problems.empty()) throw std::runtime_error(problems.front());
    registry = std::move(loading);
  }
  return *registry;
}

// Writes each text as <dir>/wN.json and loads the directory; throws with the first problem.
inline std::vector<Workflow> load_workflow_texts(const std::filesystem::path& dir,
                                                 const std::vector<std::string>& texts,
                                                 const PluginRegistry& registry,
                                                 const ModuleMap* map) {
  std::filesystem::create_directories(dir);
  int n = 0;
  for (const std::string& text : texts) {
    std::ofstream(dir / ("w" + std::to_string(++n) + ".json")) << text;
  }
  auto loaded = load_workflows(dir, registry, map);
  if (!loaded) throw std::runtime_error(loaded.error().front());
  return std::move(*loaded);
}

// The number a COUNT(...) query returns.
inline long long query_count(soci::session& db, const std::string& sql) {
  long long n = 0;
  db << sql, soci::into(n);
  return n;
}

// Steps `engine` until crmflow_event is empty, at most 200 rounds with `pause` between them
// (to wait out a settle window); false when the queue never drained.
inline bool drain_events(Engine& engine, soci::session& db,
                         std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
  for (int i = 0; i < 200; ++i) {
    engine.step();
    if (query_count(db, "SELECT COUNT(*) FROM crmflow_event") == 0) return true;
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  return false;
}

}  // namespace crmflow::testing
