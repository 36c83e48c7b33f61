#include "crmflow/host/watchdog.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace crmflow {

// The call site reads no clock: it numbers its calls, and the watchdog times how long it sees
// the same number (bench/dispatch_bench: a clock read would be most of the mark's cost).
struct CallSlot {
  std::atomic<unsigned long long> call{0};  // the running call's number; 0 while none runs
  unsigned long long calls = 0;             // numbers handed out; only the thread touches it
  std::atomic<const Component*> component{nullptr};
  std::atomic<const Record*> record{nullptr};  // null for a trigger's tick
  std::atomic<const char*> module{nullptr};    // the tick's module when there is no record
  std::atomic<size_t> module_size{0};
};

namespace {

// Every thread's slot, for the watchdog. A thread registers on its first plugin call.
std::mutex slots_mutex;
std::vector<CallSlot*>& all_slots() {
  static auto* slots = new std::vector<CallSlot*>;  // never destroyed: the watchdog outlives main
  return *slots;
}

// The thread's slot for the signal handler: a plain pointer, no lazy initialisation, so
// reading it in a handler runs no code.
constinit thread_local CallSlot* current_slot __attribute__((tls_model("initial-exec"))) = nullptr;

// Owns the thread's slot and takes it out of the registry when the thread ends.
struct SlotOwner {
  CallSlot slot;
  SlotOwner() {
    const std::lock_guard lock(slots_mutex);
    all_slots().push_back(&slot);
    current_slot = &slot;
  }
  ~SlotOwner() {
    const std::lock_guard lock(slots_mutex);
    std::erase(all_slots(), &slot);
    current_slot = nullptr;
  }
  SlotOwner(const SlotOwner&) = delete;
  SlotOwner& operator=(const SlotOwner&) = delete;
};

CallSlot& this_thread_slot() {
  if (current_slot != nullptr) return *current_slot;
  thread_local SlotOwner owner;
  return owner.slot;
}

std::string describe_target(const Record* record, std::string_view module) {
  if (record != nullptr) return fmt::format("{} record {}", record->module, record->id);
  return fmt::format("{} (a trigger's tick)", module);
}

// --- the fatal-signal report: only async-signal-safe calls from here on ---

// Appends text to a fixed buffer, cutting what does not fit.
struct LineBuffer {
  char text[1024];
  size_t size = 0;
  void add(const char* s, size_t n) {
    n = std::min(n, sizeof text - 1 - size);
    std::memcpy(text + size, s, n);
    size += n;
  }
  void add(const char* s) { add(s, std::strlen(s)); }
  void add(const std::string& s) { add(s.data(), s.size()); }
};

const char* signal_name(int signal) {
  switch (signal) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "a fatal signal";
  }
}

