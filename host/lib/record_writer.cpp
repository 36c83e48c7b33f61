#include "crmflow/host/record_writer.hpp"

#include "crmflow/host/date_expression.hpp"
#include "crmflow/host/related_fields.hpp"
#include "crmflow/host/sql_text.hpp"

#include <crmflow/abi.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <optional>
#include <random>
#include <vector>

namespace crmflow {
namespace {

using Json = nlohmann::ordered_json;

// A write the host refuses for what the schema, the map or the value is: trying again
// cannot change that, so a job ends at once (CRMFLOW_PERMANENT) instead of using up its
// attempts.
EffectFailure refusal(std::string message) {
  return {CRMFLOW_PERMANENT, std::move(message)};
}

EffectFailure no_module(std::string_view name) {
  return refusal(fmt::format("no module named {}", name));
}

size_t utf8_length(std::string_view text) {
  size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

bool is_date(const Column& column) {
  return column.data_type == "date" || column.data_type == "datetime" ||
         column.data_type == "timestamp";
}

// Column assignments of one INSERT or UPDATE of the module's table or of its custom table
// (<table>_cstm), values kept as bound text or NULL.
class Assignments {
 public:
  enum class Table { main, custom };
  Assignments(const Module& module, Table table) : module_(module), table_(table) {}

  // A field from an action's parameters, already known to live in this table.
  std::optional<EffectFailure> add(const std::string& field, const Json& value) {
    const Column* column = find(field);
    if (value.is_object() || value.is_array()) {
      return refusal(fmt::format("{}.{}: expected text, a number or null", module_.name, field));
    }
    std::optional<std::string> text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_boolean()) {
      text = value.get<bool>() ? "1" : "0";
    } else if (!value.is_null()) {
      text = value.dump();
    }
    if (text && is_date(*column)) {
      // Written as the CRM writes dates, so "now+14d" or a rendered "2027-03-01-30d" lands as
      // a time, and a value MariaDB's lax mode would store as 0000-00-00 is refused instead.
      const auto expression =
          value.is_string() ? parse_date_expression(*text) : std::optional<DateExpression>();
      if (!expression) {
        return refusal(fmt::format("{}.{}: {} is not a date for this {} column: {}", module_.name,
                                   field, value.dump(), column->data_type, kDateExpressionHelp));
      }
      auto evaluated = evaluate_date_expression(*expression, column->data_type == "date");
      if (!evaluated) {
        return refusal(
            fmt::format("{}.{}: {}: {}", module_.name, field, value.dump(), evaluated.error()));
      }
      text = std::move(*evaluated);
    }
    if (text && column->max_length && utf8_length(*text) > *column->max_length) {
      return refusal(
          fmt::format("{}.{}: {} characters do not fit the column's {}; the CRM would "
                      "cut the text silently, so nothing was written",
                      module_.name, field, utf8_length(*text), *column->max_length));
    }
    set(field, std::move(text));
    return std::nullopt;
  }

  // A column the host fills, unless the action set it already; skipped if the table lacks it.
  void fill(const std::string& column, std::optional<std::string> value) {
    if (column.empty() || find(column) == nullptr || has(column)) return;
    set(column, std::move(value));
  }

  // A column whose value is an SQL expression of the host's own (the clock).
  void fill_expression(const std::string& column, std::string expression) {
    if (column.empty() || find(column) == nullptr || has(column)) return;
    names_.push_back(column);
    expressions_.push_back(std::move(expression));
    values_.emplace_back();
    indicators_.push_back(soci::i_null);
  }

  bool empty() const { return names_.empty(); }
  const std::string& table() const {
    return table_ == Table::main ? module_.table : module_.custom_table;
  }

  bool has(std::string_view column) const {
    return std::find(names_.begin(), names_.end(), column) != names_.end();
  }

  std::string insert_sql() const {
    std::string columns, values;
    for (size_t i = 0; i < names_.size(); ++i) {
      columns += (i ? ", " : "") + quote_identifier(names_[i]);
      values += (i ? ", " : "") + placeholder(i);
    }
    return fmt::format("INSERT INTO {} ({}) VALUES ({})", quote_identifier(table()), columns,
                       values);
  }

  std::string set_sql() const {
    std::string sets;
    for (size_t i = 0; i < names_.size(); ++i) {
      sets += (i ? ", " : "") + quote_identifier(names_[i]) + " = " + placeholder(i);
    }
    return sets;
  }

  // Binds the values of the plain (non-expression) assignments, in order.
  void bind(soci::statement& statement) {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (expressions_[i].empty()) statement.exchange(soci::use(values_[i], indicators_[i]));
    }
  }

