// A component created with its parameters, and the calls into it.
#pragma once

#include <crmflow/abi.h>

#include <chrono>
#include <expected>
#include <string>

#include "crmflow/host/component.hpp"
#include "crmflow/host/record.hpp"
#include "crmflow/host/record_effects.hpp"

namespace crmflow {

struct TickCall;

// Why an action failed: the plugin's status (CRMFLOW_*) and the message naming the
// component and the record.
struct ActionFailure {
  int32_t status = CRMFLOW_ERROR;
  std::string message;
};

// A component created with parameters. Safe to call from several threads at once.
// Owns the plugin's instance and destroys it; keeps the plugin's library loaded.
class ComponentInstance {
 public:
  ComponentInstance(const Component& component, void* instance) noexcept;
  ComponentInstance(ComponentInstance&& other) noexcept;
  ComponentInstance& operator=(ComponentInstance&&) = delete;
  ComponentInstance(const ComponentInstance&) = delete;
  ~ComponentInstance();

  // Conditions only: whether the condition holds for the record. The error names the
  // component and the record and carries the plugin's message. A call that returns after
  // its deadline is reported in the log (the plugin is expected to watch remaining_ms).
  std::expected<bool, std::string> evaluate(const Record& record,
                                            std::chrono::steady_clock::time_point deadline) const;

  // Actions only: runs the action for the record. `effects` carries out its database
  // effects (null: the action may not write); `run_as` is the workflow's user; `job_key`
  // the idempotency key of the job the action runs in (empty inside an event); `nesting`
  // how many actions this one runs inside of (run_action). An exception the effects raised
  // (a database error) is rethrown here, after the plugin returned.
  std::expected<void, ActionFailure> run(const Record& record,
                                         std::chrono::steady_clock::time_point deadline,
                                         RecordEffects* effects = nullptr,
                                         std::string_view run_as = {},
                                         std::string_view job_key = {}, unsigned nesting = 0) const;

  // Triggers only: one tick for the workflow's `module`; `tick` holds the window and
  // carries out the trigger's fire requests. The error names the component and carries the
  // plugin's message; an exception a fire request raised (a database error) is rethrown
  // here, after the plugin returned.
  std::expected<void, std::string> tick(std::string_view module, TickCall& tick,
                                        std::chrono::steady_clock::time_point deadline) const;

  const Component& component() const noexcept { return component_; }

 private:
  Component component_;  // a copy: the instance may outlive its registry
  std::string tag_;      // "<pack>/<component>", for the plugin's log lines
  void* instance_;
};

}  // namespace crmflow
