#include "crmflow/host/sql_text.hpp"

#include <set>

namespace crmflow {

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (const char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

bool is_binary_type(std::string_view data_type) {
  static const std::set<std::string_view> binary{
      "binary",       "varbinary",         "tinyblob",   "blob",
      "mediumblob",   "longblob",          "geometry",   "point",
      "linestring",   "polygon",           "multipoint", "multilinestring",
      "multipolygon", "geometrycollection"};
  return binary.contains(data_type);
}

bool is_text_type(std::string_view data_type) {
  static const std::set<std::string_view> text{
      "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json"};
  return text.contains(data_type);
}

}  // namespace crmflow
