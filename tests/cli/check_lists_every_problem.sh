#!/usr/bin/env bash
# `crmflow check` as an admin runs it: exit 0 and a summary for a good config; exit 1 and
# every problem (config and plugins) on stderr for a bad one; useful --help texts.
# Usage: check_lists_every_problem.sh <crmflow binary> <plugin dir> <test plugin dir>
set -euo pipefail
crmflow=$1
plugin_dir=$(realpath "$2")
test_plugin_dir=$(realpath "$3")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$work/out" "$work/err" >&2 2>/dev/null; exit 1; }
# Runs `crmflow --config <config> <command>`, which must exit 1 (problems found), keeping its
# output in $work/out and $work/err.
expect_problems() {
  local config=$1 cmd=$2 status=0
  "$crmflow" --config "$config" "$cmd" >"$work/out" 2>"$work/err" || status=$?
  [ "$status" -eq 1 ] || fail "$cmd $config: exit status $status, expected 1"
}

cat > "$work/good.json" <<JSON
// a comment, as admins leave them
{"plugin_dirs": ["$plugin_dir"], "plugins": {"compare": {}}}
JSON
"$crmflow" --config "$work/good.json" check >"$work/out" 2>"$work/err" || fail "good config refused"
grep -qx "$work/good.json: ok, 1 components enabled" "$work/out" || fail "no ok summary"

cat > "$work/bad.json" <<JSON
{
  "plugin_dirs": ["$plugin_dir", "$test_plugin_dir", "$work/nowhere"],
  "plugins": {"compare": {"components": ["compare", "comparre"]}, "missing": {},
              "newer_minor": {}},
  "log": {"level": "chatty"}
}
JSON
expect_problems "$work/bad.json" check
grep -q "log.level: expected trace, debug, info, warn or error, found chatty" "$work/err" \
  || fail "log level problem not listed"
# A config error stops before plugins are loaded: fix it and the plugin problems show, all.
sed -i 's/"chatty"/"info"/' "$work/bad.json"
expect_problems "$work/bad.json" check
grep -q "enabled component 'comparre' is not provided by this plugin" "$work/err" || fail "typo"
grep -q "plugins.missing: no missing.so in the plugin directories" "$work/err" || fail "missing"
grep -q "newer_minor.so: the plugin needs ABI 1.6, newer than the host's 1.5" "$work/err" \
  || fail "newer minor"
grep -qxF "error: $work/bad.json: plugin_dirs[2]: $work/nowhere is not a directory" "$work/err" \
  || fail "a plugin directory that is not there"
grep -qx "4 problems found" "$work/err" || fail "no count"

# A module map that is not there is named with the setting that points to it.
cat > "$work/nomap.json" <<JSON
{"plugin_dirs": ["$plugin_dir"], "plugins": {"compare": {}}, "module_map": "crm/nomap.json"}
JSON
expect_problems "$work/nomap.json" check
grep -qxF "error: $work/nomap.json: module_map: $work/crm/nomap.json does not exist" "$work/err" \
  || fail "a missing module map is not named with its setting"

# A plugin file others could change is refused by check and plugins alike, with the fix.
mkdir "$work/plugins"
cp "$plugin_dir/compare.so" "$work/plugins/compare.so"
chmod 0646 "$work/plugins/compare.so"
cat > "$work/writable.json" <<JSON
{"plugin_dirs": ["$work/plugins"], "plugins": {"compare": {}}}
JSON
refusal="plugin $work/plugins/compare.so: refused: file $work/plugins/compare.so is writable by \
others (mode 0646): chmod o-w $work/plugins/compare.so"
for cmd in check plugins; do
  expect_problems "$work/writable.json" "$cmd"
  grep -qxF "error: $refusal" "$work/err" || fail "$cmd does not name the writable plugin and the fix"
done
chmod o-w "$work/plugins/compare.so"
"$crmflow" --config "$work/writable.json" check >"$work/out" 2>"$work/err" \
  || fail "refused after chmod o-w"

# JSON logs: one object per line, the message escaped (a record id with a quote and a newline).
cat > "$work/frozen.json" <<JSON
{"plugin_dirs": ["$test_plugin_dir"], "plugins": {"frozen_v1": {}}}
JSON
"$crmflow" --config "$work/frozen.json" --log-format json try frozen_active_lead \
  --record '{"module":"Leads","id":"a\"b\nc","fields":{"status":"Active"}}' >"$work/out" 2>"$work/err"
grep -qx true "$work/out" || fail "frozen_active_lead did not hold"
python3 - "$work/err" <<'PY' || fail "the JSON log is not one JSON object per line"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
entries = [json.loads(line) for line in lines]
assert any(e["level"] == "info" and e["msg"].endswith('Leads a"b\nc: frozen_active_lead evaluated')
           for e in entries), entries
assert all(set(e) == {"time", "level", "msg"} for e in entries), entries
PY

"$crmflow" --help >"$work/out"
for cmd in plugins check run try; do grep -q "^  $cmd " "$work/out" || fail "--help lacks $cmd"; done
"$crmflow" try --help >"$work/out"
grep -q -- "--record" "$work/out" || fail "try --help lacks --record"
echo "PASS: check lists every problem and exits 1; help texts list the commands"
