// Every config, module map and workflow mistake an admin can make, each with the full message
// lines the admin reads: one table, so one place lists the mistakes and what they are told.
// Each row is a whole file; the expected lines name the file, the line and column (syntax) or
// the JSON path (everything else), and what was expected.
#define BOOST_TEST_MODULE bad_input_test
#include <fmt/format.h>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "crmflow/host/config.hpp"
#include "crmflow/host/module_map.hpp"
#include "crmflow/host/workflow.hpp"
#include "test_support.hpp"

using namespace crmflow;

namespace {

enum class File { config, module_map, workflow };

// `expected` are the whole lines, in order; "$MAP" stands for the module map's path, "$WF"
// for the workflow directory and "$PLUGINS" for the build's plugin directory, which only the
// run knows.
struct Mistake {
  std::string_view what;  // what the admin did
  File file;
  std::string text;
  std::vector<std::string> expected;
  std::string second_workflow = {};  // another file loaded with it (b.json), e.g. a duplicate id
};

const std::filesystem::path kConfig = "/etc/crmflow/host.json";

// The module map the workflows are read against: Leads with an account relation, Accounts.
// Without a database its columns are unknown, so fields are checked by the integration test
// tests/integration/check_broken_workflows.sh.
constexpr std::string_view kGoodMap = R"({
  "flavour": "1crm",
  "modules": {
    "Leads": {"table": "leads",
              "relations": {"account": {"kind": "foreign_key", "module": "Accounts",
                                        "column": "account_id"}}},
    "Accounts": {"table": "accounts"}
  }
})";

// A workflow around the given members, which come first and win over the defaults.
std::string workflow(std::string_view members) {
  return fmt::format(
      R"({{{}"module": "Leads", "actions": [{{"plugin": "update_record",
      "params": {{"fields": {{"status": "Dead"}}}}}}]}})",
      members.empty() ? "" : std::string(members) + ", ");
}