extern "C" void report_fatal_signal(int signal) {
  const int saved_errno = errno;
  const CallSlot* slot = current_slot;
  if (slot != nullptr && slot->call.load(std::memory_order_acquire) != 0) {
    const Component* component = slot->component.load(std::memory_order_relaxed);
    const Record* record = slot->record.load(std::memory_order_relaxed);
    LineBuffer line;
    line.add("crmflow: ");
    line.add(signal_name(signal));
    line.add(" in a plugin call: component '");
    if (component != nullptr) {
      line.add(component->name);
      line.add("' (plugin ");
      line.add(component->file.c_str());
      line.add(")");
    } else {
      line.add("?'");
    }
    line.add(" on ");
    if (record != nullptr) {
      line.add(record->module);
      line.add(" record ");
      line.add(record->id);
    } else {
      line.add(slot->module.load(std::memory_order_relaxed),
               slot->module_size.load(std::memory_order_relaxed));
      line.add(" (a trigger's tick)");
    }
    line.add("; the host dies of it, the event is retried by the next start\n");
    for (size_t written = 0; written < line.size;) {
      const ssize_t n = ::write(STDERR_FILENO, line.text + written, line.size - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
  }
  errno = saved_errno;
  // SA_RESETHAND restored the default action: the signal, raised again (or the faulting
  // instruction, executed again), ends the process as it would have without this report.
  ::raise(signal);
}

}  // namespace

WatchedCall::WatchedCall(const Component& component, const Record* record,
                         std::string_view module) noexcept
    : slot_(&this_thread_slot()),
      outer_call_(slot_->call.load(std::memory_order_relaxed)),
      outer_component_(slot_->component.load(std::memory_order_relaxed)),
      outer_record_(slot_->record.load(std::memory_order_relaxed)),
      outer_module_(slot_->module.load(std::memory_order_relaxed)),
      outer_module_size_(slot_->module_size.load(std::memory_order_relaxed)) {
  slot_->component.store(&component, std::memory_order_relaxed);
  slot_->record.store(record, std::memory_order_relaxed);
  slot_->module.store(module.data(), std::memory_order_relaxed);
  slot_->module_size.store(module.size(), std::memory_order_relaxed);
  // Published last: whoever sees the number sees what runs.
  slot_->call.store(++slot_->calls, std::memory_order_release);
}

WatchedCall::~WatchedCall() {
  slot_->call.store(0, std::memory_order_release);
  if (outer_call_ == 0) return;
  slot_->component.store(outer_component_, std::memory_order_relaxed);
  slot_->record.store(outer_record_, std::memory_order_relaxed);
  slot_->module.store(outer_module_, std::memory_order_relaxed);
  slot_->module_size.store(outer_module_size_, std::memory_order_relaxed);
  slot_->call.store(outer_call_, std::memory_order_release);
}

void end_process_on_hang(const Component& component, const Record* record, std::string_view module,
                         std::chrono::milliseconds ran, std::chrono::milliseconds limit) {
  spdlog::error(
      "plugin call hung: component '{}' (plugin {}) on {} has run for at least {} ms, past the "
      "hang limit of {} ms; ending the host with exit code {} (a call cannot be cancelled; the "
      "next start "
      "retries the event, quarantined after max_attempts)",
      component.name, component.file.string(), describe_target(record, module), ran.count(),
      limit.count(), kExitPluginHung);
  spdlog::default_logger()->flush();
  std::fflush(stderr);
  ::_exit(kExitPluginHung);
}

void start_watchdog(std::chrono::milliseconds hang_limit, HangHandler on_hang) {
  static std::once_flag once;
  std::call_once(once, [&] {
    const auto period = std::clamp<std::chrono::milliseconds>(
        hang_limit / 10, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    std::thread([period, hang_limit, on_hang] {
      using Clock = std::chrono::steady_clock;
      // Per slot: the call last seen running, since when, and whether it was reported.
      struct Seen {
        unsigned long long call = 0;
        Clock::time_point since;
        bool reported = false;
      };
      std::unordered_map<const CallSlot*, Seen> seen;
      for (;;) {
        std::this_thread::sleep_for(period);
        const auto now = Clock::now();
        const std::lock_guard lock(slots_mutex);
        std::erase_if(seen, [](const auto& entry) {
          return std::ranges::find(all_slots(), entry.first) == all_slots().end();
        });
        for (const CallSlot* slot : all_slots()) {
          const unsigned long long call = slot->call.load(std::memory_order_acquire);
          Seen& s = seen[slot];
          if (call != s.call) s = Seen{call, now, false};
          if (call == 0 || s.reported || now - s.since <= hang_limit) continue;
          const Component* component = slot->component.load(std::memory_order_relaxed);
          const Record* record = slot->record.load(std::memory_order_relaxed);
          const std::string_view module(slot->module.load(std::memory_order_relaxed),
                                        slot->module_size.load(std::memory_order_relaxed));
          // The call may have returned meanwhile; then what was read may be another's. (One
          // returning in the microseconds of the report, after running past the limit, is
          // a race this accepts: the host ends anyway.)
          if (slot->call.load(std::memory_order_acquire) != call) continue;
          s.reported = true;
          on_hang(*component, record, module,
                  std::chrono::duration_cast<std::chrono::milliseconds>(now - s.since), hang_limit);
        }
      }
    }).detach();
  });
}

void install_crash_report() {
  // The alternate stack is never freed: the handler may need it until the process ends.
  static char* alternate = new char[SIGSTKSZ > 65536 ? SIGSTKSZ : 65536];
  stack_t stack{};
  stack.ss_sp = alternate;
  stack.ss_size = SIGSTKSZ > 65536 ? SIGSTKSZ : 65536;
  sigaltstack(&stack, nullptr);
  struct sigaction action {};
  action.sa_handler = report_fatal_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_ONSTACK;
  for (const int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
    sigaction(signal, &action, nullptr);
  }
}

}  // namespace crmflow
