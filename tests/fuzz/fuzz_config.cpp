// libFuzzer target: the host config (host/lib/config.cpp, JSON with comments) parsed and
// validated from text. Every problem is a value; anything else that stops is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmflow/host/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)crmflow::parse_host_config(text, "/fuzz/config/crmflow.json");
  return 0;
}
