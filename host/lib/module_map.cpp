#include "crmflow/host/module_map.hpp"

#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>

#include "crmflow/host/json_diagnostics.hpp"
#include "crmflow/host/json_reader.hpp"

namespace crmflow {
namespace {

std::optional<Relation::Kind> relation_kind(std::string_view name) {
  if (name == "parent") return Relation::Kind::parent;
  if (name == "foreign_key") return Relation::Kind::foreign_key;
  if (name == "reverse_foreign_key") return Relation::Kind::reverse_foreign_key;
  if (name == "join") return Relation::Kind::join;
  return std::nullopt;
}

Relation read_relation(const std::string& name, const Json& object, const std::string& path,
                       JsonProblems& problems) {
  Relation r;
  r.name = name;
  std::string kind;
  read_required(object, "kind", path, kind, problems);
  const auto parsed = relation_kind(kind);
  if (!kind.empty() && !parsed) {
    problems.add(path + ".kind",
                 "expected parent, foreign_key, reverse_foreign_key or join, found " + kind);
  }
  r.kind = parsed.value_or(Relation::Kind::parent);
  reject_unknown_keys(object, path,
                      {"kind", "module", "type_column", "id_column", "column", "table",
                       "this_column", "other_column", "deleted"},
                      problems);
  read(object, "module", path, r.module, problems);
  read(object, "type_column", path, r.type_column, problems);
  read(object, "id_column", path, r.id_column, problems);
  read(object, "column", path, r.column, problems);
  read(object, "table", path, r.table, problems);
  read(object, "this_column", path, r.this_column, problems);
  read(object, "other_column", path, r.other_column, problems);
  read(object, "deleted", path, r.deleted, problems);
  const auto need = [&](const std::string& value, const char* key) {
    if (value.empty()) problems.add(path + "." + key, "required for a " + kind + " relation");
  };
  // The columns a kind needs are told only for a kind that exists.
  if (!parsed) return r;
  switch (r.kind) {
    case Relation::Kind::parent:
      need(r.type_column, "type_column");
      need(r.id_column, "id_column");
      break;
    case Relation::Kind::foreign_key:
    case Relation::Kind::reverse_foreign_key:
      need(r.module, "module");
      need(r.column, "column");
      break;
    case Relation::Kind::join:
      need(r.module, "module");
      need(r.table, "table");
      need(r.this_column, "this_column");
      need(r.other_column, "other_column");
      break;
  }
  return r;
}

Module read_module(const std::string& name, const Json& object, JsonProblems& problems) {
  const std::string path = "modules." + name;
  Module m;
  m.name = name;
  reject_unknown_keys(object, path,
                      {"table", "id", "deleted", "users", "dates", "display_name", "activity",
                       "relations", "custom_table", "custom_id"},
                      problems);
  read_required(object, "table", path, m.table, problems);
  read(object, "custom_table", path, m.custom_table, problems);
  read(object, "custom_id", path, m.custom_id_column, problems);
  read(object, "id", path, m.id_column, problems);
  read(object, "deleted", path, m.deleted_column, problems);
  read(object, "activity", path, m.activity, problems);
  if (const auto users = object.find("users"); users != object.end()) {
    if (!users->is_object()) {
      problems.add(path + ".users", "expected an object");
    } else {
      reject_unknown_keys(*users, path + ".users", {"assigned", "created_by", "modified_by"},
                          problems);
      read(*users, "assigned", path + ".users", m.assigned_user_column, problems);
      read(*users, "created_by", path + ".users", m.created_by_column, problems);
      read(*users, "modified_by", path + ".users", m.modified_by_column, problems);
    }
  }
  if (const auto dates = object.find("dates"); dates != object.end()) {
    if (!dates->is_object()) {
      problems.add(path + ".dates", "expected an object");
    } else {
      reject_unknown_keys(*dates, path + ".dates", {"created", "modified"}, problems);
      read(*dates, "created", path + ".dates", m.created_at_column, problems);
      read(*dates, "modified", path + ".dates", m.modified_at_column, problems);
    }
  }
  if (const auto display = object.find("display_name"); display != object.end()) {
    if (!display->is_array() || display->empty() ||
        !std::ranges::all_of(*display, [](const Json& field) { return field.is_string(); })) {
      problems.add(path + ".display_name", "expected a list of field names");
    } else {
      for (const Json& field : *display) {
        m.display_name_columns.push_back(field.get<std::string>());
      }
    }
  }
  if (const auto relations = object.find("relations"); relations != object.end()) {
    if (!relations->is_object()) {
      problems.add(path + ".relations", "expected an object: relation name → definition");
    } else {
      for (const auto& [relation, definition] : relations->items()) {
        const std::string relation_path = path + ".relations." + relation;
        if (!definition.is_object()) {
          problems.add(relation_path, "expected an object");
          continue;
        }
        m.relations.push_back(read_relation(relation, definition, relation_path, problems));
      }
    }
  }
  return m;
}

}  // namespace

const Column* Module::column(std::string_view column_name) const {
  const auto it = std::ranges::find(columns, column_name, &Column::name);
  return it == columns.end() ? nullptr : &*it;
}

const Relation* Module::relation(std::string_view relation_name) const {
  const auto it = std::ranges::find(relations, relation_name, &Relation::name);
  return it == relations.end() ? nullptr : &*it;
}

const Relation* Module::parent_relation() const {
  const auto it = std::ranges::find(relations, Relation::Kind::parent, &Relation::kind);
  return it == relations.end() ? nullptr : &*it;
}

const Module* ModuleMap::find(std::string_view name) const {
  const auto it = std::ranges::find(modules, name, &Module::name);
  return it == modules.end() ? nullptr : &*it;
}

const Module* ModuleMap::by_table(std::string_view table) const {
  const auto it = std::ranges::find(modules, table, &Module::table);
  return it == modules.end() ? nullptr : &*it;
}

std::expected<ModuleMap, std::vector<std::string>> load_module_map(
    const std::filesystem::path& file) {
  auto root = load_json_file(file);
  if (!root) return std::unexpected(std::vector<std::string>{root.error()});
  JsonProblems problems(file);
  ModuleMap map;
  map.file = file;
  if (!root->is_object()) {
    problems.add("(top)", "expected a JSON object");
    return std::unexpected(problems.take());
  }
  reject_unknown_keys(*root, "(top)", {"flavour", "notifications", "modules"}, problems);
  read(*root, "flavour", "(top)", map.flavour, problems);
  const auto modules = root->find("modules");
  if (modules == root->end() || !modules->is_object()) {
    problems.add("modules", "expected an object: module name → definition");
  } else {
    for (const auto& [name, definition] : modules->items()) {
      if (!definition.is_object()) {
        problems.add("modules." + name, "expected an object");
        continue;
      }
      map.modules.push_back(read_module(name, definition, problems));
    }
  }
  if (const auto n = root->find("notifications"); n != root->end() && !n->is_object()) {
    problems.add("notifications", "expected an object");
  } else if (n != root->end()) {
    NotificationTable t;
    reject_unknown_keys(
        *n, "notifications",
        {"module", "subject", "text", "related_type", "related_id", "user", "unread"}, problems);
    read_required(*n, "module", "notifications", t.module, problems);
    read(*n, "subject", "notifications", t.subject, problems);
    read(*n, "text", "notifications", t.text, problems);
    read(*n, "related_type", "notifications", t.related_type, problems);
    read(*n, "related_id", "notifications", t.related_id, problems);
    read(*n, "user", "notifications", t.user, problems);
    if (const auto unread = n->find("unread"); unread != n->end() && unread->is_object()) {
      read(*unread, "column", "notifications.unread", t.unread_column, problems);
      if (unread->contains("value")) {
        const auto& value = (*unread)["value"];
        t.unread_value = value.is_string() ? value.get<std::string>() : value.dump();
      }
    }
    if (!t.module.empty() && map.find(t.module) == nullptr) {
      problems.add("notifications.module", "no module named " + t.module);
    }
    map.notifications = std::move(t);
  }
  for (const Module& m : map.modules) {
    for (const Relation& r : m.relations) {
      if (!r.module.empty() && map.find(r.module) == nullptr) {
        problems.add(fmt::format("modules.{}.relations.{}.module", m.name, r.name),
                     "no module named " + r.module);
      }
    }
  }
  if (!problems.empty()) return std::unexpected(problems.take());
  return map;
}

namespace {

std::vector<Column> table_columns(soci::session& db, const std::string& table) {
  std::vector<Column> columns;
  soci::rowset<soci::row> rows = (db.prepare << R"(
      SELECT column_name, data_type, CAST(character_maximum_length AS SIGNED), is_nullable
      FROM information_schema.columns
      WHERE table_schema = DATABASE() AND table_name = :t
      ORDER BY ordinal_position)",
                                  soci::use(table));
  for (const soci::row& row : rows) {
    Column c;
    c.name = row.get<std::string>(0);
    c.data_type = row.get<std::string>(1);
    if (row.get_indicator(2) == soci::i_ok) {
      c.max_length = static_cast<uint64_t>(row.get<long long>(2));
    }
    c.nullable = row.get<std::string>(3) == "YES";
    columns.push_back(std::move(c));
  }
  return columns;
}

}  // namespace

