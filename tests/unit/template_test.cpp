// Templates as email and HTTP actions use them: escaping per destination, the errors a workflow
// author sees, and RFC 2047 subjects, checked by decoding them again.
#define BOOST_TEST_MODULE template_test
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "crmflow/host/template.hpp"

namespace {

using crmflow::Escape;
using Json = nlohmann::ordered_json;

const Json& data() {
  static const Json kData = Json::parse(R"({
    "record": {"name": "O'Brien & Söhne <GmbH>", "city": "Wien", "phone": null, "empty": "",
               "evil": "Hi\r\nBcc: all@example.com", "contact": {"first": "Anna"}},
    "account": {"name": "Acme"},
    "user": {"full_name": "Jo \"JJ\" Smith"}
  })");
  return kData;
}

std::string rendered(std::string_view text, Escape escape) {
  const auto out = crmflow::render(text, data(), escape);
  BOOST_TEST_REQUIRE(out.has_value(), text << " failed: " << out.error());
  return *out;
}

std::string failure(std::string_view text, Escape escape) {
  const auto out = crmflow::render(text, data(), escape);
  BOOST_TEST_REQUIRE(!out.has_value(), text << " rendered " << *out);
  return out.error();
}

// The inverse of the encoder, written apart from it so the two cannot share a mistake.
std::string base64_decode(std::string_view text) {
  constexpr std::string_view kDigits =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const size_t digit = kDigits.find(c);
    BOOST_TEST_REQUIRE(digit != std::string_view::npos, "not base64: " << c);
    bits = bits << 6 | static_cast<std::uint32_t>(digit);
    if ((count += 6) >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xFF);
    }
  }
  return out;
}

// The words of an encoded header, each checked for form and length, decoded and joined.
std::string decode_words(const std::string& header, std::vector<std::string>* words) {
  std::string out;
  for (size_t from = 0; from <= header.size();) {
    const size_t fold = std::min(header.find("\r\n ", from), header.size());
    const std::string word = header.substr(from, fold - from);
    BOOST_TEST(word.size() <= 75u, word);
    BOOST_TEST_REQUIRE(word.starts_with("=?UTF-8?B?"), word);
    BOOST_TEST_REQUIRE(word.ends_with("?="), word);
    out += base64_decode(std::string_view(word).substr(10, word.size() - 12));
    words->push_back(word);
    from = fold + 3;
  }
  return out;
}

