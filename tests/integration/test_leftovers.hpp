// What a test leaves behind (its databases, work directories, a private server's files) stays
// for a look after a failure when CRMFLOW_TEST_KEEP_DB=1; otherwise it is removed.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>

namespace crmflow::testing {

inline bool keep_test_leftovers() {
  const char* keep = std::getenv("CRMFLOW_TEST_KEEP_DB");
  return keep != nullptr && std::string_view(keep) == "1";
}

// Removes `dir` and everything in it unless keep_test_leftovers(); never throws.
inline void remove_test_dir(const std::filesystem::path& dir) noexcept {
  if (keep_test_leftovers()) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

}  // namespace crmflow::testing
