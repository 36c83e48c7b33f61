#!/usr/bin/env bash
# The main job on a demo CRM database, from a fresh Debian 12 machine:
#   scripts/demo.sh
# installs the Debian packages, builds crmflow, starts the private MariaDB (.run/mariadb,
# 127.0.0.1:33061) with the demo 1CRM database, signs and installs the membership pack
# (scripts/demo-pack.sh), starts an SMTP sink (127.0.0.1:2525), a stand-in ticket system
# (127.0.0.1:8080) and the host with config/crmflow.json. Then it plays the CRM: each seed
# scenario's change is made with plain SQL, as the CRM would, and a report per scenario says
# what changed, which workflow ran and why, what was created or sent (with record ids) and
# what is scheduled for later. Delays of days, weeks and a year are shown by restarting the
# host with its clock moved (--clock-offset), so the demo ends in about a minute.
# Everything it started is stopped when it ends, on Ctrl-C too; .run/demo keeps the host's log
# and the emails.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

run=.run/demo
rm -rf "$run" && mkdir -p "$run/mail"
host_pid="" sink_pid="" peer_pid=""
stop() {  # stop <pid>: SIGTERM (the host drains its batch), reaped
  if [ -n "$1" ] && kill "$1" 2>/dev/null; then wait "$1" 2>/dev/null || true; fi
}
cleanup() {
  trap - INT TERM
  stop "$host_pid"
  stop "$sink_pid"
  stop "$peer_pid"
  scripts/mariadb.sh stop >/dev/null
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted; stopping what it started"; exit 130' INT TERM

scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"
sql() { scripts/mariadb.sh sql "$CRMFLOW_DB_NAME" "$@"; }
value() { sql -N -r -e "$1"; }  # raw: tabs and newlines as they are
echo "demo: loading the demo CRM database into '$CRMFLOW_DB_NAME'"
sql < config/demo/1crm-demo.sql
sql -e "DROP TABLE IF EXISTS crmflow_event, crmflow_event_quarantine, crmflow_run, crmflow_job,
        crmflow_alert, crmflow_tick, crmflow_firing"
echo "demo: the membership pack, signed by the demo partner and installed"
scripts/demo-pack.sh build/host/crmflow build/packs/membership | sed 's/^/  /'

/usr/bin/python3 tests/scripts/smtp_sink.py --port 2525 --dir "$run/mail" >"$run/smtp.log" 2>&1 &
sink_pid=$!
/usr/bin/python3 tests/scripts/http_peer.py --port 8080 --port-file "$run/tickets.port" \
  --log "$run/tickets.jsonl" --plan '[{"status": 201, "body": {"ticket": {"id": "TCK-4711"}}}]' \
  >"$run/tickets.log" 2>&1 &
peer_pid=$!
for _ in $(seq 100); do
  [ -f "$run/mail/ready" ] && [ -f "$run/tickets.port" ] && break
  sleep 0.1
done
[ -f "$run/mail/ready" ] && [ -f "$run/tickets.port" ] || { echo "demo: the SMTP sink or the ticket system did not start" >&2; exit 1; }

crmflow=(build/host/crmflow --config config/crmflow.json)
"${crmflow[@]}" plugins
"${crmflow[@]}" check
"${crmflow[@]}" capture install
timers=$("${crmflow[@]}" triggers | tail -n +2 | wc -l)

offset=0
host_now() { value "SELECT DATE_FORMAT(UTC_TIMESTAMP() + INTERVAL $offset SECOND, '%Y-%m-%d %H:%i:%s')"; }
start_host() {  # start_host <clock offset in seconds>: returns once every time trigger ticked
  offset=$1
  local before
  before=$(value "SELECT COALESCE(MIN(ticks), 0) FROM crmflow_tick" 2>/dev/null || echo 0)
  TICKETS_TOKEN=demo-token "${crmflow[@]}" --clock-offset "$offset" run >>"$run/host.log" 2>&1 &
  host_pid=$!
  for _ in $(seq 150); do
    [ "$(value "SELECT COUNT(*) = $timers AND MIN(ticks) > $before FROM crmflow_tick" 2>/dev/null)" = 1 ] && return 0
    kill -0 "$host_pid" 2>/dev/null || { tail -20 "$run/host.log"; exit 1; }
    sleep 0.1
  done
  echo "demo: the host did not tick; see $run/host.log" >&2
  exit 1
}
settle() {  # until every event is handled and no job is due on the host's clock (max 20 s)
  for _ in $(seq 200); do
    [ "$(value "SELECT (SELECT COUNT(*) FROM crmflow_event) + (SELECT COUNT(*) FROM crmflow_job
        WHERE state IN ('pending', 'running') AND due_at <= UTC_TIMESTAMP() + INTERVAL $offset SECOND)")" = 0 ] && return 0
    sleep 0.1
  done
  echo "demo: crmflow did not catch up; see $run/host.log" >&2
  exit 1
}
move_clock() {  # move_clock <seconds> <why>: what happens from here on is reported after it
  mark
  created_since=$(host_now)
  stop "$host_pid"
  host_pid=""
  printf '\n>>> The clock moves on: %s. The host restarts with its clock moved\n' "$2"
  printf '    (--clock-offset %s) and catches up on what fell due, as after real waiting.\n' "$1"
  start_host "$1"
  settle
}

# ---- the report ----
run_mark=0
mail_mark=0
ticket_mark=0
mark() {
  run_mark=$(value "SELECT COALESCE(MAX(id), 0) FROM crmflow_run")
  mail_mark=$(find "$run/mail" -name '*.json' | wc -l)
  ticket_mark=$( (cat "$run/tickets.jsonl" 2>/dev/null || true) | wc -l)
}
scenario() { printf '\n━━━ Scenario %s ━━━\n' "$*"; }
change() {  # change <what the user did> <sql>
  printf '  The CRM: %s\n' "$1"
  printf '    %s\n' "$(echo "$2" | tr -s ' \n' ' ')"
  sql -e "$2"
}
workflows() {  # workflows <record id>: each run since the mark, and the conditions that decided it
  local rows
  rows=$(value "SELECT CONCAT(workflow_id, '\t', outcome, '\t', COALESCE(reason, ''), '\t',
                  IF(job_id IS NULL, CONCAT('event ', event_id), CONCAT('job ', job_id)), '\t', COALESCE(conditions, ''))
                FROM crmflow_run WHERE record_id = '$1' AND id > $run_mark ORDER BY id")
  [ -n "$rows" ] || { echo "  Workflows: none ran"; return 0; }
  echo "  Workflows:"
  while IFS=$'\t' read -r workflow outcome reason how conditions; do
    printf '    %s: %s, %s (%s)\n' "$workflow" "$outcome" "$reason" "$how"
    [ -n "$conditions" ] && printf '      conditions: %s\n' "$conditions"
  done <<<"$rows"
  return 0
}
created() {  # created <record id>: what crmflow wrote about the record since the mark
  local record=$1 rows
  rows=$(value "
    SELECT CONCAT('Task     ', id, '  \"', name, '\"  due ', COALESCE(DATE_FORMAT(date_due, '%Y-%m-%d'), '-'),
                  '  for ', COALESCE(assigned_user_id, '-')) FROM tasks
     WHERE parent_id = '$record' AND date_entered >= '$created_since'
    UNION ALL
    SELECT CONCAT('Meeting  ', m.id, '  \"', m.name, '\"  ', DATE_FORMAT(m.date_start, '%Y-%m-%d %H:%i'),
                  '  invitees: ', COALESCE((SELECT GROUP_CONCAT(CONCAT(u.first_name, ' ', u.last_name))
                    FROM meetings_users mu JOIN users u ON u.id = mu.user_id WHERE mu.meeting_id = m.id), ''),
                  ', ', COALESCE((SELECT GROUP_CONCAT(CONCAT(c.first_name, ' ', c.last_name))
                    FROM meetings_contacts mc JOIN contacts c ON c.id = mc.contact_id WHERE mc.meeting_id = m.id), ''))
      FROM meetings m WHERE m.parent_id = '$record' AND m.date_entered >= '$created_since'
    UNION ALL
    SELECT CONCAT('Warning  ', id, '  for ', assigned_user_id, ': \"', subject, '\"') FROM notifications
     WHERE related_id = '$record' AND date_entered >= '$created_since'
    UNION ALL
    SELECT CONCAT('Email    ', id, '  filed: \"', name, '\"') FROM emails
     WHERE parent_id = '$record' AND date_entered >= '$created_since'")
  [ -n "$rows" ] && { echo "  Created:"; sed 's/^/    /' <<<"$rows"; }
  return 0
}
sent() {  # the emails and API calls since the mark
  python3 - "$run/mail" "$mail_mark" "$run/tickets.jsonl" "$ticket_mark" <<'PY'
import json, os, sys
mail, mail_mark, tickets, ticket_mark = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
n = mail_mark + 1
while os.path.exists(f"{mail}/{n}.json"):
    m = json.load(open(f"{mail}/{n}.json"))
    print(f"  Email sent to {', '.join(m['rcpt_tos'])}: \"{m['subject']}\"")
    for line in (m.get("text") or "").replace("\r\n", "\n").rstrip("\n").split("\n"):
        print(f"    | {line}")
    n += 1
if os.path.exists(tickets):
    for line in open(tickets).read().splitlines()[ticket_mark:]:
        r = json.loads(line)
        headers = {k.lower(): v for k, v in r["headers"]}
        print(f"  API call: {r['method']} {r['path']}  Idempotency-Key {headers.get('idempotency-key')}")
        print(f"    | {r['body']}")
PY
}
scheduled() {  # scheduled <record id>: pending jobs with their due time
  local rows
  rows=$(value "SELECT CONCAT('job ', id, ': ', workflow_id, ' → ', plugin, ' due ',
                  DATE_FORMAT(due_at, '%Y-%m-%d %H:%i'), ' UTC', IF(recheck, ', conditions re-checked then', ''))
                FROM crmflow_job WHERE record_id = '$1' AND state = 'pending' ORDER BY due_at")
  [ -n "$rows" ] && { echo "  Scheduled for later:"; sed 's/^/    /' <<<"$rows"; }
  return 0
}
report() {  # report <record id>
  workflows "$1"
  created "$1"
  sent
  scheduled "$1"
}

maria=usr00002-0000-4000-8000-000000000000
thomas=usr00003-0000-4000-8000-000000000000
membership=ssc00009-0000-4000-8000-000000000000
quote_open=quo00091-0000-4000-8000-000000000000
quote_won=quo00092-0000-4000-8000-000000000000
invoice_fr=inv00091-0000-4000-8000-000000000000
invoice_de=inv00092-0000-4000-8000-000000000000
new_case=cas00091-0000-4000-8000-000000000000

play() {  # play <record id> <what the user did> <sql>: the change, then the report
  mark
  created_since=$(host_now)
  change "$2" "$3"
  settle
  report "$1"
}

echo
echo "demo: starting the host (log: $run/host.log)"
start_host 0
settle
echo "demo: it is $(host_now) UTC on the host's clock"

scenario "1 · Follow-up on silent leads (inactivity trigger: 14 days without a call, meeting, task, note or email)"
echo "  The CRM: nothing happened. On its first tick the trigger found the open leads that are quiet:"
value "SELECT CONCAT('    ', l.first_name, ' ', l.last_name, ' (', l.account_name, '): task ', t.id, ' \"',
         t.name, '\" for ', COALESCE(t.assigned_user_id, 'nobody'))
       FROM tasks t JOIN leads l ON l.id = t.parent_id AND t.parent_type = 'Leads'
       WHERE t.name = 'Follow-up' ORDER BY l.last_name"
value "SELECT CONCAT('  Workflow lead-follow-up: ', COUNT(*), ' run(s), e.g. \"', MIN(reason), '\"')
       FROM crmflow_run WHERE workflow_id = 'lead-follow-up'"

scenario "2 · Service contract reporting"
play ssc00002-0000-4000-8000-000000000000 "Thomas sets Brennerhof's service contract to Active" \
  "UPDATE service_subcontracts SET status = 'Active', modified_user_id = '$thomas',
     date_modified = UTC_TIMESTAMP() WHERE id = 'ssc00002-0000-4000-8000-000000000000'"

scenario "3 · Member onboarding (the membership pack, signed by its partner)"
sql -e "INSERT INTO service_subcontracts (id, name, date_entered, date_modified, modified_user_id,
     created_by, assigned_user_id, deleted, account_id, customer_contact_id, contract_type_id,
     date_start, status) VALUES ('$membership', 'Sabine Schäfer - Membership', UTC_TIMESTAMP(),
     UTC_TIMESTAMP(), '$maria', '$maria', '$maria', 0, 'acc00003-0000-4000-8000-000000000000',
     'con00004-0000-4000-8000-000000000000', 'sct00009-0000-4000-8000-000000000000', UTC_DATE(),
     'Inactive')"
