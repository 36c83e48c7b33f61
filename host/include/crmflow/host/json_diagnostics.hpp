// Parsing JSON files (comments allowed) with errors that name file, line and column.
#pragma once

#include <expected>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace crmflow {

// Parses JSON text, keeping the order of object members as written, in which // and /* */ comments
// are allowed. On a syntax error the message reads "<file>:<line>:<column>: <what is wrong>".
std::expected<nlohmann::ordered_json, std::string> parse_json_with_comments(
    std::string_view text, const std::filesystem::path& file);

// Reads and parses a file; "<file>: cannot read the file" when it cannot be read.
std::expected<nlohmann::ordered_json, std::string> load_json_file(
    const std::filesystem::path& file);

}  // namespace crmflow
