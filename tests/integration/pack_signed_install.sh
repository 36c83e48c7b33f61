#!/usr/bin/env bash
# Signed extension packs through the real binary: two keys; a pack of the canary plugin (its
# constructor creates $CRMFLOW_CANARY_FILE) and a workflow is signed, verified, installed and
# loaded — the canary file appears, so the canary works. Then the host refuses, each time with
# its exact message and without running any of the pack's code (no canary file): a byte of the
# installed .so changed, the installed manifest changed after signing, a pack signed by a key
# that is not trusted, an unsigned pack (loaded only with packs.allow_unsigned, and then with a
# loud warning). Also: sign refuses unlisted files and unsafe paths, install replaces an older
# version, pack list shows status.
# Usage: pack_signed_install.sh <crmflow binary> <plugin dir> <canary.so>; needs CRMFLOW_DB_*.
set -euo pipefail
source "$(dirname "$0")/db_script.sh" pack "$1" "$2"
source "$(dirname "$0")/pack_lib.sh"
canary_so=$3
export CRMFLOW_CANARY_FILE=$work/canary-ran

mkdir -p "$work/keys" "$work/workflows"
pack_keygen "$work/keys/partner" "Demo Partner GmbH"
pack_keygen "$work/keys/stranger" "Someone Else"
[ "$(stat -c %a "$work/keys/partner.key")" = 600 ] || fail "the secret key is not mode 0600"
grep -q "^crmflow-ed25519 [A-Za-z0-9+/=]* Demo Partner GmbH$" "$work/keys/partner.pub" \
  || fail "unexpected .pub format: $(cat "$work/keys/partner.pub")"
if "$crmflow" pack keygen --out "$work/keys/partner" >"$work/out" 2>&1; then
  fail "keygen overwrote a key"
fi
grep -qF "$work/keys/partner.key: exists already; keygen never overwrites a key" \
  "$work/out" || fail "keygen over an existing key does not say why"

# The pack source as a partner stages it.
src=$work/src/canary
mkdir -p "$src/workflows"
cp "$canary_so" "$src/canary.so"
cat > "$src/workflows/canary-welcome.json" <<'JSON'
{"id": "canary-welcome", "module": "Leads", "trigger": "saved",
 "actions": [{"plugin": "canary_sing", "params": {}}]}
JSON
manifest() {  # manifest <version>
  cat > "$src/manifest.json" <<JSON
{"id": "canary", "name": "Canary test pack", "version": "$1",
 "publisher": "Demo Partner GmbH", "abi": "$(pack_host_abi)",
 "components": [{"file": "canary.so", "kind": "action", "name": "canary_sing"}],
 "files": [{"path": "canary.so"}, {"path": "workflows/canary-welcome.json"}]}
JSON
}
manifest 1.0.0

cat > "$work/crmflow.json" <<JSON
{"plugin_dirs": ["$plugin_dir"],
 "plugins": {"compare": {}, "changes": {}},
 "module_map": "$repo/config/crm/1crm.json", "workflows": "$work/workflows",
 $(pack_config_json "$work/packs" "$work/keys/partner.pub")}
JSON
crm=(--config "$work/crmflow.json")

# sign refuses a file it would not sign and a path leaving the pack.
echo "stray" > "$src/notes.txt"
if "$crmflow" pack sign --key "$work/keys/partner.key" "$src" >"$work/out" 2>&1; then
  fail "sign accepted an unlisted file"
fi
grep -qF "$src/notes.txt: in the pack directory but not listed in manifest.json" "$work/out" \
  || fail "sign does not name the unlisted file"
rm "$src/notes.txt"
sed -i 's|{"path": "canary.so"}|{"path": "../canary.so"}|' "$src/manifest.json"
if "$crmflow" pack sign --key "$work/keys/partner.key" "$src" >"$work/out" 2>&1; then
  fail "sign accepted a path with .."
fi
grep -qF "$src/manifest.json: files[0].path: ../canary.so: '..' leaves the pack directory" \
  "$work/out" || fail "sign does not name manifest.json and the JSON path of a bad path"
[ ! -e "$src/manifest.sig" ] || fail "a refused sign wrote manifest.sig"
manifest 1.0.0

