// crmflow plugin SDK for C++: a header-only layer over abi.h.
//
// A plugin author writes one small class per component and one CRMFLOW_PLUGIN line:
//
//   class Shout final : public crmflow::sdk::Action {
//    public:
//     static constexpr crmflow::sdk::Info info{"shout", "1.0.0", R"({"type":"object"})",
//                                              crmflow::sdk::Effect::database};
//     explicit Shout(const crmflow::sdk::Json& params);
//     void run(const crmflow::sdk::Call& call) const override;
//   };
//   CRMFLOW_PLUGIN("example.shout", "1.0.0", Shout)
//
// Every exception a component throws is caught at the ABI boundary and becomes a status
// with the exception's message; nothing C++ crosses into the host. Instances are shared by
// several host threads: evaluate/run/tick are const and must not change the instance.
#ifndef CRMFLOW_SDK_HPP
#define CRMFLOW_SDK_HPP

#include <crmflow/abi.h>

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace crmflow::sdk {

using Json = nlohmann::json;

enum class Effect : uint32_t {
  none = CRMFLOW_EFFECT_NONE,
  database = CRMFLOW_EFFECT_DATABASE,
  external = CRMFLOW_EFFECT_EXTERNAL,
};

enum class Image : uint32_t {
  current = CRMFLOW_IMAGE_CURRENT,
  new_image = CRMFLOW_IMAGE_NEW,
  old_image = CRMFLOW_IMAGE_OLD,
};

enum class Level : int32_t {
  debug = CRMFLOW_LOG_DEBUG,
  info = CRMFLOW_LOG_INFO,
  warn = CRMFLOW_LOG_WARN,
  error = CRMFLOW_LOG_ERROR,
};

// What a component tells the host about itself.
struct Info {
  std::string_view name;
  std::string_view version;
  std::string_view params_schema;  // JSON Schema of the parameters object
  Effect effect = Effect::none;    // actions: database or external
};

// Thrown by a component to fail with a message (and, rarely, a specific status).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int32_t status = CRMFLOW_ERROR)
      : std::runtime_error(message), status_(status) {}
  int32_t status() const noexcept { return status_; }

 private:
  int32_t status_;
};

// For a component's constructor: throws Error unless `params` is an object whose members
// are all among `known` (so a misspelt parameter is reported, not silently ignored).
inline void expect_parameters(const Json& params, std::initializer_list<std::string_view> known) {
  if (!params.is_object()) throw Error("parameters: expected an object");
  for (const auto& item : params.items()) {
    bool found = false;
    for (const std::string_view name : known) found = found || item.key() == name;
    if (!found) throw Error("parameters: unknown parameter '" + item.key() + "'");
  }
}

inline crmflow_str to_str(std::string_view s) noexcept {
  return {s.data(), s.size()};
}
inline std::string_view to_view(crmflow_str s) noexcept {
  return s.len == 0 ? std::string_view{} : std::string_view{s.ptr, s.len};
}

// One call from the host: the record it is about, its deadline, the host's log.
// Views returned by a Call are valid until the component's function returns.
class Call {
 public:
  Call(const crmflow_host_api* api, crmflow_call* call) noexcept : api_(api), call_(call) {}

  // The field's value in an image of the record; std::nullopt for SQL NULL.
  // Throws Error when the record has no such field.
  std::optional<std::string_view> field(std::string_view name, Image image = Image::current) const {
    crmflow_value value{};
    const int32_t status =
        api_->record_field(call_, static_cast<uint32_t>(image), to_str(name), &value);
    if (status == CRMFLOW_NOT_FOUND) {
      throw Error(
          "the " + std::string(module()) + " record has no field '" + std::string(name) + "'",
          CRMFLOW_NOT_FOUND);
    }
    if (status != CRMFLOW_OK) throw Error("reading field '" + std::string(name) + "' failed");
    if (value.type == CRMFLOW_VALUE_NULL) return std::nullopt;
    return to_view(value.text);
  }

  // True when the record has the field in that image (NULL or not).
  bool has_field(std::string_view name, Image image = Image::current) const noexcept {
    crmflow_value value{};
    return api_->record_field(call_, static_cast<uint32_t>(image), to_str(name), &value) ==
           CRMFLOW_OK;
  }

  std::string_view module() const noexcept { return text_of(api_->record_module); }
  std::string_view record_id() const noexcept { return text_of(api_->record_id); }

