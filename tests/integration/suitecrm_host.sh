#!/usr/bin/env bash
# The shipped SuiteCRM host config (config/crmflow-suitecrm.json) on our SuiteCRM-shaped
# schema: `crmflow check` passes, capture installs, and the real host turns SuiteCRM's
# statement sequence for one save (custom row, main row, relationship row, each
# autocommitted) into one event that runs the example workflow once.
# Usage: suitecrm_host.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
crmflow=$1
plugin_dir=$(realpath "$2")
repo=$(cd "$(dirname "$0")/../.." && pwd)
: "${CRMFLOW_DB_PORT:?run with the private MariaDB: eval \"\$(scripts/mariadb.sh env)\"}"

db="crmflow_suite_$$"
client() {
  mariadb --no-defaults -h 127.0.0.1 -P "$CRMFLOW_DB_PORT" -u "$CRMFLOW_DB_USER" \
    -p"$CRMFLOW_DB_PASSWORD" "$@"
}
work=$(mktemp -d)
host_pid=
cleanup() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" || true; fi
  [ -n "${CRMFLOW_TEST_KEEP_DB:-}" ] || client -e "DROP DATABASE IF EXISTS $db"
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/out" >&2; exit 1; }

client -e "CREATE DATABASE $db CHARACTER SET utf8mb4"
client "$db" < "$repo/tests/fixtures/suitecrm-schema.sql"
client "$db" -e "UPDATE leads SET account_id = 'acc00001-0000-4000-8000-000000000000'"
export CRMFLOW_DB_NAME=$db CRMFLOW_DB_SOCKET=
crm=(--config "$repo/config/crmflow-suitecrm.json" --plugin-dir "$plugin_dir")

"$crmflow" "${crm[@]}" check >"$work/out" 2>&1 || fail "check rejected the shipped config"
"$crmflow" "${crm[@]}" capture install >"$work/out" 2>&1 || fail "capture install failed"
"$crmflow" "${crm[@]}" run >"$work/out" 2>&1 &
host_pid=$!

lead=led00001-0000-4000-8000-000000000000
client "$db" -e "UPDATE leads_cstm SET membership_level_c = 'Gold' WHERE id_c = '$lead'"
client "$db" -e "UPDATE leads SET modified_user_id = '1', status = 'Assigned' WHERE id = '$lead'"
client "$db" -e "INSERT INTO accounts_leads (id, account_id, lead_id, date_modified, deleted)
  VALUES (UUID(), 'acc00001-0000-4000-8000-000000000000', '$lead', UTC_TIMESTAMP(), 0)"

for _ in $(seq 100); do
  left=$(client -N "$db" -e "SELECT COUNT(*) FROM crmflow_event")
  runs=$(client -N "$db" -e "SELECT COUNT(*) FROM crmflow_run")
  [ "$left" = 0 ] && [ "$runs" -gt 0 ] && break
  sleep 0.1
done
[ "$left" = 0 ] || fail "the host did not handle the events"
events=$(client -N "$db" -e "SELECT COUNT(DISTINCT event_id) FROM crmflow_run WHERE record_id = '$lead'")
[ "$events" = 1 ] || fail "$events events for one SuiteCRM save, expected 1"
tasks=$(client -N "$db" -e "SELECT COUNT(*) FROM tasks WHERE name = 'Welcome the new gold member'
  AND parent_type = 'Leads' AND parent_id = '$lead' AND assigned_user_id = 'seed_sally_id'")
[ "$tasks" = 1 ] || fail "$tasks welcome tasks, expected 1"
echo "PASS: the SuiteCRM host config checks, captures, and runs one save as one event"
