// The CRM's shape: modules, their tables, columns, users and relations (config/crm/*.json).
#pragma once

#include <expected>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace crmflow {

// A column as information_schema describes it.
struct Column {
  std::string name;
  std::string data_type;               // e.g. "varchar", "decimal", "datetime"
  std::optional<uint64_t> max_length;  // characters, for char/varchar/text
  bool nullable = true;
  bool custom = false;  // lives in the module's custom table (<table>_cstm), not in its table
  bool is_decimal() const {
    return data_type == "decimal" || data_type == "float" || data_type == "double";
  }
};

struct Relation {
  enum class Kind { parent, foreign_key, reverse_foreign_key, join };
  std::string name;
  Kind kind = Kind::parent;
  std::string module;        // the related module (not for parent: that is in type_column)
  std::string type_column;   // parent: holds the module name
  std::string id_column;     // parent: holds the id; join: the join table's own id, if any
  std::string column;        // foreign_key: on this table; reverse_foreign_key: on module's
  std::string table;         // join: the join table
  std::string this_column;   // join: → this record
  std::string other_column;  // join: → the related record
  std::string deleted;       // join: the join table's soft-delete column, if any
};

struct Module {
  std::string name;  // e.g. "Leads"
  std::string table;
  std::string id_column = "id";
  // SugarCRM lineage: custom fields live in a second table (e.g. leads_cstm) keyed by
  // custom_id_column; empty when the module has none.
  std::string custom_table;
  std::string custom_id_column = "id_c";
  std::string deleted_column;  // soft delete: 0 → 1 is a delete; empty if the table has none
  std::string assigned_user_column;
  std::string created_by_column;
  std::string modified_by_column;
  // When a record was created and last changed ("dates": {"created", "modified"}): the host
  // sets them on the records it writes, and time triggers date activity by them; empty when
  // the map names none.
  std::string created_at_column;
  std::string modified_at_column;
  // The fields a record's display name is made of, joined by a space ({{user.full_name}}).
  std::vector<std::string> display_name_columns;
  bool activity = false;
  std::vector<Relation> relations;
  // From information_schema (introspect), in table order; then the custom table's columns
  // (without its id column), marked custom.
  std::vector<Column> columns;
  std::vector<Column> custom_table_columns;  // all of the custom table's columns, id included

  const Column* column(std::string_view column_name) const;
  const Relation* relation(std::string_view relation_name) const;
  const Relation* parent_relation() const;  // the first relation of kind parent, if any
};

struct NotificationTable {
  std::string module;
  std::string subject, text, related_type, related_id, user, unread_column;
  std::string unread_value;
};

struct ModuleMap {
  std::filesystem::path file;
  std::string flavour;
  std::vector<Module> modules;
  std::optional<NotificationTable> notifications;

  const Module* find(std::string_view name) const;
  const Module* by_table(std::string_view table) const;
};

// Reads a module map file; every problem names the file and the JSON path.
std::expected<ModuleMap, std::vector<std::string>> load_module_map(
    const std::filesystem::path& file);

// Fills every module's columns from information_schema of the connected database, the
// custom table's columns (marked custom) after the table's own.
// Problems: a table that does not exist; a mapped column (id, deleted, users, relation
// columns) that the table lacks; a custom table that does not exist or lacks its id column.
std::vector<std::string> introspect(soci::session& db, ModuleMap& map);

}  // namespace crmflow
