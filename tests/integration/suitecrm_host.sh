#!/usr/bin/env bash
# The shipped SuiteCRM host config (config/crmflow-suitecrm.json) on our SuiteCRM-shaped
# schema: `crmflow check` passes, capture installs, and the real host turns SuiteCRM's
# statement sequence for one save (custom row, main row, relationship row, each
# autocommitted) into one event that runs the example workflow once.
# Usage: suitecrm_host.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" suite "$1" "$2" "$(dirname "$0")/../fixtures/suitecrm-schema.sql"
client "$db" -e "UPDATE leads SET account_id = 'acc00001-0000-4000-8000-000000000000'"
crm=(--config "$repo/config/crmflow-suitecrm.json" --plugin-dir "$plugin_dir")

"$crmflow" "${crm[@]}" check >"$work/out" 2>&1 || fail "check rejected the shipped config"
"$crmflow" "${crm[@]}" capture install >"$work/out" 2>&1 || fail "capture install failed"
start_host "${crm[@]}"

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
