// The database effects behind the host API's create/update/link services.
#pragma once

#include <cstdint>
#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/host/record.hpp"

namespace crmflow {

// A failed effect: an ABI status (CRMFLOW_ERROR, CRMFLOW_NOT_FOUND) and what went wrong.
struct EffectFailure {
  int32_t status;
  std::string message;
};

// The CRM database as an action sees it through the host API: writes inside the
// transaction of the event or job being handled, and the reads that templates and related
// records need. Implemented over the CRM database (RecordWriter); absent (null) in calls
// that may not touch it, such as conditions.
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

  // The records reached from `record` through its module's relation (see abi.h
  // related_records): a JSON array of {"module", "id", "fields"}.
  virtual std::expected<nlohmann::ordered_json, EffectFailure> related_records(
      const Record& record, std::string_view relation) = 0;

  // The data of a template over `record`: {"record": fields, "<relation>": the first related
  // record's fields, "user": the run-as user's fields and full_name}, for the first parts of
  // `names` ("account.name" → "account"). NotFound for a first part that is none of these.
  virtual std::expected<nlohmann::ordered_json, EffectFailure> template_data(
      const Record& record, const std::vector<std::string>& names, std::string_view run_as) = 0;

  // A warning for `run_as` about `record` (see abi.h raise_alert).
  virtual std::expected<void, EffectFailure> raise_alert(const Record& record,
                                                         std::string_view subject,
                                                         std::string_view text,
                                                         std::string_view run_as) = 0;
};

}  // namespace crmflow
