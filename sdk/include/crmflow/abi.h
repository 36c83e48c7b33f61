/*
 * crmflow plugin ABI — the only contract between the crmflow host and its plugins.
 *
 * A plugin is a shared library that exports one C function, crmflow_plugin_query(). It
 * returns a static descriptor that lists the plugin's components (triggers, conditions,
 * actions). The host hands every call a table of host services (crmflow_host_api) and an
 * opaque call context (crmflow_call). Nothing of C++ crosses this line: no classes, no
 * exceptions, no RTTI, no allocator. Whoever allocates memory frees it.
 *
 * Compatibility rules (see DESIGN.md "The plugin ABI"):
 *  - The host loads a plugin when the plugin's ABI major equals the host's and the
 *    plugin's minor is not newer than the host's.
 *  - Every struct begins with uint32_t struct_size. Structs only ever grow at their end;
 *    a reader uses a member only if struct_size covers it (CRMFLOW_HAS_MEMBER).
 *  - Arrays of structs are arrays of pointers, so that a grown struct never changes the
 *    stride an older reader assumes.
 *  - Strings are {ptr,len} views (crmflow_str), UTF-8, not necessarily NUL-terminated.
 *    A view handed to a plugin is valid until the call that received it returns.
 *  - Components are called from several host threads at once. A component instance must
 *    not change after create() returns; per-call state lives on the stack of the call.
 *  - Plugins are never unloaded while the host runs.
 *
 * The part between the FROZEN markers is ABI v1 (1.0, with 1.1 to 1.5 appended). Its text is
 * hashed by the ABI guard test (tests/abi): changing it fails CI until the change is made
 * deliberately. tests/abi/v1.0 keeps the 1.0 header as released; plugins built against it
 * keep loading.
 */
#ifndef CRMFLOW_ABI_H
#define CRMFLOW_ABI_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define CRMFLOW_EXPORT __declspec(dllexport)
#else
#define CRMFLOW_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
#define CRMFLOW_EXTERN_C extern "C"
#else
#define CRMFLOW_EXTERN_C
#endif

/* True when a struct read from the other side of the ABI is large enough to hold member m. */
#define CRMFLOW_HAS_MEMBER(ptr, type, m) \
  ((ptr)->struct_size >= offsetof(type, m) + sizeof(((type*)0)->m))

/* A {ptr,len} view from a string literal. */
#define CRMFLOW_STR(literal) \
  { (literal), sizeof(literal) - 1 }

/* ==== BEGIN FROZEN ABI v1 ==== */

#define CRMFLOW_ABI_MAJOR 1
#define CRMFLOW_ABI_MINOR 5
#define CRMFLOW_ENTRY_POINT "crmflow_plugin_query"

/* Status codes returned across the ABI. Anything but CRMFLOW_OK comes with a message
 * set through crmflow_host_api.set_error on the call. */
enum {
  CRMFLOW_OK = 0,
  CRMFLOW_ERROR = 1,        /* the component failed; the message says why */
  CRMFLOW_NOT_FOUND = 2,    /* a field, record or service asked for does not exist */
  CRMFLOW_INCOMPATIBLE = 3, /* crmflow_plugin_query: this plugin cannot serve that host ABI */
  CRMFLOW_DEADLINE = 4,     /* the call's deadline passed before the work was done */
  CRMFLOW_PERMANENT = 5     /* v1.3: a failure no retry can fix (e.g. HTTP 404): an action's
                             * job is dead at once instead of retried */
};

enum { CRMFLOW_KIND_TRIGGER = 1, CRMFLOW_KIND_CONDITION = 2, CRMFLOW_KIND_ACTION = 3 };

/* Where an action's effects land (DESIGN.md "Plugin effects and threads"). */
enum {
  CRMFLOW_EFFECT_NONE = 0,     /* triggers and conditions */
  CRMFLOW_EFFECT_DATABASE = 1, /* runs inside the event's transaction, through the host API */
  CRMFLOW_EFFECT_EXTERNAL = 2  /* runs later as a job, after the event's transaction commits */
};

/* Which image of the current record a field is read from. */
enum {
  CRMFLOW_IMAGE_CURRENT = 0, /* the record as it is now (the new image for a save) */
  CRMFLOW_IMAGE_NEW = 1,     /* the row as the triggering statement wrote it */
  CRMFLOW_IMAGE_OLD = 2      /* the row before the triggering statement */
};

enum { CRMFLOW_VALUE_NULL = 0, CRMFLOW_VALUE_TEXT = 1 };

