// What the in-process engine tests share: the build's plugins loaded once, and workflows
// written as files and loaded the way the host loads them (so `check`'s rules apply).
//
//   PluginRegistry& registry = testing::build_plugins({"compare", "create_record"});
//   std::vector<Workflow> w = testing::load_workflow_texts(dir, {R"({"id": ...})"}, registry,
//   &map);
#pragma once

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

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

}  // namespace crmflow::testing
