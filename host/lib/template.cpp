#include "crmflow/host/template.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <kainjow/mustache.hpp>

namespace crmflow {
namespace {

namespace mus = kainjow::mustache;
using Json = nlohmann::ordered_json;

struct Tag {
  char kind;  // '#' section, '^' inverted section, '/' section end, 'v' variable (raw or not)
  std::string name;
};

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\v\f\r";  // std::isspace, as the library trims
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// The library keeps its parse tree private, so the tags are found again here the way its parser
// finds them; that holds because the library accepted the text first and delimiters never change.
std::expected<std::vector<Tag>, std::string> scan(std::string_view text) {
  if (const mus::mustache parsed{std::string(text)}; !parsed.is_valid()) {
    return std::unexpected("malformed template: " + parsed.error_message());
  }
  std::vector<Tag> tags;
  for (size_t pos = text.find("{{"); pos != std::string_view::npos; pos = text.find("{{", pos)) {
    const bool triple = text.substr(pos + 2, 1) == "{";
    const std::string_view close = triple ? "}}}" : "}}";
    const size_t start = pos + (triple ? 3 : 2);
    const size_t end = text.find(close, start);
    const std::string_view body = trim(text.substr(start, end - start));
    pos = end + close.size();
    const char kind = body.empty() ? 'v' : body[0];
    const std::string shown = "{{" + std::string(body) + "}}";
    // Both would make the text mean something this scan (and a reader) cannot see in it.
    if (kind == '=') return std::unexpected("delimiter changes are not supported: " + shown);
    if (kind == '>') return std::unexpected("partials are not supported: " + shown);
    if (kind == '!') continue;
    const bool sigil = !triple && std::string_view("#^/&").contains(kind);
    tags.push_back(
        {sigil && kind != '&' ? kind : 'v', std::string(trim(body.substr(sigil ? 1 : 0)))});
  }
  return tags;
}

const Json* resolve(const Json& scope, const std::string& dotted) {
  const Json* value = &scope;
  for (size_t from = 0; value != nullptr && from <= dotted.size();) {
    const size_t dot = std::min(dotted.find('.', from), dotted.size());
    const auto it =
        value->is_object() ? value->find(dotted.substr(from, dot - from)) : value->end();
    value = it != value->end() ? &*it : nullptr;
    from = dot + 1;
  }
  return value;
}

// Checked on the template, not on what a render visits, so that a typo inside a section the
// data happens to skip fails as loudly as one outside.
std::optional<std::string> unknown_name(const std::vector<Tag>& tags, const Json& data) {
  std::vector<std::vector<const Json*>> frames{{&data}};  // objects each open section exposes
  for (const Tag& tag : tags) {
    if (tag.kind == '/') {
      frames.pop_back();
      continue;
    }
    const std::string first = tag.name.substr(0, tag.name.find('.'));
    bool known = tag.name == ".";
    const Json* value = nullptr;
    for (auto frame = frames.rbegin(); frame != frames.rend() && !known; ++frame) {
      for (const Json* scope : *frame) {
        if (!scope->contains(first)) continue;
        known = true;
        value = resolve(*scope, tag.name);
        break;
      }
    }
    if (!known) {
      std::string names;
      for (const auto& [key, unused] : data.items()) names += (names.empty() ? "" : ", ") + key;
      return "unknown placeholder {{" + tag.name + "}}; known: " + (names.empty() ? "none" : names);
    }
    if (tag.kind == 'v') continue;
    frames.emplace_back();
    if (value != nullptr && value->is_object()) frames.back().push_back(value);
    if (value != nullptr && value->is_array()) {
      for (const Json& item : *value) frames.back().push_back(&item);
    }
  }
  return std::nullopt;
}

mus::data to_data(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      mus::data object{mus::data::type::object};
      for (const auto& [key, member] : value.items()) object.set(key, to_data(member));
      return object;
    }
    case Json::value_t::array: {
      mus::data list{mus::data::type::list};
      for (const Json& item : value) list.push_back(to_data(item));
      return list;
    }
    case Json::value_t::string: {
      // "" as false, so that {{#record.phone}} skips an empty field as it skips a NULL one.
      const auto& text = value.get_ref<const std::string&>();
      return text.empty() ? mus::data{false} : mus::data{text};
    }
    case Json::value_t::boolean: return mus::data{value.get<bool>()};
    case Json::value_t::null: return mus::data{false};
    default: return mus::data{value.dump()};
  }
}