  void log(Level level, std::string_view message) const noexcept {
    api_->log(call_, static_cast<int32_t>(level), to_str(message));
  }

  std::chrono::milliseconds remaining() const noexcept {
    return std::chrono::milliseconds(api_->remaining_ms(call_));
  }

  // ---- Database effects (ABI 1.1; actions of effect class database only). Each throws
  // Error with the host's message when the host refuses the write. ----

  // Creates a record of `module` with `fields` (a JSON object); returns its id.
  // link_to_record: link it to this call's record (parent link or foreign key).
  std::string create_record(std::string_view module, const Json& fields,
                            bool link_to_record) const {
    require(offsetof(crmflow_host_api, create_record), "create_record");
    crmflow_str id{};
    const std::string text = fields.dump();
    check(api_->create_record(call_, to_str(module), to_str(text),
                              link_to_record ? uint32_t{CRMFLOW_LINK_TO_RECORD} : uint32_t{0},
                              &id));
    return std::string(to_view(id));
  }

  void update_record(std::string_view module, std::string_view id, const Json& fields) const {
    require(offsetof(crmflow_host_api, update_record), "update_record");
    const std::string text = fields.dump();
    check(api_->update_record(call_, to_str(module), to_str(id), to_str(text)));
  }

  void link_records(std::string_view module, std::string_view id, std::string_view relation,
                    std::string_view other_id) const {
    require(offsetof(crmflow_host_api, link_records), "link_records");
    check(
        api_->link_records(call_, to_str(module), to_str(id), to_str(relation), to_str(other_id)));
  }

  // The id of the user the workflow runs as; empty when there is none.
  std::string_view run_as_user() const {
    require(offsetof(crmflow_host_api, run_as_user), "run_as_user");
    return text_of(api_->run_as_user);
  }

  // ---- Time (ABI 1.2) ----

  // `base` (UTC text; empty: the host's "now") moved by amount × unit (CRMFLOW_UNIT_*) in the
  // host's time zone, as UTC text "YYYY-MM-DD HH:MM:SS". Throws Error for a bad base.
  std::string shift_time(std::string_view base, long long amount, uint32_t unit,
                         bool start_of_day = false) const {
    require(offsetof(crmflow_host_api, shift_time), "shift_time");
    crmflow_str out{};
    check(api_->shift_time(call_, to_str(base), amount, unit,
                           start_of_day ? uint32_t{CRMFLOW_TIME_START_OF_DAY} : uint32_t{0}, &out));
    return std::string(to_view(out));
  }

  // ---- Templates, settings, related records, alerts, jobs (ABI 1.3) ----

  enum class Escape : uint32_t {
    text = CRMFLOW_ESCAPE_TEXT,
    html = CRMFLOW_ESCAPE_HTML,
    url = CRMFLOW_ESCAPE_URL,
    header = CRMFLOW_ESCAPE_HEADER
  };

  // The mustache template rendered over {{record.*}}, {{<relation>.*}} and {{user.*}}, each
  // value escaped for where the text goes. Throws Error with the host's message (a malformed
  // template, an unknown name, a line break refused in a header).
  std::string render(std::string_view template_text, Escape escape = Escape::text) const {
    require(offsetof(crmflow_host_api, render), "render");
    crmflow_str out{};
    check(api_->render(call_, to_str(template_text), static_cast<uint32_t>(escape), &out));
    return std::string(to_view(out));
  }

  // The plugin file's settings from the host config; an empty object when there are none.
  Json settings() const {
    require(offsetof(crmflow_host_api, settings), "settings");
    crmflow_str out{};
    check(api_->settings(call_, &out));
    return out.len == 0 ? Json::object() : Json::parse(out.ptr, out.ptr + out.len);
  }

  // The records reached through the record's relation: [{"module", "id", "fields"}, ...].
  Json related_records(std::string_view relation) const {
    require(offsetof(crmflow_host_api, related_records), "related_records");
    crmflow_str out{};
    check(api_->related_records(call_, to_str(relation), &out));
    return Json::parse(out.ptr, out.ptr + out.len);
  }

  // A warning for the run-as user about the record, where the CRM's users see it.
  void raise_alert(std::string_view subject, std::string_view text) const {
    require(offsetof(crmflow_host_api, raise_alert), "raise_alert");
    check(api_->raise_alert(call_, to_str(subject), to_str(text)));
  }

  // The job's idempotency key (the same on every attempt); empty inside an event.
  std::string_view job_key() const {
    require(offsetof(crmflow_host_api, job_key), "job_key");
    return text_of(api_->job_key);
  }

