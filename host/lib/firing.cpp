#include "crmflow/host/firing.hpp"

#include <crmflow/abi.h>
#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "crmflow/host/bound_query.hpp"
#include "crmflow/host/sql_text.hpp"

namespace crmflow {
namespace {

using Json = nlohmann::json;
using Problem = std::unexpected<std::string>;

// Due candidates are read in pages of this many; a tick reads at most kMaxPages of them.
constexpr size_t kPage = 1000;
constexpr size_t kMaxPages = 1000;
// How far the SQL range of a due field reaches beyond the exact inverse of the window: the
// time of day ("at"), daylight-saving shifts and month ends (31 January + 1 month is
// 28 February) move a due time by less; the exact check happens per row.
constexpr auto kDueMargin = std::chrono::days(4);

// More records than any CRM module holds: the bound on a selection before the ledger check.
constexpr unsigned long long kMaxSelected = 1000000000ULL;

constexpr const char* kKeyFormat = "'%Y-%m-%d %H:%i:%s'";

std::expected<void, std::string> expect_members(const Json& request,
                                                std::initializer_list<std::string_view> known) {
  for (const auto& item : request.items()) {
    if (std::ranges::find(known, item.key()) == known.end()) {
      return Problem(fmt::format("unknown member '{}'", item.key()));
    }
  }
  return {};
}

std::expected<std::string, std::string> text_member(const Json& request, const char* name) {
  const auto it = request.find(name);
  if (it == request.end() || !it->is_string()) {
    return Problem(fmt::format("{}: expected text", name));
  }
  return it->get<std::string>();
}

bool is_date_type(std::string_view type) {
  return type == "date" || type == "datetime" || type == "timestamp";
}

// The records of the target's module a request selects from: not deleted, the filter met.
// The module's table is `t`, its custom table (joined only when a filter needs it) `tc`.
class Selection {
 public:
  explicit Selection(const Module& module) : module_(module) {
    if (!module.deleted_column.empty()) {
      conditions_.push_back(fmt::format("t.{} = 0", quote_identifier(module.deleted_column)));
    }
  }

  std::string ref(const Column& column) {
    if (column.custom) custom_joined_ = true;
    return fmt::format("{}.{}", column.custom ? "tc" : "t", quote_identifier(column.name));
  }
  std::string id() const { return "t." + quote_identifier(module_.id_column); }

  std::expected<void, std::string> add_filter(const Json& filter, BoundQuery& query) {
    if (!filter.is_object()) return Problem("filter: expected an object of field → value(s)");
    for (const auto& [field, wanted] : filter.items()) {
      const Column* column = module_.column(field);
      if (column == nullptr) {
        return Problem(fmt::format("filter.{}: {} has no field '{}'", field, module_.name, field));
      }
      const Json values = wanted.is_array() ? wanted : Json::array({wanted});
      if (values.empty()) return Problem(fmt::format("filter.{}: an empty list", field));
      std::vector<std::string> alternatives;
      std::string in_list;
      for (const Json& value : values) {
        if (value.is_null()) {
          alternatives.push_back(ref(*column) + " IS NULL");
        } else if (value.is_string()) {
          in_list += (in_list.empty() ? "" : ", ") + query.bind(value.get<std::string>());
        } else if (value.is_boolean()) {
          in_list += (in_list.empty() ? "" : ", ") + query.bind(value.get<bool>() ? "1" : "0");
        } else if (value.is_number()) {
          in_list += (in_list.empty() ? "" : ", ") + query.bind(value.dump());
        } else {
          return Problem(
              fmt::format("filter.{}: expected text, a number, true/false or null", field));
        }
      }
      if (!in_list.empty())
        alternatives.push_back(fmt::format("{} IN ({})", ref(*column), in_list));
      std::string any;
      for (const std::string& alternative : alternatives) {
        any += (any.empty() ? "" : " OR ") + alternative;
      }
      conditions_.push_back("(" + any + ")");
    }
    return {};
  }

  void add_condition(std::string condition) { conditions_.push_back(std::move(condition)); }

