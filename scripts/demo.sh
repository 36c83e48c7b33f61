#!/usr/bin/env bash
# The main job on a demo CRM database, from a fresh Debian 12 machine:
#   installs the Debian packages, builds crmflow, starts the private MariaDB
#   (.run/mariadb, 127.0.0.1:33061), loads the demo 1CRM database into `crm`, lists the
#   plugins, installs capture and starts the host with config/crmflow.json. Then it plays
#   the CRM: a service contract is set to Active with plain SQL, and the "Reporting" task
#   the workflow created is shown with the audit. The host serves until Ctrl-C;
#   with --once the demo stops the host (SIGTERM, which drains) and exits.
# The MariaDB is stopped when the demo ends (scripts/mariadb.sh start brings it back).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
once=false
[ "${1:-}" = "--once" ] && once=true

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

host_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
  scripts/mariadb.sh stop
}
trap cleanup EXIT
scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"
echo "demo: loading the demo CRM database into '$CRMFLOW_DB_NAME'"
scripts/mariadb.sh sql "$CRMFLOW_DB_NAME" < config/demo/1crm-demo.sql
# A fresh demo: crmflow's own tables from an earlier run go too.
scripts/mariadb.sh sql "$CRMFLOW_DB_NAME" \
  -e "DROP TABLE IF EXISTS crmflow_event, crmflow_event_quarantine, crmflow_run, crmflow_job,
      crmflow_alert, crmflow_tick, crmflow_firing"

crmflow=(build/host/crmflow --config config/crmflow.json)
echo "demo: the enabled plugins"
"${crmflow[@]}" plugins
"${crmflow[@]}" check
"${crmflow[@]}" capture install
echo "demo: starting the host"
"${crmflow[@]}" run &
host_pid=$!
sleep 2

sql() { scripts/mariadb.sh sql "$CRMFLOW_DB_NAME" "$@"; }
echo "demo: the CRM sets the inactive service contract to Active (plain SQL, as the CRM would)"
sql -e "UPDATE service_subcontracts SET status = 'Active', modified_user_id = '1',
        date_modified = UTC_TIMESTAMP() WHERE status = 'Inactive'"
for _ in $(seq 1 50); do
  [ "$(sql -N -e "SELECT COUNT(*) FROM crmflow_event")" = 0 ] && break
  sleep 0.1
done
echo "demo: the task crmflow created, linked to the contract and assigned to the user"
sql -t -e "SELECT name, parent_type, parent_id, assigned_user_id, date_entered FROM tasks
           WHERE name = 'Reporting'"
echo "demo: the open leads nobody has touched for two weeks got a follow-up task (inactivity trigger)"
sql -t -e "SELECT l.first_name, l.last_name, l.status, t.name AS task, t.assigned_user_id
           FROM tasks t JOIN leads l ON l.id = t.parent_id AND t.parent_type = 'Leads'
           WHERE t.name = 'Follow-up'"
"${crmflow[@]}" triggers
echo "demo: the audit"
sql -t -e "SELECT event_id, workflow_id, outcome, reason, actions_run, duration_us FROM crmflow_run"

if $once; then
  kill -TERM "$host_pid"
  wait "$host_pid"
  host_pid=""
  exit 0
fi
echo "demo: the host keeps running; change records in the 'crm' database and watch. Ctrl-C stops."
wait "$host_pid"
