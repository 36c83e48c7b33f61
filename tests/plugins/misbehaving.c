/* A plain C plugin that breaks one rule of the ABI, chosen at compile time with one of:
 * BAD_MAJOR, NEWER_MINOR, SMALL_PLUGIN_STRUCT, SMALL_COMPONENT_STRUCT, QUERY_FAILS,
 * UNRESOLVED_SYMBOL, ACTION_WITHOUT_EFFECT, DUPLICATE_INSIDE, CREATE_FAILS_SILENTLY.
 * Without any of them it is a well-behaved condition "always_true". Each variant is built
 * into its own .so (tests/plugins/CMakeLists.txt) so the loader's refusals can be tested. */
#include <crmflow/abi.h>

#ifdef UNRESOLVED_SYMBOL
/* Defined nowhere: loading with RTLD_NOW must fail cleanly. */
extern int crmflow_test_symbol_that_does_not_exist(void);
#endif

static int32_t create(const crmflow_host_api* api, crmflow_call* call, crmflow_str params,
                      void** instance) {
  (void)api;
  (void)call;
  (void)params;
#ifdef CREATE_FAILS_SILENTLY
  (void)instance;
  return CRMFLOW_ERROR; /* no message set: the host must still say what failed */
#else
#ifdef UNRESOLVED_SYMBOL
  if (crmflow_test_symbol_that_does_not_exist() != 0) return CRMFLOW_ERROR;
#endif
  static int the_instance;
  *instance = &the_instance;
  return CRMFLOW_OK;
#endif
}

static void destroy(void* instance) {
  (void)instance;
}

#ifndef ACTION_WITHOUT_EFFECT
static int32_t evaluate(const crmflow_host_api* api, crmflow_call* call, void* instance,
                        int32_t* result) {
  (void)api;
  (void)call;
  (void)instance;
  *result = 1;
  return CRMFLOW_OK;
}

#else
static int32_t run(const crmflow_host_api* api, crmflow_call* call, void* instance) {
  (void)api;
  (void)call;
  (void)instance;
  return CRMFLOW_OK;
}
#endif

#ifdef SMALL_COMPONENT_STRUCT
#define COMPONENT_SIZE 24 /* as if built against a header that never existed */
#else
#define COMPONENT_SIZE sizeof(crmflow_component)
#endif

#ifdef ACTION_WITHOUT_EFFECT
static const crmflow_component component = {COMPONENT_SIZE,
                                            CRMFLOW_KIND_ACTION,
                                            CRMFLOW_EFFECT_NONE,
                                            0,
                                            CRMFLOW_STR("effectless"),
                                            CRMFLOW_STR("1.0.0"),
                                            CRMFLOW_STR("{}"),
                                            create,
                                            destroy,
                                            NULL,
                                            run,
                                            NULL};
#else
static const crmflow_component component = {COMPONENT_SIZE,
                                            CRMFLOW_KIND_CONDITION,
                                            CRMFLOW_EFFECT_NONE,
                                            0,
                                            CRMFLOW_STR("always_true"),
                                            CRMFLOW_STR("1.0.0"),
                                            CRMFLOW_STR("{}"),
                                            create,
                                            destroy,
                                            evaluate,
                                            NULL,
                                            NULL};
#endif

#ifdef DUPLICATE_INSIDE
static const crmflow_component* const components[] = {&component, &component};
#else
static const crmflow_component* const components[] = {&component};
#endif

#if defined(BAD_MAJOR)
#define ABI_MAJOR (CRMFLOW_ABI_MAJOR + 1)
#else
#define ABI_MAJOR CRMFLOW_ABI_MAJOR
#endif
#if defined(NEWER_MINOR)
#define ABI_MINOR (CRMFLOW_ABI_MINOR + 1)
#else
#define ABI_MINOR CRMFLOW_ABI_MINOR
#endif
#ifdef SMALL_PLUGIN_STRUCT
#define PLUGIN_SIZE 16
#else
#define PLUGIN_SIZE sizeof(crmflow_plugin)
#endif

static const crmflow_plugin plugin = {PLUGIN_SIZE,
                                      ABI_MAJOR,
                                      ABI_MINOR,
                                      sizeof(components) / sizeof(components[0]),
                                      CRMFLOW_STR("test.misbehaving"),
                                      CRMFLOW_STR("0.0.1"),
                                      components};

CRMFLOW_EXTERN_C CRMFLOW_EXPORT int32_t crmflow_plugin_query(uint32_t host_abi_major,
                                                             uint32_t host_abi_minor,
                                                             const crmflow_plugin** out) {
  (void)host_abi_major;
  (void)host_abi_minor;
#ifdef QUERY_FAILS
  (void)plugin;
  (void)out;
  return CRMFLOW_ERROR;
#else
  *out = &plugin;
  return CRMFLOW_OK;
#endif
}
