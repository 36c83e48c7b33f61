#include "crmflow/host/lease.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <soci/soci.h>

#include <algorithm>
#include <random>

namespace crmflow {

LeasedTable::LeasedTable(soci::session& db, std::string table, std::string owner,
                         std::chrono::seconds lease)
    : db_(db), table_(std::move(table)), owner_(std::move(owner)), lease_(lease) {}

void LeasedTable::stamp(const std::vector<uint64_t>& ids) {
  if (ids.empty()) return;
  const int lease_seconds = static_cast<int>(lease_.count());
  db_ << fmt::format(
      "UPDATE {} SET owner = :owner, fence = fence + 1, attempts = attempts + 1, "
      "lease_until = TIMESTAMPADD(SECOND, :lease, UTC_TIMESTAMP(6)) WHERE id IN ({})",
      table_, id_list(ids)),
      soci::use(owner_), soci::use(lease_seconds);
}

bool LeasedTable::fenced(const std::string& statement, const Claim& claim,
                         const std::vector<std::string>& values) {
  std::vector<std::string> bound = values;  // stable storage for the bound values
  long long id = static_cast<long long>(claim.id);
  long long fence = static_cast<long long>(claim.fence);
  soci::statement st(db_);
  st.alloc();
  st.prepare(statement + " WHERE id = :fenced_id AND owner = :fenced_owner AND fence = :fence");
  for (std::string& value : bound) st.exchange(soci::use(value));
  st.exchange(soci::use(id));
  st.exchange(soci::use(owner_));
  st.exchange(soci::use(fence));
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows() > 0;
}

bool LeasedTable::release(const Claim& claim, std::chrono::milliseconds delay, bool count_attempt,
                          const std::optional<std::string>& error) {
  std::string sql = fmt::format(
      "UPDATE {} SET owner = NULL, lease_until = TIMESTAMPADD(MICROSECOND, {}, UTC_TIMESTAMP(6))",
      table_, std::chrono::duration_cast<std::chrono::microseconds>(delay).count());
  if (!count_attempt) sql += ", attempts = attempts - 1";
  std::vector<std::string> values;
  if (error) {
    sql += ", last_error = :error";
    values.push_back(*error);
  }
  return fenced(sql, claim, values);
}

void LeasedTable::release_own() {
  db_ << fmt::format("UPDATE {} SET lease_until = NULL WHERE owner = :owner", table_),
      soci::use(owner_);
}

std::chrono::milliseconds backoff(int attempts, std::chrono::seconds cap) {
  thread_local std::mt19937 random{std::random_device{}()};
  const long long cap_ms = std::chrono::milliseconds(cap).count();
  const long long base = std::min(cap_ms, 1000LL << std::clamp(attempts - 1, 0, 20));
  std::uniform_int_distribution<long long> jitter(0, base / 3);
  return std::chrono::milliseconds(base + jitter(random));
}

std::string id_list(const std::vector<uint64_t>& ids) {
  return fmt::format("{}", fmt::join(ids, ","));
}

std::string by_primary_key(std::string_view table) {
  return fmt::format("{} FORCE INDEX (PRIMARY)", table);
}

}  // namespace crmflow