settle
play "$membership" "Maria activates Sabine Schäfer's new membership" \
  "UPDATE service_subcontracts SET status = 'Active', modified_user_id = '$maria',
     date_modified = UTC_TIMESTAMP() WHERE id = '$membership'"
value "SELECT CONCAT('  Scheduled for later: member-first-year (date_reached: date_start + 1 year, 09:00 ',
         'Europe/Vienna) is due on ', DATE_FORMAT(date_start + INTERVAL 1 YEAR, '%Y-%m-%d'), ' 09:00')
       FROM service_subcontracts WHERE id = '$membership'"

scenario "4 · Quote follow-up (and 8 · a second look after two weeks)"
for quote in "$quote_open 2026091 Network upgrade" "$quote_won 2026092 Support hours 2027"; do
  read -r id number name <<<"$quote"
  play "$id" "Maria enters quote $number \"$name\" for Alpenblick" \
    "INSERT INTO quotes (id, name, date_entered, date_modified, modified_user_id, created_by,
       assigned_user_id, quote_number, stage, amount, valid_until, billing_account_id,
       billing_contact_id) VALUES ('$id', '$name', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '$maria',
       '$maria', '$maria', $number, 'Draft', 4800, UTC_DATE() + INTERVAL 30 DAY,
       'acc00001-0000-4000-8000-000000000000', 'con00001-0000-4000-8000-000000000000')"
