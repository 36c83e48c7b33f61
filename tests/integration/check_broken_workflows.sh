#!/usr/bin/env bash
# `crmflow check` against the live demo schema with workflow files that each hold one mistake
# an admin makes: every mistake is reported at once, each naming the file, the workflow and
# the JSON path; the exit status is 1; `crmflow run` refuses to start on them; a correct
# workflow directory passes.
# Usage: check_broken_workflows.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" check "$1" "$2"

mkdir "$work/workflows"
config() {  # config <workflows dir>: every plugin the shipped workflows use
  cat > "$work/config.json" <<JSON
{"plugin_dirs": ["$plugin_dir"],
 "plugins": {"compare": {}, "changes": {}, "create_record": {}, "update_record": {},
             "inactivity": {}, "date_reached": {}, "schedule": {}, "update_related": {},
             "schedule_meeting": {}, "show_warning": {}, "call_remote_api": {},
             "send_email": {"settings": {"smtp_url": "smtp://127.0.0.1:9", "from": "crm@demo.example"}}},
 "module_map": "$repo/config/crm/1crm.json", "workflows": "$1"}
JSON
}
config "$work/workflows"
wf() { cat > "$work/workflows/$1"; }  # wf <file> < json

task='"actions": [{"plugin": "create_record", "params": {"module": "Tasks", "fields": {"name": "x"}}}]'
wf 01-syntax.json <<'JSON'
{"id": "syntax", "module": "Leads",
 "actions": [,]}
JSON
wf 02-unknown-module.json <<JSON
{"id": "unknown-module", "module": "Leeds", $task}
JSON
wf 03-unknown-field.json <<JSON
{"id": "unknown-field", "module": "Leads",
 "conditions": {"all": [{"field": "stauts", "op": "equals", "value": "New"}]}, $task}
JSON
wf 04-unknown-plugin.json <<'JSON'
{"id": "unknown-plugin", "module": "Leads", "actions": [{"plugin": "create_recrod", "params": {}}]}
JSON
wf 05-unknown-operator.json <<JSON
{"id": "unknown-operator", "module": "Leads",
 "conditions": {"field": "status", "op": "equal", "value": "New"}, $task}
JSON
wf 06-bad-parameter.json <<'JSON'
{"id": "bad-parameter", "module": "Leads",
 "actions": [{"plugin": "create_record", "params": {"module": "Tasks"}}]}
JSON
wf 07-duplicate-a.json <<JSON
{"id": "twice", "module": "Leads", $task}
JSON
wf 08-duplicate-b.json <<JSON
{"id": "twice", "module": "Cases", $task}
JSON
wf 09-fire-mode.json <<JSON
{"id": "fire-mode", "module": "Leads", "trigger": "deleted", "fire": "on_change", $task}
JSON
wf 10-too-long.json <<JSON
{"id": "too-long", "module": "Tasks",
 "conditions": {"field": "name", "op": "equals", "value": "$(printf 'x%.0s' {1..60})"}, $task}
JSON
wf 11-wrong-kind.json <<'JSON'
{"id": "wrong-kind", "module": "Leads", "actions": [{"plugin": "compare", "params": {}}]}
JSON
wf 12-bad-run-as.json <<JSON
{"id": "bad-run-as", "module": "Leads", "run_as": "the boss", $task}
JSON
wf 13-no-actions.json <<'JSON'
{"id": "no-actions", "module": "Leads", "actions": []}
JSON
wf 14-unknown-setting.json <<JSON
{"id": "unknown-setting", "module": "Leads", "trigerr": "saved", $task}
JSON
wf 15-bad-group.json <<JSON
{"id": "bad-group", "module": "Leads", "conditions": {"any": {"field": "status"}}, $task}
JSON
wf 16-new-deleted.json <<JSON
{"id": "new-deleted", "module": "Leads", "trigger": "deleted", "applies_to": "new", $task}
JSON
wf 17-changed-with-value.json <<JSON
{"id": "changed-with-value", "module": "Leads",
 "conditions": {"field": "status", "op": "changed", "value": "New"}, $task}
JSON
wf 19-bad-date.json <<JSON
{"id": "bad-date", "module": "Leads",
 "conditions": {"field": "date_entered", "op": "lt", "value": "now-14x"}, $task}
JSON
wf 20-unknown-relation.json <<JSON
{"id": "unknown-relation", "module": "Leads",
 "conditions": {"field": "acount.name", "op": "equals", "value": "Acme"}, $task}
JSON
wf 21-bad-delay.json <<'JSON'
{"id": "bad-delay", "module": "Leads",
 "actions": [{"plugin": "create_record", "delay": "2 weeks",
              "params": {"module": "Tasks", "fields": {"name": "x"}}}]}
JSON
wf 22-bad-placeholder.json <<'JSON'
{"id": "bad-placeholder", "module": "Leads",
 "actions": [{"plugin": "create_record", "params": {"module": "Tasks",
              "fields": {"name": "Call {{acount.name}}", "description": "{{#record}}"}}}]}
JSON
wf 18-parameter-type.json <<'JSON'
{"id": "parameter-type", "module": "Leads",
 "actions": [{"plugin": "create_record", "params": {"module": "Tasks", "fields": {"name": "x"},
                                                    "link": "yes", "feilds": {}}}]}
JSON
wf 23-trigger-field-no-date.json <<JSON
{"id": "trigger-field-no-date", "module": "ServiceSubcontracts",
 "trigger": {"plugin": "date_reached", "params": {"field": "status", "offset": "-30d"}}, $task}
