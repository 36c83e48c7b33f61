/* A canary for extension packs: a well-behaved action plugin whose constructor creates the
 * file named by the environment variable CRMFLOW_CANARY_FILE (when set) the moment the
 * library is loaded, before the host calls anything. A test that finds no such file after the
 * host refused a pack knows that none of the pack's code ran (tests/integration/pack_*.sh). */
#include <crmflow/abi.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void sing(void) {
  const char* file = getenv("CRMFLOW_CANARY_FILE");
  if (file == NULL || *file == '\0') return;
  FILE* out = fopen(file, "a");
  if (out == NULL) return;
  fputs("canary.so: constructor ran\n", out);
  fclose(out);
}

static int32_t create(const crmflow_host_api* api, crmflow_call* call, crmflow_str params,
                      void** instance) {
  (void)api;
  (void)call;
  (void)params;
  static int the_instance;
  *instance = &the_instance;
  return CRMFLOW_OK;
}

static void destroy(void* instance) {
  (void)instance;
}

/* Does nothing: the canary is about whether code ran at load, not about effects. */
static int32_t run(const crmflow_host_api* api, crmflow_call* call, void* instance) {
  (void)api;
  (void)call;
  (void)instance;
  return CRMFLOW_OK;
}

static const crmflow_component action = {sizeof(crmflow_component),
                                         CRMFLOW_KIND_ACTION,
                                         CRMFLOW_EFFECT_DATABASE,
                                         0,
                                         CRMFLOW_STR("canary_sing"),
                                         CRMFLOW_STR("1.0.0"),
                                         CRMFLOW_STR("{\"type\":\"object\"}"),
                                         create,
                                         destroy,
                                         NULL,
                                         run,
                                         NULL};

static const crmflow_component* const components[] = {&action};

static const crmflow_plugin plugin = {
    sizeof(crmflow_plugin),     CRMFLOW_ABI_MAJOR,    CRMFLOW_ABI_MINOR, 1,
    CRMFLOW_STR("test.canary"), CRMFLOW_STR("1.0.0"), components};

CRMFLOW_EXTERN_C CRMFLOW_EXPORT int32_t crmflow_plugin_query(uint32_t host_abi_major,
                                                             uint32_t host_abi_minor,
                                                             const crmflow_plugin** out) {
  (void)host_abi_minor;
  if (host_abi_major != CRMFLOW_ABI_MAJOR) return CRMFLOW_INCOMPATIBLE;
  *out = &plugin;
  return CRMFLOW_OK;
}
