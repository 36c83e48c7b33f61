// The database effects behind the host API's create/update/link services.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crmflow/host/record.hpp"

namespace crmflow {

// A failed effect: an ABI status (CRMFLOW_ERROR, CRMFLOW_NOT_FOUND) and what went wrong.
struct EffectFailure {
  int32_t status;
  std::string message;
};

// Writes records for an action, inside the transaction of the event being handled.
// Implemented by the engine over the CRM database; absent (null) in calls that may not
// write, such as conditions.
class RecordEffects {
 public:
  virtual ~RecordEffects() = default;

  // Returns the new record's id. `link_to` is the record to link it to, or null.
  virtual std::expected<std::string, EffectFailure> create_record(
      std::string_view module, const nlohmann::ordered_json& fields, const Record* link_to,
      std::string_view run_as) = 0;

  virtual std::expected<void, EffectFailure> update_record(std::string_view module,
                                                           std::string_view id,
                                                           const nlohmann::ordered_json& fields,
                                                           std::string_view run_as) = 0;

  virtual std::expected<void, EffectFailure> link_records(std::string_view module,
                                                          std::string_view id,
                                                          std::string_view relation,
                                                          std::string_view other_id) = 0;
};

}  // namespace crmflow
