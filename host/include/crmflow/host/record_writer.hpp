// RecordEffects over the CRM database: writes records the way the CRM itself would.
#pragma once

#include <string>

#include "crmflow/host/module_map.hpp"
#include "crmflow/host/record_effects.hpp"

namespace soci {
class session;
}

namespace crmflow {

// Writes through `db` inside whatever transaction is open there. Field names are checked
// against the module's introspected columns and quoted as identifiers; values are always
// bound parameters, never SQL text. Text longer than its column is refused (the CRM's lax
// sql_mode would cut it silently).
class RecordWriter final : public RecordEffects {
 public:
  RecordWriter(soci::session& db, const ModuleMap& map, int clock_offset_seconds)
      : db_(db), map_(map), clock_offset_seconds_(clock_offset_seconds) {}

  std::expected<std::string, EffectFailure> create_record(std::string_view module,
                                                          const nlohmann::ordered_json& fields,
                                                          const Record* link_to,
                                                          std::string_view run_as) override;
  std::expected<void, EffectFailure> update_record(std::string_view module, std::string_view id,
                                                   const nlohmann::ordered_json& fields,
                                                   std::string_view run_as) override;
  std::expected<void, EffectFailure> link_records(std::string_view module, std::string_view id,
                                                  std::string_view relation,
                                                  std::string_view other_id) override;
  std::expected<nlohmann::ordered_json, EffectFailure> related_records(
      const Record& record, std::string_view relation) override;
  std::expected<nlohmann::ordered_json, EffectFailure> template_data(
      const Record& record, const std::vector<std::string>& names,
      std::string_view run_as) override;
  std::expected<void, EffectFailure> raise_alert(const Record& record, std::string_view subject,
                                                 std::string_view text,
                                                 std::string_view run_as) override;

 private:
  // Locks the row for this transaction, or throws at once if someone else holds it.
  void lock_or_give_way(const Module& module, std::string_view id);

  soci::session& db_;
  const ModuleMap& map_;
  int clock_offset_seconds_;
};

// A new random (version 4) UUID in the 36-character form the CRM uses for ids.
std::string new_uuid();

}  // namespace crmflow