  // "FROM ... WHERE ...", to follow a SELECT list.
  std::string from_where() const {
    std::string text = "FROM " + quote_identifier(module_.table) + " t";
    if (custom_joined_) {
      text += fmt::format(
          " LEFT JOIN {} tc ON tc.{} = t.{}", quote_identifier(module_.custom_table),
          quote_identifier(module_.custom_id_column), quote_identifier(module_.id_column));
    }
    for (size_t i = 0; i < conditions_.size(); ++i) {
      text += (i == 0 ? " WHERE " : " AND ") + conditions_[i];
    }
    if (conditions_.empty()) text += " WHERE 1 = 1";
    return text;
  }

 private:
  const Module& module_;
  std::vector<std::string> conditions_;
  bool custom_joined_ = false;
};

std::expected<Selection, std::string> selection_for(const FiringTarget& target, const Json& request,
                                                    BoundQuery& query) {
  Selection selection(*target.module);
  if (const auto it = request.find("filter"); it != request.end()) {
    if (auto added = selection.add_filter(*it, query); !added) return Problem(added.error());
  }
  return selection;
}

// The highest ledger id of the trigger: the rows a request writes come after it.
long long last_firing_id(soci::session& db, const std::string& trigger_id) {
  long long id = 0;
  soci::indicator ind = soci::i_null;
  db << "SELECT MAX(id) FROM crmflow_firing WHERE trigger_id = :t", soci::use(trigger_id),
      soci::into(id, ind);
  return ind == soci::i_ok ? id : 0;
}

// Queues an event for each ledger row of the trigger written after `after`: one statement.
void queue_events(soci::session& db, const FiringTarget& target, long long after) {
  db << "INSERT INTO crmflow_event (module, record_id, kind, is_new, depth, created_at, "
        "workflow_id, firing_key) "
        "SELECT module, record_id, 'timer', 0, 0, UTC_TIMESTAMP(6), trigger_id, firing_key "
        "FROM crmflow_firing WHERE trigger_id = :t AND id > :after ORDER BY id",
      soci::use(target.trigger_id), soci::use(after);
}

// The statement as text (values inlined, for reading only) and the database's plan of it.
std::vector<std::string> explain(soci::session& db, BoundQuery& query) {
  std::string shown = query.sql;
  for (size_t i = query.values.size(); i-- > 0;) {
    const std::string name = fmt::format(":v{}", i);
    for (size_t at = shown.find(name); at != std::string::npos; at = shown.find(name, at)) {
      shown.replace(at, name.size(), "'" + query.values[i] + "'");
    }
  }
  std::vector<std::string> plan{shown};
  BoundQuery explained{"EXPLAIN " + query.sql, query.values};
  soci::row row;
  soci::statement statement(db);
  statement.alloc();
  statement.prepare(explained.sql);
  statement.exchange(soci::into(row));
  bind_values(statement, explained);
  statement.define_and_bind();
  statement.execute(false);
  while (statement.fetch()) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      const soci::column_properties& column = row.get_properties(i);
      std::string value = "NULL";
      if (row.get_indicator(i) == soci::i_ok) {
        switch (column.get_data_type()) {
          case soci::dt_string: value = row.get<std::string>(i); break;
          case soci::dt_integer: value = std::to_string(row.get<int>(i)); break;
          case soci::dt_long_long: value = std::to_string(row.get<long long>(i)); break;
          case soci::dt_unsigned_long_long:
            value = std::to_string(row.get<unsigned long long>(i));
            break;
          case soci::dt_double: value = fmt::format("{}", row.get<double>(i)); break;
          default: value = "?"; break;
        }
      }
      line += fmt::format("{}{}={}", line.empty() ? "" : " ", column.get_name(), value);
    }
    plan.push_back(std::move(line));
  }
  return plan;
}

