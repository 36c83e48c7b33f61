#include "crmflow/host/json_diagnostics.hpp"

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace crmflow {
namespace {

using Json = nlohmann::ordered_json;

// Follows the parse to find a key given twice in one object, which the parser would let the
// later value replace silently: an admin's second "conditions" would drop the first unseen,
// and two readers of one signed manifest could disagree on what it says. Paths read as
// JsonProblems name them: "(top).trigger", "plugins.compare.enabled", "actions[0].params".
class DuplicateKeys {
 public:
  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        frames_.push_back({event == Json::parse_event_t::object_start, child_path(), {}, {}, 0});
        break;
      case Json::parse_event_t::key: {
        Frame& frame = frames_.back();
        frame.key = parsed.get<std::string>();
        if (!frame.keys.insert(frame.key).second && first_.empty()) {
          first_ = frame.path.empty() ? "(top)." + frame.key : frame.path + "." + frame.key;
        }
        break;
      }
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        next_element();
        break;
      case Json::parse_event_t::value: next_element(); break;
    }
    return true;
  }

  // The path of the first key given twice; empty when there is none.
  const std::string& first() const { return first_; }

 private:
  struct Frame {
    bool object;
    std::string path;
    std::set<std::string> keys;
    std::string key;  // object: the member being read
    size_t index;     // array: the element being read
  };

  std::string child_path() const {
    if (frames_.empty()) return {};
    const Frame& parent = frames_.back();
    if (!parent.object) return fmt::format("{}[{}]", parent.path, parent.index);
    return parent.path.empty() ? parent.key : parent.path + "." + parent.key;
  }

  void next_element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
  }

  std::vector<Frame> frames_;
  std::string first_;
};

}  // namespace

std::expected<nlohmann::ordered_json, std::string> parse_json_text(
    std::string_view text, const std::filesystem::path& file, bool comments,
    std::string_view hint) {
  try {
    DuplicateKeys duplicates;
    auto parsed = Json::parse(
        text,
        [&](int depth, Json::parse_event_t event, Json& value) {
          return duplicates(depth, event, value);
        },
        /*allow_exceptions=*/true, comments);
    if (!duplicates.first().empty()) {
      return std::unexpected(
          fmt::format("{}: {}: given twice in one object; the later value would silently "
                      "replace the earlier, so keep one",
                      file.string(), duplicates.first()));
    }
    return parsed;
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