 private:
  const Column* find(std::string_view name) const {
    if (table_ == Table::main) {
      const Column* column = module_.column(name);
      return column != nullptr && !column->custom ? column : nullptr;
    }
    const auto it = std::ranges::find(module_.custom_table_columns, name, &Column::name);
    return it == module_.custom_table_columns.end() ? nullptr : &*it;
  }

  void set(const std::string& column, std::optional<std::string> value) {
    names_.push_back(column);
    expressions_.emplace_back();
    indicators_.push_back(value ? soci::i_ok : soci::i_null);
    values_.push_back(value.value_or(""));
  }

  std::string placeholder(size_t i) const {
    return expressions_[i].empty() ? fmt::format(":v{}", i) : expressions_[i];
  }

  const Module& module_;
  Table table_;
  std::vector<std::string> names_;
  std::vector<std::string> expressions_;
  std::vector<std::string> values_;
  std::vector<soci::indicator> indicators_;
};

long long execute(soci::session& db, const std::string& sql, Assignments& assignments,
                  const std::vector<std::string>& extra) {
  soci::statement statement(db);
  statement.alloc();
  statement.prepare(sql);
  assignments.bind(statement);
  std::vector<std::string> extra_values = extra;  // stable storage for the bound values
  for (std::string& value : extra_values) statement.exchange(soci::use(value));
  statement.define_and_bind();
  statement.execute(true);
  return statement.get_affected_rows();
}

// The action's fields, each to the table it lives in: the module's or its custom table.
std::optional<EffectFailure> add_fields(const Module& module, const Json& fields, Assignments& main,
                                        Assignments& custom) {
  for (const auto& [field, value] : fields.items()) {
    const Column* column = module.column(field);
    if (column == nullptr) {
      return refusal(fmt::format("module {} has no field '{}'", module.name, field));
    }
    if (auto failure = (column->custom ? custom : main).add(field, value)) return failure;
  }
  return std::nullopt;
}

void write_custom_row(soci::session& db, const Module& module, const std::string& id,
                      Assignments& custom) {
  // The CRM creates a record's custom row lazily, so it may be missing. INSERT ... ON
  // DUPLICATE KEY UPDATE would need VALUES(), which MySQL 8 deprecates and MariaDB's
  // replacement syntax differs; look first instead: the main row's lock serialises writers
  // that go through the host, and a CRM insert racing this one makes it fail and retry.
  int exists = 0;
  db << fmt::format("SELECT COUNT(*) FROM {} WHERE {} = :id", quote_identifier(module.custom_table),
                    quote_identifier(module.custom_id_column)),
      soci::use(id), soci::into(exists);
  if (exists == 0) {
    custom.fill(module.custom_id_column, id);
    execute(db, custom.insert_sql(), custom, {});
    return;
  }
  execute(db,
          fmt::format("UPDATE {} SET {} WHERE {} = :id", quote_identifier(module.custom_table),
                      custom.set_sql(), quote_identifier(module.custom_id_column)),
          custom, {id});
}

}  // namespace

void RecordWriter::lock_or_give_way(const Module& module, std::string_view id) {
  // The host must never wait for a CRM row while holding others: with a CRM transaction
  // that holds this row and waits for one the host holds, that is a deadlock, and InnoDB
  // might pick the CRM as its victim. NOWAIT fails at once instead (1205 on MariaDB, 3572
  // on MySQL); the engine rolls this event back and tries it again shortly.
  const std::string id_text(id);
  int found = 0;
  db_ << fmt::format("SELECT COUNT(*) FROM (SELECT 1 FROM {} WHERE {} = :id FOR UPDATE NOWAIT) l",
                     quote_identifier(module.table), quote_identifier(module.id_column)),
      soci::use(id_text), soci::into(found);
}