JSON
wf 24-trigger-on-change.json <<JSON
{"id": "trigger-on-change", "module": "Leads", "fire": "on_change",
 "trigger": {"plugin": "inactivity", "params": {"days": 14}}, $task}
JSON
wf 25-bad-cron.json <<JSON
{"id": "bad-cron", "module": "Cases",
 "trigger": {"plugin": "schedule", "params": {"cron": "61 8 * * *"}}, $task}
JSON
wf 26-trigger-filter.json <<JSON
{"id": "trigger-filter", "module": "Leads",
 "trigger": {"plugin": "inactivity", "params": {"days": 14, "filter": {"stauts": "New"}}}, $task}
JSON

status=0
"$crmflow" --config "$work/config.json" check >"$work/out" 2>"$work/err" || status=$?
fail() { echo "FAIL: $*" >&2; cat "$work/err" >&2; exit 1; }
[ "$status" -eq 1 ] || fail "check exited $status, expected 1"
expect() {  # expect <file> <text>: one error line names the file and holds the text
  grep -F "$work/workflows/$1" "$work/err" | grep -qF -- "$2" || fail "$1: no error containing: $2"
}
expect 01-syntax.json "01-syntax.json:2:14: invalid JSON"
expect 02-unknown-module.json "workflow unknown-module: module: no module named Leeds"
expect 03-unknown-field.json "workflow unknown-field: conditions.all[0].field: module Leads has no field 'stauts'"
expect 04-unknown-plugin.json "workflow unknown-plugin: actions[0]: no enabled plugin component named 'create_recrod'"
expect 05-unknown-operator.json "workflow unknown-operator: conditions.op: 'equal' is not one of: equals, not_equals"
expect 06-bad-parameter.json "workflow bad-parameter: actions[0].params: missing required parameter 'fields'"
expect 08-duplicate-b.json "workflow twice: id: duplicate workflow id 'twice', also in $work/workflows/07-duplicate-a.json"
expect 09-fire-mode.json "workflow fire-mode: fire: on_change compares a save's old and new values"
expect 10-too-long.json "workflow too-long: conditions.value: 60 characters, longer than Tasks.name can hold (50)"
expect 11-wrong-kind.json "workflow wrong-kind: actions[0]: 'compare' is a condition component; here an action is needed"
expect 12-bad-run-as.json "workflow bad-run-as: run_as: expected \"triggering_user\", \"assigned_user\" or {\"user_id\": \"...\"}"
expect 13-no-actions.json "workflow no-actions: actions: expected a non-empty array of actions"
expect 14-unknown-setting.json "workflow unknown-setting: (top).trigerr: unknown setting; expected one of: id, name"
expect 15-bad-group.json "workflow bad-group: conditions.any: expected an array of conditions"
expect 16-new-deleted.json "workflow new-deleted: applies_to: \"new\" records cannot be deleted"
expect 17-changed-with-value.json "workflow changed-with-value: conditions.value: 'value' is not allowed here"
expect 19-bad-date.json "workflow bad-date: conditions: component 'compare'"
expect 19-bad-date.json "bad date expression \"now-14x\": expected now, today or a field"
expect 20-unknown-relation.json "workflow unknown-relation: conditions.field: module Leads has no relation 'acount'; relations: account, contact"
expect 21-bad-delay.json "workflow bad-delay: actions[0].delay: \"2 weeks\" is not a delay"
expect 22-bad-placeholder.json "workflow bad-placeholder: actions[0].params.fields.name: unknown placeholder {{acount.name}}: Leads has no relation 'acount'; known: record, user, account, contact"
expect 22-bad-placeholder.json "workflow bad-placeholder: actions[0].params.fields.description: malformed template"
expect 18-parameter-type.json "workflow parameter-type: actions[0].params.link: expected a boolean, got a string"
expect 18-parameter-type.json "workflow parameter-type: actions[0].params.feilds: unknown parameter 'feilds'; expected one of: module, fields, link"
expect 23-trigger-field-no-date.json "workflow trigger-field-no-date: trigger.params: trigger 'date_reached' failed on ServiceSubcontracts: status 1: field: ServiceSubcontracts.status is a varchar, not a date"
expect 24-trigger-on-change.json "workflow trigger-on-change: fire: on_change compares a save's old and new values; a time trigger fires once per due time anyway"
expect 25-bad-cron.json "workflow bad-cron: trigger: "
expect 25-bad-cron.json "minute field '61' is out of range 0-59"
expect 26-trigger-filter.json "workflow trigger-filter: trigger.params: trigger 'inactivity' failed on Leads: status 1: filter.stauts: Leads has no field 'stauts'"
grep -q "problems found" "$work/err" || fail "no count of problems"
count=$(grep -c '^error: ' "$work/err")
[ "$count" -ge 27 ] || fail "expected at least 27 problems at once, found $count"

# The host refuses to start on them.
status=0
"$crmflow" --config "$work/config.json" run --once >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] || fail "run started on broken workflows (exit $status)"
grep -q "workflow unknown-module: module: no module named Leeds" "$work/err" || fail "run: no reason"

# The shipped workflows are correct.
config "$repo/config/workflows"
"$crmflow" --config "$work/config.json" check >"$work/out" 2>"$work/err" || fail "the shipped workflows fail check"
grep -Eq "ok, [0-9]+ components enabled, 16 modules, $(ls "$repo"/config/workflows/*.json | wc -l) workflows" "$work/out" \
  || fail "no ok line: $(cat "$work/out")"
echo "PASS: check reports $count problems in $(ls "$work/workflows" | wc -l) broken workflow files at once; run refuses them; the shipped workflows pass"
