#include "crmflow/host/failpoint.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <string>

namespace crmflow {

void failpoint(std::string_view name) {
  static const std::string configured = [] {
    const char* value = std::getenv("CRMFLOW_FAILPOINT");
    return std::string(value == nullptr ? "" : value);
  }();
  if (configured.empty() || !configured.starts_with(name)) return;
  const std::string_view rest = std::string_view(configured).substr(name.size());
  if (!rest.empty() && rest.front() != ':') return;
  const long wanted = rest.empty() ? 1 : std::strtol(rest.data() + 1, nullptr, 10);
  static std::atomic<long> hits{0};
  if (++hits < wanted) return;
  spdlog::warn("failpoint {} reached: killing the process", name);
  spdlog::default_logger()->flush();
  std::raise(SIGKILL);
}

}  // namespace crmflow
