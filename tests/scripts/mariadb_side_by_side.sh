#!/usr/bin/env bash
# Two private MariaDB instances from scripts/mariadb.sh must run side by side: each on
# its own loopback port and datadir, reachable over TCP as the crmflow user, one loaded
# with the demo CRM, and both gone (process and port) after stop.
# Exit 0 = pass; anything else = fail with a message on stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
db="$repo/scripts/mariadb.sh"
demo="$repo/config/demo/1crm-demo.sql"

# The test relies on the script's defaults for database, user and password, whatever
# an earlier `eval "$(scripts/mariadb.sh env)"` left in this shell.
unset CRMFLOW_DB_NAME CRMFLOW_DB_USER CRMFLOW_DB_PASSWORD CRMFLOW_DB_SOCKET CRMFLOW_DB_HOST

fail() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "side-by-side: $*"; }

# Two distinct ports that are free right now (the OS picks them).
read -r port_a port_b < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks: s.close()')

# Short mktemp dirs keep the socket path under the ~107 byte limit.
dir_a="$(mktemp -d /tmp/crmflow-db-a.XXXXXX)"
dir_b="$(mktemp -d /tmp/crmflow-db-b.XXXXXX)"

run_db() { # run_db a|b args... -- scripts/mariadb.sh against instance a or b
  local which="$1"; shift
  if [ "$which" = a ]; then CRMFLOW_DB_DIR="$dir_a" CRMFLOW_DB_PORT="$port_a" "$db" "$@"
  else CRMFLOW_DB_DIR="$dir_b" CRMFLOW_DB_PORT="$port_b" "$db" "$@"; fi
}

cleanup() {
  local rc=$? pid d
  # Stop whatever is still up; if stop itself fails, kill the recorded pid only.
  for w in a b; do run_db "$w" stop >/dev/null 2>&1 || true; done
  for d in "$dir_a" "$dir_b"; do
    if [ -s "$d/mysqld.pid" ]; then
      pid="$(cat "$d/mysqld.pid")"
      [ "$(ps -p "$pid" -o comm= 2>/dev/null)" = mariadbd ] && kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$d"
  done
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# TCP as the crmflow user (defaults of scripts/mariadb.sh), never the socket.
tcp_sql() { # tcp_sql port [client args...]
  local port="$1"; shift
  MYSQL_PWD=crmflow mariadb --no-defaults --protocol=TCP -h 127.0.0.1 -P "$port" \
    -u crmflow --connect-timeout=5 -N -B "$@"
}

# Gone = no process, or only a zombie not yet reaped by init.
pid_alive() { local s; s="$(ps -p "$1" -o stat= 2>/dev/null)" && [[ "$s" != Z* ]]; }
listening() { timeout 3 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }

log "ports $port_a and $port_b, dirs $dir_a and $dir_b"
run_db a start || fail "start a"
run_db b start || fail "start b"
run_db a status >/dev/null || fail "status a should be 0 while running"
run_db b status >/dev/null || fail "status b should be 0 while running"

pid_a="$(cat "$dir_a/mysqld.pid")"
pid_b="$(cat "$dir_b/mysqld.pid")"
[ "$pid_a" != "$pid_b" ] || fail "both instances report pid $pid_a"

got_a="$(tcp_sql "$port_a" -e 'SELECT @@port')" || fail "TCP login as crmflow to a"
got_b="$(tcp_sql "$port_b" -e 'SELECT @@port')" || fail "TCP login as crmflow to b"
[ "$got_a" = "$port_a" ] || fail "instance a answered port '$got_a', expected $port_a"
[ "$got_b" = "$port_b" ] || fail "instance b answered port '$got_b', expected $port_b"
log "each instance answers with its own port"

tcp_sql "$port_a" crm <"$demo" || fail "loading $demo into a"
accounts="$(tcp_sql "$port_a" crm -e 'SELECT COUNT(*) FROM accounts')"
[ "$accounts" -gt 0 ] || fail "a: expected accounts after loading the demo, got $accounts"
# The demo went into a only: b's crm database stays empty.
tables_b="$(tcp_sql "$port_b" -e "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='crm'")"
[ "$tables_b" -eq 0 ] || fail "b: crm should be empty, has $tables_b tables"
log "demo loaded into a ($accounts accounts), b untouched"

run_db a stop || fail "stop a"
run_db b stop || fail "stop b"
for pid in "$pid_a" "$pid_b"; do
  ! pid_alive "$pid" || fail "pid $pid still alive after stop"
done
for port in "$port_a" "$port_b"; do
  ! listening "$port" || fail "something still listens on 127.0.0.1:$port"
done
rc=0; run_db a status >/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "status a after stop: exit $rc, expected 3"

log "PASS"