std::string new_uuid() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t high = (random() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;
  const uint64_t low = (random() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xFFFF,
                     high & 0xFFFF, low >> 48, low & 0xFFFFFFFFFFFFULL);
}

std::expected<std::string, EffectFailure> RecordWriter::create_record(std::string_view module_name,
                                                                      const Json& fields,
                                                                      const Record* link_to,
                                                                      std::string_view run_as) {
  const Module* module = map_.find(module_name);
  if (module == nullptr) return std::unexpected(no_module(module_name));
  Assignments assignments(*module, Assignments::Table::main);
  Assignments custom(*module, Assignments::Table::custom);
  if (auto failure = add_fields(*module, fields, assignments, custom)) {
    return std::unexpected(*failure);
  }

  // How the new record is linked to `link_to`: its parent link, else its foreign key to that
  // module, else a join table between the two modules (SuiteCRM links opportunities and
  // projects to accounts only so), written after the insert from whichever side maps it.
  const Relation* join = nullptr;
  bool join_from_other_side = false;
  if (link_to != nullptr) {
    const auto leads_to = [&](const Module& from, std::string_view target, Relation::Kind kind) {
      const auto it = std::ranges::find_if(
          from.relations, [&](const Relation& r) { return r.kind == kind && r.module == target; });
      return it == from.relations.end() ? nullptr : &*it;
    };
    const Module* other = map_.find(link_to->module);
    if (const Relation* parent = module->parent_relation()) {
      assignments.fill(parent->type_column, link_to->module);
      assignments.fill(parent->id_column, link_to->id);
    } else if (const Relation* fk =
                   leads_to(*module, link_to->module, Relation::Kind::foreign_key)) {
      assignments.fill(fk->column, link_to->id);
    } else if ((join = leads_to(*module, link_to->module, Relation::Kind::join)) == nullptr &&
               other != nullptr &&
               (join = leads_to(*other, module->name, Relation::Kind::join)) != nullptr) {
      join_from_other_side = true;
    } else if (join == nullptr) {
      return std::unexpected(refusal(
          fmt::format("module {} has no parent link, foreign key or join table to {}, so the new "
                      "record cannot be linked to it",
                      module->name, link_to->module)));
    }
  }
  const std::string id = new_uuid();
  const std::optional<std::string> user =
      run_as.empty() ? std::nullopt : std::optional<std::string>(run_as);
  const std::string now =
      fmt::format("TIMESTAMPADD(SECOND, {}, UTC_TIMESTAMP())", clock_offset_seconds_);
  assignments.fill(module->id_column, id);
  assignments.fill_expression(module->created_at_column, now);
  assignments.fill_expression(module->modified_at_column, now);
  assignments.fill(module->deleted_column, "0");
  assignments.fill(module->assigned_user_column, user);
  assignments.fill(module->created_by_column, user);
  assignments.fill(module->modified_by_column, user);
  execute(db_, assignments.insert_sql(), assignments, {});
  if (!custom.empty()) {
    custom.fill(module->custom_id_column, id);
    execute(db_, custom.insert_sql(), custom, {});
  }
  if (join != nullptr) {
    const auto linked = join_from_other_side
                            ? link_records(link_to->module, link_to->id, join->name, id)
                            : link_records(module->name, id, join->name, link_to->id);
    if (!linked) return std::unexpected(linked.error());
  }
  return id;
}

