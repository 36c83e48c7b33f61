#!/usr/bin/env bash
# `crmflow run --once` against the private MariaDB: a fresh database with the demo CRM
# schema, the host started with the demo config, the plugins listed and the database
# reached. Then the same with a wrong password: a clear error that names the database and
# user and never prints the password.
# Usage: run_once_against_demo_db.sh <crmflow binary> <plugin dir>; needs CRMFLOW_DB_* set
# (eval "$(scripts/mariadb.sh env)").
set -euo pipefail
source "$(dirname "$0")/db_script.sh" it "$1" "$2"
# The shipped config trusts the demo partner's key and loads the membership pack it signed.
"$repo/scripts/demo-pack.sh" "$crmflow" "$(dirname "$plugin_dir")/packs/membership" >"$work/out" 2>&1 \
  || fail "scripts/demo-pack.sh failed"

CRMFLOW_DB_NAME=$db CRMFLOW_DB_SOCKET= "$crmflow" --config "$repo/config/crmflow.json" \
  --plugin-dir "$plugin_dir" run --once >"$work/out" 2>&1 || fail "run --once exited $?"
# The host created its own tables (queue, quarantine, audit) beside the CRM's.
tables=$(client -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$db'")
store=$(client -N -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$db'
  AND table_name IN ('crmflow_event', 'crmflow_event_quarantine', 'crmflow_run')")
[ "$store" = 3 ] || fail "crmflow's tables were not created ($store of 3)"
grep -q "loaded condition compare 1.0.0 crmflow.compare from $plugin_dir/compare.so" "$work/out" \
  || fail "compare was not listed as loaded"
grep -q "connected to database '$db' at 127.0.0.1:$CRMFLOW_DB_PORT as '$CRMFLOW_DB_USER' (server .*MariaDB.*, $tables tables)" \
  "$work/out" || fail "no connection line with $tables tables"

secret="not-the-password-$$"
if CRMFLOW_DB_NAME=$db CRMFLOW_DB_SOCKET= CRMFLOW_DB_PASSWORD=$secret "$crmflow" --config "$repo/config/crmflow.json" \
    --plugin-dir "$plugin_dir" run --once >"$work/out" 2>&1; then
  fail "a wrong password was accepted"
fi
grep -q "cannot connect to database '$db' at 127.0.0.1:$CRMFLOW_DB_PORT as '$CRMFLOW_DB_USER'" "$work/out" \
  || fail "the connection error does not say where"
if grep -q "$secret" "$work/out"; then fail "the password was printed"; fi
echo "PASS: run --once loads the plugins and reaches the demo database ($tables tables)"
