// The send_email action: an email about the triggering record, sent through an SMTP server
// (libcurl), then filed as an Emails record linked to the record.
//
//   {"plugin": "send_email",
//    "params": {"to": ["{{contact.email1}}", {"relation": "contacts", "field": "email1"}],
//               "cc": ["support@example.com"],
//               "subject": "Case {{record.name}}",
//               "text": "Dear {{contact.last_name}}, ...",
//               "html": "<p>Dear {{contact.last_name}}, ...</p>"}}
//
// Host settings ("plugins": {"send_email": {"settings": {...}}}):
//   smtp_url                 "smtp://host:587" or "smtps://host:465" (no user or password in it)
//   from, from_name          the sender's address and display name
//   starttls                 "try" (default) | "require" | "off": STARTTLS on smtp:// URLs
//   username, password_env   SMTP AUTH; the password is read from the environment variable
//                            password_env names, at send time, and never logged
//   ca_file                  a PEM file of CA certificates to verify the server's certificate
//                            with, instead of the system's (a private CA, a test server)
//   timeout_seconds          the whole transfer (default 30), connect_timeout_seconds (10)
//
// Effect class external: it runs as a job after the event's transaction committed. The
// Message-ID derives from the job's idempotency key, so every retry sends the same message
// and a receiver can tell a repeat from a new one. Bodies are quoted-printable (any line
// length and any bytes survive every relay, 8BITMIME or not); a non-ASCII subject or display
// name is RFC 2047 encoded. Failures: connection refused, timeouts and 4xx replies are
// retried by the job runner; a 5xx reply to MAIL, RCPT or DATA, a 535 reply to AUTH, no
// recipient, a line break in a header value or a bad address is permanent (the job is dead at
// once). The server's certificate is always verified, against ca_file when given.
#include <curl/curl.h>
#include <crmflow/sdk.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Error;
using crmflow::sdk::Json;
using crmflow::sdk::Level;
using Escape = crmflow::sdk::Call::Escape;

[[noreturn]] void permanent(const std::string& message) {
  throw Error(message, CRMFLOW_PERMANENT);
}

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

std::string trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t");
  return std::string(text.substr(first, last - first + 1));
}

constexpr char kHex[] = "0123456789ABCDEF";

// An address as a message may show it: control bytes as \xNN, so that a NUL cannot cut the
// message short and an escape sequence from a CRM record cannot reach a log or terminal.
std::string shown(std::string_view address) {
  std::string out = "'";
  for (const char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xF]};
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Empty when `address` will do as an SMTP envelope address and a header address, else why
// not. Deliberately minimal (RFC 5321 allows far more): one @ with text on both sides, and
// nothing that would break the envelope or the header lines we write.
std::string address_problem(std::string_view address) {
  if (address.empty()) return "an empty address";
  for (const char c : address) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) return shown(address) + " holds a space or control character";
    if (c == '<' || c == '>' || c == ',' || c == ';' || c == '"') {
      return shown(address) + " holds one of < > , ; \"";
    }
  }
  const auto at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
      address.find('@', at + 1) != std::string_view::npos) {
    return shown(address) + " is not an email address (one @ with text on both sides)";
  }
  return {};
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (const int shift : {18, 12, 6, 0}) out += kBase64[(n >> shift) & 0x3F];
  }
  if (i + 1 == bytes.size()) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kBase64[(n >> 18) & 0x3F];
    out += kBase64[(n >> 12) & 0x3F];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned n =
        static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kBase64[(n >> 18) & 0x3F];
    out += kBase64[(n >> 12) & 0x3F];
    out += kBase64[(n >> 6) & 0x3F];
    out += '=';
  }
  return out;
}

bool plain_ascii(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte > 0x7E) return false;
  }
  // A reader would decode "=?...?=" in plain text as an encoded word.
  return text.find("=?") == std::string_view::npos;
}

