#include "crmflow/host/related_fields.hpp"
#include "crmflow/host/sql_text.hpp"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace crmflow {
namespace {

using Json = nlohmann::ordered_json;

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The column's value as text, the way capture.cpp puts it into images: text as it is,
// binary as HEX, BIT as a number, everything else (numbers, decimals, dates) CAST AS CHAR.
// A custom field is read from the custom table, joined as <alias>c (custom_join).
std::string value_expression(std::string_view alias, const Column& column) {
  const std::string ref =
      fmt::format("{}{}.{}", alias, column.custom ? "c" : "", quote_identifier(column.name));
  if (is_text_type(column.data_type)) return ref;
  if (is_binary_type(column.data_type)) return fmt::format("HEX({})", ref);
  if (column.data_type == "bit") return fmt::format("CAST(CAST({} AS UNSIGNED) AS CHAR)", ref);
  return fmt::format("CAST({} AS CHAR)", ref);
}

std::string not_deleted(std::string_view alias, const std::string& column) {
  return column.empty() ? "" : fmt::format(" AND {}.{} = 0", alias, quote_identifier(column));
}

std::optional<std::string> current_value(const Record& record, std::string_view column) {
  const auto it = record.current.find(column);
  if (it == record.current.end()) return std::nullopt;
  return it->second;
}

struct Dotted {
  std::string_view relation;
  std::string_view field;
};

std::optional<Dotted> split(std::string_view dotted) {
  const auto dot = dotted.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  return Dotted{dotted.substr(0, dot), dotted.substr(dot + 1)};
}

void collect(const Json& node, std::vector<std::string>& out) {
  const auto add_field = [&](const Json& holder) {
    const auto it = holder.find("field");
    if (it == holder.end() || !it->is_string()) return;
    const std::string& name = it->get_ref<const std::string&>();
    if (name.find('.') == std::string::npos) return;
    if (std::ranges::find(out, name) == out.end()) out.push_back(name);
  };
  if (node.is_array()) {
    for (const Json& child : node) collect(child, out);
    return;
  }
  if (!node.is_object()) return;
  for (const char* group : {"all", "any", "not"}) {
    if (const auto it = node.find(group); it != node.end()) collect(*it, out);
  }
  add_field(node);
  if (const auto params = node.find("params"); params != node.end() && params->is_object()) {
    add_field(*params);
  }
}

// Runs one SELECT of `expressions` (bound `id`) and stores the first row's values under
// `names`, or std::nullopt for every name when there is no row.
void read_first_row(soci::session& db, const std::string& sql, const std::string& id,
                    const std::vector<std::string>& names, Record& record) {
  soci::row row;
  std::string bound = id;
  db << sql, soci::use(bound), soci::into(row);
  const bool found = db.got_data();
  for (size_t i = 0; i < names.size(); ++i) {
    std::optional<std::string> value;
    if (found && row.get_indicator(i) == soci::i_ok) value = row.get<std::string>(i);
    record.current[names[i]] = std::move(value);
  }
}

// The names and value expressions of `fields` of `related` read through the row alias `alias`;
// a field that `related` lacks (parent links only) becomes std::nullopt in `record` at once.
struct Selection {
  std::vector<std::string> names;
  std::string expressions;
  bool custom = false;  // some field lives in the related module's custom table
};

// The LEFT JOIN of the related module's custom table (its row may be missing) when the
// selection reads a custom field; empty otherwise.
std::string custom_join(const Module& related, std::string_view alias, const Selection& s) {
  if (!s.custom) return "";
  return fmt::format(" LEFT JOIN {} {}c ON {}c.{} = {}.{}", quote_identifier(related.custom_table),
                     alias, alias, quote_identifier(related.custom_id_column), alias,
                     quote_identifier(related.id_column));
}

Selection selection(const Module& related, std::string_view alias,
                    const std::vector<std::pair<std::string, std::string>>& fields, bool parent,
                    Record& record) {
  Selection s;
  if (related.columns.empty()) {
    throw std::logic_error(fmt::format(
        "module {}: columns not introspected, so related fields cannot be read", related.name));
  }
  for (const auto& [name, field] : fields) {
    const Column* column = related.column(field);
    if (column == nullptr && parent) {
      record.current[name] = std::nullopt;
      continue;
    }
    // Not for the other kinds: check_related_field has accepted the name.
    if (column == nullptr) throw std::logic_error(related.name + " has no field " + field);
    s.expressions += (s.names.empty() ? "" : ", ") + value_expression(alias, *column);
    s.custom = s.custom || column->custom;
    s.names.push_back(name);
  }
  return s;
}

void set_null(const std::vector<std::pair<std::string, std::string>>& fields, Record& record) {
  for (const auto& [name, field] : fields) record.current[name] = std::nullopt;
}

void resolve_relation(soci::session& db, const ModuleMap& map, const Module& module,
                      const Relation& relation,
                      const std::vector<std::pair<std::string, std::string>>& fields,
                      Record& record) {
  if (relation.kind == Relation::Kind::parent) {
    const auto type = current_value(record, relation.type_column);
    const auto id = current_value(record, relation.id_column);
    const Module* parent = type ? map.find(*type) : nullptr;
    if (parent == nullptr || !id || id->empty()) return set_null(fields, record);
    const Selection s = selection(*parent, "r", fields, true, record);
    if (s.names.empty()) return;
    read_first_row(
        db,
        fmt::format("SELECT {} FROM {} r{} WHERE r.{} = :id{} LIMIT 1", s.expressions,
                    quote_identifier(parent->table), custom_join(*parent, "r", s),
                    quote_identifier(parent->id_column), not_deleted("r", parent->deleted_column)),
        *id, s.names, record);
    return;
  }
  const Module* related = map.find(relation.module);
  if (related == nullptr) {
    throw std::logic_error(fmt::format("relation {} of {}: no module named {}", relation.name,
                                       module.name, relation.module));
  }
  const Selection s = selection(*related, "r", fields, false, record);
  const std::string table = quote_identifier(related->table) + " r" + custom_join(*related, "r", s);
  const std::string related_id = "r." + quote_identifier(related->id_column);
  const std::string live = not_deleted("r", related->deleted_column);
  if (relation.kind == Relation::Kind::foreign_key) {
    const auto id = current_value(record, relation.column);
    if (!id || id->empty()) return set_null(fields, record);
    read_first_row(db,
                   fmt::format("SELECT {} FROM {} WHERE {} = :id{} LIMIT 1", s.expressions, table,
                               related_id, live),
                   *id, s.names, record);
    return;
  }
  std::string this_id = record.id;
  if (this_id.empty()) this_id = current_value(record, module.id_column).value_or("");
  if (this_id.empty()) return set_null(fields, record);
  if (relation.kind == Relation::Kind::reverse_foreign_key) {
    read_first_row(
        db,
        fmt::format("SELECT {} FROM {} WHERE r.{} = :id{} ORDER BY {} LIMIT 1", s.expressions,
                    table, quote_identifier(relation.column), live, related_id),
        this_id, s.names, record);
    return;
  }
  // join
  read_first_row(
      db,
      fmt::format("SELECT {} FROM {} j JOIN {} r ON {} = j.{}{} WHERE j.{} = :id{}{} ORDER BY {} "
                  "LIMIT 1",
                  s.expressions, quote_identifier(relation.table), quote_identifier(related->table),
                  related_id, quote_identifier(relation.other_column),
                  custom_join(*related, "r", s), quote_identifier(relation.this_column),
                  not_deleted("j", relation.deleted), live, related_id),
      this_id, s.names, record);
}

}  // namespace

