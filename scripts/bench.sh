#!/usr/bin/env bash
# Builds and runs crmflow's benchmarks (bench/README.md) — figures, never pass/fail on speed.
#
#   scripts/bench.sh [all]                 throughput (baseline, drain with 1 and 2 hosts,
#                                          latency, memory) and dispatch (the ABI's cost);
#                                          prints the tables and rewrites the run in
#                                          bench/RESULTS.md (below its marker line)
#   scripts/bench.sh throughput [args...]  e.g. --quick, --events 5000
#   scripts/bench.sh dispatch [args...]    Google Benchmark flags
#   scripts/bench.sh inactivity [args...]  e.g. --leads 10000 --activities 50000
#
# Installs the Debian packages, builds only the benchmarks and what they load, in build/
# (CRMFLOW_BENCH_BUILD_DIR for another), and runs them against a private MariaDB of their
# own with durable settings (innodb_flush_log_at_trx_commit=1; .run/bench-mariadb on
# 127.0.0.1:33063, CRMFLOW_DB_DIR / CRMFLOW_DB_PORT choose others), stopped at the end.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
build="${CRMFLOW_BENCH_BUILD_DIR:-build}"
export CRMFLOW_DB_DIR="${CRMFLOW_DB_DIR:-$repo/.run/bench-mariadb}"
export CRMFLOW_DB_PORT="${CRMFLOW_DB_PORT:-33063}"

bench=all
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  bench="$1"
  shift
fi
case "$bench" in
  all) targets=(throughput_bench dispatch_bench) ;;
  throughput | dispatch | inactivity) targets=("${bench}_bench") ;;
  *) echo "bench: unknown benchmark '$bench' (known: all, throughput, dispatch, inactivity)" >&2; exit 2 ;;
esac

step() { printf '\n== %s\n' "$*"; }

scripts/install-deps.sh
step "Build (${targets[*]} and what they load, in $build)"
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" "${targets[@]}"

step "Private MariaDB ($CRMFLOW_DB_DIR, port $CRMFLOW_DB_PORT)"
trap 'scripts/mariadb.sh stop' EXIT
scripts/mariadb.sh start
eval "$(scripts/mariadb.sh env)"

if [ "$bench" != all ]; then
  step "Benchmark: $bench $*"
  "$build/bench/${bench}_bench" "$@"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"; scripts/mariadb.sh stop' EXIT
step "Benchmark: throughput"
"$build/bench/throughput_bench" --results "$work/throughput.md" "$@"
step "Benchmark: dispatch"
"$build/bench/dispatch_bench" --benchmark_min_time=0.5 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true | tee "$work/dispatch.txt"

# bench/RESULTS.md: the hand-written analysis above the marker stays; the run below it is
# replaced by this one.
results=bench/RESULTS.md
marker='<!-- scripts/bench.sh writes everything below this line; edit above it -->'
{
  if [ -f "$results" ] && grep -qF "$marker" "$results"; then
    sed "/$(printf '%s' "$marker" | sed 's/[][\/.*^$]/\\&/g')/q" "$results"
  else
    printf '# Benchmark results\n\n%s\n' "$marker"
  fi
  printf '\n## The latest run (%s)\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
  cat "$work/throughput.md"
  printf '\n### Dispatch (bench/dispatch_bench)\n\n```\n'
  sed -n '/^Summary:/,$p' "$work/dispatch.txt"
  printf '```\n'
} >"$work/RESULTS.md"
mv "$work/RESULTS.md" "$results"
step "Written: $results"
