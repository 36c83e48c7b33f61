#!/usr/bin/env bash
# Seed scenario 1 end to end through the real host on the demo database, with the shipped
# workflow (config/workflows/lead-follow-up.json) and time moved by the clock offset: a lead
# untouched for 15 days gets one "Follow-up" task; a lead with a call 3 days ago gets none;
# the task is activity, so the lead fires again only after another 14 quiet days.
# Usage: inactivity_host.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" inactivity "$1" "$2"

quiet=led00001-0000-4000-8000-000000000000
called=led00002-0000-4000-8000-000000000000
owner=usr00002-0000-4000-8000-000000000000
day=86400
# Both leads are created now; the second gets a call 12 days from now (3 days before +15d).
sql "UPDATE leads SET date_entered = UTC_TIMESTAMP(), date_modified = UTC_TIMESTAMP(),
     assigned_user_id = '$owner' WHERE id IN ('$quiet', '$called')"
sql "DELETE FROM tasks WHERE parent_id IN ('$quiet', '$called')"
sql "INSERT INTO calls (id, name, date_entered, date_modified, deleted, parent_type, parent_id)
     VALUES (UUID(), 'Intro call', TIMESTAMPADD(DAY, 12, UTC_TIMESTAMP()),
             TIMESTAMPADD(DAY, 12, UTC_TIMESTAMP()), 0, 'Leads', '$called')"

config() {  # config <offset seconds>: the shipped plugins and workflows, time moved
  cat >"$work/crmflow.json" <<JSON
{
  "plugin_dirs": ["$plugin_dir"],
  "plugins": {"compare": {}, "changes": {}, "create_record": {}, "inactivity": {},
              "update_related": {}, "schedule_meeting": {}, "show_warning": {},
              "call_remote_api": {}, "send_email": {"settings": {"smtp_url": "smtp://127.0.0.1:9", "from": "crm@demo.example"}}},
  "module_map": "$repo/config/crm/1crm.json",
  "workflows": "$repo/config/workflows",
  "database": {"host": "127.0.0.1"},
  "time_zone": "Europe/Vienna",
  "triggers": {"tick_seconds": 1},
  "clock_offset_seconds": $1
}
JSON
}
tasks() { sql "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND parent_type = 'Leads'
               AND parent_id = '$1' AND assigned_user_id = '$owner' AND deleted = 0"; }
ticks() { sql "SELECT COALESCE(MAX(ticks), 0) FROM crmflow_tick WHERE trigger_id = 'lead-follow-up'"; }
run_at() {  # run_at <days>: the host with the clock moved by <days>, until it ticked twice
  config $(($1 * day))
  "$crmflow" --config "$work/crmflow.json" check >"$work/out" 2>&1 || fail "check failed"
  local before
  before=$(ticks)
  start_host --config "$work/crmflow.json"
  wait_for "SELECT ticks > $before + 1 FROM crmflow_tick WHERE trigger_id = 'lead-follow-up'" 1
  wait_for "SELECT COUNT(*) FROM crmflow_event" 0
  stop_host
}

run_at 0
[ "$(tasks $quiet)" = 0 ] || fail "a lead created now got a follow-up"
run_at 15
[ "$(tasks $quiet)" = 1 ] || fail "15 quiet days: $(tasks $quiet) follow-ups, expected 1"
[ "$(tasks $called)" = 0 ] || fail "a call 3 days ago, yet $(tasks $called) follow-ups"
sql "SELECT description FROM tasks WHERE name = 'Follow-up' AND parent_id = '$quiet'" |
  grep -q "No activity with Florian Wagner (Wagner Bau GmbH) for two weeks" ||
  fail "the task's description was not rendered"
run_at 16
[ "$(tasks $quiet)" = 1 ] || fail "the same quiet spell fired again"
run_at 28
[ "$(tasks $quiet)" = 1 ] || fail "13 days after the task, another follow-up"
[ "$(tasks $called)" = 1 ] || fail "16 days after its call: $(tasks $called) follow-ups, expected 1"
run_at 30
[ "$(tasks $quiet)" = 2 ] || fail "15 days after the task: $(tasks $quiet) follow-ups, expected 2"

"$crmflow" --config "$work/crmflow.json" triggers >"$work/out" 2>&1 || fail "crmflow triggers failed"
grep -Eq "^lead-follow-up +Leads +inactivity " "$work/out" || fail "crmflow triggers lists no lead-follow-up"
runs=$(sql "SELECT COUNT(*) FROM crmflow_run WHERE workflow_id = 'lead-follow-up' AND record_id = '$quiet'
            AND outcome = 'done' AND reason LIKE 'inactivity fired (%)%'")
[ "$runs" = 2 ] || fail "$runs audited runs for the quiet lead, expected 2"
echo "PASS: scenario 1 on the demo database: one follow-up per quiet spell, none after a call"
