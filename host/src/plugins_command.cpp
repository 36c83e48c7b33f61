#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace crmflow::cli {

int plugins_command(const GlobalOptions& options, bool as_json) {
  const auto host = open_host(options);
  const auto& components = host->plugins.components();

  if (as_json) {
    auto list = nlohmann::json::array();
    for (const Component& c : components) {
      list.push_back({{"pack", c.pack_id},
                      {"pack_version", c.pack_version},
                      {"kind", kind_name(c.kind)},
                      {"name", c.name},
                      {"version", c.version},
                      {"abi", fmt::format("{}.{}", c.abi_major, c.abi_minor)},
                      {"effect", effect_name(c.effect)},
                      {"file", c.file.string()}});
    }
    std::cout << list.dump(2) << '\n';
  } else {
    constexpr auto row = "{:<24} {:<10} {:<20} {:<8} {:<4} {:<9} {}\n";
    std::cout << fmt::format(row, "PACK", "KIND", "NAME", "VERSION", "ABI", "EFFECT", "FILE");
    for (const Component& c : components) {
      std::cout << fmt::format(row, c.pack_id + "@" + c.pack_version, kind_name(c.kind), c.name,
                               c.version, fmt::format("{}.{}", c.abi_major, c.abi_minor),
                               effect_name(c.effect), c.file.string());
    }
  }
  return host->problems.empty() ? kExitOk : report(host->problems);
}

}  // namespace crmflow::cli