const std::vector<Mistake>& mistakes() {
  // clang-format off
  static const std::vector<Mistake> table = {
    // ---- host config (host/lib/config.cpp, json_reader.hpp, json_diagnostics.cpp) ----
    {"left a key unquoted", File::config, "{\n  \"plugins\": {\n    \"compare\": {enabled: true}\n  }\n}\n",
     {"/etc/crmflow/host.json:3:17: invalid JSON: syntax error while parsing object key - "
      "invalid literal; last read: '\"compare\": {e'; expected string literal"}},
    {"left a trailing comma", File::config, "{\"plugin_dirs\": [\"plugins\"],\n}\n",
     {"/etc/crmflow/host.json:2:1: invalid JSON: syntax error while parsing object key - "
      "unexpected '}'; expected string literal"}},
    {"saved an empty file", File::config, "",
     {"/etc/crmflow/host.json:1:1: invalid JSON: syntax error while parsing value - unexpected "
      "end of input; expected '[', '{', or a literal"}},
    {"saved the file in Latin-1", File::config, "{\"time_zone\": \"Z\xfcrich\"}",
     {"/etc/crmflow/host.json:1:17: invalid JSON: syntax error while parsing value - invalid "
      "string: ill-formed UTF-8 byte; last read: '\"Z\xfc'"}},
    {"wrote a number too big for any number", File::config, "{\"call_deadline_ms\": 1E400}",
     {"/etc/crmflow/host.json: invalid JSON: number overflow parsing '1E400'"}},
    {"gave a setting twice", File::config, R"({"log": {"level": "info"}, "log": {"format": "json"}})",
     {"/etc/crmflow/host.json: (top).log: given twice in one object; the later value would "
      "silently replace the earlier, so keep one"}},
    {"enabled a plugin twice with different settings", File::config,
     R"({"plugins": {"compare": {"enabled": true, "enabled": false}}})",
     {"/etc/crmflow/host.json: plugins.compare.enabled: given twice in one object; the later "
      "value would silently replace the earlier, so keep one"}},
    {"wrote a list as the whole file", File::config, "[]",
     {"/etc/crmflow/host.json: (top): expected a JSON object"}},
    {"misspelt a top-level key", File::config, R"({"plugin_dir": ["plugins"]})",
     {"/etc/crmflow/host.json: (top).plugin_dir: unknown setting; expected one of: plugin_dirs, "
      "plugins, database, log, call_deadline_ms, hang_limit_ms, module_map, workflows, engine, "
      "capture, retention, jobs, triggers, clock_offset_seconds, time_zone, packs (did you mean "
      "plugin_dirs?)"}},
    {"invented a key nothing is close to", File::config, R"({"log": {"colour": true}})",
     {"/etc/crmflow/host.json: log.colour: unknown setting; expected one of: level, format"}},
    {"gave a plugin directory as text, not a list", File::config, R"({"plugin_dirs": "plugins"})",
     {"/etc/crmflow/host.json: plugin_dirs: expected an array of directory names"}},
    {"left a plugin directory empty", File::config, R"({"plugin_dirs": ["plugins", ""]})",
     {"/etc/crmflow/host.json: plugin_dirs[1]: expected a directory name"}},
    {"gave plugins as a list", File::config, R"({"plugins": ["compare"]})",
     {"/etc/crmflow/host.json: plugins: expected an object: plugin name → settings"}},
    {"enabled a plugin with \"yes\"", File::config, R"({"plugins": {"compare": {"enabled": "yes"}}})",
     {"/etc/crmflow/host.json: plugins.compare.enabled: expected true or false, found string"}},
    {"misspelt a plugin's key", File::config, R"({"plugins": {"compare": {"component": []}}})",
     {"/etc/crmflow/host.json: plugins.compare.component: unknown setting; expected one of: "
      "enabled, components, settings (did you mean components?)"}},
    {"listed a component twice", File::config,
     R"({"plugins": {"compare": {"components": ["compare", "compare"]}}})",
     {"/etc/crmflow/host.json: plugins.compare.components[1]: component listed twice: compare"}},
    {"gave a plugin's settings as text", File::config,
     R"({"plugins": {"send_email": {"settings": "smtp://x"}}})",
     {"/etc/crmflow/host.json: plugins.send_email.settings: expected an object of the plugin's "
      "settings"}},
    {"put the password in the file", File::config, R"({"database": {"password": "hunter2"}})",
     {"/etc/crmflow/host.json: database.password: a password does not belong in the config "
      "file; set CRMFLOW_DB_PASSWORD in the host's environment"}},
    {"quoted the port", File::config, R"({"database": {"port": "3306"}})",
     {"/etc/crmflow/host.json: database.port: expected a whole number >= 0, found \"3306\""}},
    {"gave a negative port", File::config, R"({"database": {"port": -1}})",
     {"/etc/crmflow/host.json: database.port: expected a whole number >= 0, found -1"}},
    {"gave a port no TCP port can be", File::config, R"({"database": {"port": 70000}})",
     {"/etc/crmflow/host.json: database.port: must be at most 65535"}},
    {"gave a fractional batch size", File::config, R"({"jobs": {"batch_size": 2.5}})",
     {"/etc/crmflow/host.json: jobs.batch_size: expected a whole number >= 0, found 2.5"}},
    {"gave a number beyond the setting's range", File::config,
     R"({"engine": {"batch_size": 4294967297}})",
     {"/etc/crmflow/host.json: engine.batch_size: 4294967297 is out of range; at most 4294967295"}},
    {"gave a clock offset beyond any clock", File::config,
     R"({"clock_offset_seconds": 18446744073709551615})",
     {"/etc/crmflow/host.json: (top).clock_offset_seconds: 18446744073709551615 is out of range; "
      "at most 2147483647"}},
    {"gave a string as the time zone's type", File::config, R"({"time_zone": 1})",
     {"/etc/crmflow/host.json: (top).time_zone: expected a string, found number"}},
    {"asked for a log level that does not exist", File::config, R"({"log": {"level": "loud"}})",
     {"/etc/crmflow/host.json: log.level: expected trace, debug, info, warn or error, found loud"}},
    {"asked for a log format that does not exist", File::config, R"({"log": {"format": "xml"}})",
     {"/etc/crmflow/host.json: log.format: expected text or json, found xml"}},
    {"set the call deadline to 0", File::config, R"({"call_deadline_ms": 0})",
     {"/etc/crmflow/host.json: call_deadline_ms: must be greater than 0"}},
    {"set the hang limit below the call deadline", File::config,
     R"({"call_deadline_ms": 5000, "hang_limit_ms": 4000})",
     {"/etc/crmflow/host.json: hang_limit_ms: must be more than call_deadline_ms (5000): a call "
      "may use its whole deadline; found 4000"}},
    {"set the engine's batch and poll to 0", File::config,
     R"({"engine": {"batch_size": 0, "idle_poll_ms": 0, "settle_ms": 60001}})",
     {"/etc/crmflow/host.json: engine.settle_ms: must be at most 60000",
      "/etc/crmflow/host.json: engine.batch_size: must be at least 1",
      "/etc/crmflow/host.json: engine.idle_poll_ms: must be between 1 and 1000"}},
    {"polled slower than once a second", File::config, R"({"engine": {"idle_poll_ms": 1001}})",
     {"/etc/crmflow/host.json: engine.idle_poll_ms: must be between 1 and 1000"}},
    {"gave engine as a number", File::config, R"({"engine": 5})",
     {"/etc/crmflow/host.json: engine: expected an object"}},
    {"set the drift check to 0", File::config, R"({"capture": {"drift_check_seconds": 0}})",
     {"/etc/crmflow/host.json: capture.drift_check_seconds: must be at least 1"}},
    {"set every job limit to 0", File::config,
     R"({"jobs": {"batch_size": 0, "lease_seconds": 0, "max_attempts": 0, "backoff_cap_seconds": 0}})",
     {"/etc/crmflow/host.json: jobs.batch_size: must be at least 1",
      "/etc/crmflow/host.json: jobs.lease_seconds: must be at least 1",
      "/etc/crmflow/host.json: jobs.max_attempts: must be at least 1",
      "/etc/crmflow/host.json: jobs.backoff_cap_seconds: must be at least 1"}},
    {"set the firings per tick to 0", File::config, R"({"triggers": {"max_firings_per_tick": 0}})",
     {"/etc/crmflow/host.json: triggers.max_firings_per_tick: must be at least 1"}},
    {"kept audits for 0 days", File::config, R"({"retention": {"audit_days": 0}})",
     {"/etc/crmflow/host.json: retention.audit_days: must be at least 1"}},
    {"trusted keys without a pack directory", File::config,
     R"({"packs": {"trusted_keys": ["ops.pub"]}})",
     {"/etc/crmflow/host.json: packs.dir: required with trusted_keys or allow_unsigned: where "
      "packs live"}},
    {"gave an empty pack directory", File::config, R"({"packs": {"dir": ""}})",
     {"/etc/crmflow/host.json: packs.dir: expected a directory name"}},
    {"gave a trusted key as a number", File::config,
     R"({"packs": {"dir": "packs", "trusted_keys": [7]}})",
     {"/etc/crmflow/host.json: packs.trusted_keys[0]: expected a public key file (.pub)"}},

    // ---- module map (host/lib/module_map.cpp) ----
    {"broke the module map's JSON", File::module_map, "{\n  \"modules\": {\n    \"Leads\" {}\n}",
     {"$MAP:3:13: invalid JSON: syntax error while parsing object separator - unexpected '{'; "
      "expected ':'"}},
    {"mapped a module twice", File::module_map,
     R"({"modules": {"Leads": {"table": "leads"}, "Leads": {"table": "leads_v2"}}})",
     {"$MAP: modules.Leads: given twice in one object; the later value would silently replace "
      "the earlier, so keep one"}},
    {"left out the modules", File::module_map, R"({"flavour": "1crm"})",
     {"$MAP: modules: expected an object: module name → definition"}},
    {"left out a module's table", File::module_map, R"({"modules": {"Leads": {}}})",
     {"$MAP: modules.Leads.table: required, missing"}},
    {"misspelt a module key", File::module_map,
     R"({"modules": {"Leads": {"table": "leads", "tabel": "x"}}})",
     {"$MAP: modules.Leads.tabel: unknown setting; expected one of: table, id, deleted, users, "
      "dates, display_name, activity, relations, custom_table, custom_id (did you mean table?)"}},
    {"named a relation kind that does not exist", File::module_map,
     R"({"modules": {"Leads": {"table": "leads", "relations": {"account": {"kind": "child"}}}}})",
     {"$MAP: modules.Leads.relations.account.kind: expected parent, foreign_key, "
      "reverse_foreign_key or join, found child"}},
    {"left out a relation's kind", File::module_map,
     R"({"modules": {"Leads": {"table": "leads", "relations": {"account": {"module": "Leads"}}}}})",
     {"$MAP: modules.Leads.relations.account.kind: required, missing"}},
    {"left out a join's columns", File::module_map,
     R"({"modules": {"Leads": {"table": "leads", "relations": {"calls": {"kind": "join", "module": "Leads"}}}}})",
     {"$MAP: modules.Leads.relations.calls.table: required for a join relation",
      "$MAP: modules.Leads.relations.calls.this_column: required for a join relation",
      "$MAP: modules.Leads.relations.calls.other_column: required for a join relation"}},
    {"related a module the map lacks", File::module_map,
     R"({"modules": {"Leads": {"table": "leads", "relations": {"account": {"kind": "foreign_key", "module": "Acounts", "column": "account_id"}}}}})",
     {"$MAP: modules.Leads.relations.account.module: no module named Acounts"}},
    {"gave display_name as text", File::module_map,
     R"({"modules": {"Leads": {"table": "leads", "display_name": "last_name"}}})",
     {"$MAP: modules.Leads.display_name: expected a list of field names"}},
    {"gave notifications as text", File::module_map,
     R"({"modules": {"Leads": {"table": "leads"}}, "notifications": "Notifications"})",
     {"$MAP: notifications: expected an object"}},
    {"sent notifications to an unmapped module", File::module_map,
     R"({"modules": {"Leads": {"table": "leads"}}, "notifications": {"module": "Notes"}})",
     {"$MAP: notifications.module: no module named Notes"}},

    // ---- workflows (host/lib/workflow.cpp, template.cpp, date expressions, plugins' schemas) ----
    {"broke a workflow's JSON", File::workflow, "{\"id\": \"x\",\n \"module\": \"Leads\"\n \"actions\": []}",
     {"$WF/a.json:3:10: invalid JSON: syntax error while parsing object - unexpected string "
      "literal; expected '}'"}},
    {"gave a workflow two condition blocks", File::workflow,
     workflow(R"("id": "w", "conditions": {"field": "status", "op": "equals", "value": "New"},
                 "conditions": {"field": "status", "op": "equals", "value": "Dead"})"),
     {"$WF/a.json: (top).conditions: given twice in one object; the later value would silently "
      "replace the earlier, so keep one"}},
    {"set a field twice in an action", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record",
         "params": {"fields": {"status": "Dead", "status": "New"}}}]})",
     {"$WF/a.json: actions[0].params.fields.status: given twice in one object; the later value "
      "would silently replace the earlier, so keep one"}},
    {"left out the id", File::workflow, workflow(""),
     {"$WF/a.json: (top).id: required, missing"}},
    {"left out the module", File::workflow,
     R"({"id": "w", "actions": [{"plugin": "show_warning", "params": {}}]})",
     {"$WF/a.json: workflow w: (top).module: required, missing",
      "$WF/a.json: workflow w: actions[0]: no enabled plugin component named 'show_warning'"}},
    {"misspelt the trigger key", File::workflow, workflow(R"("id": "w", "trigerr": "saved")"),
     {"$WF/a.json: workflow w: (top).trigerr: unknown setting; expected one of: id, name, active, "
      "module, trigger, applies_to, fire, run_as, conditions, actions (did you mean trigger?)"}},
    {"named a module the map lacks", File::workflow, R"({"id": "w", "module": "Leeds",
      "actions": [{"plugin": "update_record", "params": {"fields": {"status": "Dead"}}}]})",
     {"$WF/a.json: workflow w: module: no module named Leeds in $MAP"}},
    {"quoted active", File::workflow, workflow(R"("id": "w", "active": "yes")"),
     {"$WF/a.json: workflow w: (top).active: expected true or false, found string"}},
    {"named a trigger that does not exist", File::workflow, workflow(R"("id": "w", "trigger": "created")"),
     {"$WF/a.json: workflow w: trigger: expected \"saved\", \"deleted\" or {\"plugin\": "
      "\"<trigger>\", \"params\": {...}}, found \"created\""}},
    {"named an applies_to that does not exist", File::workflow,
     workflow(R"("id": "w", "applies_to": "all")"),
     {"$WF/a.json: workflow w: applies_to: expected one of new, new_and_existing, found \"all\""}},
    {"named a fire mode that does not exist", File::workflow, workflow(R"("id": "w", "fire": "once")"),
     {"$WF/a.json: workflow w: fire: expected one of every_save, on_change, found \"once\""}},
    {"fired on_change for deleted records", File::workflow,
     workflow(R"("id": "w", "trigger": "deleted", "fire": "on_change")"),
     {"$WF/a.json: workflow w: fire: on_change compares a save's old and new values; a deleted "
      "trigger fires once anyway"}},
    {"applied a delete trigger to new records", File::workflow,
     workflow(R"("id": "w", "trigger": "deleted", "applies_to": "new")"),
     {"$WF/a.json: workflow w: applies_to: \"new\" records cannot be deleted; use new_and_existing"}},
    {"ran as someone undefined", File::workflow, workflow(R"("id": "w", "run_as": "admin")"),
     {"$WF/a.json: workflow w: run_as: expected \"triggering_user\", \"assigned_user\" or "
      "{\"user_id\": \"...\"}"}},
    {"gave no actions", File::workflow, R"({"id": "w", "module": "Leads", "actions": []})",
     {"$WF/a.json: workflow w: actions: expected a non-empty array of actions"}},
    {"gave an action without its plugin", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"params": {}}]})",
     {"$WF/a.json: workflow w: actions[0]: expected {\"plugin\": \"<action>\", \"params\": {...}}"}},
    {"misspelt an action's plugin", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_recrod", "params": {}}]})",
     {"$WF/a.json: workflow w: actions[0]: no enabled plugin component named 'update_recrod'"}},
    {"used a condition as an action", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "compare", "params": {}}]})",
     {"$WF/a.json: workflow w: actions[0]: 'compare' is a condition component; here an action "
      "is needed"}},
    {"misspelt an action's key", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record", "parmas": {}}]})",
     {"$WF/a.json: workflow w: actions[0].parmas: unknown setting; expected one of: plugin, "
      "params, delay (did you mean params?)",
      "$WF/a.json: workflow w: actions[0].params: missing required parameter 'fields'"}},
    {"misspelt a parameter", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record", "params": {"feilds": {}}}]})",
     {"$WF/a.json: workflow w: actions[0].params: missing required parameter 'fields'",
      "$WF/a.json: workflow w: actions[0].params.feilds: unknown parameter 'feilds'; expected "
      "one of: fields (did you mean fields?)"}},
    {"gave a parameter the wrong type", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record", "params": {"fields": "status=Dead"}}]})",
     {"$WF/a.json: workflow w: actions[0].params.fields: expected an object, got a string"}},
    {"wrote a delay in words", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record", "delay": "2 weeks",
         "params": {"fields": {"status": "Dead"}}}]})",
     {"$WF/a.json: workflow w: actions[0].delay: \"2 weeks\" is not a delay: expected a whole "
      "number and a unit, e.g. 30s, 15min, 2h, 14d, 2w, 3m (months) or 1y"}},
    {"delayed an action for 0 days", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record", "delay": "0d",
         "params": {"fields": {"status": "Dead"}}}]})",
     {"$WF/a.json: workflow w: actions[0].delay: \"0d\" is not a delay: expected a whole number "
      "and a unit, e.g. 30s, 15min, 2h, 14d, 2w, 3m (months) or 1y"}},
    {"delayed an action of a delete trigger", File::workflow,
     R"({"id": "w", "module": "Leads", "trigger": "deleted", "actions": [{"plugin": "update_record",
         "delay": "1d", "params": {"fields": {"status": "Dead"}}}]})",
     {"$WF/a.json: workflow w: actions[0].delay: a delayed action re-checks its record when due, "
      "and a deleted record cancels it; run it at once"}},
    {"left a placeholder unclosed", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record",
         "params": {"fields": {"description": "Hello {{record.name"}}}]})",
     {"$WF/a.json: workflow w: actions[0].params.fields.description: malformed template: "
      "Unclosed tag at 6"}},
    {"closed a section never opened", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record",
         "params": {"fields": {"description": "{{/record}}"}}}]})",
     {"$WF/a.json: workflow w: actions[0].params.fields.description: malformed template: "
      "Unopened section \"record\" at 0"}},
    {"used a partial", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record",
         "params": {"fields": {"description": "{{> footer}}"}}}]})",
     {"$WF/a.json: workflow w: actions[0].params.fields.description: partials are not "
      "supported: {{> footer}}"}},
    {"changed the template delimiters", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record",
         "params": {"fields": {"description": "{{=<% %>=}}"}}}]})",
     {"$WF/a.json: workflow w: actions[0].params.fields.description: delimiter changes are not "
      "supported: {{=<% %>=}}"}},
    {"misspelt a relation in a placeholder", File::workflow,
     R"({"id": "w", "module": "Leads", "actions": [{"plugin": "update_record",
         "params": {"fields": {"name": "{{acount.name}}"}}}]})",
     {"$WF/a.json: workflow w: actions[0].params.fields.name: unknown placeholder "
      "{{acount.name}}: Leads has no relation 'acount'; known: record, user, account"}},
    {"gave an empty condition", File::workflow, workflow(R"("id": "w", "conditions": {})"),
     {"$WF/a.json: workflow w: conditions: expected a condition: {\"all\": [...]}, {\"any\": "
      "[...]}, {\"not\": {...}}, {\"field\": ..., \"op\": ..., \"value\": ...} or {\"plugin\": "
      "..., \"params\": {...}}"}},
    {"gave 'any' an object", File::workflow,
     workflow(R"("id": "w", "conditions": {"any": {"field": "status", "op": "equals", "value": "New"}})"),
     {"$WF/a.json: workflow w: conditions.any: expected an array of conditions"}},
    {"put another key beside 'not'", File::workflow,
     workflow(R"("id": "w", "conditions": {"not": {"field": "status", "op": "empty"}, "field": "x"})"),
     {"$WF/a.json: workflow w: conditions: 'not' stands alone in its object"}},
    {"misspelt an operator", File::workflow,
     workflow(R"("id": "w", "conditions": {"field": "status", "op": "equal", "value": "New"})"),
     {"$WF/a.json: workflow w: conditions.op: 'equal' is not one of: equals, not_equals, in, "
      "not_in, contains, starts_with, ends_with, empty, not_empty, gt, gte, lt, lte (did you "
      "mean equals?)"}},
    {"left out a comparison's value", File::workflow,
     workflow(R"("id": "w", "conditions": {"field": "status", "op": "equals"})"),
     {"$WF/a.json: workflow w: conditions: component 'compare' ($PLUGINS/compare.so): create "
      "failed: parameters: 'equals' needs a 'value'"}},
    {"gave a value to empty", File::workflow,
     workflow(R"("id": "w", "conditions": {"field": "status", "op": "empty", "value": ""})"),
     {"$WF/a.json: workflow w: conditions: component 'compare' ($PLUGINS/compare.so): create "
      "failed: parameters: 'empty' takes no 'value'"}},
    {"wrote a date expression with a bad unit", File::workflow,
     workflow(R"("id": "w", "conditions": {"field": "date_entered", "op": "lt", "value": "now-14x"})"),
     {"$WF/a.json: workflow w: conditions: component 'compare' ($PLUGINS/compare.so): create "
      "failed: bad date expression \"now-14x\": expected now, today or a field, optionally "
      "followed by +N or -N and a unit: min, h, d (days), w, m (months) or y, e.g. now-14d or "
      "date_expire-30d"}},
    {"misspelt a relation in a condition's field", File::workflow,
     workflow(R"("id": "w", "conditions": {"field": "acount.name", "op": "empty"})"),
     {"$WF/a.json: workflow w: conditions.field: module Leads has no relation 'acount'; "
      "relations: account"}},
    {"named a condition plugin that does not exist", File::workflow,
     workflow(R"("id": "w", "conditions": {"plugin": "membership", "params": {}})"),
     {"$WF/a.json: workflow w: conditions: no enabled plugin component named 'membership'"}},
    {"wrote a cron minute of 61", File::workflow,
     workflow(R"("id": "w", "trigger": {"plugin": "schedule", "params": {"cron": "61 * * * *"}})"),
     {"$WF/a.json: workflow w: trigger: component 'schedule' ($PLUGINS/schedule.so): create "
      "failed: parameters: 'cron': minute field '61' is out of range 0-59"}},
    {"misspelt a time trigger's key", File::workflow,
     workflow(R"("id": "w", "trigger": {"plugin": "schedule", "parmas": {"cron": "0 8 * * *"}})"),
     {"$WF/a.json: workflow w: trigger.parmas: unknown setting; expected one of: plugin, params "
      "(did you mean params?)",
      "$WF/a.json: workflow w: trigger.params: missing required parameter 'cron'"}},
    {"gave an inactivity of 0 days", File::workflow,
     workflow(R"("id": "w", "trigger": {"plugin": "inactivity", "params": {"days": 0}})"),
     {"$WF/a.json: workflow w: trigger.params.days: 0 is below the minimum of 1"}},
    {"gave an inactivity in words", File::workflow,
     workflow(R"("id": "w", "trigger": {"plugin": "inactivity", "params": {"days": "two weeks"}})"),
     {"$WF/a.json: workflow w: trigger.params.days: expected a whole number, got a string"}},
    {"gave a time trigger as text", File::workflow, workflow(R"("id": "w", "trigger": "daily")"),
     {"$WF/a.json: workflow w: trigger: expected \"saved\", \"deleted\" or {\"plugin\": "
      "\"<trigger>\", \"params\": {...}}, found \"daily\""}},
    {"used an action as a time trigger", File::workflow,
     workflow(R"("id": "w", "trigger": {"plugin": "update_record", "params": {}})"),
     {"$WF/a.json: workflow w: trigger: 'update_record' is an action component; here a trigger "
      "is needed"}},
    {"gave a time trigger on_change", File::workflow,
     workflow(R"("id": "w", "fire": "on_change", "trigger": {"plugin": "schedule", "params": {"cron": "0 8 * * *"}})"),
     {"$WF/a.json: workflow w: fire: on_change compares a save's old and new values; a time "
      "trigger fires once per due time anyway"}},
    {"gave a time trigger to new records", File::workflow,
     workflow(R"("id": "w", "applies_to": "new", "trigger": {"plugin": "schedule", "params": {"cron": "0 8 * * *"}})"),
     {"$WF/a.json: workflow w: applies_to: a time trigger fires for existing records; use "
      "new_and_existing"}},
    {"copied a workflow and kept its id", File::workflow, workflow(R"("id": "twice")"),
     {"$WF/b.json: workflow twice: id: duplicate workflow id 'twice', also in $WF/a.json"},
     workflow(R"("id": "twice")")},
  };
  // clang-format on
  return table;
}

struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    std::string name = (std::filesystem::temp_directory_path() / "bad_input_XXXXXX").string();
    BOOST_TEST_REQUIRE(mkdtemp(name.data()) != nullptr);
    dir = name;
    std::filesystem::create_directory(dir / "workflows");
  }
  ~Scratch() { std::filesystem::remove_all(dir); }
  std::filesystem::path write(const std::string& file, std::string_view text) const {
    std::ofstream(dir / file, std::ios::binary) << text;
    return dir / file;
  }
};

std::string substituted(std::string line, const Scratch& scratch) {
  for (const auto& [token, path] : {std::pair{std::string("$MAP"), scratch.dir / "map.json"},
                                    {std::string("$WF"), scratch.dir / "workflows"},
                                    {std::string("$PLUGINS"), test::kPluginDir}}) {
    for (size_t at = line.find(token); at != std::string::npos; at = line.find(token, at)) {
      line.replace(at, token.size(), path.string());
      at += path.string().size();
    }
  }
  return line;
}

// The plugins a workflow can name, as a host with them enabled loads them.
const PluginRegistry& plugins() {
  static PluginRegistry registry;
  static const bool loaded = [] {
    for (const char* name :
         {"compare", "changes", "update_record", "create_record", "schedule", "inactivity"}) {
      const auto problems = registry.load(test::kPluginDir / (std::string(name) + ".so"));
      BOOST_TEST_REQUIRE(problems.empty(),
                         name << ": " << (problems.empty() ? std::string() : problems.front()));
    }
    return true;
  }();
  (void)loaded;
  return registry;
}

