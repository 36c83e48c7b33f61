// The watchdog and the fatal-signal report (watchdog.hpp): a call past the hang limit is
// reported once, naming what runs (the outer call again once a nested one returned, the module
// of a trigger's tick); a short call never is; a segfault inside a call writes one line naming
// the component and the record, and the process still dies of SIGSEGV.
#define BOOST_TEST_MODULE watchdog_test
#include "crmflow/host/watchdog.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <csignal>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace crmflow;
using namespace std::chrono_literals;

namespace {

constexpr auto kLimit = 300ms;

struct Report {
  std::string component;
  std::string target;
  long long ran_ms;
};

std::mutex reports_mutex;
std::vector<Report> reports;

void record_hang(const Component& component, const Record* record, std::string_view module,
                 std::chrono::milliseconds ran, std::chrono::milliseconds) {
  const std::lock_guard lock(reports_mutex);
  reports.push_back({component.name,
                     record != nullptr ? record->module + " " + record->id : std::string(module),
                     ran.count()});
}

std::vector<Report> take_reports() {
  const std::lock_guard lock(reports_mutex);
  return std::exchange(reports, {});
}

Component component(const std::string& name) {
  Component c;
  c.name = name;
  c.file = "/plugins/" + name + ".so";
  return c;
}

// Polls (bounded) until a report arrived.
std::vector<Report> wait_for_report(std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    {
      const std::lock_guard lock(reports_mutex);
      if (!reports.empty()) break;
    }
    std::this_thread::sleep_for(10ms);
  }
  return take_reports();
}

struct Watchdog {
  Watchdog() { start_watchdog(kLimit, &record_hang); }
};

// A real SIGSEGV, as a plugin's bug gives: a volatile store through a pointer opaque to the
// optimizer (neither removed nor made a trap instruction), and UBSan, which would report the
// null store and exit before the fault, is off here.
__attribute__((no_sanitize("undefined"))) void write_through_null() {
  volatile int* volatile nowhere = nullptr;
  *nowhere = 1;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(watchdog, Watchdog)

BOOST_AUTO_TEST_CASE(a_short_call_is_not_reported) {
  const Component quick = component("quick");
  const Record lead{"Leads", "lead-1", {}, {}, {}};
  for (int i = 0; i < 5; ++i) {
    const WatchedCall call(quick, &lead);
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(2 * kLimit);
  BOOST_TEST(take_reports().empty());
}

BOOST_AUTO_TEST_CASE(a_hung_call_is_reported_once_naming_the_outer_call_after_a_nested_one) {
  const Component outer = component("outer");
  const Component inner = component("inner");
  const Record lead{"Leads", "lead-2", {}, {}, {}};
  {
    const WatchedCall call(outer, &lead);
    { const WatchedCall nested(inner, &lead); }
    const auto reported = wait_for_report(10 * kLimit);
    BOOST_TEST_REQUIRE(reported.size() == 1u);
    BOOST_TEST(reported[0].component == "outer");
    BOOST_TEST(reported[0].target == "Leads lead-2");
    BOOST_TEST(reported[0].ran_ms >= kLimit.count());
    std::this_thread::sleep_for(3 * kLimit);  // still running: not reported again
    BOOST_TEST(take_reports().empty());
  }
}

BOOST_AUTO_TEST_CASE(a_hung_tick_names_its_module) {
  const Component trigger = component("every_minute");
  const std::string module = "Cases";
  const WatchedCall call(trigger, nullptr, module);
  const auto reported = wait_for_report(10 * kLimit);
  BOOST_TEST_REQUIRE(reported.size() == 1u);
  BOOST_TEST(reported[0].component == "every_minute");
  BOOST_TEST(reported[0].target == "Cases");
}

BOOST_AUTO_TEST_CASE(a_segfault_in_a_call_is_named_and_still_kills) {
  const Component crashing = component("crashing");
  const Record lead{"Leads", "lead-3", {}, {}, {}};
  { const WatchedCall warm(crashing, &lead); }  // this thread's slot exists before the fork
  int out[2];
  BOOST_TEST_REQUIRE(::pipe(out) == 0);
  const pid_t child = ::fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(out[1], STDERR_FILENO);
    install_crash_report();
    const WatchedCall call(crashing, &lead);
    write_through_null();
    ::_exit(0);
  }
  ::close(out[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  BOOST_TEST_REQUIRE(::waitpid(child, &status, 0) == child);
  BOOST_TEST(WIFSIGNALED(status));
  BOOST_TEST(WTERMSIG(status) == SIGSEGV);
  BOOST_TEST(text ==
                 "crmflow: SIGSEGV in a plugin call: component 'crashing' (plugin "
                 "/plugins/crashing.so) on Leads record lead-3; the host dies of it, the event "
                 "is retried by the next start\n",
             text);
}

BOOST_AUTO_TEST_SUITE_END()
