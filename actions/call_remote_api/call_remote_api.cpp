// The call_remote_api action: one HTTP(S) request about the triggering record.
//
//   {"plugin": "call_remote_api",
//    "params": {"method": "POST",
//               "url": "https://tickets.example.com/api/cases/{{record.case_number}}",
//               "headers": {"X-Source": "crmflow"},
//               "secret_headers": {"Authorization": {"env": "TICKETS_TOKEN",
//                                                    "prefix": "Bearer "}},
//               "body": {"title": "{{record.name}}", "priority": 1},
//               "response": {"/ticket/id": "description"}}}
//
// The URL is a template whose placeholder values are percent-encoded; header values are
// templates refused when a value holds a line break; the body is built as JSON values (its
// strings are templates, so a record's quotes or backslashes cannot break the JSON). Secret
// headers are read from the environment at call time and never appear in logs or errors.
// Every attempt carries the job's Idempotency-Key, so a retried request can be recognised.
//
// Effect class external: runs as a job after the event committed. 2xx is success (then the
// response mapping writes fields of the triggering record); 408, 429, 5xx, connection
// failures and timeouts fail the attempt and the job runner retries with backoff; any other
// status fails for good (CRMFLOW_PERMANENT) with the first 1000 bytes of the response.
//
// Host settings ("plugins": {"call_remote_api": {"settings": {...}}}): "allowed_hosts", a list
// of host names; when present, any other host is refused (at load time when the URL's host
// has no placeholders, else when the job runs).
#include <curl/curl.h>

#include <algorithm>
#include <crmflow/sdk.hpp>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using crmflow::sdk::Call;
using crmflow::sdk::Error;
using crmflow::sdk::Json;
using Escape = crmflow::sdk::Call::Escape;

// What an error message quotes of a response body.
constexpr size_t kQuotedBodyBytes = 1000;
// What is kept of a response for the mapping; a larger body cannot be mapped.
constexpr size_t kKeptBodyBytes = size_t{1} << 20;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 9110 token: the characters a header name may have.
bool is_token(std::string_view name) {
  if (name.empty()) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").contains(c);
  });
}

// The text with every byte that is not part of valid UTF-8 replaced by '?', so a response
// body quoted in an error can be stored in the job's utf8mb4 last_error and dumped as JSON.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    size_t length = byte < 0x80         ? 1
                    : (byte >> 5) == 6  ? 2
                    : (byte >> 4) == 14 ? 3
                    : (byte >> 3) == 30 ? 4
                                        : 0;
    bool ok = length != 0 && i + length <= text.size();
    for (size_t k = 1; ok && k < length; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) >> 6) == 2;
    }
    if (ok && length > 1) {
      // Overlong forms and surrogates are not valid UTF-8 either.
      const auto next = static_cast<unsigned char>(text[i + 1]);
      ok = !(byte == 0xC0 || byte == 0xC1 || (byte == 0xE0 && next < 0xA0) ||
             (byte == 0xED && next >= 0xA0) || (byte == 0xF0 && next < 0x90) || byte > 0xF4 ||
             (byte == 0xF4 && next >= 0x90));
    }
    if (ok) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

// A secret header value sent with the request and the variable it came from.
struct SentSecret {
  std::string value;
  std::string env;
};

// The first bytes of a response body, for an error message, with every secret the request
// sent replaced by "[secret VARIABLE]": a server that quotes the token it refused (401
// "invalid token: ...") must not carry it into the log and the job's last_error.
std::string quoted_body(std::string_view body, const std::vector<SentSecret>& secrets) {
  if (body.empty()) return "(empty body)";
  std::string text(body);
  for (const SentSecret& secret : secrets) {
    if (secret.value.empty()) continue;
    const std::string mark = "[secret " + secret.env + "]";
    for (size_t at = text.find(secret.value); at != std::string::npos;
         at = text.find(secret.value, at + mark.size())) {
      text.replace(at, secret.value.size(), mark);
    }
  }
  std::string head = valid_utf8(std::string_view(text).substr(0, kQuotedBodyBytes));
  if (text.size() > kQuotedBodyBytes) head += " […]";
  return head;
}

