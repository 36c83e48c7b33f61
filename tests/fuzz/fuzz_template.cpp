// libFuzzer target: mustache templates (host/lib/template.cpp) rendered in each escape mode
// (text, html, url, header) over a fixed record, and their placeholders listed. The input is
// the template, optionally followed by a 0x01 byte and a value for record.note, so the fuzzer
// also varies what a field holds (line breaks, NUL, invalid UTF-8 for the header checks). A
// malformed template is an error value: anything else that stops is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crmflow/host/template.hpp"

namespace {

using Json = nlohmann::ordered_json;

Json base_data() {
  return Json::parse(R"({
    "record": {"name": "O'Brien & Söhne <GmbH>", "city": "Wien", "phone": null, "empty": "",
               "amount": "1200.50", "evil": "Hi\r\nBcc: all@example.com",
               "contact": {"first": "Anna", "last": "Berger"},
               "lines": [{"name": "Widget", "qty": "2"}, {"name": "Gadget", "qty": "1"}]},
    "account": {"name": "Acme", "billing_address_country": "Austria"},
    "user": {"full_name": "Jo \"JJ\" Smith", "email": "jo@example.com"}
  })");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  static const Json kBase = base_data();
  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const size_t split = input.find('\x01');
  const std::string_view template_text = input.substr(0, split);
  Json data = kBase;
  // nlohmann's dump() throws on invalid UTF-8, which the renderer never calls; the value is kept
  // as bytes, as a CRM field may hold them.
  if (split != std::string_view::npos)
    data["record"]["note"] = std::string(input.substr(split + 1));

  for (const auto escape : {crmflow::Escape::text, crmflow::Escape::html, crmflow::Escape::url,
                            crmflow::Escape::header}) {
    const auto out = crmflow::render(template_text, data, escape);
    if (out && escape == crmflow::Escape::header && crmflow::has_line_break(*out)) std::abort();
  }
  (void)crmflow::placeholders(template_text);
  (void)crmflow::encode_header_rfc2047(input);
  return 0;
}
