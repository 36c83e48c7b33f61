#include <spdlog/spdlog.h>

#include <string_view>

#include "crmflow/host/call_context.hpp"

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
  if (call->record == nullptr) return CRMFLOW_NOT_FOUND;
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
};

}  // namespace

const crmflow_host_api* host_api() noexcept {
  return &kHostApi;
}

}  // namespace crmflow
