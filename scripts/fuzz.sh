#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang-16, ASan + UBSan, CRMFLOW_FUZZ=ON) in
# build-fuzz and runs each for a given time on a scratch copy of its seed corpus.
#   scripts/fuzz.sh [seconds per target, default 60] [target...]   (targets: workflow,
#   date_expression, template, config, pack_manifest; all when none is named)
# Environment: FUZZ_JOBS=2 runs two targets at once (default 1). The corpus grows in a scratch
# copy, build-fuzz/fuzz-corpus/<name>/, kept between runs; tests/ is never written.
# Each target's log is build-fuzz/fuzz-logs/<name>.log; a crash leaves its input in
# build-fuzz/fuzz-artifacts/<name>/. Exit 1 when any target did not end clean.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
shift || true
all=(workflow date_expression template config pack_manifest)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
jobs=${FUZZ_JOBS:-1}

if ! command -v clang++-16 >/dev/null || [ ! -e /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a ]; then
  scripts/install-deps.sh --fuzz
fi

build=$root/build-fuzz
CC=clang-16 CXX=clang++-16 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCRMFLOW_FUZZ=ON -DCRMFLOW_WERROR=OFF -DBUILD_TESTING=OFF -DCRMFLOW_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j2 --target $(printf 'fuzz_%s ' "${targets[@]}")

mkdir -p "$build/fuzz-logs"
export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-16/bin/llvm-symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
run_one() {
  local name=$1 corpus=$build/fuzz-corpus/$1 artifacts=$build/fuzz-artifacts/$1/
  mkdir -p "$corpus" "$artifacts"
  cp -n "$root/tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null || true
  local rc=0
  "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts" -timeout=10 -rss_limit_mb=2560 "$corpus" \
    >"$build/fuzz-logs/$name.log" 2>&1 || rc=$?
  local execs per_s cov ft
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz-logs/$name.log" | tail -1)
  per_s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$build/fuzz-logs/$name.log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$build/fuzz-logs/$name.log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -oE 'ft: [0-9]+' "$build/fuzz-logs/$name.log" | tail -1 | cut -d' ' -f2)
  local verdict=clean
  [ "$rc" -eq 0 ] || verdict="NOT CLEAN (exit $rc; see build-fuzz/fuzz-logs/$name.log, inputs in $artifacts)"
  printf '%-16s %6ss  execs %-10s exec/s %-7s cov %-6s ft %-7s corpus %-5s %s\n' "$name" \
    "$seconds" "${execs:-?}" "${per_s:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$verdict" \
    | tee "$build/fuzz-logs/$name.summary"
  [ "$rc" -eq 0 ]
}

status=0
pids=()
for name in "${targets[@]}"; do
  run_one "$name" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