  // ---- Time triggers (ABI 1.4) ----

  struct Window {
    std::string since;  // UTC; the previous completed tick (== until on the first tick)
    std::string until;  // UTC; this tick's "now"
  };

  // Triggers, in tick(): the window whose due firings are this tick's, (since, until].
  Window tick_window() const {
    require(offsetof(crmflow_host_api, tick_window), "tick_window");
    crmflow_str since{}, until{};
    check(api_->tick_window(call_, &since, &until));
    return {std::string(to_view(since)), std::string(to_view(until))};
  }

  // UTC text → wall-clock text of the host's time zone, both "YYYY-MM-DD HH:MM:SS".
  std::string local_time(std::string_view utc) const {
    require(offsetof(crmflow_host_api, local_time), "local_time");
    crmflow_str out{};
    check(api_->local_time(call_, to_str(utc), &out));
    return std::string(to_view(out));
  }

  // Wall-clock text of the host's time zone → UTC text (a skipped time: the instant of the
  // change; a repeated time: the earlier instant).
  std::string utc_time(std::string_view local) const {
    require(offsetof(crmflow_host_api, utc_time), "utc_time");
    crmflow_str out{};
    check(api_->utc_time(call_, to_str(local), &out));
    return std::string(to_view(out));
  }

  // Triggers, in tick(): fires the workflow for the records the request selects (see abi.h
  // fire); returns how many fired for the first time. Throws Error with the host's message.
  uint64_t fire(const Json& request) const {
    require(offsetof(crmflow_host_api, fire), "fire");
    const std::string text = request.dump();
    uint64_t count = 0;
    check(api_->fire(call_, to_str(text), &count));
    return count;
  }

  // ---- Composition (ABI 1.5) ----

  // Actions: runs the action `action` (any loaded plugin's, e.g. "send_email") with `params`
  // as a part of this one: same record, user, transaction or job (see abi.h run_action).
  // Throws Error with the inner action's status and message, so a retryable failure of the
  // inner action stays retryable.
  void run_action(std::string_view action, const Json& params) const {
    require(offsetof(crmflow_host_api, run_action), "run_action");
    const std::string text = params.dump();
    check(api_->run_action(call_, to_str(action), to_str(text)));
  }

  const crmflow_host_api* api() const noexcept { return api_; }
  crmflow_call* raw() const noexcept { return call_; }

 private:
  std::string_view text_of(int32_t (*getter)(crmflow_call*, crmflow_str*)) const noexcept {
    crmflow_str out{};
    return getter(call_, &out) == CRMFLOW_OK ? to_view(out) : std::string_view{};
  }

  // Fails when the host's table is older than the service (a plugin on an older host).
  void require(size_t offset, const char* service) const {
    if (api_->struct_size < offset + sizeof(void*)) {
      throw Error(std::string("the host does not offer ") + service + " (host ABI " +
                  std::to_string(api_->abi_major) + "." + std::to_string(api_->abi_minor) + ")");
    }
  }

  // Turns a host status into an Error carrying the host's message.
  void check(int32_t status) const {
    if (status == CRMFLOW_OK) return;
    crmflow_str message{};
    api_->last_error(call_, &message);
    throw Error(std::string(to_view(message)), status);
  }

  const crmflow_host_api* api_;
  crmflow_call* call_;
};

// For a component's constructor: params[name] must be a non-empty string naming a field;
// returns it, throws Error otherwise.
inline std::string expect_field_name(const Json& params, const std::string& name) {
  const auto it = params.find(name);
  if (it == params.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    throw Error("parameters: '" + name + "' must name a field");
  }
  return it->get<std::string>();
}

// For a component's constructor: params[name] must be one of the names of `choices`;
// returns that entry, throws Error listing the names otherwise.
template <class Value, size_t N>
const std::pair<std::string_view, Value>& expect_one_of(
    const Json& params, const std::string& name,
    const std::pair<std::string_view, Value> (&choices)[N]) {
  const auto it = params.find(name);
  if (it != params.end() && it->is_string()) {
    for (const auto& choice : choices) {
      if (choice.first == it->get_ref<const std::string&>()) return choice;
    }
  }
  std::string names;
  for (const auto& choice : choices)
    names += (names.empty() ? "" : ", ") + std::string(choice.first);
  throw Error("parameters: '" + name + "' must be one of " + names);
}

