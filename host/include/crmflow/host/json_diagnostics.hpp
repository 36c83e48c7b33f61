// Parsing JSON files (comments allowed) with errors that name file, line and column.
#pragma once

#include <expected>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace crmflow {

// Parses JSON text, keeping the order of object members as written; `comments` allows // and
// /* */ comments. On a syntax error the message reads
// "<file>:<line>:<column>: invalid JSON[ (<hint>)]: <what is wrong>"; a key given twice in one
// object, which JSON parsers resolve differently or silently, is refused as
// "<file>: <path>: given twice in one object; ...".
std::expected<nlohmann::ordered_json, std::string> parse_json_text(
    std::string_view text, const std::filesystem::path& file, bool comments,
    std::string_view hint = {});

// parse_json_text with comments allowed: the host's own files (config, module map, workflows).
std::expected<nlohmann::ordered_json, std::string> parse_json_with_comments(
    std::string_view text, const std::filesystem::path& file);

// Reads and parses a file; "<file>: cannot read the file" when it cannot be read.
std::expected<nlohmann::ordered_json, std::string> load_json_file(
    const std::filesystem::path& file);

}  // namespace crmflow