std::vector<std::string> related_field_names(const Json& conditions) {
  std::vector<std::string> out;
  collect(conditions, out);
  return out;
}

std::optional<std::string> check_related_field(const ModuleMap& map, const Module& module,
                                               std::string_view dotted) {
  const auto parts = split(dotted);
  if (!parts) {
    return fmt::format("'{}' is not a related field: expected relation.field, e.g. account.name",
                       dotted);
  }
  if (parts->relation.empty() || parts->field.empty()) {
    return fmt::format("'{}': expected relation.field with both parts, e.g. account.name", dotted);
  }
  if (parts->field.find('.') != std::string_view::npos) {
    return fmt::format(
        "'{}': only one level of relation is supported (relation.field, e.g. account.name)",
        dotted);
  }
  const Relation* relation = module.relation(parts->relation);
  if (relation == nullptr) {
    if (module.relations.empty()) {
      return fmt::format("module {} has no relation '{}'; it has no relations", module.name,
                         parts->relation);
    }
    std::string names;
    for (const Relation& r : module.relations) names += (names.empty() ? "" : ", ") + r.name;
    return fmt::format("module {} has no relation '{}'; relations: {}", module.name,
                       parts->relation, names);
  }
  if (relation->kind == Relation::Kind::parent) {
    if (!is_plain_identifier(parts->field)) {
      return fmt::format("'{}': '{}' is not a field name (letters, digits and _ only)", dotted,
                         parts->field);
    }
    return std::nullopt;
  }
  const Module* related = map.find(relation->module);
  if (related == nullptr) {
    return fmt::format("relation '{}' of {} leads to module {}, which is not in the map",
                       relation->name, module.name, relation->module);
  }
  if (!related->columns.empty() && related->column(parts->field) == nullptr) {
    return fmt::format("relation '{}' of {} leads to {}, which has no field '{}'", relation->name,
                       module.name, related->name, parts->field);
  }
  return std::nullopt;
}

