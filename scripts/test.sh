#!/usr/bin/env bash
# Sets up, builds and runs every crmflow test on a fresh Debian 12 machine:
#   1. installs the Debian packages (scripts/install-deps.sh; needs root or sudo),
#   2. builds with warnings as errors (build/),
#   3. starts a private MariaDB for the tests (.run/test-mariadb, port 33062) and runs all
#      tests: unit, ABI, SDK, style and database tests,
#   4. builds the unit and ABI tests again under AddressSanitizer + UBSan (build-asan/) and
#      runs them,
#   5. stops the MariaDB it started.
# Settings: CRMFLOW_TEST_DB_PORT (33062), JOBS (number of cores).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
jobs="${JOBS:-$(nproc)}"

step() { printf '\n== %s\n' "$*"; }

step "Debian packages"
scripts/install-deps.sh

step "Build (warnings are errors)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRMFLOW_WERROR=ON >/dev/null
cmake --build build -j "$jobs"

step "Private MariaDB for the tests"
export CRMFLOW_DB_DIR="$repo/.run/test-mariadb"
export CRMFLOW_DB_PORT="${CRMFLOW_TEST_DB_PORT:-33062}"
trap 'scripts/mariadb.sh stop' EXIT
scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"

step "All tests"
ctest --test-dir build --output-on-failure -j "$jobs"

step "The fault cases' oracle figures (lost, twice, stuck, quarantined, duplicates)"
grep -h '^  oracle ' build/Testing/Temporary/LastTest.log || echo "(no fault case ran)"

step "Unit and ABI tests under AddressSanitizer + UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCRMFLOW_WERROR=ON \
  -DCRMFLOW_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$jobs" --target crmflow_unit_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -L unit

step "All tests passed"
