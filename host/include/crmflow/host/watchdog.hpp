// What an operator learns when a plugin call never returns or crashes the process.
//
// A call into a plugin runs in the host's own thread and cannot be cancelled safely: a call
// that hangs blocks the host, a segfault kills it. Every plugin call marks its thread with a
// WatchedCall (a call number and what runs: no clock read, no allocation, no lock). Then:
//
//   - the watchdog (one thread, start_watchdog) ends the process with kExitPluginHung when a
//     call has run longer than the hang limit, after one error line naming the plugin file, the
//     component, the module and the record and how long it ran. The event's claim already
//     counted an attempt, so a supervisor's restarts lead to quarantine after max_attempts.
//   - the fatal-signal report (install_crash_report): on SIGSEGV, SIGBUS, SIGFPE, SIGILL or
//     SIGABRT during a plugin call, one line naming the component and the record is written to
//     stderr, and the process then dies of that signal as it would have.
#pragma once

#include <chrono>
#include <string_view>

#include "crmflow/host/component.hpp"
#include "crmflow/host/record.hpp"

namespace crmflow {

// The exit code of a host the watchdog ended (a plugin call ran past the hang limit).
constexpr int kExitPluginHung = 3;

struct CallSlot;  // what one thread is calling right now (watchdog.cpp)

// Marks the calling thread as inside a call of `component` on `record` (or, for a trigger's
// tick, `record` null and `module` the module ticked) until destroyed. Nested calls (an action
// running another through run_action) restore the outer call's mark. `component`, `record`
// and `module` must outlive the object.
class WatchedCall {
 public:
  WatchedCall(const Component& component, const Record* record,
              std::string_view module = {}) noexcept;
  ~WatchedCall();
  WatchedCall(const WatchedCall&) = delete;
  WatchedCall& operator=(const WatchedCall&) = delete;

 private:
  CallSlot* slot_;
  unsigned long long outer_call_;
  const Component* outer_component_;
  const Record* outer_record_;
  const char* outer_module_;
  size_t outer_module_size_;
};

// What the watchdog does about a hung call: log and end the process (the host), or anything a
// test wants. Called on the watchdog thread with the slot's call, how long it has run.
using HangHandler = void (*)(const Component& component, const Record* record,
                             std::string_view module, std::chrono::milliseconds ran,
                             std::chrono::milliseconds limit);

// The host's handler: one error line (plugin file, component, module, record, time run),
// the log flushed, then _exit(kExitPluginHung).
void end_process_on_hang(const Component& component, const Record* record, std::string_view module,
                         std::chrono::milliseconds ran, std::chrono::milliseconds limit);

// Starts the watchdog thread, which looks at every thread's call about ten times per limit and
// calls `on_hang` once for a call it has seen running for longer than `hang_limit` (reported
// within a tenth of the limit after it; `ran` is how long the watchdog saw it). Once per process;
// a second call is ignored. The thread runs until the process ends.
void start_watchdog(std::chrono::milliseconds hang_limit,
                    HangHandler on_hang = &end_process_on_hang);

// Installs the fatal-signal report for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (and an
// alternate signal stack for the calling thread, so a stack overflow is reported too). Outside
// a plugin call the signals keep their default action unreported.
void install_crash_report();

}  // namespace crmflow