void resolve_related_fields(soci::session& db, const ModuleMap& map, const Module& module,
                            const std::vector<std::string>& dotted, Record& record) {
  // relation → (dotted name, field), relations in order of first use, each name once.
  std::vector<std::pair<const Relation*, std::vector<std::pair<std::string, std::string>>>> groups;
  for (const std::string& name : dotted) {
    if (const auto problem = check_related_field(map, module, name)) {
      throw std::invalid_argument(*problem);
    }
    const Dotted parts = *split(name);
    const Relation* relation = module.relation(parts.relation);
    auto group = std::ranges::find(groups, relation, [](const auto& g) { return g.first; });
    if (group == groups.end()) group = groups.insert(groups.end(), {relation, {}});
    if (std::ranges::find(group->second, name, [](const auto& f) { return f.first; }) ==
        group->second.end()) {
      group->second.emplace_back(name, std::string(parts.field));
    }
  }
  for (const auto& [relation, fields] : groups) {
    resolve_relation(db, map, module, *relation, fields, record);
  }
}

std::optional<RecordImage> read_current_record(soci::session& db, const Module& module,
                                               const std::string& id) {
  if (module.columns.empty()) {
    throw std::logic_error(
        fmt::format("module {}: columns not introspected, so it cannot be read", module.name));
  }
  Selection s;
  for (const Column& column : module.columns) {
    s.expressions += (s.names.empty() ? "" : ", ") + value_expression("r", column);
    s.names.push_back(column.name);
    s.custom = s.custom || column.custom;
  }
  soci::row row;
  std::string bound = id;
  db << fmt::format("SELECT {} FROM {} r{} WHERE r.{} = :id{}", s.expressions,
                    quote_identifier(module.table), custom_join(module, "r", s),
                    quote_identifier(module.id_column), not_deleted("r", module.deleted_column)),
      soci::use(bound), soci::into(row);
  if (!db.got_data()) return std::nullopt;
  RecordImage image;
  for (size_t i = 0; i < s.names.size(); ++i) {
    image[s.names[i]] =
        row.get_indicator(i) == soci::i_ok ? std::optional(row.get<std::string>(i)) : std::nullopt;
  }
  return image;
}

std::vector<std::pair<std::string, std::string>> related_ids(soci::session& db,
                                                             const ModuleMap& map,
                                                             const Module& module,
                                                             const Relation& relation,
                                                             const Record& record, size_t limit) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto exists = [&](const Module& related, const std::string& id) {
    int found = 0;
    std::string bound = id;
    db << fmt::format("SELECT COUNT(*) FROM {} r WHERE r.{} = :id{}",
                      quote_identifier(related.table), quote_identifier(related.id_column),
                      not_deleted("r", related.deleted_column)),
        soci::use(bound), soci::into(found);
    return found > 0;
  };
  if (relation.kind == Relation::Kind::parent) {
    const auto type = current_value(record, relation.type_column);
    const auto id = current_value(record, relation.id_column);
    const Module* parent = type ? map.find(*type) : nullptr;
    if (parent != nullptr && id && !id->empty() && exists(*parent, *id)) {
      out.emplace_back(parent->name, *id);
    }
    return out;
  }
  const Module* related = map.find(relation.module);
  if (related == nullptr) return out;
  if (relation.kind == Relation::Kind::foreign_key) {
    const auto id = current_value(record, relation.column);
    if (id && !id->empty() && exists(*related, *id)) out.emplace_back(related->name, *id);
    return out;
  }
  std::string this_id = record.id;
  if (this_id.empty()) this_id = current_value(record, module.id_column).value_or("");
  if (this_id.empty()) return out;
  const std::string related_id = "r." + quote_identifier(related->id_column);
  const std::string sql =
      relation.kind == Relation::Kind::reverse_foreign_key
          ? fmt::format("SELECT {0} FROM {1} r WHERE r.{2} = :id{3} ORDER BY {0} LIMIT {4}",
                        related_id, quote_identifier(related->table),
                        quote_identifier(relation.column),
                        not_deleted("r", related->deleted_column), limit)
          : fmt::format(
                "SELECT {0} FROM {1} j JOIN {2} r ON {0} = j.{3} WHERE j.{4} = :id{5}{6} "
                "ORDER BY {0} LIMIT {7}",
                related_id, quote_identifier(relation.table), quote_identifier(related->table),
                quote_identifier(relation.other_column), quote_identifier(relation.this_column),
                not_deleted("j", relation.deleted), not_deleted("r", related->deleted_column),
                limit);
  soci::rowset<std::string> rows = (db.prepare << sql, soci::use(this_id));
  for (const std::string& id : rows) out.emplace_back(related->name, id);
  return out;
}

}  // namespace crmflow
