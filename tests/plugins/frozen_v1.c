/* A plugin written in plain C and compiled against the frozen copy of the v1.0 header
 * (tests/abi/v1.0), never against sdk/include. It must keep loading and working in every
 * later host of ABI major 1: the test of the ABI's promise to old plugins.
 *
 *   frozen_active_lead (condition): a Leads record whose status is "Active", read through
 *                                   record_module and record_field; logs what it saw.
 *   frozen_needs_name (action):     fails with a message when the record's name is NULL,
 *                                   and when the call's deadline has passed. */
#include <crmflow/abi.h>
#include <string.h>

static int equals(crmflow_str s, const char* literal) {
  size_t n = strlen(literal);
  return s.len == n && (n == 0 || memcmp(s.ptr, literal, n) == 0);
}

static int32_t create(const crmflow_host_api* api, crmflow_call* call, crmflow_str params,
                      void** instance) {
  static const char tag = 0;
  (void)params;
  if (!CRMFLOW_HAS_MEMBER(api, crmflow_host_api, record_field)) {
    crmflow_str message = CRMFLOW_STR("host API too small");
    api->set_error(call, message);
    return CRMFLOW_ERROR;
  }
  *instance = (void*)&tag;
  return CRMFLOW_OK;
}

static void destroy(void* instance) {
  (void)instance;
}

static int32_t active_lead(const crmflow_host_api* api, crmflow_call* call, void* instance,
                           int32_t* result) {
  crmflow_str module = {0, 0};
  crmflow_value status;
  crmflow_str status_name = CRMFLOW_STR("status");
  crmflow_str seen = CRMFLOW_STR("frozen_active_lead evaluated");
  (void)instance;
  api->log(call, CRMFLOW_LOG_INFO, seen);
  if (api->record_module(call, &module) != CRMFLOW_OK) return CRMFLOW_NOT_FOUND;
  if (api->record_field(call, CRMFLOW_IMAGE_CURRENT, status_name, &status) != CRMFLOW_OK) {
    crmflow_str message = CRMFLOW_STR("the record has no status field");
    api->set_error(call, message);
    return CRMFLOW_NOT_FOUND;
  }
  *result =
      equals(module, "Leads") && status.type == CRMFLOW_VALUE_TEXT && equals(status.text, "Active");
  return CRMFLOW_OK;
}

static int32_t needs_name(const crmflow_host_api* api, crmflow_call* call, void* instance) {
  crmflow_value name;
  crmflow_str name_field = CRMFLOW_STR("name");
  (void)instance;
  if (api->remaining_ms(call) <= 0) {
    crmflow_str message = CRMFLOW_STR("deadline passed before the action started");
    api->set_error(call, message);
    return CRMFLOW_DEADLINE;
  }
  if (api->record_field(call, CRMFLOW_IMAGE_NEW, name_field, &name) != CRMFLOW_OK ||
      name.type == CRMFLOW_VALUE_NULL) {
    crmflow_str message = CRMFLOW_STR("the record has no name");
    api->set_error(call, message);
    return CRMFLOW_ERROR;
  }
  return CRMFLOW_OK;
}

static const crmflow_component condition = {sizeof(crmflow_component),
                                            CRMFLOW_KIND_CONDITION,
                                            CRMFLOW_EFFECT_NONE,
                                            0,
                                            CRMFLOW_STR("frozen_active_lead"),
                                            CRMFLOW_STR("1.0.0"),
                                            CRMFLOW_STR("{\"type\":\"object\"}"),
                                            create,
                                            destroy,
                                            active_lead,
                                            NULL,
                                            NULL};

static const crmflow_component action = {sizeof(crmflow_component),
                                         CRMFLOW_KIND_ACTION,
                                         CRMFLOW_EFFECT_DATABASE,
                                         0,
                                         CRMFLOW_STR("frozen_needs_name"),
                                         CRMFLOW_STR("1.0.0"),
                                         CRMFLOW_STR("{\"type\":\"object\"}"),
                                         create,
                                         destroy,
                                         NULL,
                                         needs_name,
                                         NULL};

static const crmflow_component* const components[] = {&condition, &action};

static const crmflow_plugin plugin = {
    sizeof(crmflow_plugin),        CRMFLOW_ABI_MAJOR,    CRMFLOW_ABI_MINOR, 2,
    CRMFLOW_STR("test.frozen_v1"), CRMFLOW_STR("1.0.0"), components};

CRMFLOW_EXTERN_C CRMFLOW_EXPORT int32_t crmflow_plugin_query(uint32_t host_abi_major,
                                                             uint32_t host_abi_minor,
                                                             const crmflow_plugin** out) {
  (void)host_abi_minor;
  if (host_abi_major != CRMFLOW_ABI_MAJOR) return CRMFLOW_INCOMPATIBLE;
  *out = &plugin;
  return CRMFLOW_OK;
}
