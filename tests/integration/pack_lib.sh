# Sourced by tests that need a signed extension pack installed (after db_script.sh, which sets
# $crmflow and $work):
#   source "$(dirname "$0")/pack_lib.sh"
# Helpers:
#   pack_host_abi                      the host's plugin ABI, e.g. 1.5 (from crmflow --version)
#   pack_keygen <base> [comment]       <base>.key and <base>.pub (crmflow pack keygen)
#   pack_sign_install <config> <key> <pack dir>
#       copies the pack directory (e.g. build/packs/membership, with its unsigned manifest)
#       to $work/pack-src/<name>, signs the copy with the .key file and installs it with the
#       host config (whose packs.trusted_keys must hold the matching .pub); fails the test
#       (fail, from db_script.sh) when any step fails. The original directory stays unsigned.
#   pack_config_json <packs dir> <pub file>...   a "packs" member for a host config
pack_host_abi() {
  "$crmflow" --version | sed -n 's/.*plugin ABI \([0-9]*\.[0-9]*\).*/\1/p'
}
pack_keygen() {
  "$crmflow" pack keygen --out "$1" --comment "${2:-test key}" >>"$work/out" 2>&1 \
    || fail "crmflow pack keygen --out $1"
}
pack_sign_install() {
  local config=$1 key=$2 src=$3
  local copy
  copy="$work/pack-src/$(basename "$src")"
  rm -rf "$copy" && mkdir -p "$work/pack-src" && cp -r "$src" "$copy"
  "$crmflow" pack sign --key "$key" "$copy" >>"$work/out" 2>&1 || fail "crmflow pack sign $copy"
  "$crmflow" --config "$config" pack install "$copy" >>"$work/out" 2>&1 \
    || fail "crmflow pack install $copy"
}
pack_config_json() {
  local dir=$1 keys="" key
  shift
  for key in "$@"; do keys="$keys${keys:+, }\"$key\""; done
  printf '"packs": {"dir": "%s", "trusted_keys": [%s]}' "$dir" "$keys"
}