// An unstructured header value (RFC 5322 2.2.1) as RFC 2047 "B" encoded words when it is not
// plain ASCII. Each word stays within 75 characters and ends on a UTF-8 character boundary, so
// every word decodes on its own; words are folded onto continuation lines.
std::string encode_words(std::string_view utf8) {
  if (plain_ascii(utf8)) return std::string(utf8);
  // "=?UTF-8?B?" + base64 + "?=" within 75: 63 base64 characters, so at most 45 bytes.
  constexpr size_t kMaxBytes = 45;
  std::string out;
  size_t start = 0;
  while (start < utf8.size()) {
    size_t end = std::min(start + kMaxBytes, utf8.size());
    // Back up to the start of a character, unless that would leave nothing (invalid UTF-8).
    size_t cut = end;
    while (cut < utf8.size() && cut > start &&
           (static_cast<unsigned char>(utf8[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    if (cut > start) end = cut;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(utf8.substr(start, end - start)) + "?=";
    start = end;
  }
  return out;
}

// A display name as a quoted string when it is plain ASCII, else as encoded words.
std::string display_name(std::string_view name) {
  if (!plain_ascii(name)) return encode_words(name);
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Quoted-printable (RFC 2045 6.7) with CRLF line ends: lines of at most 76 characters, "="
// and non-printable bytes as =XX, trailing blanks encoded, and a "." opening a line encoded
// so no relay can take it for the end of the data.
std::string quoted_printable(std::string_view text) {
  std::string out;
  size_t line_start = 0;
  while (line_start <= text.size()) {
    size_t line_end = text.find_first_of("\r\n", line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = text.substr(line_start, line_end - line_start);
    size_t column = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      const auto byte = static_cast<unsigned char>(line[i]);
      const bool blank = byte == ' ' || byte == '\t';
      const bool literal =
          (byte >= 33 && byte <= 126 && byte != '=') || (blank && i + 1 < line.size());
      const size_t width = literal ? 1 : 3;
      if (column + width > 75) {
        out += "=\r\n";
        column = 0;
      }
      if (literal && !(byte == '.' && column == 0)) {
        out += static_cast<char>(byte);
        column += 1;
      } else {
        out += '=';
        out += kHex[byte >> 4];
        out += kHex[byte & 0x0F];
        column += 3;
      }
    }
    out += "\r\n";
    if (line_end == text.size()) break;
    // CRLF, a lone LF or a lone CR each end one line.
    line_start = line_end + (text.compare(line_end, 2, "\r\n") == 0 ? 2 : 1);
  }
  return out;
}

// "Wed, 05 Mar 2025 14:03:00 +0000" (RFC 5322 3.3) from the host's "YYYY-MM-DD HH:MM:SS" UTC.
std::string rfc5322_date(std::string_view utc) {
  if (utc.size() < 19) throw Error("the host's clock gave '" + std::string(utc) + "'");
  const int year = std::atoi(std::string(utc.substr(0, 4)).c_str());
  const int month = std::atoi(std::string(utc.substr(5, 2)).c_str());
  const int day = std::atoi(std::string(utc.substr(8, 2)).c_str());
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    throw Error("the host's clock gave '" + std::string(utc) + "'");
  }
  // Sakamoto's day of the week, 0 = Sunday.
  static constexpr int kOffsets[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  const int y = month < 3 ? year - 1 : year;
  const int weekday = (y + y / 4 - y / 100 + y / 400 + kOffsets[month - 1] + day) % 7;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return std::string(kDays[weekday]) + ", " + std::string(utc.substr(8, 2)) + " " +
         kMonths[month - 1] + " " + std::string(utc.substr(0, 4)) + " " +
         std::string(utc.substr(11, 8)) + " +0000";
}

// "To: a@x, b@y" folded so that no line grows past 78 characters.
std::string address_header(std::string_view name, const std::vector<std::string>& addresses) {
  std::string out = std::string(name) + ": ";
  size_t column = out.size();
  for (size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) {
      out += ',';
      if (column + 2 + addresses[i].size() > 78) {
        out += "\r\n ";
        column = 1;
      } else {
        out += ' ';
        column += 2;
      }
    }
    out += addresses[i];
    column += addresses[i].size();
  }
  return out + "\r\n";
}

// A recipient as the workflow names it: a fixed address, a template, or a field of every
// record reached through a relation.
struct Recipient {
  enum class Kind { address, template_text, relation } kind = Kind::address;
  std::string text;  // the address or the template
  std::string relation;
  std::string field;
};

std::vector<Recipient> parse_recipients(const Json& list, const std::string& name) {
  if (!list.is_array()) throw Error("parameters: '" + name + "' must be an array of recipients");
  std::vector<Recipient> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "parameters: " + name + "[" + std::to_string(i) + "]";
    const Json& item = list[i];
    Recipient r;
    if (item.is_string()) {
      r.text = item.get<std::string>();
      if (r.text.find("{{") != std::string::npos) {
        r.kind = Recipient::Kind::template_text;
      } else if (const std::string problem = address_problem(trimmed(r.text)); !problem.empty()) {
        throw Error(where + ": " + problem);
      } else {
        r.text = trimmed(r.text);
      }
    } else if (item.is_object()) {
      for (const auto& member : item.items()) {
        if (member.key() != "relation" && member.key() != "field") {
          throw Error(where + ": unknown member '" + member.key() + "'");
        }
      }
      if (!item.contains("relation") || !item["relation"].is_string() || !item.contains("field") ||
          !item["field"].is_string() || item["relation"].get<std::string>().empty() ||
          item["field"].get<std::string>().empty()) {
        throw Error(where + ": expected {\"relation\": \"<relation>\", \"field\": \"<field>\"}");
      }
      r.kind = Recipient::Kind::relation;
      r.relation = item["relation"].get<std::string>();
      r.field = item["field"].get<std::string>();
    } else {
      throw Error(where + ": expected an address, a template or {\"relation\", \"field\"}");
    }
    out.push_back(std::move(r));
  }
  return out;
}

// libcurl's global state is set up once per process; curl_global_init is thread-safe in the
// libcurl we build against (7.84+), the once keeps the cost to one call.
void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t read_upload(char* buffer, size_t size, size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

// Keeps the server's recent reply lines, for error messages: only what the server sent, never
// our own commands (AUTH carries the password).
int keep_reply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  if (type == CURLINFO_HEADER_IN) {
    auto* replies = static_cast<std::vector<std::string>*>(user);
    std::string line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (replies->size() >= 16) replies->erase(replies->begin());
    if (!line.empty()) replies->push_back(std::move(line));
  }
  return 0;
}

struct CurlDeleter {
  void operator()(CURL* curl) const noexcept { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

class SendEmail final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"send_email", "1.0.0", R"({
    "type": "object",
    "required": ["to", "subject", "text"],
    "additionalProperties": false,
    "properties": {
      "to": {"type": "array", "minItems": 1, "items": {"oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "required": ["relation", "field"], "additionalProperties": false,
         "properties": {"relation": {"type": "string", "minLength": 1},
                        "field": {"type": "string", "minLength": 1}}}]}},
      "cc": {"type": "array", "items": {"oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "required": ["relation", "field"], "additionalProperties": false,
         "properties": {"relation": {"type": "string", "minLength": 1},
                        "field": {"type": "string", "minLength": 1}}}]}},
      "subject": {"type": "string", "minLength": 1},
      "text": {"type": "string"},
      "html": {"type": "string"},
      "record_email": {"type": "boolean", "default": true}
    }})",
                                           crmflow::sdk::Effect::external};

  // Reads the parameters and the host's settings; throws Error naming what is wrong, so a
  // workflow with a bad address or a host without an SMTP server is refused when loaded.
  SendEmail(const Json& params, const Call& call) {
    crmflow::sdk::expect_parameters(params,
                                    {"to", "cc", "subject", "text", "html", "record_email"});
    if (!params.contains("to")) throw Error("parameters: 'to' names at least one recipient");
    to_ = parse_recipients(params["to"], "to");
    if (to_.empty()) throw Error("parameters: 'to' names at least one recipient");
    if (params.contains("cc")) cc_ = parse_recipients(params["cc"], "cc");
    for (const char* name : {"subject", "text"}) {
      if (!params.contains(name) || !params[name].is_string()) {
        throw Error(std::string("parameters: '") + name + "' must be a template (a string)");
      }
    }
    subject_ = params["subject"].get<std::string>();
    if (subject_.empty()) throw Error("parameters: 'subject' must not be empty");
    text_ = params["text"].get<std::string>();
    if (params.contains("html")) {
      if (!params["html"].is_string()) throw Error("parameters: 'html' must be a template");
      html_ = params["html"].get<std::string>();
    }
    if (params.contains("record_email")) {
      if (!params["record_email"].is_boolean()) {
        throw Error("parameters: 'record_email' must be true or false");
      }
      record_email_ = params["record_email"].get<bool>();
    }
    read_settings(call.settings());
    init_curl();
  }

  // Renders and checks the recipients and the message, sends it in one SMTP transaction, then
  // files it as an Emails record on the record (record_email). Throws Error: CRMFLOW_PERMANENT
  // when no retry can help (no recipient, a bad address, a line break in a header, a template
  // error, a 5xx reply), CRMFLOW_ERROR when a later attempt may succeed.
  void run(const Call& call) const override {
    const std::string key(call.job_key());
    if (key.empty()) permanent("send_email runs only as a job (it has no job key)");
    const std::vector<std::string> to = recipients(call, to_, "to");
    const std::vector<std::string> cc = recipients(call, cc_, "cc");
    if (to.empty() && cc.empty()) {
      permanent("no recipient: every recipient rendered empty");
    }

    const std::string subject = render(call, subject_, Escape::header, "subject");
    if (has_line_break(subject)) permanent("subject: a line break is refused in a header");
    const std::string text = render(call, text_, Escape::text, "text");
    const std::string html = html_ ? render(call, *html_, Escape::html, "html") : std::string();

    const std::string message_id = "<" + atext(key) + "@crmflow>";
    const std::string sent_at = call.shift_time("", 0, CRMFLOW_UNIT_MINUTE);
    const std::string message =
        compose(to, cc, subject, text, html_ ? &html : nullptr, message_id, sent_at, key);

    std::vector<std::string> envelope;
    for (const auto* list : {&to, &cc}) {
      for (const std::string& address : *list) {
        if (std::find(envelope.begin(), envelope.end(), address) == envelope.end()) {
          envelope.push_back(address);
        }
      }
    }
    send(call, envelope, message);
    call.log(Level::info,
             "sent " + message_id + " to " + std::to_string(envelope.size()) + " recipient(s)");

    if (!record_email_) return;
    std::string to_addrs;
    for (const std::string& address : to) to_addrs += (to_addrs.empty() ? "" : ", ") + address;
    const Json fields = {{"name", subject},          {"description", text},
                         {"to_addrs", to_addrs},     {"from_addr", from_},
                         {"message_id", message_id}, {"date_sent", sent_at},
                         {"status", "sent"},         {"type", "out"}};
    try {
      call.create_record("Emails", fields, true);
    } catch (const Error& e) {
      // The message is out: failing the job now would send it again on the retry. A CRM
      // without an Emails module (or another column layout) just goes without the copy.
      call.log(Level::warn, "sent " + message_id +
                                " but not filed as an Emails record: " + std::string(e.what()));
    }
  }

 private:
  void read_settings(const Json& settings) {
    static constexpr const char* kKnown[] = {"smtp_url",
                                             "from",
                                             "from_name",
                                             "starttls",
                                             "username",
                                             "password_env",
                                             "ca_file",
                                             "timeout_seconds",
                                             "connect_timeout_seconds"};
    for (const auto& item : settings.items()) {
      if (std::find_if(std::begin(kKnown), std::end(kKnown), [&](const char* known) {
            return item.key() == known;
          }) == std::end(kKnown)) {
        throw Error("settings: unknown setting '" + item.key() + "'");
      }
    }
    const auto text = [&](const char* name, bool required) -> std::string {
      if (!settings.contains(name)) {
        if (required) {
          throw Error(std::string("settings: '") + name +
                      "' is required (host config \"plugins\": {\"send_email\": {\"settings\": "
                      "{...}}})");
        }
        return {};
      }
      if (!settings[name].is_string())
        throw Error(std::string("settings: '") + name + "' must be a string");
      std::string value = settings[name].get<std::string>();
      if (has_line_break(value))
        throw Error(std::string("settings: '") + name + "' holds a line break");
      return value;
    };
    const auto seconds = [&](const char* name, long fallback) -> long {
      if (!settings.contains(name)) return fallback;
      if (!settings[name].is_number_integer() || settings[name].get<long>() < 1 ||
          settings[name].get<long>() > 3600) {
        throw Error(std::string("settings: '") + name +
                    "' must be a whole number of seconds, 1 to 3600");
      }
      return settings[name].get<long>();
    };
    smtp_url_ = text("smtp_url", true);
    if (smtp_url_.rfind("smtp://", 0) != 0 && smtp_url_.rfind("smtps://", 0) != 0) {
      throw Error("settings: 'smtp_url' must start with smtp:// or smtps://");
    }
    const size_t authority = smtp_url_.find("://") + 3;
    const size_t host_end = smtp_url_.find('/', authority);
    if (smtp_url_.find('@', authority) < host_end) {
      throw Error(
          "settings: 'smtp_url' must not hold a user or password; use 'username' and "
          "'password_env'");
    }
    from_ = trimmed(text("from", true));
    if (const std::string problem = address_problem(from_); !problem.empty()) {
      throw Error("settings: from: " + problem);
    }
    from_name_ = text("from_name", false);
    const std::string starttls = settings.contains("starttls") ? text("starttls", false) : "try";
    if (starttls == "try") {
      use_ssl_ = CURLUSESSL_TRY;
    } else if (starttls == "require") {
      use_ssl_ = CURLUSESSL_ALL;
    } else if (starttls == "off") {
      use_ssl_ = CURLUSESSL_NONE;
    } else {
      throw Error("settings: 'starttls' must be \"try\", \"require\" or \"off\"");
    }
    username_ = text("username", false);
    password_env_ = text("password_env", false);
    if (!password_env_.empty() && username_.empty()) {
      throw Error("settings: 'password_env' needs 'username'");
    }
    ca_file_ = text("ca_file", false);
    if (settings.contains("ca_file")) {
      // Checked now so a typo shows in `crmflow check`, not as a TLS failure on every job.
      std::FILE* file = ca_file_.empty() ? nullptr : std::fopen(ca_file_.c_str(), "rb");
      if (file == nullptr) {
        throw Error("settings: 'ca_file' (" + ca_file_ + ") cannot be read");
      }
      std::fclose(file);
    }
    timeout_seconds_ = seconds("timeout_seconds", 30);
    connect_timeout_seconds_ = seconds("connect_timeout_seconds", 10);
  }

  // A template rendered for `field`; any refusal (a malformed template, an unknown name, a
  // line break in a header) is permanent and names the field.
  static std::string render(const Call& call, const std::string& template_text, Escape escape,
                            const std::string& field) {
    try {
      return call.render(template_text, escape);
    } catch (const Error& e) {
      permanent(field + ": " + e.what());
    }
  }

  // The addresses of one list, rendered, checked and without empties and repeats.
  static std::vector<std::string> recipients(const Call& call, const std::vector<Recipient>& list,
                                             const std::string& name) {
    std::vector<std::string> out;
    const auto add = [&](const std::string& raw, const std::string& where) {
      if (has_line_break(raw)) permanent(where + ": a line break is refused in a recipient");
      const std::string address = trimmed(raw);
      if (address.empty()) return;
      if (const std::string problem = address_problem(address); !problem.empty()) {
        permanent(where + ": " + problem);
      }
      if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
    };
    for (size_t i = 0; i < list.size(); ++i) {
      const Recipient& r = list[i];
      const std::string where = name + "[" + std::to_string(i) + "]";
      switch (r.kind) {
        case Recipient::Kind::address: add(r.text, where); break;
        case Recipient::Kind::template_text:
          add(render(call, r.text, Escape::header, where), where);
          break;
        case Recipient::Kind::relation: {
          Json records;
          try {
            records = call.related_records(r.relation);
          } catch (const Error& e) {
            permanent(where + ": " + e.what());
          }
          for (const Json& record : records) {
            const Json& fields = record.at("fields");
            if (!fields.contains(r.field)) {
              permanent(where + ": " + record.value("module", std::string("the related")) +
                        " records have no field '" + r.field + "'");
            }
            if (fields[r.field].is_string()) add(fields[r.field].get<std::string>(), where);
          }
          break;
        }
      }
    }
    return out;
  }

  // The job key made fit for a Message-ID's left part and a MIME boundary.
  static std::string atext(std::string_view key) {
    std::string out;
    for (const char c : key) {
      const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.';
      out += keep ? c : '-';
    }
    return out;
  }

  std::string compose(const std::vector<std::string>& to, const std::vector<std::string>& cc,
                      const std::string& subject, const std::string& text, const std::string* html,
                      const std::string& message_id, const std::string& sent_at,
                      const std::string& key) const {
    std::string m;
    m += "Date: " + rfc5322_date(sent_at) + "\r\n";
    m += "From: " + (from_name_.empty() ? from_ : display_name(from_name_) + " <" + from_ + ">") +
         "\r\n";
    m += to.empty() ? std::string("To: undisclosed-recipients:;\r\n") : address_header("To", to);
    if (!cc.empty()) m += address_header("Cc", cc);
    m += "Subject: " + encode_words(subject) + "\r\n";
    m += "Message-ID: " + message_id + "\r\n";
    m += "MIME-Version: 1.0\r\n";
    if (html == nullptr) {
      m += "Content-Type: text/plain; charset=UTF-8\r\n";
      m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
      m += quoted_printable(text);
      return m;
    }
    // "=_" cannot occur in quoted-printable text ("=" is always followed by hex or a line
    // end), so the boundary never collides with a part.
    const std::string boundary = "=_crmflow_" + atext(key);
    m += "Content-Type: multipart/alternative; boundary=\"" + boundary + "\"\r\n\r\n";
    m += "--" + boundary + "\r\n";
    m += "Content-Type: text/plain; charset=UTF-8\r\n";
    m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    m += quoted_printable(text);
    m += "--" + boundary + "\r\n";
    m += "Content-Type: text/html; charset=UTF-8\r\n";
    m += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    m += quoted_printable(*html);
    m += "--" + boundary + "--\r\n";
    return m;
  }

  // One SMTP transaction; throws Error (CRMFLOW_PERMANENT for a 5xx reply to the message or
  // a recipient, else CRMFLOW_ERROR to be retried).
  void send(const Call& call, const std::vector<std::string>& envelope,
            const std::string& message) const {
    const long left_ms = static_cast<long>(call.remaining().count());
    if (left_ms <= 0) throw Error("the call's deadline passed before sending");
    const long timeout_ms = std::min(timeout_seconds_ * 1000, left_ms);
    const long connect_ms = std::min(connect_timeout_seconds_ * 1000, timeout_ms);

    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) throw Error("libcurl could not create a handle");
    std::unique_ptr<curl_slist, SlistDeleter> rcpt;
    for (const std::string& address : envelope) {
      curl_slist* next = curl_slist_append(rcpt.get(), ("<" + address + ">").c_str());
      if (next == nullptr) throw Error("out of memory");
      (void)rcpt.release();
      rcpt.reset(next);
    }
    const std::string mail_from = "<" + from_ + ">";
    Upload upload{message, 0};
    std::vector<std::string> replies;
    char curl_error[CURL_ERROR_SIZE] = {};
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, smtp_url_.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_upload);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(h, CURLOPT_USE_SSL, use_ssl_);
    if (!ca_file_.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, ca_file_.c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    // Jobs run on host threads: no SIGALRM for DNS timeouts.
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &keep_reply);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, &replies);
    if (!username_.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, username_.c_str());
      if (!password_env_.empty()) {
        const char* password = std::getenv(password_env_.c_str());
        if (password == nullptr) {
          throw Error("the environment variable " + password_env_ +
                      " (settings.password_env) is not set");
        }
        curl_easy_setopt(h, CURLOPT_PASSWORD, password);
      }
    }

    const CURLcode result = curl_easy_perform(h);
    if (result == CURLE_OK) return;
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    std::string what = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(result);
    // The reply that failed (libcurl's QUIT came after it), with the server's own words.
    const std::string prefix = std::to_string(code);
    for (auto it = replies.rbegin(); code != 0 && it != replies.rend(); ++it) {
      if (it->rfind(prefix, 0) == 0) {
        what += " (server: " + *it + ")";
        break;
      }
    }
    const std::string message_text = "SMTP " + smtp_url_ + ": " + what;
    // libcurl reports the refused command as "MAIL failed", "RCPT failed" or "DATA failed"
    // (and the reply to the message's end with CURLE_WEIRD_SERVER_REPLY); a 5xx there is the
    // server's final word about this message. 535 to AUTH means the credentials are wrong
    // (RFC 4954): every retry would send the same ones, and repeated failed logins get
    // accounts locked and hosts banned. Another 5xx outside the transaction (STARTTLS, an
    // AUTH mechanism) is about a configuration an operator can still fix before the retries
    // run out.
    const bool about_message =
        what.rfind("MAIL failed", 0) == 0 || what.rfind("RCPT failed", 0) == 0 ||
        what.rfind("DATA failed", 0) == 0 || result == CURLE_WEIRD_SERVER_REPLY;
    if (code >= 500 && code <= 599 && about_message) permanent(message_text);
    if (result == CURLE_LOGIN_DENIED && code == 535) permanent(message_text);
    throw Error(message_text);
  }

  std::vector<Recipient> to_;
  std::vector<Recipient> cc_;
  std::string subject_;
  std::string text_;
  std::optional<std::string> html_;
  bool record_email_ = true;
  std::string smtp_url_;
  std::string from_;
  std::string from_name_;
  long use_ssl_ = CURLUSESSL_TRY;
  std::string username_;
  std::string password_env_;
  std::string ca_file_;
  long timeout_seconds_ = 30;
  long connect_timeout_seconds_ = 10;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.send_email", "1.0.0", SendEmail)
