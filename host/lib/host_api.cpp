#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "crmflow/host/call_context.hpp"
#include "crmflow/host/component_instance.hpp"
#include "crmflow/host/host_clock.hpp"
#include "crmflow/host/json_schema.hpp"
#include "crmflow/host/plugin_registry.hpp"
#include "crmflow/host/template.hpp"

namespace crmflow {
namespace {

std::string_view view(crmflow_str s) noexcept {
  return s.len == 0 ? std::string_view{} : std::string_view{s.ptr, s.len};
}

crmflow_str str(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

spdlog::level::level_enum to_spdlog(int32_t level) noexcept {
  switch (level) {
    case CRMFLOW_LOG_DEBUG: return spdlog::level::debug;
    case CRMFLOW_LOG_WARN: return spdlog::level::warn;
    case CRMFLOW_LOG_ERROR: return spdlog::level::err;
    default: return spdlog::level::info;
  }
}

void log(crmflow_call* call, int32_t level, crmflow_str message) {
  const auto text = view(message);
  if (call->record != nullptr) {
    spdlog::log(to_spdlog(level), "[{}] {} {}: {}", call->component, call->record->module,
                call->record->id, text);
  } else {
    spdlog::log(to_spdlog(level), "[{}] {}", call->component, text);
  }
}

void set_error(crmflow_call* call, crmflow_str message) {
  call->error.assign(view(message));
}

int64_t remaining_ms(crmflow_call* call) {
  const auto left = call->deadline - std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
}

int32_t record_module(crmflow_call* call, crmflow_str* out) {
  if (call->record == nullptr) {
    if (call->module.empty()) return CRMFLOW_NOT_FOUND;
    *out = str(call->module);
    return CRMFLOW_OK;
  }
  *out = str(call->record->module);
  return CRMFLOW_OK;
}

int32_t record_id(crmflow_call* call, crmflow_str* out) {
  if (call->record == nullptr) return CRMFLOW_NOT_FOUND;
  *out = str(call->record->id);
  return CRMFLOW_OK;
}

const RecordImage* image_of(const Record& record, uint32_t image) noexcept {
  switch (image) {
    case CRMFLOW_IMAGE_CURRENT: return &record.current;
    case CRMFLOW_IMAGE_NEW: return &record.new_image;
    case CRMFLOW_IMAGE_OLD: return &record.old_image;
    default: return nullptr;
  }
}

int32_t record_field(crmflow_call* call, uint32_t image, crmflow_str field, crmflow_value* out) {
  if (call->record == nullptr) return CRMFLOW_NOT_FOUND;
  const RecordImage* fields = image_of(*call->record, image);
  if (fields == nullptr) return CRMFLOW_NOT_FOUND;
  const auto it = fields->find(view(field));
  if (it == fields->end()) return CRMFLOW_NOT_FOUND;
  *out = it->second ? crmflow_value{CRMFLOW_VALUE_TEXT, 0, str(*it->second)}
                    : crmflow_value{CRMFLOW_VALUE_NULL, 0, {nullptr, 0}};
  return CRMFLOW_OK;
}

// Runs a host service that may throw (a database error): nothing may unwind through the
// plugin's frames, so an exception becomes the call's error and is rethrown by the host once
// the plugin has returned (ComponentInstance::run).
template <class Service>
int32_t guarded(crmflow_call* call, Service&& service) {
  try {
    return service();
  } catch (const std::exception& e) {
    call->error = e.what();
    call->host_exception = std::current_exception();
  } catch (...) {
    call->error = "unknown error in the host";
    call->host_exception = std::current_exception();
  }
  return CRMFLOW_ERROR;
}

int32_t fail(crmflow_call* call, int32_t status, std::string message) {
  call->error = std::move(message);
  return status;
}

// Runs one database effect: parses the fields, refuses calls that may not write, and turns a
// failure into a status with its message.
template <class Effect>
int32_t with_effects(crmflow_call* call, crmflow_str fields_json, Effect&& effect) {
  if (call->effects == nullptr) {
    return fail(call, CRMFLOW_ERROR, "database effects are only available to actions");
  }
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  if (fields_json.len > 0) {
    try {
      fields = nlohmann::ordered_json::parse(view(fields_json));
    } catch (const std::exception& e) {
      return fail(call, CRMFLOW_ERROR, std::string("fields are not valid JSON: ") + e.what());
    }
  }
  if (!fields.is_object()) {
    return fail(call, CRMFLOW_ERROR, "fields must be a JSON object of field → value");
  }
  return guarded(call, [&]() -> int32_t {
    const auto failure = effect(fields);
    return failure ? fail(call, failure->status, failure->message) : CRMFLOW_OK;
  });
}

std::optional<EffectFailure> failure_of(const std::expected<void, EffectFailure>& result) {
  return result ? std::nullopt : std::optional<EffectFailure>(result.error());
}

int32_t create_record(crmflow_call* call, crmflow_str module, crmflow_str fields_json,
                      uint32_t flags, crmflow_str* out_id) {
  return with_effects(call, fields_json, [&](const nlohmann::ordered_json& fields) {
    const Record* link_to = (flags & CRMFLOW_LINK_TO_RECORD) != 0 ? call->record : nullptr;
    auto id = call->effects->create_record(view(module), fields, link_to, call->run_as);
    if (!id) return std::optional<EffectFailure>(id.error());
    call->result = std::move(*id);
    *out_id = str(call->result);
    return std::optional<EffectFailure>();
  });
}

int32_t update_record(crmflow_call* call, crmflow_str module, crmflow_str id,
                      crmflow_str fields_json) {
  return with_effects(call, fields_json, [&](const nlohmann::ordered_json& fields) {
    return failure_of(call->effects->update_record(view(module), view(id), fields, call->run_as));
  });
}

int32_t link_records(crmflow_call* call, crmflow_str module, crmflow_str id, crmflow_str relation,
                     crmflow_str other_id) {
  return with_effects(call, {nullptr, 0}, [&](const nlohmann::ordered_json&) {
    return failure_of(
        call->effects->link_records(view(module), view(id), view(relation), view(other_id)));
  });
}

int32_t run_as_user(crmflow_call* call, crmflow_str* out) {
  if (call->run_as.empty()) return CRMFLOW_NOT_FOUND;
  *out = str(call->run_as);
  return CRMFLOW_OK;
}

void last_error(crmflow_call* call, crmflow_str* out) {
  *out = str(call->error);
}

int32_t shift_time(crmflow_call* call, crmflow_str base, int64_t amount, uint32_t unit,
                   uint32_t flags, crmflow_str* out) {
  auto start =
      base.len == 0 ? std::expected<SysSeconds, std::string>(now()) : parse_utc(view(base));
  if (!start) {
    call->error = start.error();
    return CRMFLOW_ERROR;
  }
  const auto shifted = shift(*start, amount, unit, (flags & CRMFLOW_TIME_START_OF_DAY) != 0);
  if (!shifted) {
    call->error = shifted.error();
    return CRMFLOW_ERROR;
  }
  call->result = format_utc(*shifted);
  *out = str(call->result);
  return CRMFLOW_OK;
}

int32_t render(crmflow_call* call, crmflow_str template_text, uint32_t escape, crmflow_str* out) {
  static constexpr Escape kEscapes[] = {Escape::text, Escape::html, Escape::url, Escape::header};
  if (escape >= std::size(kEscapes)) {
    return fail(call, CRMFLOW_ERROR, fmt::format("unknown escape mode {}", escape));
  }
  return guarded(call, [&]() -> int32_t {
    const auto names = placeholders(view(template_text));
    if (!names) return fail(call, CRMFLOW_ERROR, names.error());
    nlohmann::ordered_json data = nlohmann::ordered_json::object();
    if (call->record != nullptr && call->effects != nullptr) {
      auto resolved = call->effects->template_data(*call->record, *names, call->run_as);
      if (!resolved) return fail(call, resolved.error().status, resolved.error().message);
      data = std::move(*resolved);
    } else if (call->record != nullptr) {
      // Without the database (conditions, crmflow try): the record's own fields only.
      nlohmann::ordered_json fields = nlohmann::ordered_json::object();
      for (const auto& [name, value] : call->record->current) {
        fields[name] = value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
      }
      data["record"] = std::move(fields);
    }
    auto text = crmflow::render(view(template_text), data, kEscapes[escape]);
    if (!text) return fail(call, CRMFLOW_ERROR, text.error());
    call->result = std::move(*text);
    *out = str(call->result);
    return CRMFLOW_OK;
  });
}

int32_t settings(crmflow_call* call, crmflow_str* out_json) {
  *out_json = str(call->settings_json);
  return CRMFLOW_OK;
}

int32_t related_records(crmflow_call* call, crmflow_str relation, crmflow_str* out_json) {
  if (call->record == nullptr || call->effects == nullptr) {
    return fail(call, CRMFLOW_ERROR, "related records are only available to actions");
  }
  return guarded(call, [&]() -> int32_t {
    auto records = call->effects->related_records(*call->record, view(relation));
    if (!records) return fail(call, records.error().status, records.error().message);
    call->result = records->dump();
    *out_json = str(call->result);
    return CRMFLOW_OK;
  });
}

int32_t raise_alert(crmflow_call* call, crmflow_str subject, crmflow_str text) {
  if (call->record == nullptr || call->effects == nullptr) {
    return fail(call, CRMFLOW_ERROR, "alerts are only available to actions");
  }
  return guarded(call, [&]() -> int32_t {
    const auto raised =
        call->effects->raise_alert(*call->record, view(subject), view(text), call->run_as);
    if (!raised) return fail(call, raised.error().status, raised.error().message);
    return CRMFLOW_OK;
  });
}

int32_t job_key(crmflow_call* call, crmflow_str* out) {
  if (call->job_key.empty()) return CRMFLOW_NOT_FOUND;
  *out = str(call->job_key);
  return CRMFLOW_OK;
}

int32_t tick_window(crmflow_call* call, crmflow_str* since, crmflow_str* until) {
  if (call->tick == nullptr)
    return fail(call, CRMFLOW_ERROR, "tick_window is for a trigger's tick");
  *since = str(call->tick->since);
  *until = str(call->tick->until);
  return CRMFLOW_OK;
}

// Reads a time with `parse` and writes it with `format` (host_clock): UTC ↔ local text.
int32_t convert_time(crmflow_call* call, crmflow_str text, crmflow_str* out,
                     std::expected<SysSeconds, std::string> (*parse)(std::string_view),
                     std::string (*format)(SysSeconds)) {
  const auto parsed = parse(view(text));
  if (!parsed) return fail(call, CRMFLOW_ERROR, parsed.error());
  call->result = format(*parsed);
  *out = str(call->result);
  return CRMFLOW_OK;
}

int32_t local_time(crmflow_call* call, crmflow_str utc, crmflow_str* out) {
  return convert_time(call, utc, out, &parse_utc, &format_local);
}

int32_t utc_time(crmflow_call* call, crmflow_str local, crmflow_str* out) {
  return convert_time(call, local, out, &parse_local, &format_utc);
}

int32_t fire(crmflow_call* call, crmflow_str request_json, uint64_t* out_count) {
  if (call->tick == nullptr) return fail(call, CRMFLOW_ERROR, "fire is for a trigger's tick");
  nlohmann::json request;
  try {
    request = nlohmann::json::parse(view(request_json));
  } catch (const std::exception& e) {
    return fail(call, CRMFLOW_ERROR, std::string("the request is not valid JSON: ") + e.what());
  }
  return guarded(call, [&]() -> int32_t {
    const auto fired = call->tick->fire(request);
    if (!fired) return fail(call, CRMFLOW_ERROR, fired.error());
    *out_count = *fired;
    return CRMFLOW_OK;
  });
}

// Deep enough for a pack's action around a generic one around another; a plugin calling itself
// ends here instead of in a stack overflow.
constexpr unsigned kMaxNesting = 4;

int32_t run_action(crmflow_call* call, crmflow_str action, crmflow_str params_json) {
  const crmflow::Component* outer = call->callee;
  if (call->record == nullptr || outer == nullptr || outer->kind != CRMFLOW_KIND_ACTION) {
    return fail(call, CRMFLOW_ERROR, "run_action is for actions");
  }
  const std::string_view name = view(action);
  const std::string where = fmt::format("run_action '{}' from '{}'", name, outer->name);
  if (call->nesting >= kMaxNesting) {
    return fail(call, CRMFLOW_PERMANENT,
                fmt::format("{}: actions nested more than {} deep", where, kMaxNesting));
  }
  const Component* inner = outer->registry == nullptr ? nullptr : outer->registry->find(name);
  if (inner == nullptr || inner->kind != CRMFLOW_KIND_ACTION) {
    return fail(call, CRMFLOW_NOT_FOUND,
                fmt::format("{}: no enabled plugin offers an action of that name", where));
  }
  if (inner->effect != outer->effect) {
    return fail(call, CRMFLOW_PERMANENT,
                fmt::format("{}: effect class {} differs from the caller's {}", where,
                            effect_name(inner->effect), effect_name(outer->effect)));
  }
  nlohmann::ordered_json params;
  try {
    params = nlohmann::ordered_json::parse(view(params_json));
  } catch (const std::exception& e) {
    return fail(call, CRMFLOW_PERMANENT, fmt::format("{}: parameters: {}", where, e.what()));
  }
  // The same check `crmflow check` gives a workflow's parameters, so a pack's mistake reads
  // alike; the schema is the plugin's, parsed per call since compositions are rare.
  if (const auto schema = parse_schema(inner->params_schema); schema) {
    if (const auto wrong = validate_against_schema(*schema, params); !wrong.empty()) {
      return fail(
          call, CRMFLOW_PERMANENT,
          fmt::format("{}: params{}: {}", where, wrong.front().path, wrong.front().message));
    }
  }
  return guarded(call, [&]() -> int32_t {
    const auto instance = outer->registry->instantiate(*inner, params.dump());
    if (!instance) return fail(call, CRMFLOW_PERMANENT, where + ": " + instance.error());
    const std::string job_key = call->job_key.empty()
                                    ? std::string()
                                    : fmt::format("{}/{}", call->job_key, ++call->nested_runs);
    const auto done = instance->run(*call->record, call->deadline, call->effects, call->run_as,
                                    job_key, call->nesting + 1);
    if (!done) return fail(call, done.error().status, where + ": " + done.error().message);
    return CRMFLOW_OK;
  });
}

constexpr crmflow_host_api kHostApi = {
    sizeof(crmflow_host_api),
    CRMFLOW_ABI_MAJOR,
    CRMFLOW_ABI_MINOR,
    0,
    &log,
    &set_error,
    &remaining_ms,
    &record_module,
    &record_id,
    &record_field,
    &create_record,
    &update_record,
    &link_records,
    &run_as_user,
    &last_error,
    &shift_time,
    &render,
    &settings,
    &related_records,
    &raise_alert,
    &job_key,
    &tick_window,
    &local_time,
    &utc_time,
    &fire,
    &run_action,
};

}  // namespace

const crmflow_host_api* host_api() noexcept {
  return &kHostApi;
}

}  // namespace crmflow