// For a component's constructor: params[name] must be an object of field → value where each
// value is text, a number, a boolean or null (what a record field holds); with `non_empty`,
// at least one. Returns it; throws Error naming the parameter or the field.
inline const Json& expect_field_values(const Json& params, const std::string& name,
                                       bool non_empty = true) {
  const auto it = params.find(name);
  if (it == params.end() || !it->is_object() || (non_empty && it->empty())) {
    throw Error("parameters: '" + name + "' must be an object of field → value" +
                (non_empty ? " with at least one field" : ""));
  }
  for (const auto& [field, value] : it->items()) {
    if (value.is_object() || value.is_array()) {
      throw Error("parameters: " + name + "." + field + ": expected text, a number or null");
    }
  }
  return *it;
}

// The values with every text holding "{{" rendered as a template over the call's record
// (Call::render, plain text); the rest as written, since "{{" is what marks a template and
// plain text must stay untouched. A refusal is an Error naming `what`.<field>.
inline Json render_field_values(const Call& call, const Json& values, const std::string& what) {
  Json out = values;
  for (auto& item : out.items()) {
    Json& value = item.value();
    if (!value.is_string() || value.get_ref<const std::string&>().find("{{") == std::string::npos) {
      continue;
    }
    try {
      value = call.render(value.get_ref<const std::string&>());
    } catch (const Error& e) {
      throw Error(what + "." + item.key() + ": " + e.what(), e.status());
    }
  }
  return out;
}

// The JSON Schema of a trigger's "filter" parameter, for a trigger's params_schema: fields of
// the workflow's module, each equal to a value or to one of a list of values (null: empty).
#define CRMFLOW_SDK_FILTER_SCHEMA                                                         \
  R"({"type": "object", "additionalProperties": {"anyOf": [                           )"  \
  R"({"type": ["string", "number", "boolean", "null"]},                               )"  \
  R"({"type": "array", "minItems": 1,                                                  )" \
  R"("items": {"type": ["string", "number", "boolean", "null"]}}]}})"

// "-30d", "2h", "15min", "1y": a signed amount and a unit (min h d w m y) as
// {"amount": N, "unit": CRMFLOW_UNIT_*}, the form fire() takes; throws Error naming `name`.
inline Json parse_offset(const std::string& text, const std::string& name) {
  static constexpr std::pair<std::string_view, uint32_t> kUnits[] = {
      {"min", CRMFLOW_UNIT_MINUTE}, {"h", CRMFLOW_UNIT_HOUR},  {"d", CRMFLOW_UNIT_DAY},
      {"w", CRMFLOW_UNIT_WEEK},     {"m", CRMFLOW_UNIT_MONTH}, {"y", CRMFLOW_UNIT_YEAR}};
  size_t pos = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) pos = 1;
  const size_t digits_start = pos;
  long long amount = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - digits_start < 6) {
    amount = amount * 10 + (text[pos] - '0');
    ++pos;
  }
  const std::string_view unit = std::string_view(text).substr(pos);
  if (pos > digits_start) {
    for (const auto& [unit_name, unit_code] : kUnits) {
      if (unit == unit_name)
        return Json{{"amount", negative ? -amount : amount}, {"unit", unit_code}};
    }
  }
  throw Error("parameters: '" + name +
              "' must be a signed amount and a unit (min, h, d, w, m, y), "
              "e.g. -30d; got '" +
              text + "'");
}

// Base classes of the three component kinds. A component's constructor takes the parsed
// parameters and throws Error when they are wrong.
class Condition {
 public:
  virtual ~Condition() = default;
  virtual bool evaluate(const Call& call) const = 0;
};

class Action {
 public:
  virtual ~Action() = default;
  virtual void run(const Call& call) const = 0;
};

class Trigger {
 public:
  virtual ~Trigger() = default;
  virtual void tick(const Call& call) const = 0;
};

