// crmflow alerts: the warnings crmflow raised (show_warning, raise_alert), from crmflow's own
// crmflow_alert table and from the CRM's notification table the module map names, newest
// first, so an admin sees what a user was told about a record without opening the CRM.
#include <fmt/format.h>
#include <soci/soci.h>

#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "crmflow/host/sql_text.hpp"

namespace crmflow::cli {
namespace {

struct AlertRow {
  std::string source, when, user, module, record, read, subject, text;
};

// One line per alert, whatever line breaks the text holds.
std::string one_line(std::string text) {
  std::ranges::replace(text, '\n', ' ');
  std::ranges::replace(text, '\r', ' ');
  return text;
}

void read_crmflow_alerts(soci::session& db, const AlertsOptions& filter,
                         std::vector<AlertRow>& out) {
  std::string user = filter.user;
  std::string record = filter.record;
  unsigned limit = filter.limit;
  soci::rowset<soci::row> rows =
      (db.prepare << "SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s'), COALESCE(user_id, ''), "
                     "module, record_id, IF(is_read = 0, 'no', 'yes'), subject, text "
                     "FROM crmflow_alert WHERE (:u1 = '' OR user_id = :u2) "
                     "AND (:r1 = '' OR record_id = :r2) ORDER BY created_at DESC, id DESC LIMIT :n",
       soci::use(user, "u1"), soci::use(user, "u2"), soci::use(record, "r1"),
       soci::use(record, "r2"), soci::use(limit, "n"));
  for (const soci::row& row : rows) {
    out.push_back({"crmflow_alert", row.get<std::string>(0), row.get<std::string>(1),
                   row.get<std::string>(2), row.get<std::string>(3), row.get<std::string>(4),
                   row.get<std::string>(5), row.get<std::string>(6)});
  }
}

// The text of a mapped column, or '' when the map names none.
std::string column_or_empty(const std::string& column) {
  return column.empty() ? "''"
                        : fmt::format("COALESCE(CAST({} AS CHAR), '')", quote_identifier(column));
}

// The rows of the CRM's notification table that are about a record: where the host writes
// its warnings when the map names the table (the CRM's own record notifications among them,
// as the table does not tell who wrote a row).
void read_crm_notifications(soci::session& db, const ModuleMap& map, const AlertsOptions& filter,
                            std::vector<AlertRow>& out) {
  if (!map.notifications) return;
  const NotificationTable& n = *map.notifications;
  const Module* module = map.find(n.module);
  if (module == nullptr) return;
  // Without a record column no row can be matched to the record asked for.
  if (!filter.record.empty() && n.related_id.empty()) return;
  if (!filter.user.empty() && n.user.empty()) return;
  const bool dated = !module->created_at_column.empty();
  const std::string created = dated ? quote_identifier(module->created_at_column) : "";
  // Every filter is bound; an empty one matches everything (a missing column is '').
  const auto column = [](const std::string& name) {
    return name.empty() ? std::string("''") : quote_identifier(name);
  };
  std::string sql = fmt::format(
      "SELECT {}, {}, {}, {}, IF({} <=> :unread, 'no', 'yes'), {}, {} FROM {} "
      "WHERE {} IS NOT NULL AND (:u1 = '' OR {} = :u2) AND (:r1 = '' OR {} = :r2)",
      dated ? fmt::format("COALESCE(DATE_FORMAT({}, '%Y-%m-%d %H:%i:%s'), '')", created) : "''",
      column_or_empty(n.user), column_or_empty(n.related_type), column_or_empty(n.related_id),
      n.unread_column.empty() ? "NULL" : fmt::format("CAST({} AS CHAR)", column(n.unread_column)),
      column_or_empty(n.subject), column_or_empty(n.text), quote_identifier(module->table),
      column(n.related_type), column(n.user), column(n.related_id));
  if (!module->deleted_column.empty()) {
    sql += fmt::format(" AND {} = 0", quote_identifier(module->deleted_column));
  }
  sql += fmt::format(" ORDER BY {} LIMIT :n", dated ? created + " DESC" : "1");
  std::string user = filter.user;
  std::string record = filter.record;
  std::string unread = n.unread_value;
  unsigned limit = filter.limit;
  soci::rowset<soci::row> rows =
      (db.prepare << sql, soci::use(unread, "unread"), soci::use(user, "u1"), soci::use(user, "u2"),
       soci::use(record, "r1"), soci::use(record, "r2"), soci::use(limit, "n"));
  for (const soci::row& row : rows) {
    out.push_back({n.module, row.get<std::string>(0), row.get<std::string>(1),
                   row.get<std::string>(2), row.get<std::string>(3), row.get<std::string>(4),
                   row.get<std::string>(5), row.get<std::string>(6)});
  }
}

}  // namespace

int alerts_command(const GlobalOptions& options, const AlertsOptions& filter) {
  const auto host = open_host(options);
  if (!host->problems.empty()) return report(host->problems);
  open_crm(*host);
  if (!host->problems.empty()) return report(host->problems);
  std::vector<AlertRow> alerts;
  read_crmflow_alerts(*host->db, filter, alerts);
  read_crm_notifications(*host->db, host->map, filter, alerts);
  std::ranges::stable_sort(alerts, std::ranges::greater{}, &AlertRow::when);
  if (alerts.size() > filter.limit) alerts.resize(filter.limit);
  constexpr auto row_format = "{:<14} {:<19} {:<36} {:<14} {:<36} {:<4} {}{}\n";
  std::cout << fmt::format(row_format, "STORED IN", "WHEN (UTC)", "USER", "MODULE", "RECORD",
                           "READ", "SUBJECT", " / TEXT");
  for (const AlertRow& a : alerts) {
    std::cout << fmt::format(row_format, a.source, a.when, a.user, a.module, a.record, a.read,
                             one_line(a.subject), a.text.empty() ? "" : " / " + one_line(a.text));
  }
  return kExitOk;
}

}  // namespace crmflow::cli
