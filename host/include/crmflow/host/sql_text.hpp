// Pieces of SQL text the host builds from the schema — identifiers only, never values.
#pragma once

#include <string>
#include <string_view>

namespace crmflow {

// A MySQL identifier in backticks, a backtick inside doubled: `a``b`.
std::string quote_identifier(std::string_view name);

// information_schema data types whose values are bytes (shown as HEX in images).
bool is_binary_type(std::string_view data_type);

// information_schema data types whose values are text as they are.
bool is_text_type(std::string_view data_type);

}  // namespace crmflow