done

scenario "5 · EU VAT number check on invoices"
for invoice in "$invoice_fr|2026091|acc00004-0000-4000-8000-000000000000|France||Atelier Lumière (Lyon, France) without a VAT id" \
               "$invoice_de|2026092|acc00003-0000-4000-8000-000000000000|Germany|DE123456789|Rheinwerk (Köln, Germany), VAT id DE123456789"; do
  IFS='|' read -r id number account country vat_id who <<<"$invoice"
  play "$id" "Maria invoices $who" \
    "INSERT INTO invoice (id, name, date_entered, date_modified, modified_user_id, created_by,
       assigned_user_id, invoice_number, invoice_date, due_date, amount, amount_due,
       billing_account_id, billing_address_country, vat_id) VALUES ('$id', 'Support hours',
       UTC_TIMESTAMP(), UTC_TIMESTAMP(), '$maria', '$maria', '$maria', $number, UTC_DATE(),
       UTC_DATE() + INTERVAL 30 DAY, 900, 900, '$account', '$country', NULLIF('$vat_id', ''))"
done
echo "  crmflow alerts:"
"${crmflow[@]}" alerts | sed 's/^/    /'

scenario "6 · Billing address change"
play acc00001-0000-4000-8000-000000000000 "Thomas enters Alpenblick's new billing address" \
  "UPDATE accounts SET billing_address_street = 'Praterstraße 1', billing_address_postalcode = '1020',
     modified_user_id = '$thomas', date_modified = UTC_TIMESTAMP()
   WHERE id = 'acc00001-0000-4000-8000-000000000000'"
