#!/usr/bin/env bash
# Delayed actions through the real host process: a save schedules a follow-up in two weeks;
# `crmflow jobs --record` and `crmflow status` show it; the host is stopped, started again on
# a clock moved 15 days on, and the follow-up task appears once; `crmflow cancel` and
# `crmflow retry` act on pending and dead jobs.
# Usage: jobs_cli.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" jobs "$1" "$2"
mkdir "$work/workflows"
cat > "$work/workflows/follow-up.json" <<'JSON'
{"id": "follow-up", "module": "Leads", "trigger": "saved", "fire": "on_change",
 "conditions": {"field": "status", "op": "equals", "value": "Qualified"},
 "actions": [{"plugin": "create_record", "delay": "14d",
              "params": {"module": "Tasks", "fields": {"name": "Follow-up"}}}]}
JSON
config() {  # config <clock offset in seconds>
  cat > "$work/crmflow.json" <<JSON
{"plugin_dirs": ["$plugin_dir"],
 "plugins": {"compare": {}, "changes": {}, "create_record": {}, "update_record": {}},
 "module_map": "$repo/config/crm/1crm.json", "workflows": "$work/workflows",
 "engine": {"idle_poll_ms": 50}, "clock_offset_seconds": $1}
JSON
}
crm=(--config "$work/crmflow.json")

config 0
"$crmflow" "${crm[@]}" capture install >"$work/out" 2>&1 || fail "capture install"
start_host "${crm[@]}"
lead=led00001-0000-4000-8000-000000000000
other=led00002-0000-4000-8000-000000000000
sql "UPDATE leads SET status = 'Qualified' WHERE id IN ('$lead', '$other')"
wait_for "SELECT COUNT(*) FROM crmflow_job WHERE state = 'pending'" 2
"$crmflow" "${crm[@]}" jobs --record "$lead" >"$work/jobs" 2>&1 || fail "crmflow jobs"
grep -q "pending .* follow-up .* create_record .* Leads .* $lead" "$work/jobs" \
  || { cat "$work/jobs"; fail "crmflow jobs --record does not show the pending job"; }
[ "$(grep -c "$other" "$work/jobs")" = 0 ] || fail "crmflow jobs --record shows another record"
"$crmflow" "${crm[@]}" status >"$work/status" 2>&1 || fail "crmflow status"
grep -q "pending jobs        2 (0 due)" "$work/status" || { cat "$work/status"; fail "status"; }

# The admin cancels the other lead's follow-up; the host stops.
other_job=$(sql "SELECT id FROM crmflow_job WHERE record_id = '$other'")
"$crmflow" "${crm[@]}" cancel "$other_job" >"$work/out" 2>&1 || fail "crmflow cancel"
stop_host
[ "$(sql "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'")" = 0 ] || fail "ran early"

# Fifteen days later (on the moved clock) the host starts again: the follow-up appears once.
config $((15 * 24 * 3600))
start_host "${crm[@]}"
wait_for "SELECT COUNT(*) FROM crmflow_job WHERE state = 'done'" 1
[ "$(sql "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND parent_id = '$lead'")" = 1 ] \
  || fail "no follow-up task for the lead"
[ "$(sql "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up'")" = 1 ] || fail "tasks twice"
[ "$(sql "SELECT state FROM crmflow_job WHERE id = $other_job")" = cancelled ] \
  || fail "the cancelled job ran"
[ "$(sql "SELECT COUNT(*) FROM crmflow_run WHERE outcome = 'cancelled' AND job_id = $other_job")" = 1 ] \
  || fail "no audit row for the cancel"

# A dead job, retried by the admin, runs again with all its attempts.
sql "UPDATE crmflow_job SET state = 'dead', attempts = 8 WHERE id = $other_job"
"$crmflow" "${crm[@]}" jobs --state dead >"$work/jobs" 2>&1 || fail "crmflow jobs --state dead"
grep -q "^$other_job .*dead" "$work/jobs" || { cat "$work/jobs"; fail "dead job not listed"; }
"$crmflow" "${crm[@]}" retry "$other_job" >"$work/out" 2>&1 || fail "crmflow retry"
wait_for "SELECT state FROM crmflow_job WHERE id = $other_job" done
[ "$(sql "SELECT COUNT(*) FROM tasks WHERE name = 'Follow-up' AND parent_id = '$other'")" = 1 ] \
  || fail "the retried job wrote no task"
if "$crmflow" "${crm[@]}" cancel "$other_job" >"$work/out" 2>&1; then fail "cancelled a done job"; fi
grep -q "job $other_job is done; only pending jobs can be cancelled" "$work/out" \
  || fail "cancel of a done job does not say why"
echo "PASS: delayed jobs survive a restart, run once when due, and can be listed, cancelled, retried"
