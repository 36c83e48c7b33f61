#!/usr/bin/env bash
# The main job on a demo CRM database, from a fresh Debian 12 machine:
#   installs the Debian packages, builds crmflow, starts the private MariaDB
#   (.run/mariadb, 127.0.0.1:33061), loads the demo 1CRM database into `crm`, lists the
#   loaded plugins and runs the host with config/crmflow.json until Ctrl-C.
#   With --once the host starts, reports what it loaded and exits.
# The MariaDB is stopped when the demo ends (scripts/mariadb.sh start brings it back).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
run_args=()
[ "${1:-}" = "--once" ] && run_args=(--once)

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

trap 'scripts/mariadb.sh stop' EXIT
scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"
echo "demo: loading the demo CRM database into '$CRMFLOW_DB_NAME'"
scripts/mariadb.sh sql "$CRMFLOW_DB_NAME" < config/demo/1crm-demo.sql

echo "demo: the enabled plugins"
build/host/crmflow --config config/crmflow.json plugins
echo "demo: starting the host"
build/host/crmflow --config config/crmflow.json run "${run_args[@]}"