// INSERT ... SELECT into the ledger for a selection whose SELECT list yields (record id,
// key) as `rid` and `firing_key`, leaving out what already fired, then the events.
FireOutcome insert_firings(soci::session& db, const FiringTarget& target, BoundQuery& query,
                           const std::string& keyed_select) {
  const long long before = last_firing_id(db, target.trigger_id);
  const std::string trigger = query.bind(target.trigger_id);
  // The LIMIT keeps the selection a derived table of its own (MySQL and MariaDB merge one
  // without it): merged, the ledger check would come first and compute every record's key —
  // for the inactivity selection, five correlated MAX() per record — instead of only the
  // selected records' (bench/: 19 s against 6 s over 100,000 leads).
  query.sql = fmt::format(
      "INSERT INTO crmflow_firing (trigger_id, module, record_id, firing_key, fired_at) "
      "SELECT {}, {}, q.rid, q.firing_key, {} FROM ({} LIMIT {}) q "
      "WHERE NOT EXISTS (SELECT 1 FROM crmflow_firing f WHERE f.trigger_id = {} AND "
      "f.record_id = q.rid AND f.firing_key = q.firing_key) ORDER BY q.rid LIMIT {}",
      trigger, query.bind(target.module->name), query.bind(format_utc(target.until)), keyed_select,
      kMaxSelected, trigger, target.limit);
  if (target.explain) {
    FireOutcome outcome;
    outcome.plan = explain(db, query);
    return outcome;
  }
  const long long fired = execute(db, query);
  if (fired > 0) queue_events(db, target, before);
  FireOutcome outcome;
  outcome.fired = static_cast<uint64_t>(fired);
  outcome.truncated = static_cast<size_t>(fired) >= target.limit;
  return outcome;
}

// ---- "all": every record, one key ----

std::expected<FireOutcome, std::string> fire_all(soci::session* db, const FiringTarget& target,
                                                 const Json& request) {
  if (auto known = expect_members(request, {"select", "key", "filter"}); !known) {
    return Problem(known.error());
  }
  const auto key = text_member(request, "key");
  if (!key) return Problem(key.error());
  if (key->empty() || key->size() > 64) return Problem("key: expected 1 to 64 characters");
  BoundQuery query;
  auto selection = selection_for(target, request, query);
  if (!selection) return Problem(selection.error());
  if (target.dry_run) return FireOutcome{};
  const std::string select = fmt::format("SELECT {} AS rid, {} AS firing_key {}", selection->id(),
                                         query.bind(*key), selection->from_where());
  return insert_firings(*db, target, query, select);
}

// ---- "quiet": no activity since a time ----

// The conditions "an activity of `activity` linked to the record (t) changed after
// `since`", one per way the module map links the two; empty when they are not linked.
std::vector<std::string> activity_links(const Module& activity, const Module& module) {
  std::vector<std::string> links;
  const std::string a_id = "a." + quote_identifier(activity.id_column);
  const std::string t_id = "t." + quote_identifier(module.id_column);
  for (const Relation& r : activity.relations) {
    switch (r.kind) {
      case Relation::Kind::parent:
        links.push_back(fmt::format("a.{} = '{}' AND a.{} = {}", quote_identifier(r.type_column),
                                    module.name, quote_identifier(r.id_column), t_id));
        break;
      case Relation::Kind::foreign_key:
        if (r.module == module.name) {
          links.push_back(fmt::format("a.{} = {}", quote_identifier(r.column), t_id));
        }
        break;
      case Relation::Kind::join:
        if (r.module == module.name) {
          links.push_back(fmt::format(
              "EXISTS (SELECT 1 FROM {} j WHERE j.{} = {} AND j.{} = {}{})",
              quote_identifier(r.table), quote_identifier(r.this_column), a_id,
              quote_identifier(r.other_column), t_id,
              r.deleted.empty() ? "" : fmt::format(" AND j.{} = 0", quote_identifier(r.deleted))));
        }
        break;
      case Relation::Kind::reverse_foreign_key: break;
    }
  }
  return links;
}

