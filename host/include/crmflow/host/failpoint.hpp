// Failpoints: named places where a test makes the host die as if killed (kill -9).
#pragma once

#include <string_view>

namespace crmflow {

// Kills the process with SIGKILL when CRMFLOW_FAILPOINT names this point. The value is
// "<name>" (the first time the point is reached) or "<name>:<n>" (the n-th time). Points:
//   after_effects_before_commit  an event batch's effects are written, not committed
//   after_commit_before_claim    a batch committed, the next claim not yet made
//   mid_batch                    between two events of one batch
void failpoint(std::string_view name);

}  // namespace crmflow
