#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "crmflow/host/json_diagnostics.hpp"

namespace crmflow::cli {
namespace {

// Reads {"name": "text" | number | null, ...} into a record image; problems name the path.
bool read_image(const nlohmann::ordered_json& record, const char* key, RecordImage& image,
                std::vector<std::string>& problems) {
  const auto it = record.find(key);
  if (it == record.end()) return true;
  if (!it->is_object()) {
    problems.push_back(fmt::format("--record: {}: expected an object of field values", key));
    return false;
  }
  for (const auto& [name, value] : it->items()) {
    if (value.is_null()) {
      image[name] = std::nullopt;
    } else if (value.is_string()) {
      image[name] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      image[name] = value.dump();
    } else {
      problems.push_back(
          fmt::format("--record: {}.{}: expected text, a number or null", key, name));
    }
  }
  return true;
}

}  // namespace

int try_command(const GlobalOptions& options, const TryOptions& try_options) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);

  const Component* component = host->plugins.find(try_options.component);
  if (component == nullptr) {
    return report({fmt::format("no enabled component named '{}'", try_options.component)});
  }
  const auto json = parse_json_with_comments(try_options.record, "--record");
  if (!json) return report({json.error()});
  std::vector<std::string> problems;
  Record record;
  record.module = json->value("module", "");
  record.id = json->value("id", "");
  read_image(*json, "fields", record.new_image, problems);
  read_image(*json, "old", record.old_image, problems);
  if (!problems.empty()) return report(problems);
  record.current = record.new_image;

  const auto instance = host->plugins.instantiate(*component, try_options.params);
  if (!instance) return report({instance.error()});
  const auto deadline = std::chrono::steady_clock::now() + host->config.call_deadline;
  if (component->kind == CRMFLOW_KIND_CONDITION) {
    const auto holds = instance->evaluate(record, deadline);
    if (!holds) return report({holds.error()});
    std::cout << (*holds ? "true" : "false") << '\n';
    return kExitOk;
  }
  if (component->kind == CRMFLOW_KIND_ACTION) {
    const auto done = instance->run(record, deadline);
    if (!done) return report({done.error().message});
    std::cout << "done\n";
    return kExitOk;
  }
  return report({fmt::format("component '{}' is a {}; try calls conditions and actions",
                             component->name, kind_name(component->kind))});
}

}  // namespace crmflow::cli
