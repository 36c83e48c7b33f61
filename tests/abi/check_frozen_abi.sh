#!/usr/bin/env bash
# Fails when the frozen v1 part of sdk/include/crmflow/abi.h changed. ABI v1 is append-only:
# if you changed it on purpose (members appended at the end of a struct, CRMFLOW_ABI_MINOR
# bumped, tests/abi/abi_layout_test.cpp extended, the old offsets untouched), record the new
# hash with:   tests/abi/check_frozen_abi.sh --update
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
header="$here/../../sdk/include/crmflow/abi.h"
recorded="$here/abi_v1.sha256"
# The copy of the v1.0 header that tests/plugins/frozen_v1.c is built against: a record of
# what old plugins were compiled with, never to be edited.
frozen_copy="$here/v1.0/crmflow/abi.h"
frozen_copy_sha256=0db1c5ac3c1d339378f41ada74f6847fa1bbed736841bc668f837652da3bc248

frozen=$(sed -n '/==== BEGIN FROZEN ABI v1/,/==== END FROZEN ABI v1/p' "$header")
[ -n "$frozen" ] || { echo "check_frozen_abi: no FROZEN markers in $header" >&2; exit 1; }
actual=$(printf '%s\n' "$frozen" | sha256sum | cut -d' ' -f1)

if [ "${1:-}" = "--update" ]; then
  echo "$actual" > "$recorded"
  echo "check_frozen_abi: recorded $actual"
  exit 0
fi
copy_actual=$(sha256sum "$frozen_copy" | cut -d' ' -f1)
if [ "$copy_actual" != "$frozen_copy_sha256" ]; then
  echo "check_frozen_abi: $frozen_copy was edited; it must stay the v1.0 header as released" >&2
  exit 1
fi

expected=$(cat "$recorded")
if [ "$actual" != "$expected" ]; then
  echo "check_frozen_abi: the frozen ABI v1 part of $header changed" >&2
  echo "  recorded sha256 $expected" >&2
  echo "  actual   sha256 $actual" >&2
  echo "  Plugins built against the old header may break. If the change is deliberate and" >&2
  echo "  append-only, run: tests/abi/check_frozen_abi.sh --update" >&2
  exit 1
fi
echo "check_frozen_abi: frozen ABI v1 unchanged ($actual)"