std::expected<FireOutcome, std::string> fire_quiet(soci::session* db, const FiringTarget& target,
                                                   const Json& request) {
  if (auto known = expect_members(request, {"select", "since", "activities", "filter"}); !known) {
    return Problem(known.error());
  }
  const auto since_text = text_member(request, "since");
  if (!since_text) return Problem(since_text.error());
  const auto since = parse_utc(*since_text);
  if (!since) return Problem("since: " + since.error());
  const Module& module = *target.module;
  if (module.created_at_column.empty()) {
    return Problem(fmt::format(
        "module {} names no creation date (\"dates\": {{\"created\": ...}} in the module map) "
        "to start a record's first quiet spell",
        module.name));
  }

  std::vector<const Module*> activities;
  if (const auto it = request.find("activities"); it != request.end()) {
    if (!it->is_array() || it->empty()) return Problem("activities: expected a list of modules");
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& name = (*it)[i];
      const Module* activity =
          name.is_string() ? target.map->find(name.get<std::string>()) : nullptr;
      if (activity == nullptr || !activity->activity) {
        return Problem(fmt::format("activities[{}]: {} is not an activity module of the module map",
                                   i, name.dump()));
      }
      activities.push_back(activity);
    }
  } else {
    for (const Module& candidate : target.map->modules) {
      if (candidate.activity) activities.push_back(&candidate);
    }
  }

  BoundQuery query;
  auto selection = selection_for(target, request, query);
  if (!selection) return Problem(selection.error());
  const std::string since_value = query.bind(format_utc(*since));
  // The quiet spell starts at the latest activity, or when the record was created.
  const std::string created = "t." + quote_identifier(module.created_at_column);
  std::string spell_start = fmt::format("COALESCE({}, '1970-01-01')", created);
  size_t linked = 0;
  for (const Module* activity : activities) {
    if (activity->modified_at_column.empty()) {
      return Problem(fmt::format(
          "activity module {} names no modification date (\"dates\": {{\"modified\": ...}} in "
          "the module map) to date its activity",
          activity->name));
    }
    const std::string touched = "a." + quote_identifier(activity->modified_at_column);
    const std::string alive =
        activity->deleted_column.empty()
            ? ""
            : fmt::format(" AND a.{} = 0", quote_identifier(activity->deleted_column));
    for (const std::string& link : activity_links(*activity, module)) {
      ++linked;
      const std::string from =
          fmt::format("FROM {} a WHERE {}{}", quote_identifier(activity->table), link, alive);
      selection->add_condition(
          fmt::format("NOT EXISTS (SELECT 1 {} AND {} > {})", from, touched, since_value));
      spell_start = fmt::format("GREATEST({}, COALESCE((SELECT MAX({}) {}), '1970-01-01'))",
                                spell_start, touched, from);
    }
  }
  if (linked == 0) {
    return Problem(
        fmt::format("no activity module is linked to {} in the module map", module.name));
  }
  if (target.dry_run) return FireOutcome{};
  selection->add_condition(fmt::format("COALESCE({}, '1970-01-01') <= {}", created, since_value));
  const std::string select =
      fmt::format("SELECT {} AS rid, DATE_FORMAT({}, {}) AS firing_key {}", selection->id(),
                  spell_start, kKeyFormat, selection->from_where());
  return insert_firings(*db, target, query, select);
}

// ---- "due": a date field plus an offset falls in the window ----

struct DueRule {
  const Column* column = nullptr;
  bool is_date = false;  // a DATE column: a day of the users' calendar, due at local `at`
  std::string at = "00:00";
  long long amount = 0;
  unsigned unit = CRMFLOW_UNIT_DAY;
  bool yearly = false;

  // When the value `v` (as the column's text) falls due; for yearly rules, its `years`-th
  // anniversary. std::nullopt for a value that is no date.
  std::optional<SysSeconds> due(const std::string& v, long long years) const {
    const auto base = is_date ? parse_local(v.substr(0, 10) + " " + at) : parse_utc(v);
    if (!base) return std::nullopt;
    auto moved = years == 0 ? std::expected<SysSeconds, std::string>(*base)
                            : shift(*base, years, CRMFLOW_UNIT_YEAR, false);
    if (!moved) return std::nullopt;
    const auto result = shift(*moved, amount, unit, false);
    return result ? std::optional<SysSeconds>(*result) : std::nullopt;
  }

