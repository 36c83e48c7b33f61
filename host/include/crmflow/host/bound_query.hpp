// SQL text built at run time together with the values bound to its placeholders, so values
// never become part of the text.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace soci {
class session;
class statement;
}  // namespace soci

namespace crmflow {

struct BoundQuery {
  std::string sql;
  std::vector<std::string> values;  // bound to :v0, :v1, ... in order

  // Keeps `value` for binding and returns its placeholder, to be written into `sql`.
  std::string bind(std::string value);
};

// Binds the query's values to `statement` by name, so a placeholder may appear anywhere in
// the text, and more than once.
void bind_values(soci::statement& statement, BoundQuery& query);

// Runs a statement that returns no rows; the number of rows it changed. Errors propagate.
long long execute(soci::session& db, BoundQuery& query);

// Runs a query whose rows are two non-NULL text columns and calls `row` with each, in order.
// Errors propagate.
void for_each_pair(soci::session& db, BoundQuery& query,
                   const std::function<void(const std::string&, const std::string&)>& row);

}  // namespace crmflow
