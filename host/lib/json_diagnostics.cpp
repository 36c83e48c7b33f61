#include "crmflow/host/json_diagnostics.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace crmflow {

std::expected<nlohmann::ordered_json, std::string> parse_json_text(
    std::string_view text, const std::filesystem::path& file, bool comments,
    std::string_view hint) {
  try {
    return nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/true, comments);
  } catch (const nlohmann::ordered_json::parse_error& e) {
    // e.byte is 1-based and points just past the offending character.
    const size_t offset = std::min(e.byte == 0 ? size_t{0} : e.byte - 1, text.size());
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    std::string what = e.what();
    // nlohmann's text begins "[json.exception.parse_error.101] parse error at line 2, column 5: ".
    if (const auto colon = what.find(": "); colon != std::string::npos) what.erase(0, colon + 2);
    return std::unexpected(fmt::format("{}:{}:{}: invalid JSON{}: {}", file.string(), line,
                                       offset - line_start + 1,
                                       hint.empty() ? "" : fmt::format(" ({})", hint), what));
  } catch (const nlohmann::ordered_json::out_of_range& e) {
    // A number beyond a double's range ("1E400") is out_of_range.406, thrown without a position.
    std::string what = e.what();
    if (const auto bracket = what.find("] "); bracket != std::string::npos)
      what.erase(0, bracket + 2);
    return std::unexpected(fmt::format("{}: invalid JSON{}: {}", file.string(),
                                       hint.empty() ? "" : fmt::format(" ({})", hint), what));
  }
}

std::expected<nlohmann::ordered_json, std::string> parse_json_with_comments(
    std::string_view text, const std::filesystem::path& file) {
  return parse_json_text(text, file, /*comments=*/true);
}

std::expected<nlohmann::ordered_json, std::string> load_json_file(
    const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::unexpected(file.string() + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_json_with_comments(text.str(), file);
}

}  // namespace crmflow