const char* header_breaker(std::string_view text) {
  if (has_line_break(text)) return "a line break";
  return text.find('\0') != std::string_view::npos ? "a NUL byte" : nullptr;
}

// Sees every name the library looks up, raw tags included, so header mode can refuse a value
// and name its placeholder; the escape function only ever sees the value.
class HeaderGuard : public mus::context<std::string> {
 public:
  HeaderGuard(const mus::data* root, bool active) : mus::context<std::string>(root), on_(active) {}
  const mus::data* get(const std::string& name) const override {
    const mus::data* found = mus::context<std::string>::get(name);
    if (on_ && error.empty() && found != nullptr && found->is_string()) {
      if (const char* what = header_breaker(found->string_value())) {
        error = "placeholder {{" + name + "}} holds " + what + "; refused in a header";
      }
    }
    return found;
  }
  mutable std::string error;

 private:
  bool on_;
};

std::string html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;  // &apos; is not HTML 4, which old mail readers speak
      default: out += c;
    }
  }
  return out;
}

std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~").contains(c)) {
      out += c;
    } else {
      out += {'%', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kDigits[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

}  // namespace

std::expected<std::string, std::string> render(std::string_view template_text, const Json& data,
                                               Escape escape) {
  const auto tags = scan(template_text);
  if (!tags) return std::unexpected(tags.error());
  if (auto unknown = unknown_name(*tags, data)) return std::unexpected(std::move(*unknown));

  mus::mustache tmpl{std::string(template_text)};
  if (escape == Escape::html) tmpl.set_custom_escape(html_escape);
  if (escape == Escape::url) tmpl.set_custom_escape(percent_encode);
  if (escape == Escape::text || escape == Escape::header) {
    tmpl.set_custom_escape([](const std::string& text) { return text; });
  }
  const mus::data root = to_data(data);
  HeaderGuard context{&root, escape == Escape::header};
  std::string out = tmpl.render(context);
  if (!context.error.empty()) return std::unexpected(context.error);
  if (!tmpl.is_valid()) return std::unexpected("template failed: " + tmpl.error_message());
  if (const char* what = escape == Escape::header ? header_breaker(out) : nullptr) {
    return std::unexpected(std::string("the template's own text holds ") + what +
                           "; refused in a header");
  }
  return out;
}

std::expected<std::vector<std::string>, std::string> placeholders(std::string_view template_text) {
  const auto tags = scan(template_text);
  if (!tags) return std::unexpected(tags.error());
  std::vector<std::string> names;
  for (const Tag& tag : *tags) {
    if (tag.kind != '/' && tag.name != "." && std::ranges::find(names, tag.name) == names.end()) {
      names.push_back(tag.name);
    }
  }
  return names;
}

std::string encode_header_rfc2047(std::string_view utf8) {
  const bool printable = std::ranges::all_of(utf8, [](char c) { return c >= 0x20 && c <= 0x7e; });
  if (printable && !utf8.contains("=?")) return std::string(utf8);
  // "=?UTF-8?B?" + base64 + "?=" within 75 leaves 63 base64 characters: 60, from 45 bytes.
  constexpr size_t kMaxBytes = 45;
  std::string out;
  for (size_t begin = 0, end = 0; begin < utf8.size(); begin = end) {
    while (end < utf8.size()) {
      size_t next = end + 1;  // past one character: a lead byte and at most 3 continuation bytes
      while (next < utf8.size() && next - end < 4 &&
             (static_cast<unsigned char>(utf8[next]) & 0xC0) == 0x80) {
        ++next;
      }
      if (next - begin > kMaxBytes) break;
      end = next;
    }
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(utf8.substr(begin, end - begin)) + "?=";
  }
  return out;
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace crmflow