enum { CRMFLOW_LOG_DEBUG = 0, CRMFLOW_LOG_INFO = 1, CRMFLOW_LOG_WARN = 2, CRMFLOW_LOG_ERROR = 3 };

typedef struct crmflow_str {
  const char* ptr; /* UTF-8; may be NULL when len is 0 */
  size_t len;
} crmflow_str;

/* A field value. Numbers, dates and decimals travel as their text, as the CRM stores them. */
typedef struct crmflow_value {
  uint32_t type; /* CRMFLOW_VALUE_NULL or CRMFLOW_VALUE_TEXT */
  uint32_t reserved;
  crmflow_str text; /* empty for NULL */
} crmflow_value;

/* Opaque: the context of one call from the host into a component (record, deadline,
 * error slot). Owned by the host; valid only during that call. */
typedef struct crmflow_call crmflow_call;

/* Host services. The host owns the table; it lives as long as the process. */
typedef struct crmflow_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;
  uint32_t reserved;

  /* Writes a line to the host's log, tagged with the component and the call's record. */
  void (*log)(crmflow_call* call, int32_t level, crmflow_str message);

  /* Sets the message that explains a non-OK status. The host copies it. */
  void (*set_error)(crmflow_call* call, crmflow_str message);

  /* Milliseconds left before the call's deadline; 0 or less when it has passed. */
  int64_t (*remaining_ms)(crmflow_call* call);

  /* The current record's module (e.g. "Leads") and id. CRMFLOW_NOT_FOUND when the call
   * has no record (e.g. create()). The views are valid during the call. */
  int32_t (*record_module)(crmflow_call* call, crmflow_str* out);
  int32_t (*record_id)(crmflow_call* call, crmflow_str* out);

  /* Reads a field of the current record from an image (CRMFLOW_IMAGE_*).
   * CRMFLOW_OK with *out set (NULL or text); CRMFLOW_NOT_FOUND when the record or that
   * image has no such field. The view in *out is valid during the call. */
  int32_t (*record_field)(crmflow_call* call, uint32_t image, crmflow_str field,
                          crmflow_value* out);

  /* ---- v1.1: database effects. Only actions of effect class DATABASE may call these;
   * they write inside the event's transaction, so they commit with it or not at all.
   * Field values are a JSON object (field → text, number or null); fields are checked
   * against the live schema: an unknown field or text longer than its column fails with a
   * message rather than being dropped or truncated. ---- */

  /* Creates a record of `module`. The host fills what the CRM would: a new id,
   * date_entered and date_modified (the host's clock), deleted = 0, and the assigned,
   * created-by and modified-by users with the run-as user, unless `fields` sets them.
   * With CRMFLOW_LINK_TO_RECORD the new record is linked to the call's record (the new
   * module's parent relation, or its foreign key to the call's module). *out_id receives
   * the new record's id, valid during the call. */
  int32_t (*create_record)(crmflow_call* call, crmflow_str module, crmflow_str fields_json,
                           uint32_t flags, crmflow_str* out_id);

  /* Updates fields of the (not deleted) record `id` of `module`; date_modified and the
   * modified-by user are set as the CRM would. CRMFLOW_NOT_FOUND when there is no such
   * record. */
  int32_t (*update_record)(crmflow_call* call, crmflow_str module, crmflow_str id,
                           crmflow_str fields_json);

  /* Links record `id` of `module` to `other_id` through the module's relation named
   * `relation` (module map): a join-table row, a foreign key or a parent link. */
  int32_t (*link_records)(crmflow_call* call, crmflow_str module, crmflow_str id,
                          crmflow_str relation, crmflow_str other_id);

  /* The id of the user the workflow runs as; CRMFLOW_NOT_FOUND when there is none. */
  int32_t (*run_as_user)(crmflow_call* call, crmflow_str* out);

  /* The message the host set on the call when one of its services failed (empty if
   * none), so a plugin can add context or decide; valid until the next service call. */
  void (*last_error)(crmflow_call* call, crmflow_str* out);

  /* ---- v1.2: time ---- */

  /* Moves a time by `amount` units (CRMFLOW_UNIT_*) and writes the result to *out as UTC
   * text "YYYY-MM-DD HH:MM:SS" (valid during the call). `base` is UTC text as the CRM stores
   * dates ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM[:SS]"); empty means the host's clock, "now".
   * Days, weeks, months and years are calendar steps in the host's configured time zone
   * (the local wall-clock time is kept across daylight-saving changes); minutes and hours
   * are exact durations. With CRMFLOW_TIME_START_OF_DAY the result is then moved back to
   * the start of its local day. CRMFLOW_ERROR for a base that is not such a date. */
  int32_t (*shift_time)(crmflow_call* call, crmflow_str base, int64_t amount, uint32_t unit,
                        uint32_t flags, crmflow_str* out);

  /* ---- v1.3: templates, settings, related records, notifications, jobs. Views written to
   * *out stay valid until the plugin's next call into the host or the call's end. ---- */

  /* Renders a mustache template (no partials) and writes the text to *out. Names:
   * {{record.<field>}} the call's record as it is now; {{<relation>.<field>}} the first
   * record reached through a relation of the record's module (module map), e.g.
   * {{account.name}}; {{user.<field>}} and {{user.full_name}} the run-as user. A NULL or
   * missing field renders empty; an unknown first part is an error. `escape`
   * (CRMFLOW_ESCAPE_*) applies to every placeholder's value: TEXT none; HTML for HTML
   * bodies; URL percent-encoding; HEADER none, but a value with CR, LF or NUL is refused.
   * CRMFLOW_ERROR with a message for a malformed template, an unknown name or a refusal. */
  int32_t (*render)(crmflow_call* call, crmflow_str template_text, uint32_t escape,
                    crmflow_str* out);

  /* The component's settings from the host config ("plugins": {"<file>": {"settings":
   * {...}}}) as JSON object text, "{}" when there are none. Also available in create().
   * Settings are not secret: a plugin reads secrets from an environment variable the
   * settings name. */
  int32_t (*settings)(crmflow_call* call, crmflow_str* out_json);

  /* The records reached from the call's record through its module's relation `relation`
   * (module map), not deleted, lowest id first, at most 1000, as JSON text: an array of
   * {"module": "...", "id": "...", "fields": {"<field>": "text" or null, ...}}.
   * CRMFLOW_NOT_FOUND for an unknown relation; needs the database (actions only). */
  int32_t (*related_records)(crmflow_call* call, crmflow_str relation, crmflow_str* out_json);

  /* A warning the CRM's users see, for the run-as user, linked to the call's record: a row
   * of the CRM's notification table where the module map names one, else of crmflow_alert
   * (`crmflow alerts`). A database effect, committed with the event or job. */
  int32_t (*raise_alert)(crmflow_call* call, crmflow_str subject, crmflow_str text);

  /* The idempotency key of the job this call runs in: the same on every attempt of the job
   * and unique to it, for Message-ID and Idempotency-Key headers. CRMFLOW_NOT_FOUND when
   * the call runs inside an event (a database action). */
  int32_t (*job_key)(crmflow_call* call, crmflow_str* out);

  /* ---- v1.4: time triggers. Only a trigger's tick() may call these (the rest of the time
   * conversions work in any call). Times are text "YYYY-MM-DD HH:MM:SS". ---- */

  /* The window of this tick: firings due in (*since, *until] are this tick's. *until is the
   * tick's "now" (the host's clock); *since the previous tick of this trigger that
   * completed, or the same as *until on the trigger's first tick (nothing before a trigger
   * existed is due). After a downtime the window spans it, so a trigger can catch up. */
  int32_t (*tick_window)(crmflow_call* call, crmflow_str* since, crmflow_str* until);

  /* UTC → the wall-clock time of the host's configured time zone. */
  int32_t (*local_time)(crmflow_call* call, crmflow_str utc, crmflow_str* out);

  /* Wall-clock time of the configured zone → UTC. A time that does not exist (skipped by a
   * daylight-saving change) gives the instant the change happened; a time that exists twice
   * gives the earlier instant. */
  int32_t (*utc_time)(crmflow_call* call, crmflow_str local, crmflow_str* out);

  /* Asks the host to fire the trigger's workflow for records of its module chosen by a
   * declarative request (JSON object text; the host builds the SQL from the module map):
   *   {"select": "all", "key": K}            every record
   *   {"select": "quiet", "since": T, "activities": [modules]}
   *        records with no activity (records of the module map's activity modules linked to
   *        the record) after T, nor created after T; the key is the start of the quiet spell
   *   {"select": "due", "field": F, "offset": {"amount": N, "unit": CRMFLOW_UNIT_*},
   *    "at": "HH:MM", "every": "once" | "year"}
   *        records whose date field F (a DATE at local time "at", or a DATETIME) plus the
   *        offset (each anniversary of it, with "every": "year") falls in the tick's window;
   *        the key is that due time
   * plus, in each, "filter": {field: value or [values] or null}, fields of the module equal
   * to one of the values. A record fires once per key (the firing ledger), however often it
   * is asked and by how many hosts. *out_count receives the number of new firings.
   * CRMFLOW_ERROR with a message naming the member for a request the host cannot serve. */
  int32_t (*fire)(crmflow_call* call, crmflow_str request_json, uint64_t* out_count);

  /* ---- v1.5: composition. ---- */

  /* Runs the action component named `action` (of any loaded plugin, e.g. "send_email") with
   * the parameters `params_json` (JSON object text) as a part of the calling action: for the
   * same record and run-as user, in the same transaction (database effects) or job (external
   * effects). Its effect class must be the caller's. In a job, the n-th such call of a run
   * gets the job key "<caller's key>/<n>", the same on every attempt, so an email or request
   * it sends keeps its idempotency key. Returns the inner action's status; its message is
   * then the call's last_error. CRMFLOW_NOT_FOUND when no loaded action has that name;
   * CRMFLOW_PERMANENT for parameters it refuses, another effect class, or calls nested more
   * than 4 deep. Actions only. */
  int32_t (*run_action)(crmflow_call* call, crmflow_str action, crmflow_str params_json);

  /* Later minors append services here. */
} crmflow_host_api;

