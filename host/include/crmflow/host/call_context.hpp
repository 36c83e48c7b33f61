// The host's side of one call into a plugin component: the opaque crmflow_call of abi.h.
#pragma once

#include <crmflow/abi.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <expected>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crmflow/host/component.hpp"
#include "crmflow/host/record.hpp"
#include "crmflow/host/record_effects.hpp"

namespace crmflow {

// What a trigger's tick() works with: its window and where its firings go.
struct TickCall {
  std::string since;  // UTC text; the window is (since, until]
  std::string until;
  // Carries out a fire request (abi.h `fire`): the number of new firings, or the problem.
  std::function<std::expected<uint64_t, std::string>(const nlohmann::json& request)> fire;
};

}  // namespace crmflow

// Defined in the global namespace because abi.h declares it there. Plugins only ever see
// a pointer to it; its layout is the host's business and may change freely.
struct crmflow_call {
  const crmflow::Record* record = nullptr;  // null for create()
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::string_view component;  // tags log lines: "<pack>/<component>"; outlives the call
  std::string error;           // set through crmflow_host_api.set_error
  crmflow::RecordEffects* effects = nullptr;  // null where writing is not allowed (conditions)
  std::string_view run_as;                    // the user the workflow runs as; may be empty
  std::string_view job_key;  // the idempotency key of the job the call runs in; may be empty
  std::string_view settings_json = "{}";  // the component's settings; outlives the call
  std::string result;                     // holds strings handed back during the call
  crmflow::TickCall* tick = nullptr;      // a trigger's tick(); null in every other call
  std::string_view module;                // tick(): the workflow's module (there is no record)
  // An exception a host service caught (e.g. a deadlock) so it would not cross the plugin;
  // rethrown on the host side after the plugin returns.
  std::exception_ptr host_exception;
  const crmflow::Component* callee = nullptr;  // the component called; null for create()
  unsigned nesting = 0;                        // how many run_action calls this call is inside of
  unsigned nested_runs = 0;  // run_action calls made so far: numbers the inner job keys
};

namespace crmflow {

// The process-wide table of host services handed to every plugin call. Never null.
const crmflow_host_api* host_api() noexcept;

}  // namespace crmflow
