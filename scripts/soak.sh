#!/usr/bin/env bash
# The fault suite's long run: the cases the test command runs bounded, scaled up by
# CRMFLOW_SOAK=1 (e.g. fifty kill -9 during 100,000 events instead of ten during 20,000), each
# printing its oracle line (produced, handled, lost, twice, stuck, quarantined, duplicates).
#   scripts/soak.sh [suite...]   (default: every suite of tests/faults/faults_test)
# Builds build/ and starts the tests' private MariaDB (port CRMFLOW_TEST_DB_PORT, 33062) as
# scripts/test.sh does; needs the Debian packages installed (scripts/install-deps.sh).
# No ctest timeout applies: a soak run takes as long as its workload. Exit 1 when a case failed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRMFLOW_WERROR=ON >/dev/null
cmake --build build -j "${JOBS:-$(nproc)}" --target faults_test

export CRMFLOW_DB_DIR="$repo/.run/test-mariadb"
export CRMFLOW_DB_PORT="${CRMFLOW_TEST_DB_PORT:-33062}"
trap 'scripts/mariadb.sh stop' EXIT
scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"

suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
  mapfile -t suites < <(build/tests/faults/faults_test --list_content 2>&1 | sed -n 's/^\([a-z_0-9]*\)\*$/\1/p')
fi
status=0
for suite in "${suites[@]}"; do
  printf '\n== soak: %s\n' "$suite"
  CRMFLOW_SOAK=1 build/tests/faults/faults_test --run_test="$suite" --log_level=message \
    --color_output=false || status=1
done
exit $status
