#include "crmflow/host/bound_query.hpp"

#include <fmt/format.h>
#include <soci/soci.h>

namespace crmflow {

std::string BoundQuery::bind(std::string value) {
  values.push_back(std::move(value));
  return fmt::format(":v{}", values.size() - 1);
}

void bind_values(soci::statement& statement, BoundQuery& query) {
  for (size_t i = 0; i < query.values.size(); ++i) {
    statement.exchange(soci::use(query.values[i], fmt::format("v{}", i)));
  }
}

long long execute(soci::session& db, BoundQuery& query) {
  soci::statement statement(db);
  statement.alloc();
  statement.prepare(query.sql);
  bind_values(statement, query);
  statement.define_and_bind();
  statement.execute(true);
  return statement.get_affected_rows();
}

void for_each_pair(soci::session& db, BoundQuery& query,
                   const std::function<void(const std::string&, const std::string&)>& row) {
  std::string first, second;
  soci::statement statement(db);
  statement.alloc();
  statement.prepare(query.sql);
  statement.exchange(soci::into(first));
  statement.exchange(soci::into(second));
  bind_values(statement, query);
  statement.define_and_bind();
  statement.execute(false);
  while (statement.fetch()) row(first, second);
}

}  // namespace crmflow
