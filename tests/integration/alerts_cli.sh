#!/usr/bin/env bash
# `crmflow alerts` through the real host process: a save raises a warning (show_warning) that
# lands in 1CRM's notifications table; the command lists it beside crmflow_alert rows and the
# CRM's own notifications, filtered by --user and --record.
# Usage: alerts_cli.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" alerts "$1" "$2"
mkdir "$work/workflows"
cat > "$work/workflows/warn.json" <<'JSON'
{"id": "warn", "module": "Leads", "trigger": "saved",
 "actions": [{"plugin": "show_warning",
              "params": {"subject": "Lead {{record.last_name}} is {{record.status}}",
                         "text": "Call {{record.first_name}}"}}]}
JSON
cat > "$work/crmflow.json" <<JSON
{"plugin_dirs": ["$plugin_dir"],
 "plugins": {"show_warning": {}},
 "module_map": "$repo/config/crm/1crm.json", "workflows": "$work/workflows",
 "engine": {"idle_poll_ms": 50}}
JSON
crm=(--config "$work/crmflow.json")
lead=led00001-0000-4000-8000-000000000000
user2=usr00002-0000-4000-8000-000000000000
"$crmflow" "${crm[@]}" capture install >"$work/out" 2>&1 || fail "capture install"
start_host "${crm[@]}"
sql "UPDATE leads SET status = 'Qualified', modified_user_id = '$user2' WHERE id = '$lead'"
for _ in $(seq 100); do
  [ "$(sql "SELECT COUNT(*) FROM notifications WHERE related_id = '$lead'")" = 1 ] && break
  sleep 0.1
done
[ "$(sql "SELECT COUNT(*) FROM notifications WHERE related_id = '$lead'")" = 1 ] ||
  fail "no notification for the lead"
# A warning written where no notification table was mapped.
sql "INSERT INTO crmflow_alert (module, record_id, user_id, subject, text, created_at) VALUES
     ('Leads', '$lead', '$user2', 'Older warning', 'from crmflow_alert', '2025-01-01 00:00:00')"

"$crmflow" "${crm[@]}" alerts --record "$lead" >"$work/alerts" 2>>"$work/out" || fail "alerts"
cat "$work/alerts" >>"$work/out"
grep -q "^Notifications .*$user2 *Leads *$lead *no *Lead Wagner is Qualified / Call Florian$" \
  "$work/alerts" || fail "the host's notification is not listed"
grep -q "^crmflow_alert .*Older warning / from crmflow_alert$" "$work/alerts" ||
  fail "the crmflow_alert row is not listed"
[ "$(grep -c "ntf0000\|Katrin\|P1 case" "$work/alerts")" = 0 ] || fail "--record let others in"
[ "$(sed -n 2p "$work/alerts" | cut -c1-13)" = Notifications ] || fail "not newest first"

"$crmflow" "${crm[@]}" alerts --user usr00003-0000-4000-8000-000000000000 >"$work/alerts" ||
  fail "alerts --user"
cat "$work/alerts" >>"$work/out"
[ "$(wc -l <"$work/alerts")" = 2 ] || fail "--user: expected the header and one row"
grep -q "New P1 case" "$work/alerts" || fail "--user: the CRM's notification for that user"
echo "PASS: crmflow alerts lists the host's notifications and crmflow_alert rows, filtered"
