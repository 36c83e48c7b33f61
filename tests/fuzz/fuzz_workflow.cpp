// libFuzzer target: a workflow file's text checked as `crmflow check` checks it
// (load_workflows over a WorkflowText, host/lib/workflow.cpp): JSON with comments, trigger,
// conditions (all/any/not, compare and changes leaves), actions with delays and parameters,
// each component created through the real plugins of the build's plugin directory, and modules
// and fields checked against the 1CRM module map (config/crm/1crm.json, without a database, so
// without columns). Plugins and map are loaded once. A time trigger's dry run ticks on the host
// clock (Europe/Vienna). Every problem is a value; anything else that stops is a bug.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/workflow.hpp"

namespace {

crmflow::PluginRegistry* registry = nullptr;
crmflow::ModuleMap* module_map = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const auto clock = crmflow::configure_clock("Europe/Vienna", std::chrono::seconds(0));
      !clock) {
    std::cerr << "fuzz_workflow: " << clock.error() << '\n';
    std::abort();
  }
  auto map =
      crmflow::load_module_map(std::filesystem::path(CRMFLOW_SOURCE_DIR) / "config/crm/1crm.json");
  if (!map) {
    for (const auto& problem : map.error()) std::cerr << "fuzz_workflow: " << problem << '\n';
    std::abort();
  }
  module_map = new crmflow::ModuleMap(std::move(*map));
  registry = new crmflow::PluginRegistry();
  // Every plugin the build made but the membership pack's (it needs its association's settings).
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(CRMFLOW_PLUGIN_DIR)) {
    if (entry.path().extension() == ".so" && entry.path().stem() != "membership")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    for (const auto& problem : registry->load(file))
      std::cerr << "fuzz_workflow: " << problem << '\n';
  }
  std::cerr << "fuzz_workflow: " << registry->components().size() << " components from "
            << files.size() << " plugin files\n";
  if (registry->find("compare") == nullptr) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<crmflow::WorkflowText> texts{
      {"/fuzz/workflows/fuzzed.json", std::string(reinterpret_cast<const char*>(data), size)}};
  const auto workflows = crmflow::load_workflows({}, texts, *registry, module_map);
  if (!workflows && workflows.error().empty()) std::abort();  // a failure names its problem
  return 0;
}
