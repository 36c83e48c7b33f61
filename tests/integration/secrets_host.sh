#!/usr/bin/env bash
# Secrets stay secret: the host runs at debug level (the commands at trace) with a database
# password, an SMTP password and an HTTP bearer token, each a distinctive random string, and
# every way they could fail is provoked (the SMTP server refuses the password, the HTTP peer
# answers 500 then 401 quoting the token, a command connects with a wrong database password,
# the password file is made readable by others). Then no output of crmflow (run, check,
# plugins, status, jobs, runs, alerts, retry), no log line and no row of any table of the
# database (every crmflow_* table and the CRM's) holds any of the three. That the secrets were
# really used is checked too: the peer received the token, the SMTP server an AUTH attempt,
# the host its database connection.
# Usage: secrets_host.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" secrets "$1" "$2"

suffix=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
db_secret="S3cr3t-db-$suffix"
smtp_secret="S3cr3t-smtp-$suffix"
http_secret="S3cr3t-http-$suffix"
secret_user="crmflow_secret_$$"
sink_pid= peer_pid=
admin_user=$CRMFLOW_DB_USER admin_password=$CRMFLOW_DB_PASSWORD
cleanup_secrets() {
  stop_host
  export CRMFLOW_DB_USER=$admin_user CRMFLOW_DB_PASSWORD=$admin_password
  [ -z "$sink_pid" ] || { kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" || true; }
  [ -z "$peer_pid" ] || { kill "$peer_pid" 2>/dev/null || true; wait "$peer_pid" || true; }
  client -e "DROP USER IF EXISTS '$secret_user'@'127.0.0.1'" || true
  cleanup
}
trap cleanup_secrets EXIT

# A database user whose password is the secret, allowed only this test's database.
client -e "CREATE USER '$secret_user'@'127.0.0.1' IDENTIFIED BY '$db_secret';
           GRANT ALL PRIVILEGES ON \`$db\`.* TO '$secret_user'@'127.0.0.1'"

# The SMTP server wants another password than the host has; the HTTP peer answers 500, then 401
# quoting the token it got back, as some APIs do: that body must not carry it into the audit.
smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/sink" "$work/peer"
/usr/bin/python3 "$repo/tests/scripts/smtp_sink.py" --port "$smtp_port" --dir "$work/sink" \
  --auth "crm:the-right-password" --auth-without-tls >"$work/sink.out" 2>&1 &
sink_pid=$!
python3 "$repo/tests/scripts/http_peer.py" --log "$work/peer/requests.jsonl" \
  --port-file "$work/peer/port" >"$work/peer.out" 2>&1 \
  --plan "[{\"status\": 500, \"body\": {\"error\": \"try later\"}},
           {\"status\": 401, \"body\": {\"error\": \"invalid token: Bearer $http_secret\"}}]" &
peer_pid=$!
for _ in $(seq 100); do
  [ -f "$work/sink/ready" ] && [ -s "$work/peer/port" ] && break
  sleep 0.1
done
[ -f "$work/sink/ready" ] || fail "the SMTP sink did not start"
[ -s "$work/peer/port" ] || fail "the HTTP peer did not start"
http_port=$(cat "$work/peer/port")

mkdir "$work/workflows"
cat > "$work/workflows/notify.json" <<JSON
{"id": "notify", "module": "Leads", "trigger": "saved", "fire": "on_change",
 "conditions": {"field": "status", "op": "equals", "value": "Qualified"},
 "actions": [
   {"plugin": "send_email",
    "params": {"to": ["sales@demo.example"], "subject": "Lead {{record.last_name}}",
               "text": "Qualified."}},
   {"plugin": "call_remote_api",
    "params": {"url": "http://127.0.0.1:$http_port/leads/{{record.id}}", "body": {"x": 1},
               "secret_headers": {"Authorization": {"env": "CRMFLOW_TEST_HTTP_TOKEN",
                                                    "prefix": "Bearer "}}}}]}
JSON
cat > "$work/crmflow.json" <<JSON
{"plugin_dirs": ["$plugin_dir"],
 "plugins": {"compare": {}, "changes": {}, "create_record": {}, "update_record": {},
             "call_remote_api": {"settings": {"allowed_hosts": ["127.0.0.1"]}},
             "send_email": {"settings": {"smtp_url": "smtp://127.0.0.1:$smtp_port",
                                         "from": "crm@demo.example", "starttls": "off",
                                         "username": "crm",
                                         "password_env": "CRMFLOW_TEST_SMTP_PASSWORD",
                                         "timeout_seconds": 5, "connect_timeout_seconds": 2}}},
 "module_map": "$repo/config/crm/1crm.json", "workflows": "$work/workflows",
 "log": {"level": "debug"},
 "engine": {"idle_poll_ms": 50},
 "jobs": {"max_attempts": 2, "backoff_cap_seconds": 1}}
JSON
crm=(--config "$work/crmflow.json")
"$crmflow" "${crm[@]}" capture install >"$work/install.out" 2>&1 || { cat "$work/install.out"; fail "capture install"; }

# From here on the host, every command and sql run as the secret user with the secrets set.
export CRMFLOW_DB_USER=$secret_user CRMFLOW_DB_PASSWORD=$db_secret
export CRMFLOW_TEST_SMTP_PASSWORD=$smtp_secret CRMFLOW_TEST_HTTP_TOKEN=$http_secret
start_host "${crm[@]}"
lead=led00001-0000-4000-8000-000000000000
sql "UPDATE leads SET status = 'Qualified' WHERE id = '$lead'"
# Both jobs fail for good: the SMTP password is refused (permanent), the API answers 500, 401.
for _ in $(seq 300); do
  [ "$(sql "SELECT COUNT(*) FROM crmflow_job WHERE state = 'dead'")" = 2 ] && break
  sleep 0.1
done
[ "$(sql "SELECT COUNT(*) FROM crmflow_job WHERE state = 'dead'")" = 2 ] \
  || fail "the two jobs did not fail for good: $(sql "SELECT plugin, state, attempts, last_error FROM crmflow_job")"

# The secrets were used: otherwise finding none of them would prove nothing.
grep -q "\"Bearer $http_secret\"" "$work/peer/requests.jsonl" || fail "the peer never got the token"
[ "$(grep -c '"accepted": false' "$work/sink/auth.jsonl")" -ge 1 ] || fail "no AUTH attempt"
[ "$(grep -c . "$work/peer/requests.jsonl")" = 2 ] || fail "expected two requests (500, 401)"

mkdir "$work/outputs"
run() {  # run <name> <crmflow arguments...>: output and exit status kept, failing is fine
  local status=0
  "$crmflow" "${crm[@]}" --log-level trace "$@" >"$work/outputs/$1.out" 2>&1 || status=$?
  echo "crmflow $* exited $status" >>"$work/outputs/statuses"
}
run check
run plugins
run status
run jobs
run jobs --state dead
run runs
run alerts
job=$(sql "SELECT id FROM crmflow_job WHERE plugin = 'call_remote_api'")
run retry "$job"
# The 401 is permanent: the retried job is dead again after one attempt.
wait_for "SELECT CONCAT(state, attempts) FROM crmflow_job WHERE id = $job" dead1
stop_host
# A command connecting with a wrong password (the secret with a suffix) must not echo it.
CRMFLOW_DB_PASSWORD="$db_secret-wrong" "$crmflow" "${crm[@]}" status \
  >"$work/outputs/wrong-password.out" 2>&1 && fail "status connected with a wrong password"
grep -q "Access denied" "$work/outputs/wrong-password.out" \
  || { cat "$work/outputs/wrong-password.out"; fail "the wrong password was not the refusal"; }
CRMFLOW_DB_PASSWORD="$db_secret-wrong" "$crmflow" "${crm[@]}" run --once \
  >"$work/outputs/wrong-password-run.out" 2>&1 || true

# The password from an owner-only file instead of the environment; refused once others can read it.
printf '%s\n' "$db_secret" >"$work/db-password"
chmod 600 "$work/db-password"
env -u CRMFLOW_DB_PASSWORD CRMFLOW_DB_PASSWORD_FILE="$work/db-password" \
  "$crmflow" "${crm[@]}" status >"$work/outputs/password-file.out" 2>&1 \
  || fail "status with the password from a 0600 file: $(cat "$work/outputs/password-file.out")"
chmod 644 "$work/db-password"
env -u CRMFLOW_DB_PASSWORD CRMFLOW_DB_PASSWORD_FILE="$work/db-password" \
  "$crmflow" "${crm[@]}" status >"$work/outputs/password-file-0644.out" 2>&1 \
  && fail "status accepted a password file others can read"
grep -qF "CRMFLOW_DB_PASSWORD_FILE: $work/db-password is readable by group or others (mode 0644): chmod 600 $work/db-password" \
  "$work/outputs/password-file-0644.out" || fail "no clear refusal of the 0644 password file"

# Every table of the database row by row: the crmflow_* audit tables and the CRM's own.
tables=$(sql "SELECT table_name FROM information_schema.tables WHERE table_schema = '$db'")
for table in $tables; do
  echo "== $table" >>"$work/outputs/tables.txt"
  client "$db" -e "SELECT * FROM \`$table\`" >>"$work/outputs/tables.txt"
done
for table in crmflow_run crmflow_job crmflow_event; do
  grep -qx "== $table" "$work/outputs/tables.txt" || fail "$table was not dumped"
done
grep -q "HTTP 401" "$work/outputs/tables.txt" || fail "the 401 is not in the audit"

searched=("$work/out" "$work/install.out" "$work/outputs"/*)
leaks=0
for secret in "$db_secret" "$smtp_secret" "$http_secret"; do
  if grep -l -F -- "$secret" "${searched[@]}" >"$work/leaks"; then
    echo "LEAK: ${secret%%-$suffix}-<random> appears in:" >&2
    sed 's/^/  /' "$work/leaks" >&2
    grep -n -F -- "$secret" "${searched[@]}" | head -5 >&2
    leaks=$((leaks + 1))
  fi
done
lines=$(cat "${searched[@]}" | wc -l)
echo "searched ${#searched[@]} files, $lines lines (host log $(wc -l <"$work/out") lines at debug," \
  "$(cat "${searched[@]}" | grep -c -E ' (debug|trace) ') of them debug or trace," \
  "$(echo "$tables" | wc -w) tables, $(grep -c . "$work/outputs/tables.txt") table lines)"
[ "$leaks" = 0 ] || fail "$leaks of 3 secrets leaked"
grep -q "send_email" "$work/outputs/jobs.out" || { cat "$work/outputs/jobs.out"; fail "crmflow jobs lists no job"; }
echo "PASS: no secret (database, SMTP, HTTP token) in any output, log line or database row"