# sign, verify, install.
"$crmflow" pack sign --key "$work/keys/partner.key" "$src" >"$work/out" 2>&1 || fail "pack sign"
key_id=$(cut -d' ' -f2 "$src/manifest.sig")
[ ${#key_id} = 16 ] || fail "no key id in manifest.sig"
grep -q '"sha256": "[0-9a-f]\{64\}"' "$src/manifest.json" || fail "sign wrote no hashes"
"$crmflow" pack verify --trusted "$work/keys/partner.pub" "$src" >"$work/out" 2>&1 \
  || fail "pack verify --trusted"
grep -qF "$src: ok: canary 1.0.0 by Demo Partner GmbH, signed by key $key_id (Demo Partner GmbH)" \
  "$work/out" || fail "verify does not say what it verified"
"$crmflow" "${crm[@]}" pack verify "$src" >"$work/out" 2>&1 || fail "pack verify (config keys)"
"$crmflow" "${crm[@]}" pack install "$src" >"$work/out" 2>&1 || fail "pack install"
grep -qF "installed canary 1.0.0 by Demo Partner GmbH into $work/packs/canary" "$work/out" \
  || fail "install does not say what it installed"
grep -qF "signed by key $key_id" "$work/out" || fail "install does not name the key"
[ ! -e "$CRMFLOW_CANARY_FILE" ] || fail "sign, verify or install ran the pack's code"

# The host verifies and loads it: the canary sings, the workflow is there.
"$crmflow" "${crm[@]}" check >"$work/out" 2>&1 || fail "check with the installed pack"
grep -qF "1 workflows" "$work/out" || fail "the pack's workflow was not loaded"
[ -e "$CRMFLOW_CANARY_FILE" ] || fail "the canary did not run although its pack was loaded"
rm "$CRMFLOW_CANARY_FILE"
"$crmflow" "${crm[@]}" plugins >"$work/out" 2>&1 || fail "plugins with the installed pack"
grep -q "^canary@1.0.0 .* canary_sing .* $work/packs/canary/canary.so$" "$work/out" \
  || fail "plugins does not show the pack and the original file"
grep -q "/proc/self/fd" "$work/out" && fail "plugins shows the memfd path"
rm -f "$CRMFLOW_CANARY_FILE"
# The config's plugins.canary entry belongs to the pack's canary.so: "enabled": false skips it.
sed -i 's|"changes": {}}|"changes": {}, "canary": {"enabled": false}}|' "$work/crmflow.json"
"$crmflow" "${crm[@]}" plugins >"$work/out" 2>&1 || fail "plugins with the pack's file disabled"
grep -q canary_sing "$work/out" && fail "a disabled pack file was loaded"
[ ! -e "$CRMFLOW_CANARY_FILE" ] || fail "a disabled pack file ran code"
sed -i 's|, "canary": {"enabled": false}||' "$work/crmflow.json"

# refused <why> <exact message>: check fails naming the pack and why; no code of it ran.
refused() {
  rm -f "$CRMFLOW_CANARY_FILE"
  if "$crmflow" "${crm[@]}" check >"$work/out" 2>&1; then fail "check accepted: $1"; fi
  grep -qF "error: pack $work/packs/canary: refused: $2" "$work/out" \
    || fail "$1: expected 'pack $work/packs/canary: refused: $2'"
  [ ! -e "$CRMFLOW_CANARY_FILE" ] || fail "$1: the refused pack's code ran"
  if "$crmflow" "${crm[@]}" plugins >"$work/out" 2>&1; then fail "plugins accepted: $1"; fi
  [ ! -e "$CRMFLOW_CANARY_FILE" ] || fail "$1: the refused pack's code ran (plugins)"
}
reinstall() {
  "$crmflow" "${crm[@]}" pack install "$src" >"$work/out" 2>&1 || fail "reinstall"
}

# (1) One byte of the installed .so changed.
printf '\x01' | dd of="$work/packs/canary/canary.so" bs=1 seek=4000 conv=notrunc status=none
refused "a changed .so" \
  "canary.so: sha256 differs from manifest.json (file changed after signing)"
"$crmflow" "${crm[@]}" pack list >"$work/out" 2>&1 && fail "pack list exits 0 with a refused pack"
grep -qF "refused: canary.so: sha256 differs" "$work/out" || fail "pack list does not say why"
reinstall

# (2) The installed manifest changed after signing (the version bumped by hand).
sed -i 's/"version": "1.0.0"/"version": "1.0.1"/' "$work/packs/canary/manifest.json"
refused "a changed manifest" \
  "manifest.sig: signature does not match manifest.json (manifest changed after signing)"
reinstall

# (3) Signed by a key that is not trusted: install refuses; put in place by hand, check refuses.
stranger_src=$work/src-stranger/canary
mkdir -p "$(dirname "$stranger_src")" && cp -r "$src" "$stranger_src"
"$crmflow" pack sign --key "$work/keys/stranger.key" "$stranger_src" >"$work/out" 2>&1 \
  || fail "sign with the stranger's key"
stranger_id=$(cut -d' ' -f2 "$stranger_src/manifest.sig")
untrusted="manifest.sig: signed by key $stranger_id, which is not among the trusted keys (packs.trusted_keys in $work/crmflow.json)"
if "$crmflow" "${crm[@]}" pack install "$stranger_src" >"$work/out" 2>&1; then
  fail "install accepted an untrusted signer"
fi
grep -qF "$untrusted" "$work/out" || fail "install does not say the signer is untrusted"
grep -q '"version": "1.0.0"' "$work/packs/canary/manifest.json" || fail "refused install changed the pack"
rm -rf "$work/packs/canary" && cp -r "$stranger_src" "$work/packs/canary"
refused "an untrusted signer" "$untrusted"
rm -rf "$work/packs/canary"
reinstall

# Unsigned: refused, unless allow_unsigned (development), which loads it with a warning.
rm "$work/packs/canary/manifest.sig"
refused "an unsigned pack" "manifest.sig: missing: the pack is not signed (crmflow pack sign)"
sed -i 's|"packs": {|"packs": {"allow_unsigned": true, |' "$work/crmflow.json"
"$crmflow" "${crm[@]}" check >"$work/out" 2>&1 || fail "allow_unsigned did not load the pack"
grep -qF "pack $work/packs/canary: UNSIGNED pack loaded only because packs.allow_unsigned is true" \
  "$work/out" || fail "no loud warning for the unsigned pack"
[ -e "$CRMFLOW_CANARY_FILE" ] || fail "allow_unsigned: the pack was not loaded"
rm -f "$CRMFLOW_CANARY_FILE"
# A bad signature stays refused with allow_unsigned: only a missing one is excused.
cp "$stranger_src/manifest.sig" "$work/packs/canary/manifest.sig"
refused "an untrusted signer with allow_unsigned" "$untrusted"
sed -i 's|"allow_unsigned": true, ||' "$work/crmflow.json"
rm -rf "$work/packs/canary"

# A newer version replaces the installed one.
reinstall
manifest 1.1.0
"$crmflow" pack sign --key "$work/keys/partner.key" "$src" >"$work/out" 2>&1 || fail "sign 1.1.0"
"$crmflow" "${crm[@]}" pack install "$src" >"$work/out" 2>&1 || fail "install 1.1.0"
grep -qF "installed canary 1.1.0 by Demo Partner GmbH into $work/packs/canary (replacing version 1.0.0)" \
  "$work/out" || fail "install does not say it replaced 1.0.0"
[ -z "$(find "$work/packs" -maxdepth 1 -name '.*' ! -name . ! -name ..)" ] \
  || fail "install left its temporary directory behind"
"$crmflow" "${crm[@]}" pack list >"$work/out" 2>&1 || fail "pack list"
grep -q "^canary  *1.1.0  *Demo Partner GmbH  *$key_id  *ok$" "$work/out" \
  || fail "pack list does not show the installed pack"
[ ! -e "$CRMFLOW_CANARY_FILE" ] || fail "pack list ran the pack's code"

# The reusable helper: sign and install in one step.
pack_sign_install "$work/crmflow.json" "$work/keys/partner.key" "$src"
echo "PASS: packs are signed, verified and installed; a changed file, a changed manifest, an" \
  "untrusted signer and a missing signature are refused before any of their code runs"
