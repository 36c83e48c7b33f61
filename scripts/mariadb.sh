#!/usr/bin/env bash
# Private MariaDB for crmflow: its own datadir, socket and loopback port, so several
# copies (dev server, parallel tests) run side by side and no system service is needed.
#
#   scripts/mariadb.sh start|stop|status|env|sql [mariadb client args]
#
# Settings (env): CRMFLOW_DB_DIR (default <repo>/.run/mariadb), CRMFLOW_DB_PORT (33061),
# CRMFLOW_DB_NAME (crm), CRMFLOW_DB_USER (crmflow), CRMFLOW_DB_PASSWORD (crmflow).
# Every tool gets --no-defaults so no /etc/mysql or ~/.my.cnf can change the setup.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${CRMFLOW_DB_DIR:-$repo/.run/mariadb}"
PORT="${CRMFLOW_DB_PORT:-33061}"
NAME="${CRMFLOW_DB_NAME:-crm}"
USER_NAME="${CRMFLOW_DB_USER:-crmflow}"
PASSWORD="${CRMFLOW_DB_PASSWORD:-crmflow}"

SOCK="$DIR/mysqld.sock"
PIDFILE="$DIR/mysqld.pid"
LOG="$DIR/error.log"
START_TIMEOUT=60
STOP_TIMEOUT=60

say() { echo "mariadb: $*"; }
die() { echo "mariadb: error: $*" >&2; exit 1; }

# mariadbd refuses to run as root unless told to; as a normal user it runs as itself.
user_opt=()
[ "$(id -u)" -eq 0 ] && user_opt=(--user="$(id -un)")

# A throwaway dev/test server, not a secured one: root@localhost has no password
# (--auth-root-authentication-method=normal, so any OS user can be root over our socket)
# and the crmflow user gets everything over loopback TCP. Keep real data out of it.
root_client() { mariadb --no-defaults --socket="$SOCK" -uroot "$@"; }
# Debian 12's mariadb-client-core has no mariadb-admin, so ping and shutdown go through
# the plain client (SHUTDOWN is an SQL statement since MariaDB 10.0.4).
ping_db() { root_client --connect-timeout=2 -e 'SELECT 1' >/dev/null 2>&1; }
shutdown_db() { root_client --connect-timeout=5 -e 'SHUTDOWN' >/dev/null 2>&1; }

# A dead server can linger as a zombie until it is reaped; kill -0 would call it alive.
pid_alive() {
  local stat
  stat="$(ps -p "$1" -o stat= 2>/dev/null)" || return 1
  [[ "$stat" != Z* ]]
}

# Pid from the pid file if that process is alive and is a MariaDB server (guards
# against a stale file whose pid got reused by something else).
live_pid() {
  local pid
  [ -s "$PIDFILE" ] || return 1
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  [ -n "$pid" ] && pid_alive "$pid" || return 1
  case "$(ps -p "$pid" -o comm= 2>/dev/null)" in mariadbd|mysqld) echo "$pid" ;; *) return 1 ;; esac
}

# Quote a value as an SQL string literal (backslash and quote escaped).
sql_str() { local s="${1//\\/\\\\}"; printf "'%s'" "${s//\'/\\\'}"; }

