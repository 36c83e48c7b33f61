// The host's one log: spdlog to stderr, as text for people or JSON lines for collectors.
#pragma once

#include <string>

namespace crmflow {

// Configures the default logger. level: trace|debug|info|warn|error; format: text|json.
// Returns false (and leaves the logger as it was) for an unknown level or format.
bool setup_logging(const std::string& level, const std::string& format);

}  // namespace crmflow