// What the admin is told for the row's file(s): every line, in order.
std::vector<std::string> messages(const Mistake& m, const Scratch& scratch) {
  if (m.file == File::config) {
    const auto config = parse_host_config(m.text, kConfig);
    return config ? std::vector<std::string>{} : config.error();
  }
  if (m.file == File::module_map) {
    const auto map = load_module_map(scratch.write("map.json", m.text));
    return map ? std::vector<std::string>{} : map.error();
  }
  const auto map = load_module_map(scratch.write("map.json", kGoodMap));
  BOOST_TEST_REQUIRE(map.has_value());
  // Written to the directory, as an admin saves them: read back by load_workflows.
  std::filesystem::remove_all(scratch.dir / "workflows");
  std::filesystem::create_directory(scratch.dir / "workflows");
  scratch.write("workflows/a.json", m.text);
  if (!m.second_workflow.empty()) scratch.write("workflows/b.json", m.second_workflow);
  const auto loaded = load_workflows(scratch.dir / "workflows", plugins(), &*map);
  return loaded ? std::vector<std::string>{} : loaded.error();
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_mistake_gets_its_message) {
  const Scratch scratch;
  size_t rows = 0, lines = 0;
  for (const Mistake& m : mistakes()) {
    BOOST_TEST_CONTEXT("the admin " << m.what) {
      std::vector<std::string> expected;
      for (const std::string& line : m.expected) expected.push_back(substituted(line, scratch));
      const auto got = messages(m, scratch);
      for (const std::string& line : got) BOOST_TEST_MESSAGE(line);
      BOOST_TEST(got == expected, boost::test_tools::per_element());
      ++rows;
      lines += expected.size();
    }
  }
  BOOST_TEST_MESSAGE("bad input: " << rows << " mistakes, " << lines << " message lines checked");
}

// The good files the mistakes are variations of load: a row fails for its mistake alone.
BOOST_AUTO_TEST_CASE(the_files_the_mistakes_start_from_are_good) {
  const Scratch scratch;
  BOOST_TEST(
      parse_host_config(R"({"plugin_dirs": ["plugins"], "plugins": {"compare": {}}})", kConfig)
          .has_value());
  for (const std::string& text :
       {workflow(R"("id": "w")"),
        workflow(
            R"("id": "w", "trigger": {"plugin": "schedule", "params": {"cron": "0 8 * * *"}})"),
        workflow(
            R"("id": "w", "conditions": {"field": "status", "op": "equals", "value": "New"})")}) {
    const Mistake good{"changed nothing", File::workflow, text, {}};
    BOOST_TEST(messages(good, scratch).empty(), text);
  }
}