/* v1.3: how render() escapes placeholder values. */
enum {
  CRMFLOW_ESCAPE_TEXT = 0,
  CRMFLOW_ESCAPE_HTML = 1,
  CRMFLOW_ESCAPE_URL = 2,
  CRMFLOW_ESCAPE_HEADER = 3
};

/* v1.2: units and flags of shift_time. */
enum {
  CRMFLOW_UNIT_MINUTE = 1,
  CRMFLOW_UNIT_HOUR = 2,
  CRMFLOW_UNIT_DAY = 3,
  CRMFLOW_UNIT_WEEK = 4,
  CRMFLOW_UNIT_MONTH = 5,
  CRMFLOW_UNIT_YEAR = 6
};
enum { CRMFLOW_TIME_START_OF_DAY = 1 };

/* v1.1: flags of create_record. */
enum { CRMFLOW_LINK_TO_RECORD = 1 };

/* One component of a plugin. `instance` is whatever create() allocated; destroy() frees it.
 * create() parses and validates the parameters once; the host then calls the kind's
 * function many times, from several threads, with the same instance. */
typedef struct crmflow_component {
  uint32_t struct_size;
  uint32_t kind;             /* CRMFLOW_KIND_* */
  uint32_t effect;           /* CRMFLOW_EFFECT_*; actions must say DATABASE or EXTERNAL */
  uint32_t flags;            /* none defined in v1.0; must be 0 */
  crmflow_str name;          /* unique among all loaded components, e.g. "compare" */
  crmflow_str version;       /* the component's own version, e.g. "1.0.0" */
  crmflow_str params_schema; /* JSON Schema of the parameters object */

  /* params is the JSON text of the parameters object. On failure: set_error, return non-OK,
   * leave *instance untouched. */
  int32_t (*create)(const crmflow_host_api* api, crmflow_call* call, crmflow_str params,
                    void** instance);
  void (*destroy)(void* instance);

  /* Conditions: *result = 1 when the condition holds for the call's record, else 0. */
  int32_t (*evaluate)(const crmflow_host_api* api, crmflow_call* call, void* instance,
                      int32_t* result);
  /* Actions: performs the action for the call's record. */
  int32_t (*run)(const crmflow_host_api* api, crmflow_call* call, void* instance);
  /* Triggers: called by the host's scheduler on each tick. */
  int32_t (*tick)(const crmflow_host_api* api, crmflow_call* call, void* instance);
} crmflow_component;

/* What crmflow_plugin_query returns: static data the plugin owns for its whole life. */
typedef struct crmflow_plugin {
  uint32_t struct_size;
  uint32_t abi_major; /* CRMFLOW_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor; /* CRMFLOW_ABI_MINOR the plugin was built with */
  uint32_t component_count;
  crmflow_str pack_id;                        /* e.g. "crmflow.compare" */
  crmflow_str pack_version;                   /* e.g. "1.0.0" */
  const crmflow_component* const* components; /* component_count pointers */
} crmflow_plugin;

/* The one exported entry point. It must have no side effects: no threads, no I/O, no
 * allocation the host would have to free. Returns CRMFLOW_OK and *out, or
 * CRMFLOW_INCOMPATIBLE when the plugin cannot serve the host's ABI. */
typedef int32_t (*crmflow_plugin_query_fn)(uint32_t host_abi_major, uint32_t host_abi_minor,
                                           const crmflow_plugin** out);

/* ==== END FROZEN ABI v1 ==== */

#endif /* CRMFLOW_ABI_H */
