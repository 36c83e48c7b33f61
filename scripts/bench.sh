#!/usr/bin/env bash
# Builds and runs a benchmark against the private MariaDB (scripts/mariadb.sh: .run/mariadb,
# 127.0.0.1:33061). Benchmarks (bench/README.md):
#   inactivity   the inactivity trigger over 100,000 leads and 500,000 activities: the
#                time of a tick and its query plan
#
#   scripts/bench.sh [inactivity] [args...]     e.g. scripts/bench.sh inactivity --leads 10000
#
# Builds only the benchmark and the plugins it loads, in build/ (configured if needed).
# Starts the MariaDB if it is not running, and then stops it again at the end.
# Settings: CRMFLOW_BENCH_BUILD_DIR (build), JOBS (number of cores), CRMFLOW_TEST_KEEP_DB=1
# (keep the generated database).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
build="${CRMFLOW_BENCH_BUILD_DIR:-build}"
jobs="${JOBS:-$(nproc)}"

bench=inactivity
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  bench="$1"
  shift
fi
case "$bench" in
  inactivity) targets=(inactivity_bench inactivity create_record compare) ;;
  *) echo "bench: unknown benchmark '$bench' (known: inactivity)" >&2; exit 2 ;;
esac

step() { printf '\n== %s\n' "$*"; }

step "Build (${targets[*]} in $build)"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" -j "$jobs" "${targets[@]}"

step "Private MariaDB"
if ! scripts/mariadb.sh status >/dev/null; then
  trap 'scripts/mariadb.sh stop' EXIT
fi
scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"

step "Benchmark: $bench $*"
"$build/bench/${bench}_bench" "$@"
