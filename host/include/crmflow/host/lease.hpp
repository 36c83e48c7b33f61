// Claim by lease, finish by fence (DESIGN.md "Guarantees"): the one implementation behind
// both queues, captured events (crmflow_event) and jobs (crmflow_job). A leased table has
// the columns id, owner, fence, attempts and lease_until; leases run on the database's
// clock, so hosts with skewed clocks agree on who holds what.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace soci {
class session;
}

namespace crmflow {

// What a claim stamped on a row: the fence proves later that the claim is still ours.
struct Claim {
  uint64_t id = 0;
  uint64_t fence = 0;
  int attempts = 0;  // including this claim
};

class LeasedTable {
 public:
  // `table` is one of crmflow's own tables, never user input; `owner` is unique per host.
  LeasedTable(soci::session& db, std::string table, std::string owner, std::chrono::seconds lease);

  // Stamps rows the caller selected FOR UPDATE SKIP LOCKED in its open claim transaction:
  // this owner, a new fence, attempts + 1, and an expiry `lease` from now.
  void stamp(const std::vector<uint64_t>& ids);

  // Runs `statement` — an UPDATE or DELETE of this table, without WHERE — for the claimed
  // row only if the claim is still ours: "WHERE id = ? AND owner = ? AND fence = ?" is
  // appended and `values` (for the statement's own :placeholders, in order) are bound first.
  // False when another host took the row after our lease ran out: the caller must roll its
  // work on the row back. Database errors propagate.
  bool fenced(const std::string& statement, const Claim& claim,
              const std::vector<std::string>& values = {});

  // Gives a claimed row back, claimable again after `delay`. Without `count_attempt` the
  // attempt the claim cost is returned (the row was busy, not failing). `error`, if set,
  // becomes its last_error. False when the claim was no longer ours.
  bool release(const Claim& claim, std::chrono::milliseconds delay, bool count_attempt,
               const std::optional<std::string>& error = std::nullopt);

  // Makes every row this owner holds claimable at once: after a reconnect its in-flight
  // work was rolled back with the lost connection.
  void release_own();

  const std::string& owner() const { return owner_; }
  const std::string& table() const { return table_; }

 private:
  soci::session& db_;
  std::string table_;
  std::string owner_;
  std::chrono::seconds lease_;
};

// The wait before attempt `attempts` + 1: doubling from one second up to `cap`, with random
// jitter of up to a third more, so items that failed together do not retry in lockstep.
std::chrono::milliseconds backoff(int attempts, std::chrono::seconds cap);

// "1, 2, 3" for an IN (...) list of ids.
std::string id_list(const std::vector<uint64_t>& ids);

// `table` with FORCE INDEX (PRIMARY), for a DELETE by an id list: `DELETE t FROM <this> WHERE
// id IN (...)` (a single-table DELETE takes no index hint). When the list covers much of a
// small table the optimizer prefers a full scan, and a scanning DELETE waits on every
// uncommitted row it passes, such as an event the CRM's open transaction has just inserted.
// The hint keeps it to one primary-key lookup per id, which touches no other row. (An UPDATE
// needs no hint: under READ COMMITTED it reads past such a row, semi-consistently.)
std::string by_primary_key(std::string_view table);

}  // namespace crmflow