// The authority of an http(s) URL template ("user@host:port"), between "://" and the first
// '/', '?' or '#'.
std::string_view authority_of(std::string_view url) {
  const size_t start = url.find("://");
  if (start == std::string_view::npos) return {};
  const std::string_view rest = url.substr(start + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

struct UrlDeleter {
  void operator()(CURLU* url) const noexcept { curl_url_cleanup(url); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

struct EasyDeleter {
  void operator()(CURL* easy) const noexcept { curl_easy_cleanup(easy); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};

// A parsed absolute http or https URL, or an Error (with `status`) saying why not.
UrlHandle parse_url(const std::string& text, int32_t status) {
  UrlHandle url(curl_url());
  if (!url) throw Error("out of memory parsing a URL");
  if (const CURLUcode code = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), 0)) {
    throw Error("url: '" + text + "' is not a valid URL: " + curl_url_strerror(code), status);
  }
  char* scheme = nullptr;
  if (curl_url_get(url.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
    throw Error("url: '" + text + "' has no scheme", status);
  }
  const std::string name = lower(scheme);
  curl_free(scheme);
  if (name != "http" && name != "https") {
    throw Error("url: '" + text + "': only http and https are allowed", status);
  }
  return url;
}

// The URL's host in lower case ("[::1]" for IPv6).
std::string host_of(CURLU* url) {
  char* host = nullptr;
  if (curl_url_get(url, CURLUPART_HOST, &host, 0) != CURLUE_OK) return {};
  std::string out = lower(host);
  curl_free(host);
  return out;
}

// A secret header's value comes from the environment variable `env`, after `prefix`.
struct SecretHeader {
  std::string name;
  std::string env;
  std::string prefix;
};

// Headers the request's framing or this plugin owns.
bool is_reserved_header(const std::string& lower_name) {
  static const std::set<std::string> reserved = {
      "content-length", "transfer-encoding", "host", "connection", "expect", "idempotency-key"};
  return reserved.contains(lower_name);
}

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t n = size * count;
  // Past the kept size the rest is read and dropped, so the status still counts.
  if (body->size() <= kKeptBodyBytes)
    body->append(data, std::min(n, kKeptBodyBytes + 1 - body->size()));
  return n;
}

class CallRemoteApi final : public crmflow::sdk::Action {
 public:
  static constexpr crmflow::sdk::Info info{"call_remote_api", "1.0.0", R"({
    "type": "object",
    "required": ["url"],
    "additionalProperties": false,
    "properties": {
      "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"], "default": "POST"},
      "url": {"type": "string", "pattern": "^https?://[^/?#]+"},
      "headers": {"type": "object", "additionalProperties": {"type": "string"}},
      "body": {},
      "secret_headers": {
        "type": "object",
        "additionalProperties": {
          "type": "object",
          "required": ["env"],
          "additionalProperties": false,
          "properties": {
            "env": {"type": "string", "minLength": 1},
            "prefix": {"type": "string"}
          }
        }
      },
      "response": {
        "type": "object",
        "additionalProperties": {"type": "string", "minLength": 1}
      },
      "connect_timeout_ms": {"type": "integer", "minimum": 1, "maximum": 600000, "default": 5000},
      "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 3600000, "default": 30000}
    },
    "if": {"required": ["method"], "properties": {"method": {"const": "GET"}}},
    "then": {"not": {"required": ["body"]}}})",
                                           crmflow::sdk::Effect::external};

  CallRemoteApi(const Json& params, const Call& call) {
    crmflow::sdk::expect_parameters(params, {"method", "url", "headers", "body", "secret_headers",
                                             "response", "connect_timeout_ms", "timeout_ms"});
    method_ = params.value("method", std::string("POST"));
    if (!std::set<std::string>{"GET", "POST", "PUT", "PATCH", "DELETE"}.contains(method_)) {
      throw Error("parameters: 'method' must be GET, POST, PUT, PATCH or DELETE");
    }
    if (!params.contains("url") || !params["url"].is_string()) {
      throw Error("parameters: 'url' must be an http:// or https:// URL template");
    }
    url_ = params["url"].get<std::string>();
    if (!url_.starts_with("http://") && !url_.starts_with("https://")) {
      throw Error("parameters: url: must start with http:// or https://");
    }
    read_headers(params);
    if (params.contains("body")) {
      if (method_ == "GET") throw Error("parameters: body: a GET request has no body");
      body_ = params["body"];
    }
    if (params.contains("response")) {
      if (!params["response"].is_object()) {
        throw Error("parameters: 'response' must be an object of JSON pointer → field");
      }
      for (const auto& [pointer, field] : params["response"].items()) {
        if (!field.is_string() || field.get<std::string>().empty()) {
          throw Error("parameters: response." + pointer + ": expected the name of a field");
        }
        try {
          response_.emplace_back(Json::json_pointer(pointer), field.get<std::string>());
        } catch (const Json::exception& e) {
          throw Error("parameters: response: '" + pointer + "' is not a JSON pointer: " + e.what());
        }
      }
    }
    connect_timeout_ms_ = milliseconds(params, "connect_timeout_ms", 5000, 600000);
    timeout_ms_ = milliseconds(params, "timeout_ms", 30000, 3600000);
    read_settings(call.settings());

    // libcurl's global setup is not thread-safe in every build; components are created
    // before the host's threads run them.
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  void run(const Call& call) const override {
    const std::string url_text = call.render(url_, Escape::url);
    const UrlHandle url = parse_url(url_text, CRMFLOW_PERMANENT);
    const std::string host = host_of(url.get());
    check_host(host, CRMFLOW_PERMANENT);
    const std::string what = method_ + " to " + host;

    std::unique_ptr<curl_slist, ListDeleter> headers;
    const auto add_header = [&headers](const std::string& line) {
      curl_slist* grown = curl_slist_append(headers.get(), line.c_str());
      if (grown == nullptr) throw Error("out of memory building the request's headers");
      (void)headers.release();
      headers.reset(grown);
    };
    bool has_content_type = false;
    for (const auto& [name, value_template] : headers_) {
      std::string value;
      try {
        value = call.render(value_template, Escape::header);
      } catch (const Error& e) {
        throw Error("headers." + name + ": " + e.what(), e.status());
      }
      has_content_type = has_content_type || lower(name) == "content-type";
      // "Name:" with nothing after it would make libcurl drop the header; "Name;" sends it empty.
      add_header(value.empty() ? name + ";" : name + ": " + value);
    }
    std::vector<SentSecret> sent;
    for (const SecretHeader& secret : secret_headers_) {
      const char* value = std::getenv(secret.env.c_str());
      if (value == nullptr) {
        throw Error("secret_headers." + secret.name + ": the environment variable " + secret.env +
                    " is not set");
      }
      const std::string line = secret.name + ": " + secret.prefix + value;
      if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        throw Error("secret_headers." + secret.name + ": the environment variable " + secret.env +
                        " holds a line break; refused in a header",
                    CRMFLOW_PERMANENT);
      }
      has_content_type = has_content_type || lower(secret.name) == "content-type";
      add_header(line);
      sent.push_back({value, secret.env});
    }
    if (const std::string_view key = call.job_key(); !key.empty()) {
      add_header("Idempotency-Key: " + std::string(key));
    }
    std::string body_text;
    if (body_) {
      body_text =
          render_body(call, *body_, "body").dump(-1, ' ', false, Json::error_handler_t::replace);
      if (!has_content_type) add_header("Content-Type: application/json");
    }
    add_header("Expect:");  // no 100-continue round trip for large bodies

    const std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    if (!easy) throw Error(what + ": libcurl could not start a request");
    CURL* const e = easy.get();
    const long remaining = static_cast<long>(std::max<long long>(call.remaining().count(), 1));
    const long timeout = std::min(timeout_ms_, remaining);
    std::string response;
    char curl_message[CURL_ERROR_SIZE] = {};
    bool set_ok = curl_easy_setopt(e, CURLOPT_CURLU, url.get()) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                                        std::min(connect_timeout_ms_, timeout)) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout) == CURLE_OK;
    set_ok = set_ok &&
             curl_easy_setopt(e, CURLOPT_USERAGENT, "crmflow call_remote_api/1.0.0") == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &collect) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_WRITEDATA, &response) == CURLE_OK;
    set_ok = set_ok && curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curl_message) == CURLE_OK;
    if (method_ == "GET") {
      set_ok = set_ok && curl_easy_setopt(e, CURLOPT_HTTPGET, 1L) == CURLE_OK;
    } else {
      set_ok = set_ok && curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method_.c_str()) == CURLE_OK;
      // POST, PUT and PATCH always send a body (perhaps empty, with Content-Length: 0);
      // DELETE only when it has one.
      if (body_ || method_ != "DELETE") {
        set_ok = set_ok && curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                                            static_cast<curl_off_t>(body_text.size())) == CURLE_OK;
        set_ok = set_ok && curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_text.c_str()) == CURLE_OK;
      }
    }
    if (!set_ok) throw Error(what + ": libcurl refused the request's options");

    const CURLcode code = curl_easy_perform(e);
    if (code != CURLE_OK) {
      const std::string detail = curl_message[0] != '\0' ? curl_message : curl_easy_strerror(code);
      if (code == CURLE_OPERATION_TIMEDOUT) {
        throw Error(what + ": timed out after " + std::to_string(timeout) + " ms (" + detail + ")");
      }
      // A URL libcurl cannot use fails the same way on every attempt.
      const bool permanent = code == CURLE_URL_MALFORMAT || code == CURLE_UNSUPPORTED_PROTOCOL;
      throw Error(what + ": " + detail, permanent ? CRMFLOW_PERMANENT : CRMFLOW_ERROR);
    }
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
      const std::string message =
          what + ": HTTP " + std::to_string(status) +
          (status >= 300 && status <= 399 ? " (redirects are not followed)" : "") + ": " +
          quoted_body(response, sent);
      const bool retry = status == 408 || status == 429 || status >= 500;
      throw Error(message, retry ? CRMFLOW_ERROR : CRMFLOW_PERMANENT);
    }
    call.log(crmflow::sdk::Level::info, what + ": HTTP " + std::to_string(status));
    if (!response_.empty()) write_back(call, what, response, sent);
  }

 private:
  static long milliseconds(const Json& params, const char* name, long fallback, long maximum) {
    if (!params.contains(name)) return fallback;
    const Json& value = params[name];
    if (!value.is_number_integer() || value.get<long long>() < 1 ||
        value.get<long long>() > maximum) {
      throw Error(std::string("parameters: '") + name +
                  "' must be a whole number of milliseconds "
                  "from 1 to " +
                  std::to_string(maximum));
    }
    return static_cast<long>(value.get<long long>());
  }

  void read_headers(const Json& params) {
    std::set<std::string> seen;
    const auto name_ok = [&seen](const std::string& where, const std::string& name) {
      if (!is_token(name)) {
        throw Error("parameters: " + where + ": '" + name + "' is not a valid header name");
      }
      const std::string key = lower(name);
      if (is_reserved_header(key)) {
        throw Error("parameters: " + where + ": the header '" + name +
                    "' is set by the request "
                    "itself");
      }
      if (!seen.insert(key).second) {
        throw Error("parameters: " + where + ": the header '" + name + "' is given twice");
      }
    };
    if (params.contains("headers")) {
      if (!params["headers"].is_object()) {
        throw Error("parameters: 'headers' must be an object of header name → value template");
      }
      for (const auto& [name, value] : params["headers"].items()) {
        name_ok("headers", name);
        if (!value.is_string()) throw Error("parameters: headers." + name + ": expected text");
        headers_.emplace_back(name, value.get<std::string>());
      }
    }
    if (params.contains("secret_headers")) {
      if (!params["secret_headers"].is_object()) {
        throw Error(
            "parameters: 'secret_headers' must be an object of header name → "
            "{\"env\": \"VARIABLE\", \"prefix\": \"...\"}");
      }
      for (const auto& [name, spec] : params["secret_headers"].items()) {
        name_ok("secret_headers", name);
        const std::string where = "parameters: secret_headers." + name;
        if (!spec.is_object()) throw Error(where + ": expected {\"env\": \"VARIABLE\"}");
        crmflow::sdk::expect_parameters(spec, {"env", "prefix"});
        if (!spec.contains("env") || !spec["env"].is_string() ||
            spec["env"].get<std::string>().empty()) {
          throw Error(where + ".env: expected the name of an environment variable");
        }
        if (spec.contains("prefix") && !spec["prefix"].is_string()) {
          throw Error(where + ".prefix: expected text");
        }
        secret_headers_.push_back(
            {name, spec["env"].get<std::string>(), spec.value("prefix", std::string())});
      }
    }
  }

  void read_settings(const Json& settings) {
    if (!settings.contains("allowed_hosts")) return;
    const Json& hosts = settings["allowed_hosts"];
    if (!hosts.is_array()) throw Error("settings: 'allowed_hosts' must be a list of host names");
    allowed_hosts_.emplace();
    for (const Json& host : hosts) {
      if (!host.is_string()) throw Error("settings: allowed_hosts: expected host names");
      allowed_hosts_->insert(lower(host.get<std::string>()));
    }
    // A host fixed in the workflow file is judged now, so a refused workflow never loads.
    const std::string_view authority = authority_of(url_);
    if (authority.find("{{") == std::string_view::npos) {
      const std::string scheme = url_.substr(0, url_.find("://"));
      const UrlHandle url = parse_url(scheme + "://" + std::string(authority) + "/", CRMFLOW_ERROR);
      check_host(host_of(url.get()), CRMFLOW_ERROR);
    }
  }

  void check_host(const std::string& host, int32_t status) const {
    if (allowed_hosts_ && !allowed_hosts_->contains(host)) {
      throw Error("url: the host '" + host + "' is not in the allowed_hosts setting", status);
    }
  }

  // The body template with every string rendered; numbers, booleans and null kept.
  static Json render_body(const Call& call, const Json& value, const std::string& where) {
    if (value.is_string()) {
      try {
        return call.render(value.get_ref<const std::string&>(), Escape::text);
      } catch (const Error& e) {
        throw Error(where + ": " + e.what(), e.status());
      }
    }
    if (value.is_object()) {
      Json out = Json::object();
      for (const auto& [key, member] : value.items()) {
        out[key] = render_body(call, member, where + "." + key);
      }
      return out;
    }
    if (value.is_array()) {
      Json out = Json::array();
      for (size_t i = 0; i < value.size(); ++i) {
        out.push_back(render_body(call, value[i], where + "[" + std::to_string(i) + "]"));
      }
      return out;
    }
    return value;
  }

  // The request succeeded; a mapping that cannot be applied would fail on every retry too.
  void write_back(const Call& call, const std::string& what, const std::string& response,
                  const std::vector<SentSecret>& sent) const {
    if (response.size() > kKeptBodyBytes) {
      throw Error(what + ": the response is larger than 1 MiB; not mapped", CRMFLOW_PERMANENT);
    }
    const Json parsed = Json::parse(response, nullptr, false);
    if (parsed.is_discarded()) {
      throw Error(what + ": the response is not JSON, so 'response' cannot be mapped: " +
                      quoted_body(response, sent),
                  CRMFLOW_PERMANENT);
    }
    Json fields = Json::object();
    for (const auto& [pointer, field] : response_) {
      if (!parsed.contains(pointer)) {
        throw Error(what + ": the response has nothing at " + pointer.to_string() + ": " +
                        quoted_body(response, sent),
                    CRMFLOW_PERMANENT);
      }
      const Json& value = parsed.at(pointer);
      fields[field] = value.is_string() || value.is_null()
                          ? value
                          : Json(value.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    try {
      call.update_record(call.module(), call.record_id(), fields);
    } catch (const Error& e) {
      throw Error(what + ": writing the response back: " + e.what(), e.status());
    }
  }

  std::string method_;
  std::string url_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::vector<SecretHeader> secret_headers_;
  std::optional<Json> body_;
  std::vector<std::pair<Json::json_pointer, std::string>> response_;
  long connect_timeout_ms_ = 5000;
  long timeout_ms_ = 30000;
  std::optional<std::set<std::string>> allowed_hosts_;
};

}  // namespace

CRMFLOW_PLUGIN("crmflow.call_remote_api", "1.0.0", CallRemoteApi)