do_start() {
  local pid
  if pid="$(live_pid)"; then
    say "already running (pid $pid, port $PORT, dir $DIR)"
    return 0
  fi
  # Unix socket paths are limited to ~107 bytes; fail clearly rather than obscurely.
  [ "${#SOCK}" -lt 100 ] || die "socket path too long (${#SOCK} chars): $SOCK"
  # Each server gets its own tmpdir: at startup mariadbd deletes every #sql* file in its
  # tmpdir, so with a shared /tmp a second server starting would pull the internal temp
  # tables out from under the first one's running queries ("Error on delete of
  # '/tmp/#sql-temptable-...MAI'", seen when a test starts a server beside the test server).
  mkdir -p "$DIR/tmp"
  rm -f "$PIDFILE" "$SOCK"

  if [ ! -d "$DIR/data/mysql" ]; then
    say "initialising datadir $DIR/data"
    mariadb-install-db --no-defaults --datadir="$DIR/data" "${user_opt[@]}" \
      --auth-root-authentication-method=normal --skip-test-db >"$DIR/install.log" 2>&1 \
      || { tail -n 30 "$DIR/install.log" >&2; die "mariadb-install-db failed (see $DIR/install.log)"; }
  fi

  say "starting mariadbd on 127.0.0.1:$PORT (dir $DIR)"
  # setsid: the server outlives the shell (and its process group) that started it.
  setsid mariadbd --no-defaults "${user_opt[@]}" \
    --datadir="$DIR/data" --tmpdir="$DIR/tmp" --socket="$SOCK" --pid-file="$PIDFILE" \
    --port="$PORT" --bind-address=127.0.0.1 --skip-name-resolve \
    --log-error="$LOG" --innodb-buffer-pool-size=128M --innodb-flush-log-at-trx-commit=1 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    </dev/null >>"$DIR/stdout.log" 2>&1 &
  local launched=$!

  local i
  for ((i = 0; i < START_TIMEOUT * 2; i++)); do
    ping_db && break
    # Fail fast when the server died (port taken, bad datadir, ...).
    pid_alive "$launched" || { tail -n 30 "$LOG" >&2 || true; die "mariadbd exited during startup"; }
    sleep 0.5
  done
  ping_db || { tail -n 30 "$LOG" >&2 || true; die "not ready after ${START_TIMEOUT}s"; }

  # Idempotent: re-running start re-applies the password and grants from the env.
  # Tests create their own databases and triggers, hence ALL on *.* WITH GRANT OPTION.
  local u pw host sql
  u="$(sql_str "$USER_NAME")"; pw="$(sql_str "$PASSWORD")"
  sql="CREATE DATABASE IF NOT EXISTS \`$NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;"
  for host in 127.0.0.1 localhost; do
    sql+="CREATE USER IF NOT EXISTS $u@'$host' IDENTIFIED BY $pw;"
    sql+="ALTER USER $u@'$host' IDENTIFIED BY $pw;"
    sql+="GRANT ALL PRIVILEGES ON *.* TO $u@'$host' WITH GRANT OPTION;"
  done
  root_client -e "$sql" || die "creating database/user failed"
  say "ready (pid $(live_pid || echo '?'), database $NAME, user $USER_NAME)"
}

do_stop() {
  local pid
  if ! pid="$(live_pid)"; then
    say "not running (dir $DIR)"
    rm -f "$PIDFILE"
    return 0
  fi
  say "stopping pid $pid"
  if ! shutdown_db; then
    say "shutdown via socket failed, sending SIGTERM to pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
  fi
  local i
  for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
    pid_alive "$pid" || { say "stopped"; rm -f "$PIDFILE"; return 0; }
    # Halfway through, assume the clean shutdown stalled and ask the process directly.
    if [ "$i" -eq "$STOP_TIMEOUT" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    sleep 0.5
  done
  die "pid $pid still alive after ${STOP_TIMEOUT}s"
}

do_status() {
  local pid
  if pid="$(live_pid)"; then
    say "running (pid $pid), port $PORT, socket $SOCK, dir $DIR"
  else
    say "not running, port $PORT, socket $SOCK, dir $DIR"
    return 3
  fi
}

do_env() {
  printf 'export CRMFLOW_DB_HOST=127.0.0.1 CRMFLOW_DB_PORT=%q CRMFLOW_DB_SOCKET=%q\n' "$PORT" "$SOCK"
  printf 'export CRMFLOW_DB_NAME=%q CRMFLOW_DB_USER=%q CRMFLOW_DB_PASSWORD=%q\n' \
    "$NAME" "$USER_NAME" "$PASSWORD"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  env) do_env ;;
  sql) live_pid >/dev/null || die "not running (dir $DIR); run: $0 start"; root_client "$@" ;;
  *) echo "usage: $0 start|stop|status|env|sql [mariadb args]" >&2; exit 2 ;;
esac