std::expected<void, EffectFailure> RecordWriter::update_record(std::string_view module_name,
                                                               std::string_view id,
                                                               const Json& fields,
                                                               std::string_view run_as) {
  const Module* module = map_.find(module_name);
  if (module == nullptr) return std::unexpected(no_module(module_name));
  Assignments assignments(*module, Assignments::Table::main);
  Assignments custom(*module, Assignments::Table::custom);
  if (auto failure = add_fields(*module, fields, assignments, custom)) {
    return std::unexpected(*failure);
  }
  assignments.fill_expression(
      module->modified_at_column,
      fmt::format("TIMESTAMPADD(SECOND, {}, UTC_TIMESTAMP())", clock_offset_seconds_));
  if (!run_as.empty()) assignments.fill(module->modified_by_column, std::string(run_as));
  lock_or_give_way(*module, id);
  std::string sql = fmt::format("UPDATE {} SET {} WHERE {} = :id", quote_identifier(module->table),
                                assignments.set_sql(), quote_identifier(module->id_column));
  if (!module->deleted_column.empty())
    sql += " AND " + quote_identifier(module->deleted_column) + " = 0";
  // MySQL counts changed rows only; an update that changes nothing is still found. Check
  // existence separately so "no such record" is told apart from "no change".
  execute(db_, sql, assignments, {std::string(id)});
  int found = 0;
  std::string exists_sql =
      fmt::format("SELECT COUNT(*) FROM {} WHERE {} = :id", quote_identifier(module->table),
                  quote_identifier(module->id_column));
  if (!module->deleted_column.empty())
    exists_sql += " AND " + quote_identifier(module->deleted_column) + " = 0";
  const std::string id_text(id);
  db_ << exists_sql, soci::use(id_text), soci::into(found);
  if (found == 0) {
    return std::unexpected(
        EffectFailure{CRMFLOW_NOT_FOUND, fmt::format("no {} record {}", module->name, id)});
  }
  if (!custom.empty()) write_custom_row(db_, *module, id_text, custom);
  return {};
}

std::expected<void, EffectFailure> RecordWriter::link_records(std::string_view module_name,
                                                              std::string_view id,
                                                              std::string_view relation_name,
                                                              std::string_view other_id) {
  const Module* module = map_.find(module_name);
  if (module == nullptr) return std::unexpected(no_module(module_name));
  const Relation* relation = module->relation(relation_name);
  if (relation == nullptr) {
    return std::unexpected(
        refusal(fmt::format("module {} has no relation '{}'", module->name, relation_name)));
  }
  const std::string this_id(id);
  const std::string that_id(other_id);
  switch (relation->kind) {
    case Relation::Kind::foreign_key:
      return update_record(module->name, id, Json{{relation->column, that_id}}, {});
    case Relation::Kind::join: {
      // A link that exists already is left alone: linking twice must not invite twice.
      int existing = 0;
      std::string exists = fmt::format(
          "SELECT COUNT(*) FROM {} WHERE {} = :a AND {} = :b", quote_identifier(relation->table),
          quote_identifier(relation->this_column), quote_identifier(relation->other_column));
      if (!relation->deleted.empty())
        exists += " AND " + quote_identifier(relation->deleted) + " = 0";
      db_ << exists, soci::use(this_id), soci::use(that_id), soci::into(existing);
      if (existing > 0) return {};
      std::vector<std::string> columns = {relation->this_column, relation->other_column};
      std::vector<std::string> values = {this_id, that_id};
      if (!relation->id_column.empty()) {
        columns.push_back(relation->id_column);
        values.push_back(new_uuid());
      }
      std::string names, placeholders;
      for (size_t i = 0; i < columns.size(); ++i) {
        names += (i ? ", " : "") + quote_identifier(columns[i]);
        placeholders += fmt::format("{}:v{}", i ? ", " : "", i);
      }
      if (!relation->deleted.empty()) {
        names += ", " + quote_identifier(relation->deleted);
        placeholders += ", 0";
      }
      soci::statement statement(db_);
      statement.alloc();
      statement.prepare(fmt::format("INSERT INTO {} ({}) VALUES ({})",
                                    quote_identifier(relation->table), names, placeholders));
      for (std::string& value : values) statement.exchange(soci::use(value));
      statement.define_and_bind();
      statement.execute(true);
      return {};
    }
    case Relation::Kind::parent:
    case Relation::Kind::reverse_foreign_key: break;
  }
  return std::unexpected(refusal(fmt::format(
      "relation '{}' of {} is a {} link; link_records writes join tables and foreign keys",
      relation->name, module->name,
      relation->kind == Relation::Kind::parent ? "parent" : "reverse foreign key")));
}

namespace {

constexpr size_t kMaxRelatedRecords = 1000;

Json fields_json(const RecordImage& image) {
  Json fields = Json::object();
  for (const auto& [name, value] : image) {
    fields[name] = value ? Json(*value) : Json(nullptr);
  }
  return fields;
}

}  // namespace

