// Mustache templates for message bodies and subjects, URLs and placeholders in record fields:
// pure functions over a JSON view of the data, so they are tested and checked without a database.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace crmflow {

// Where the rendered text goes, which decides what a placeholder's value must not break.
// {{{x}}} and {{& x}} stay raw in html and url mode, as mustache defines: the template's author
// asked for the value as written. Header mode checks every placeholder, raw or not, since a raw
// line break would inject header lines all the same.
enum class Escape {
  text,    // plain-text bodies and subjects: "O'Brien & Söhne" as written
  html,    // & < > " ' become entities; every other byte (UTF-8 included) as it is
  url,     // values percent-encoded, RFC 3986 unreserved kept; the template's own text as written
  header,  // as text, but CR, LF or NUL in a value or in the result is an error
};

// Renders `template_text` against `data`, an object whose members are the top-level names
// ("record", "account", "user"). Values are meant to be strings or null; null, "" and false render
// empty and skip a section, objects and arrays open sections, true renders empty, numbers as their
// JSON text. Nothing is kept: the result is a new string.
// Fails, never throws, on: a malformed template (the library's message); a partial or a delimiter
// change (refused: a template is one self-contained text); a tag whose first name is neither in
// `data` nor in an object an enclosing section opens, checked in every section, taken or not, so
// a typo cannot hide behind a condition; in header mode, a line break or NUL. A known object's
// missing field is no error and renders empty, since record fields can be NULL or absent.
std::expected<std::string, std::string> render(std::string_view template_text,
                                               const nlohmann::ordered_json& data, Escape escape);

// The names the template's variable and section tags use, each once, in order of first use, as
// written: inside {{#record}}..{{/record}} a name may be relative to the section. {{.}} is left
// out. Fails like render on a malformed template, a partial or a delimiter change.
std::expected<std::vector<std::string>, std::string> placeholders(std::string_view template_text);

// An unstructured header value (a Subject, a display name) made fit for RFC 5322: unchanged when
// it is printable ASCII, else RFC 2047 "B" encoded words of at most 75 characters, each split
// between UTF-8 characters so every word decodes on its own, folded with "\r\n ". ASCII holding
// "=?" is encoded too, lest a reader decode it. The first word shares its line with the field
// name, which the caller writes. Invalid UTF-8 is encoded byte for byte, never refused.
std::string encode_header_rfc2047(std::string_view utf8);

// Whether `text` holds a CR or an LF: the check for values bound for a single header line.
bool has_line_break(std::string_view text);

}  // namespace crmflow