BOOST_AUTO_TEST_CASE(each_escape_mode_treats_a_value_for_its_destination) {
  struct Case {
    std::string_view text;
    Escape escape;
    std::string_view expected;
  };
  const Case cases[] = {
      {"Dear {{record.name}} & co", Escape::text, "Dear O'Brien & Söhne <GmbH> & co"},
      {"{{record.name}}", Escape::header, "O'Brien & Söhne <GmbH>"},
      {"<b>{{record.name}}</b>", Escape::html, "<b>O&#39;Brien &amp; Söhne &lt;GmbH&gt;</b>"},
      {"{{user.full_name}}", Escape::html, "Jo &quot;JJ&quot; Smith"},
      {"{{{record.name}}}|{{& record.name}}", Escape::html,
       "O'Brien & Söhne <GmbH>|O'Brien & Söhne <GmbH>"},
      {"https://x.test/?q={{record.name}}&c={{record.city}}", Escape::url,
       "https://x.test/?q=O%27Brien%20%26%20S%C3%B6hne%20%3CGmbH%3E&c=Wien"},
      {"{{{record.name}}}", Escape::url, "O'Brien & Söhne <GmbH>"},
      {"a-b._~{{user.full_name}}", Escape::url, "a-b._~Jo%20%22JJ%22%20Smith"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      BOOST_TEST(rendered(c.text, c.escape) == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(sections_nulls_and_missing_fields) {
  struct Case {
    std::string_view text;
    std::string_view expected;
  };
  const Case cases[] = {
      {"[{{record.phone}}]", "[]"},
      {"[{{record.empty}}]", "[]"},
      {"[{{record.no_such_field}}]", "[]"},
      {"{{#record.city}}in {{record.city}}{{/record.city}}", "in Wien"},
      {"{{#record.phone}}call {{record.phone}}{{/record.phone}}", ""},
      {"{{#record.empty}}x{{/record.empty}}", ""},
      {"{{^record.phone}}no phone{{/record.phone}}", "no phone"},
      {"{{^record.city}}no city{{/record.city}}", ""},
      {"{{#record.contact}}Hi {{first}} of {{account.name}}{{/record.contact}}", "Hi Anna of Acme"},
      {"{{#record}}{{city}}{{/record}}", "Wien"},
      {"{{! a comment }}x", "x"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      BOOST_TEST(rendered(c.text, Escape::text) == c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(errors_name_what_is_wrong) {
  struct Case {
    std::string_view text;
    Escape escape;
    std::string_view expected;  // a part of the message
  };
  const Case cases[] = {
      {"Hi {{acount.name}}", Escape::text,
       "unknown placeholder {{acount.name}}; known: record, account, user"},
      // A typo inside a section the data skips is still a typo.
      {"{{#record.phone}}{{acount.name}}{{/record.phone}}", Escape::text,
       "unknown placeholder {{acount.name}}"},
      {"{{#record.contact}}{{nope}}{{/record.contact}}", Escape::text,
       "unknown placeholder {{nope}}"},
      {"Hi {{record.name", Escape::text, "malformed template: Unclosed tag"},
      {"{{#record.city}}x", Escape::text, "malformed template: Unclosed section"},
      {"x{{/record.city}}", Escape::text, "malformed template: Unopened section"},
      {"{{> footer}}", Escape::html, "partials are not supported: {{> footer}}"},
      {"{{=<% %>=}}<% record.name %>", Escape::text, "delimiter changes are not supported"},
      {"Re: {{record.evil}}", Escape::header,
       "placeholder {{record.evil}} holds a line break; refused in a header"},
      {"Re: {{{record.evil}}}", Escape::header,
       "placeholder {{record.evil}} holds a line break; refused in a header"},
      {"Re: {{record.city}}\n", Escape::header, "the template's own text holds a line break"},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.text) {
      const std::string message = failure(c.text, c.escape);
      BOOST_TEST(message.find(c.expected) != std::string::npos, message);
    }
  }
  BOOST_TEST(rendered("{{record.evil}}", Escape::text) == "Hi\r\nBcc: all@example.com");
  const Json with_nul = {{"record", {{"name", std::string("a\0b", 3)}}}};
  const auto nul = crmflow::render("{{record.name}}", with_nul, Escape::header);
  BOOST_TEST_REQUIRE(!nul.has_value());
  BOOST_TEST(nul.error() == "placeholder {{record.name}} holds a NUL byte; refused in a header");
}

BOOST_AUTO_TEST_CASE(placeholders_lists_the_names_used_once_each) {
  const auto names = crmflow::placeholders(
      "{{record.name}} {{{user.full_name}}} {{#record.contact}}{{first}}{{.}}{{/record.contact}}"
      "{{^account.name}}-{{/account.name}}{{! note }}{{& record.name}}");
  BOOST_TEST_REQUIRE(names.has_value(), names.error());
  const std::vector<std::string> expected{"record.name", "user.full_name", "record.contact",
                                          "first", "account.name"};
  BOOST_TEST(*names == expected, boost::test_tools::per_element());
  BOOST_TEST(!crmflow::placeholders("{{#a}}").has_value());
  BOOST_TEST(!crmflow::placeholders("{{> a}}").has_value());
}

BOOST_AUTO_TEST_CASE(has_line_break_sees_cr_and_lf) {
  BOOST_TEST(!crmflow::has_line_break("plain"));
  BOOST_TEST(crmflow::has_line_break("a\rb"));
  BOOST_TEST(crmflow::has_line_break("a\nb"));
}

BOOST_AUTO_TEST_CASE(rfc2047_leaves_ascii_and_encodes_the_rest) {
  BOOST_TEST(crmflow::encode_header_rfc2047("Your invoice #42 (due 1 May)") ==
             "Your invoice #42 (due 1 May)");
  BOOST_TEST(crmflow::encode_header_rfc2047("") == "");
  const std::string grusse = crmflow::encode_header_rfc2047("Grüße aus Wien");
  BOOST_TEST(grusse == "=?UTF-8?B?R3LDvMOfZSBhdXMgV2llbg==?=");
  std::vector<std::string> words;
  BOOST_TEST(decode_words(grusse, &words) == "Grüße aus Wien");
  words.clear();
  BOOST_TEST(decode_words(crmflow::encode_header_rfc2047("see =?x?="), &words) == "see =?x?=");
}

BOOST_AUTO_TEST_CASE(rfc2047_splits_long_text_between_characters) {
  // Two-, three- and four-byte characters, so a byte-count split would land inside one.
  std::string subject;
  for (int i = 0; i < 12; ++i) subject += "Größe 日本 😀 ";
  std::vector<std::string> words;
  BOOST_TEST(decode_words(crmflow::encode_header_rfc2047(subject), &words) == subject);
  BOOST_TEST(words.size() > 3u);
  for (const std::string& word : words) {
    const std::string bytes = base64_decode(std::string_view(word).substr(10, word.size() - 12));
    BOOST_TEST_CONTEXT(word) {
      // Each word must be whole UTF-8 on its own: it starts on a lead byte and its last
      // character has all its continuation bytes.
      BOOST_TEST((static_cast<unsigned char>(bytes.front()) & 0xC0) != 0x80);
      size_t lead = bytes.size() - 1;
      while ((static_cast<unsigned char>(bytes[lead]) & 0xC0) == 0x80) --lead;
      const auto first = static_cast<unsigned char>(bytes[lead]);
      const size_t length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2;
      BOOST_TEST(bytes.size() - lead == length);
    }
  }
}

}  // namespace
