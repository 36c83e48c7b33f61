// SQL text built at run time together with the values bound to its placeholders, so values
// never become part of the text.
#pragma once

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

}  // namespace crmflow