std::vector<std::string> introspect(soci::session& db, ModuleMap& map) {
  std::vector<std::string> problems;
  for (Module& m : map.modules) {
    m.columns = table_columns(db, m.table);
    m.custom_table_columns.clear();
    const std::string where = fmt::format("{}: module {}", map.file.string(), m.name);
    if (!m.custom_table.empty() && !m.columns.empty()) {
      m.custom_table_columns = table_columns(db, m.custom_table);
      if (m.custom_table_columns.empty()) {
        problems.push_back(fmt::format("{}: custom table '{}' does not exist in the database",
                                       where, m.custom_table));
      } else if (std::ranges::find(m.custom_table_columns, m.custom_id_column, &Column::name) ==
                 m.custom_table_columns.end()) {
        problems.push_back(fmt::format("{}: the custom id column '{}' is not in table '{}'", where,
                                       m.custom_id_column, m.custom_table));
      }
      for (const Column& c : m.custom_table_columns) {
        if (c.name == m.custom_id_column) continue;
        if (m.column(c.name) != nullptr) {
          problems.push_back(
              fmt::format("{}: custom field '{}' of table '{}' is also a column of '{}'", where,
                          c.name, m.custom_table, m.table));
          continue;
        }
        Column custom = c;
        custom.custom = true;
        custom.nullable = true;  // the custom row may not exist yet
        m.columns.push_back(std::move(custom));
      }
    }
    if (m.columns.empty()) {
      problems.push_back(
          fmt::format("{}: table '{}' does not exist in the database", where, m.table));
      continue;
    }
    const auto need = [&](const std::string& column, std::string_view role) {
      if (!column.empty() && m.column(column) == nullptr) {
        problems.push_back(fmt::format("{}: the {} column '{}' is not in table '{}'", where, role,
                                       column, m.table));
      }
    };
    need(m.id_column, "id");
    need(m.deleted_column, "deleted");
    need(m.assigned_user_column, "assigned user");
    need(m.created_by_column, "created_by");
    need(m.modified_by_column, "modified_by");
    need(m.created_at_column, "creation date");
    need(m.modified_at_column, "modification date");
    for (const std::string& field : m.display_name_columns) need(field, "display name");
    for (const Relation& r : m.relations) {
      if (r.kind == Relation::Kind::parent) {
        need(r.type_column, "relation " + r.name + " type");
        need(r.id_column, "relation " + r.name + " id");
      } else if (r.kind == Relation::Kind::foreign_key) {
        need(r.column, "relation " + r.name);
      }
    }
  }
  return problems;
}

}  // namespace crmflow