  // The latest due time of `v` in (since, until], if any.
  std::optional<SysSeconds> due_in(const std::string& v, SysSeconds since, SysSeconds until) const {
    if (!yearly) {
      const auto when = due(v, 0);
      return when && *when > since && *when <= until ? when : std::nullopt;
    }
    const auto year_of = [](SysSeconds time) {
      return static_cast<int>(
          std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(time)}.year());
    };
    const int value_year = std::stoi(v.substr(0, 4));
    // An offset of a few months or years moves the due time into another year.
    const long long reach = unit == CRMFLOW_UNIT_YEAR    ? std::abs(amount) + 1
                            : unit == CRMFLOW_UNIT_MONTH ? std::abs(amount) / 12 + 1
                                                         : 1;
    const long long lowest = std::max<long long>(value_year + 1, year_of(since) - reach);
    for (long long year = year_of(until) + reach; year >= lowest; --year) {
      const auto when = due(v, year - value_year);
      if (when && *when > since && *when <= until) return when;
    }
    return std::nullopt;
  }
};

std::expected<DueRule, std::string> due_rule(const Module& module, const Json& request) {
  if (auto known = expect_members(request, {"select", "field", "offset", "at", "every", "filter"});
      !known) {
    return Problem(known.error());
  }
  DueRule rule;
  const auto field = text_member(request, "field");
  if (!field) return Problem(field.error());
  rule.column = module.column(*field);
  if (rule.column == nullptr) {
    return Problem(fmt::format("field: {} has no field '{}'", module.name, *field));
  }
  if (!is_date_type(rule.column->data_type)) {
    return Problem(fmt::format("field: {}.{} is a {}, not a date", module.name, *field,
                               rule.column->data_type));
  }
  rule.is_date = rule.column->data_type == "date";
  if (const auto it = request.find("offset"); it != request.end()) {
    const auto amount = it->find("amount");
    const auto unit = it->find("unit");
    if (!it->is_object() || amount == it->end() || !amount->is_number_integer() ||
        unit == it->end() || !unit->is_number_integer() || *unit < CRMFLOW_UNIT_MINUTE ||
        *unit > CRMFLOW_UNIT_YEAR) {
      return Problem("offset: expected {\"amount\": integer, \"unit\": CRMFLOW_UNIT_*}");
    }
    rule.amount = amount->get<long long>();
    rule.unit = unit->get<unsigned>();
  }
  if (const auto it = request.find("at"); it != request.end()) {
    const std::string at = it->is_string() ? it->get<std::string>() : "";
    const bool well_formed = at.size() == 5 && at[2] == ':' && std::isdigit(at[0]) &&
                             std::isdigit(at[1]) && std::isdigit(at[3]) && std::isdigit(at[4]) &&
                             std::stoi(at.substr(0, 2)) < 24 && std::stoi(at.substr(3)) < 60;
    if (!well_formed) return Problem("at: expected a time of day HH:MM");
    if (!rule.is_date) {
      return Problem(fmt::format("at: {}.{} holds a time already; 'at' is for date fields",
                                 module.name, *field));
    }
    rule.at = at;
  }
  if (const auto it = request.find("every"); it != request.end()) {
    if (*it != "once" && *it != "year") return Problem("every: expected once or year");
    rule.yearly = *it == "year";
  }
  return rule;
}

// The SQL range of the due field that can hold values due in the window (the exact check
// is per row), or for yearly rules the range of month-days; empty when it cannot narrow.
std::string due_range(Selection& selection, const DueRule& rule, const FiringTarget& target,
                      BoundQuery& query) {
  const auto lo = shift(target.since, -rule.amount, rule.unit, false);
  const auto hi = shift(target.until, -rule.amount, rule.unit, false);
  if (!lo || !hi) return {};
  const SysSeconds from = *lo - kDueMargin, to = *hi + kDueMargin;
  const std::string column = selection.ref(*rule.column);
  if (!rule.yearly) {
    return fmt::format("{} BETWEEN {} AND {}", column, query.bind(format_utc(from)),
                       query.bind(format_utc(to)));
  }
  const std::string past = fmt::format("{} <= {}", column, query.bind(format_utc(to)));
  if (to - from >= std::chrono::days(360)) return past;
  const std::string first = query.bind(format_utc(from).substr(5, 5));
  const std::string last = query.bind(format_utc(to).substr(5, 5));
  const std::string month_day = fmt::format("DATE_FORMAT({}, '%m-%d')", column);
  // A range over New Year wraps: December's days or January's.
  const bool wraps = format_utc(from).substr(5, 5) > format_utc(to).substr(5, 5);
  return fmt::format("{} AND ({} >= {} {} {} <= {})", past, month_day, first, wraps ? "OR" : "AND",
                     month_day, last);
}

