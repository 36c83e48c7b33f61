// libFuzzer target: an extension pack's manifest (host/lib/pack_manifest.cpp) parsed and
// validated from text, with and without required hashes, and each listed path and the ABI
// checked as installing a pack would. Every problem is a value; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crmflow/host/pack_manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const bool require_hashes : {false, true}) {
    const auto manifest =
        crmflow::parse_pack_manifest(text, "/fuzz/pack/manifest.json", require_hashes);
    if (!manifest) continue;
    (void)crmflow::check_pack_abi(*manifest);
  }
  (void)crmflow::check_pack_path(text);
  return 0;
}
