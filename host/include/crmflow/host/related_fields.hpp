// Fields of related records in conditions: a leaf's "field" may be "relation.field", e.g. on
// Leads "account.billing_address_country" — the field of the record the relation `account`
// (config/crm/*.json) leads to. Exactly one level: "account.contact.name" is not supported.
//
// The workflow loader checks the names (check_related_field); before the conditions are
// evaluated, resolve_related_fields reads the related values into record.current under the
// dotted name, so a condition compares "account.name" like any other field.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/host/module_map.hpp"
#include "crmflow/host/record.hpp"

namespace soci {
class session;
}

namespace crmflow {

// The dotted field names ("relation.field") that a workflow's raw "conditions" JSON reads:
// every "field" string containing a dot, of the leaves ({"field": ...}) and of plugin leaves'
// params ({"plugin": ..., "params": {"field": ...}}), found through all/any/not at any depth.
// Each name once, in order of first appearance. Malformed parts of the tree are skipped (the
// loader reports them); a non-string "field" is ignored.
std::vector<std::string> related_field_names(const nlohmann::ordered_json& conditions);

// Checks one name "relation.field" against `module` of `map`. Problems:
// * no dot, an empty relation or field part, or more than one dot;
// * no relation of that name in `module` (the message lists its relations);
// * foreign_key, reverse_foreign_key, join: the related module is not in the map, or (when
//   its columns are introspected) has no column `field`;
// * parent: `field` is not a plain identifier ([A-Za-z0-9_], at most 64 characters). Which
//   module the parent is depends on each record, so any such name is accepted; it reads as
//   null for a parent whose module lacks the column.
// Returns the problem, e.g. "module Leads has no relation 'acount'; relations: account,
// contact", or std::nullopt when the name is fine.
std::optional<std::string> check_related_field(const ModuleMap& map, const Module& module,
                                               std::string_view dotted);

// Reads the values of the related records and sets record.current[dotted] for each name of
// `dotted` (a name given twice is read once). Every name gets an entry: std::nullopt when
// there is no related record, the related record is soft-deleted, or the value is NULL.
// * The related record is found from record.current (the CURRENT image): a foreign key's
//   column (e.g. leads.account_id), a parent link's type and id columns (parent_type names a
//   MODULE of the map; an unknown module, or one without the column, reads as null). A
//   reverse foreign key or join is found from record.id (record.current's id column when
//   record.id is empty).
// * A reverse foreign key or join with several related records yields the FIRST by the
//   related record's id (lowest id); deleted join rows do not count. (Any/all semantics may
//   come later.)
// * Values are text as in captured images: numbers, decimals and dates as CAST(... AS CHAR),
//   binary columns as HEX, BIT as a number.
// * One query per relation used; ids are bound, never put into the SQL text; identifiers
//   come from the map and the introspected columns only.
// Throws std::invalid_argument for a name that check_related_field rejects, and
// std::logic_error when the related module's columns were not introspected (the field could
// then not be checked). Database errors propagate as soci::soci_error.
void resolve_related_fields(soci::session& db, const ModuleMap& map, const Module& module,
                            const std::vector<std::string>& dotted, Record& record);

// The records reached from `record` through `relation` of `module`, as (module name, id),
// lowest id first, at most `limit`; not deleted (nor their join rows). Found from
// record.current as resolve_related_fields does. Database errors propagate.
std::vector<std::pair<std::string, std::string>> related_ids(soci::session& db,
                                                             const ModuleMap& map,
                                                             const Module& module,
                                                             const Relation& relation,
                                                             const Record& record, size_t limit);

// The record `id` of `module` as it is now, fields as text the way captured images hold
// them (custom fields included); std::nullopt when there is no such row or it is
// soft-deleted. Database errors propagate.
std::optional<RecordImage> read_current_record(soci::session& db, const Module& module,
                                               const std::string& id);

}  // namespace crmflow