echo "  Updated: the primary contact only; the account's other contacts keep their address:"
value "SELECT CONCAT('    ', c.id, '  ', c.first_name, ' ', c.last_name,
         IF(c.primary_account_id = a.id, ' (primary contact)', ''), ': ',
         COALESCE(c.primary_address_street, '-'), ', ', COALESCE(c.primary_address_postalcode, '-'),
         ' ', COALESCE(c.primary_address_city, '-'))
       FROM accounts a JOIN accounts_contacts ac ON ac.account_id = a.id AND ac.deleted = 0
       JOIN contacts c ON c.id = ac.contact_id
       WHERE a.id = 'acc00001-0000-4000-8000-000000000000' ORDER BY c.last_name"

scenario "7 · Delayed email"
play cas00001-0000-4000-8000-000000000000 "Thomas closes Julia Berger's case \"Login fails after password reset\"" \
  "UPDATE cases SET status = 'Closed - Resolved', resolution = 'Password store reset',
     modified_user_id = '$thomas', date_modified = UTC_TIMESTAMP()
   WHERE id = 'cas00001-0000-4000-8000-000000000000'"

scenario "9 · Case email with placeholders (and the case pushed to the ticket system)"
play "$new_case" "Julia Berger's new case is entered" \
  "INSERT INTO cases (id, name, date_entered, date_modified, modified_user_id, created_by,
     assigned_user_id, type, status, priority, account_id, contact_id) VALUES
     ('$new_case', 'Export to DATEV fails', UTC_TIMESTAMP(), UTC_TIMESTAMP(), '$maria', '$maria',
      '$thomas', 'User', 'Active - New', 'P2', 'acc00001-0000-4000-8000-000000000000',
      'con00002-0000-4000-8000-000000000000')"
value "SELECT CONCAT('  Written back from the ticket system''s answer: cases.external_ticket_id = ',
         COALESCE(external_ticket_id, 'NULL')) FROM cases WHERE id = '$new_case'"

scenario "8 · Meanwhile, Alpenblick accepts quote 2026092"
play "$quote_won" "Maria sets quote 2026092 to Closed Accepted" \
  "UPDATE quotes SET stage = 'Closed Accepted', modified_user_id = '$maria',
     date_modified = UTC_TIMESTAMP() WHERE id = '$quote_won'"

move_clock $((86400 + 3600)) "one day and an hour later"
scenario "7 · Delayed email, a day after the case was closed"
report cas00001-0000-4000-8000-000000000000

move_clock $((15 * 86400)) "fifteen days after the quotes were entered"
scenario "8 · Conditional delayed follow-up: the open quote gets a task, the accepted one none"
report "$quote_open"
report "$quote_won"

move_clock $((366 * 86400)) "a year after Sabine Schäfer's membership started"
scenario "3 · One year of membership: the thank-you email with the feedback link"
report "$membership"

echo
echo "demo: every scenario played; the audit of all runs: build/host/crmflow runs (while MariaDB"
echo "runs: scripts/mariadb.sh start). The host's log and the emails stay in $run."
