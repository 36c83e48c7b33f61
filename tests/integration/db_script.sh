# Sourced by the shell tests of the real `crmflow` binary:
#   source "$(dirname "$0")/db_script.sh" <name> <crmflow binary> <plugin dir> [schema.sql]
# Sets crmflow, plugin_dir and repo; creates a fresh database $db on the private MariaDB
# (CRMFLOW_DB_* from `eval "$(scripts/mariadb.sh env)"`) loaded with the schema (default: the
# demo 1CRM database) and exports CRMFLOW_DB_NAME for the host; makes a work directory $work.
# On exit a host started with start_host is stopped, the database dropped (kept with
# CRMFLOW_TEST_KEEP_DB=1) and $work removed.
# Helpers: client (the mariadb client), sql "<statement>" (one value per line), fail
# "<why>" (prints $work/out), start_host <args...> / stop_host, wait_for "<sql>" <value>.
crmflow=$2
plugin_dir=$(realpath "$3")
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${CRMFLOW_DB_PORT:?run with the private MariaDB: eval \"\$(scripts/mariadb.sh env)\"}"

db="crmflow_$1_$$"
client() {
  mariadb --no-defaults -h 127.0.0.1 -P "$CRMFLOW_DB_PORT" -u "$CRMFLOW_DB_USER" \
    -p"$CRMFLOW_DB_PASSWORD" "$@"
}
sql() { client -N "$db" -e "$1"; }
work=$(mktemp -d)
host_pid=
start_host() {  # start_host <crmflow arguments...>: the host in the background, output in $work/out
  "$crmflow" "$@" run >>"$work/out" 2>&1 &
  host_pid=$!
}
stop_host() {
  if [ -n "$host_pid" ]; then kill "$host_pid" 2>/dev/null || true; wait "$host_pid" || true; fi
  host_pid=
}
cleanup() {
  stop_host
  [ -n "${CRMFLOW_TEST_KEEP_DB:-}" ] || client -e "DROP DATABASE IF EXISTS $db"
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  if [ -f "$work/out" ]; then cat "$work/out" >&2; fi
  exit 1
}
wait_for() {  # wait_for "<sql>" <value>: polls for at most 10 s
  for _ in $(seq 100); do
    [ "$(sql "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  fail "waited in vain for '$1' to be $2 (is $(sql "$1"))"
}

client -e "CREATE DATABASE $db CHARACTER SET utf8mb4"
client "$db" < "${4:-$repo/config/demo/1crm-demo.sql}"
export CRMFLOW_DB_NAME=$db CRMFLOW_DB_SOCKET=
