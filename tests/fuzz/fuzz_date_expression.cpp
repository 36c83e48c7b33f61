// libFuzzer target: date expressions (host/lib/date_expression.cpp) as a date or datetime column
// receives them, parsed and evaluated on the host clock in Europe/Vienna (daylight-saving
// changes), with the clock moved to 2027-03-01 10:00 UTC once at start. Invalid text is
// std::nullopt and a refused shift an error value: anything else that stops is a bug.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "crmflow/host/date_expression.hpp"
#include "crmflow/host/host_clock.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using namespace std::chrono;
  const auto fixed = sys_days(year(2027) / March / 1) + hours(10);
  const auto offset = duration_cast<seconds>(fixed - system_clock::now());
  if (const auto clock = crmflow::configure_clock("Europe/Vienna", offset); !clock) {
    std::cerr << "fuzz_date_expression: " << clock.error() << '\n';
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto expression = crmflow::parse_date_expression(text);
  if (!expression) return 0;
  for (const bool date_only : {false, true}) {
    const auto value = crmflow::evaluate_date_expression(*expression, date_only);
    if (value && value->empty()) std::abort();  // a value is never empty text
  }
  return 0;
}