namespace detail {

template <class Body>
int32_t guard(const crmflow_host_api* api, crmflow_call* call, Body&& body) noexcept {
  int32_t status = CRMFLOW_ERROR;
  std::string message;
  try {
    body();
    return CRMFLOW_OK;
  } catch (const Error& e) {
    message = e.what();
    status = e.status();
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
    message = "unknown exception";
  }
  api->set_error(call, to_str(message));
  return status;
}

template <class T>
int32_t create(const crmflow_host_api* api, crmflow_call* call, crmflow_str params,
               void** instance) noexcept {
  return guard(api, call, [&] {
    const Json parsed =
        params.len == 0 ? Json::object() : Json::parse(params.ptr, params.ptr + params.len);
    // A component that needs the host config's settings takes the call as well.
    if constexpr (std::is_constructible_v<T, const Json&, const Call&>) {
      *instance = std::make_unique<T>(parsed, Call(api, call)).release();
    } else {
      *instance = std::make_unique<T>(parsed).release();
    }
  });
}

template <class T>
void destroy(void* instance) noexcept {
  delete static_cast<T*>(instance);
}

template <class T>
int32_t evaluate(const crmflow_host_api* api, crmflow_call* call, void* instance,
                 int32_t* result) noexcept {
  return guard(api, call, [&] {
    *result = static_cast<const T*>(instance)->evaluate(Call(api, call)) ? 1 : 0;
  });
}

template <class T>
int32_t run(const crmflow_host_api* api, crmflow_call* call, void* instance) noexcept {
  return guard(api, call, [&] { static_cast<const T*>(instance)->run(Call(api, call)); });
}

template <class T>
int32_t tick(const crmflow_host_api* api, crmflow_call* call, void* instance) noexcept {
  return guard(api, call, [&] { static_cast<const T*>(instance)->tick(Call(api, call)); });
}

template <class T>
constexpr uint32_t kind_of() {
  if constexpr (std::is_base_of_v<Condition, T>)
    return CRMFLOW_KIND_CONDITION;
  else if constexpr (std::is_base_of_v<Action, T>)
    return CRMFLOW_KIND_ACTION;
  else {
    static_assert(std::is_base_of_v<Trigger, T>,
                  "a component derives from sdk::Condition, sdk::Action or sdk::Trigger");
    return CRMFLOW_KIND_TRIGGER;
  }
}

// The kind's function for T, and null for the other kinds (whose bodies T cannot satisfy).
template <class T>
constexpr decltype(crmflow_component::evaluate) evaluate_of() {
  if constexpr (kind_of<T>() == CRMFLOW_KIND_CONDITION)
    return &evaluate<T>;
  else
    return nullptr;
}
template <class T>
constexpr decltype(crmflow_component::run) run_of() {
  if constexpr (kind_of<T>() == CRMFLOW_KIND_ACTION)
    return &run<T>;
  else
    return nullptr;
}
template <class T>
constexpr decltype(crmflow_component::tick) tick_of() {
  if constexpr (kind_of<T>() == CRMFLOW_KIND_TRIGGER)
    return &tick<T>;
  else
    return nullptr;
}

template <class T>
inline constexpr crmflow_component component = {
    sizeof(crmflow_component),
    kind_of<T>(),
    static_cast<uint32_t>(T::info.effect),
    0,
    {T::info.name.data(), T::info.name.size()},
    {T::info.version.data(), T::info.version.size()},
    {T::info.params_schema.data(), T::info.params_schema.size()},
    &create<T>,
    &destroy<T>,
    evaluate_of<T>(),
    run_of<T>(),
    tick_of<T>(),
};

template <class... Ts>
inline constexpr const crmflow_component* component_list[] = {&component<Ts>...};

}  // namespace detail
}  // namespace crmflow::sdk

// Defines the plugin's entry point. Arguments: pack id, pack version, component classes.
#define CRMFLOW_PLUGIN(pack_id, pack_version, ...)                                             \
  CRMFLOW_EXTERN_C CRMFLOW_EXPORT int32_t crmflow_plugin_query(                                \
      uint32_t host_abi_major, uint32_t host_abi_minor, const crmflow_plugin** out) {          \
    static constexpr crmflow_plugin plugin = {                                                 \
        sizeof(crmflow_plugin),                                                                \
        CRMFLOW_ABI_MAJOR,                                                                     \
        CRMFLOW_ABI_MINOR,                                                                     \
        static_cast<uint32_t>(std::size(::crmflow::sdk::detail::component_list<__VA_ARGS__>)), \
        CRMFLOW_STR(pack_id),                                                                  \
        CRMFLOW_STR(pack_version),                                                             \
        ::crmflow::sdk::detail::component_list<__VA_ARGS__>,                                   \
    };                                                                                         \
    (void)host_abi_minor;                                                                      \
    if (host_abi_major != CRMFLOW_ABI_MAJOR) return CRMFLOW_INCOMPATIBLE;                      \
    *out = &plugin;                                                                            \
    return CRMFLOW_OK;                                                                         \
  }

#endif  // CRMFLOW_SDK_HPP
