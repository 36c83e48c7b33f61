#!/usr/bin/env bash
# Delayed actions through the real host process: a save schedules a follow-up in two weeks;
# `crmflow jobs --record` and `crmflow status` show it; the host is stopped, started again on
# a clock moved 15 days on, and the follow-up task appears once; `crmflow cancel` and
# `crmflow retry` act on pending and dead jobs.
# Usage: jobs_cli.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
crmflow=$1
plugin_dir=$(realpath "$2")
repo=$(cd "$(dirname "$0")/../.." && pwd)
: "${CRMFLOW_DB_PORT:?run with the private MariaDB: eval \"\$(scripts/mariadb.sh env)\"}"

db="crmflow_jobs_$$"
client() {
  mariadb --no-defaults -h 127.0.0.1 -P "$CRMFLOW_DB_PORT" -u "$CRMFLOW_DB_USER" \
    -p"$CRMFLOW_DB_PASSWORD" "$@"
}
work=$(mktemp -d)
host_pid=
stop_host() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" || true; fi
  host_pid=
}
cleanup() {
  stop_host
  client -e "DROP DATABASE IF EXISTS $db"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }
sql() { client -N "$db" -e "$1"; }

client -e "CREATE DATABASE $db CHARACTER SET utf8mb4"
client "$db" < "$repo/config/demo/1crm-demo.sql"
export CRMFLOW_DB_NAME=$db CRMFLOW_DB_SOCKET=
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
start_host() {
  "$crmflow" "${crm[@]}" run >>"$work/out" 2>&1 &
  host_pid=$!
}
wait_for() {  # wait_for <sql> <expected>
  for _ in $(seq 100); do
    [ "$(sql "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "waited in vain for '$1' to be $2 (is $(sql "$1"))"
}

config 0
"$crmflow" "${crm[@]}" capture install >"$work/out" 2>&1 || fail "capture install"
start_host
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
start_host
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