std::expected<FireOutcome, std::string> fire_due(soci::session* db, const FiringTarget& target,
                                                 const Json& request) {
  const auto rule = due_rule(*target.module, request);
  if (!rule) return Problem(rule.error());
  BoundQuery base;
  auto selection = selection_for(target, request, base);
  if (!selection) return Problem(selection.error());
  if (target.dry_run) return FireOutcome{};
  if (const std::string range = due_range(*selection, *rule, target, base); !range.empty()) {
    selection->add_condition(range);
  }
  const std::string column = selection->ref(*rule->column);
  selection->add_condition(column + " IS NOT NULL");

  const long long before = last_firing_id(*db, target.trigger_id);
  FireOutcome outcome;
  std::string last_id;
  for (size_t page = 0; page < kMaxPages; ++page) {
    BoundQuery query = base;
    const std::string after = query.bind(last_id);
    query.sql = fmt::format("SELECT {}, DATE_FORMAT({}, {}) {} AND {} > {} ORDER BY {} LIMIT {}",
                            selection->id(), column, kKeyFormat, selection->from_where(),
                            selection->id(), after, selection->id(), kPage);
    if (target.explain) {
      outcome.plan = explain(*db, query);
      return outcome;
    }
    std::vector<std::pair<std::string, std::string>> due;  // record id, due time
    size_t rows = 0;
    for_each_pair(*db, query, [&](const std::string& id, const std::string& value) {
      ++rows;
      last_id = id;
      if (const auto when = rule->due_in(value, target.since, target.until)) {
        due.emplace_back(id, format_utc(*when));
      }
    });
    if (!due.empty()) {
      // The ledger keeps what fired before (e.g. by a tick that reached its limit).
      BoundQuery fired;
      std::string ids;
      for (const auto& [id, key] : due) ids += (ids.empty() ? "" : ", ") + fired.bind(id);
      fired.sql = fmt::format(
          "SELECT record_id, firing_key FROM crmflow_firing WHERE trigger_id = {} AND record_id "
          "IN ({})",
          fired.bind(target.trigger_id), ids);
      std::set<std::pair<std::string, std::string>> known;
      for_each_pair(*db, fired,
                    [&](const std::string& id, const std::string& key) { known.emplace(id, key); });
      BoundQuery insert;
      std::string rows_sql;
      for (const auto& firing : due) {
        if (known.contains(firing) || outcome.fired >= target.limit) continue;
        rows_sql += fmt::format("{}({}, {}, {}, {}, {})", rows_sql.empty() ? "" : ", ",
                                insert.bind(target.trigger_id), insert.bind(target.module->name),
                                insert.bind(firing.first), insert.bind(firing.second),
                                insert.bind(format_utc(target.until)));
        ++outcome.fired;
      }
      if (!rows_sql.empty()) {
        insert.sql =
            "INSERT INTO crmflow_firing (trigger_id, module, record_id, firing_key, "
            "fired_at) VALUES " +
            rows_sql;
        execute(*db, insert);
      }
    }
    if (outcome.fired >= target.limit) {
      outcome.truncated = true;
      break;
    }
    if (rows < kPage) break;
    if (page + 1 == kMaxPages) outcome.truncated = true;
  }
  if (outcome.fired > 0) queue_events(*db, target, before);
  return outcome;
}

}  // namespace

std::expected<FireOutcome, std::string> fire(soci::session* db, const FiringTarget& target,
                                             const nlohmann::json& request) {
  if (!request.is_object()) return Problem("the request must be a JSON object");
  if (db == nullptr && !target.dry_run) return Problem("firing needs the database");
  const auto select = text_member(request, "select");
  if (!select) return Problem(select.error());
  if (*select == "all") return fire_all(db, target, request);
  if (*select == "quiet") return fire_quiet(db, target, request);
  if (*select == "due") return fire_due(db, target, request);
  return Problem(fmt::format("select: '{}' is none of all, quiet, due", *select));
}

}  // namespace crmflow