std::expected<Json, EffectFailure> RecordWriter::related_records(const Record& record,
                                                                 std::string_view relation_name) {
  const Module* module = map_.find(record.module);
  if (module == nullptr) return std::unexpected(no_module(record.module));
  const Relation* relation = module->relation(relation_name);
  if (relation == nullptr) {
    return std::unexpected(
        EffectFailure{CRMFLOW_NOT_FOUND,
                      fmt::format("module {} has no relation '{}'", module->name, relation_name)});
  }
  Json out = Json::array();
  for (const auto& [name, id] :
       related_ids(db_, map_, *module, *relation, record, kMaxRelatedRecords)) {
    const Module* related = map_.find(name);
    const auto fields = related ? read_current_record(db_, *related, id) : std::nullopt;
    if (fields) out.push_back({{"module", name}, {"id", id}, {"fields", fields_json(*fields)}});
  }
  return out;
}

std::expected<Json, EffectFailure> RecordWriter::template_data(
    const Record& record, const std::vector<std::string>& names, std::string_view run_as) {
  const Module* module = map_.find(record.module);
  if (module == nullptr) return std::unexpected(no_module(record.module));
  Json data = {{"record", fields_json(record.current)}};
  for (const std::string& name : names) {
    const std::string first = name.substr(0, name.find('.'));
    if (data.contains(first)) continue;
    if (first == "user") {
      Json user = Json::object();
      const Module* users = map_.find("Users");
      const auto fields = users != nullptr && !run_as.empty()
                              ? read_current_record(db_, *users, std::string(run_as))
                              : std::nullopt;
      if (fields) {
        user = fields_json(*fields);
        std::string full_name;
        for (const std::string& part : users->display_name_columns) {
          const auto it = fields->find(part);
          if (it == fields->end() || !it->second || it->second->empty()) continue;
          full_name += (full_name.empty() ? "" : " ") + *it->second;
        }
        user["full_name"] = full_name;
      }
      data["user"] = std::move(user);
      continue;
    }
    const Relation* relation = module->relation(first);
    if (relation == nullptr) {
      std::string known = "record, user";
      for (const Relation& r : module->relations) known += ", " + r.name;
      return std::unexpected(EffectFailure{
          CRMFLOW_NOT_FOUND, fmt::format("unknown placeholder {{{{{}}}}}: {} has no relation '{}'; "
                                         "known: {}",
                                         name, module->name, first, known)});
    }
    Json fields = Json::object();
    const auto ids = related_ids(db_, map_, *module, *relation, record, 1);
    if (!ids.empty()) {
      const Module* related = map_.find(ids.front().first);
      const auto image =
          related ? read_current_record(db_, *related, ids.front().second) : std::nullopt;
      if (image) fields = fields_json(*image);
    }
    data[first] = std::move(fields);
  }
  return data;
}

std::expected<void, EffectFailure> RecordWriter::raise_alert(const Record& record,
                                                             std::string_view subject,
                                                             std::string_view text,
                                                             std::string_view run_as) {
  if (map_.notifications) {
    // In the CRM's own terms, so its users see it where they see the CRM's notifications.
    const NotificationTable& n = *map_.notifications;
    Json fields = Json::object();
    const auto set = [&](const std::string& column, Json value) {
      if (!column.empty()) fields[column] = std::move(value);
    };
    set(n.subject, std::string(subject));
    set(n.text, std::string(text));
    set(n.related_type, record.module);
    set(n.related_id, record.id);
    set(n.user, run_as.empty() ? Json(nullptr) : Json(std::string(run_as)));
    set(n.unread_column, n.unread_value);
    const auto created = create_record(n.module, fields, nullptr, run_as);
    if (!created) return std::unexpected(created.error());
    return {};
  }
  std::string subject_text(subject), body(text), user(run_as);
  soci::indicator user_ind = user.empty() ? soci::i_null : soci::i_ok;
  db_ << "INSERT INTO crmflow_alert (module, record_id, user_id, subject, text, created_at) "
         "VALUES (:m, :r, :u, :s, :t, TIMESTAMPADD(SECOND, :offset, UTC_TIMESTAMP(6)))",
      soci::use(record.module), soci::use(record.id), soci::use(user, user_ind),
      soci::use(subject_text), soci::use(body), soci::use(clock_offset_seconds_);
  return {};
}

}  // namespace crmflow
