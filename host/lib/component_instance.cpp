#include "crmflow/host/component_instance.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <utility>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/watchdog.hpp"

namespace crmflow {
namespace {

using Clock = std::chrono::steady_clock;

std::string failure(const Component& component, const Record& record, int32_t status,
                    const std::string& message) {
  return fmt::format("component '{}' failed on {} record {}: status {}: {}", component.name,
                     record.module, record.id, status, message.empty() ? "no message" : message);
}

// steady_clock at the kernel's tick resolution (a few ms): enough to see an overrun of a
// deadline of seconds, and a quarter of the cost of a precise read — paid after every call
// (bench/dispatch_bench: 23 of the ABI path's 50 ns of overhead per condition).
Clock::time_point coarse_now() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

// One plugin call, marked for the watchdog (watchdog.hpp) for exactly as long as it runs.
template <typename PluginCall>
int32_t watched(const Component& component, const Record* record, std::string_view module,
                PluginCall call) {
  const WatchedCall mark(component, record, module);
  return call();
}

void report_overrun(const Component& component, const Record& record, Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return;
  if (coarse_now() <= deadline) return;
  const auto now = Clock::now();
  if (now <= deadline) return;
  spdlog::warn("component '{}' ({}) overran its deadline on {} record {} by {} ms", component.name,
               component.file.string(), record.module, record.id,
               std::chrono::duration_cast<std::chrono::milliseconds>(now - deadline).count());
}

}  // namespace

ComponentInstance::ComponentInstance(const Component& component, void* instance) noexcept
    : component_(component), tag_(component.pack_id + "/" + component.name), instance_(instance) {}

ComponentInstance::ComponentInstance(ComponentInstance&& other) noexcept
    : component_(other.component_),
      tag_(std::move(other.tag_)),
      instance_(std::exchange(other.instance_, nullptr)) {}

ComponentInstance::~ComponentInstance() {
  if (instance_ != nullptr) component_.abi->destroy(instance_);
}

std::expected<bool, std::string> ComponentInstance::evaluate(const Record& record,
                                                             Clock::time_point deadline) const {
  if (component_.kind != CRMFLOW_KIND_CONDITION) {
    return std::unexpected(fmt::format("component '{}' is a {}, not a condition", component_.name,
                                       kind_name(component_.kind)));
  }
  crmflow_call call;
  call.record = &record;
  call.deadline = deadline;
  call.component = tag_;
  call.settings_json = component_.settings_json;
  int32_t result = 0;
  const int32_t status = watched(component_, &record, {}, [&] {
    return component_.abi->evaluate(host_api(), &call, instance_, &result);
  });
  report_overrun(component_, record, deadline);
  if (status != CRMFLOW_OK) return std::unexpected(failure(component_, record, status, call.error));
  return result != 0;
}

std::expected<void, ActionFailure> ComponentInstance::run(
    const Record& record, Clock::time_point deadline, RecordEffects* effects,
    std::string_view run_as, std::string_view job_key, unsigned nesting) const {
  if (component_.kind != CRMFLOW_KIND_ACTION) {
    return std::unexpected(
        ActionFailure{CRMFLOW_ERROR, fmt::format("component '{}' is a {}, not an action",
                                                 component_.name, kind_name(component_.kind))});
  }
  crmflow_call call;
  call.record = &record;
  call.deadline = deadline;
  call.component = tag_;
  call.settings_json = component_.settings_json;
  call.effects = effects;
  call.run_as = run_as;
  call.job_key = job_key;
  call.callee = &component_;
  call.nesting = nesting;
  const int32_t status = watched(component_, &record, {},
                                 [&] { return component_.abi->run(host_api(), &call, instance_); });
  report_overrun(component_, record, deadline);
  if (call.host_exception) std::rethrow_exception(call.host_exception);
  if (status != CRMFLOW_OK) {
    return std::unexpected(ActionFailure{status, failure(component_, record, status, call.error)});
  }
  return {};
}

std::expected<void, std::string> ComponentInstance::tick(std::string_view module, TickCall& tick,
                                                         Clock::time_point deadline) const {
  if (component_.kind != CRMFLOW_KIND_TRIGGER) {
    return std::unexpected(fmt::format("component '{}' is a {}, not a trigger", component_.name,
                                       kind_name(component_.kind)));
  }
  crmflow_call call;
  call.deadline = deadline;
  call.component = tag_;
  call.settings_json = component_.settings_json;
  call.tick = &tick;
  call.module = module;
  const int32_t status = watched(component_, nullptr, module, [&] {
    return component_.abi->tick(host_api(), &call, instance_);
  });
  if (call.host_exception) std::rethrow_exception(call.host_exception);
  if (status != CRMFLOW_OK) {
    return std::unexpected(fmt::format("trigger '{}' failed on {}: status {}: {}", component_.name,
                                       module, status,
                                       call.error.empty() ? "no message" : call.error));
  }
  return {};
}

}  // namespace crmflow
