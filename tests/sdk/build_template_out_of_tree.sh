#!/usr/bin/env bash
# What an integrator does: install the SDK to a prefix, copy the template plugin to an
# unrelated directory, build it there with find_package(crmflow_sdk), and run it in the host.
# Usage: build_template_out_of_tree.sh <crmflow build dir> <crmflow binary>
set -euo pipefail
build_dir=$1
crmflow=$2
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/prefix" --component Unspecified >/dev/null
cp -r "$source_dir/sdk/template" "$work/my_plugin"
cmake -S "$work/my_plugin" -B "$work/my_plugin/build" -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" >/dev/null
cmake --build "$work/my_plugin/build" >/dev/null
plugin="$work/my_plugin/build/max_length.so"
[ -f "$plugin" ] || { echo "FAIL: no max_length.so (no lib prefix) was built" >&2; exit 1; }

# Only the entry point is exported (hidden visibility), and the file is not stripped.
exported=$(nm -D --defined-only "$plugin" | awk '$2 == "T" {print $3}')
[ "$exported" = "crmflow_plugin_query" ] || { echo "FAIL: exports: $exported" >&2; exit 1; }
nm "$plugin" >/dev/null 2>&1 || { echo "FAIL: the plugin was stripped" >&2; exit 1; }

cat > "$work/host.json" <<JSON
{"plugin_dirs": ["my_plugin/build"], "plugins": {"max_length": {}}}
JSON
expect() {  # expect <output> <params> <record>
  local got
  got=$("$crmflow" --config "$work/host.json" try max_length --params "$2" --record "$3")
  [ "$got" = "$1" ] || { echo "FAIL: try max_length $2 on $3: expected $1, got $got" >&2; exit 1; }
}
"$crmflow" --config "$work/host.json" plugins | grep -q "example.max_length@1.0.0 .*condition .*max_length"
expect true '{"field":"name","max":5}' '{"module":"Tasks","fields":{"name":"Küche"}}'
expect false '{"field":"name","max":4}' '{"module":"Tasks","fields":{"name":"Küche"}}'
expect true '{"field":"name","max":0}' '{"module":"Tasks","fields":{"name":null}}'
if "$crmflow" --config "$work/host.json" try max_length --params '{"field":"name"}' \
    --record '{"module":"Tasks","fields":{}}' 2>"$work/err"; then
  echo "FAIL: missing 'max' was accepted" >&2; exit 1
fi
grep -q "create failed: parameter 'max' must be a whole number >= 0" "$work/err"
echo "PASS: the template plugin builds out of tree against the installed SDK and runs in the host"
