#!/usr/bin/env bash
# The partner's and the admin's steps for the membership pack on this machine, as
# config/crmflow.json expects them:
#   scripts/demo-pack.sh [crmflow binary] [staged pack dir]
# makes the demo partner's key pair once (.run/keys/demo-partner.key, mode 0600, and .pub,
# which config/crmflow.json trusts), signs a copy of the staged pack (build/packs/membership)
# with it and installs that copy into .run/packs. A real partner signs once with a key kept
# offline and ships the signed directory; the admin only runs `crmflow pack install`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
crmflow=${1:-$repo/build/host/crmflow}
staged=${2:-$repo/build/packs/membership}
keys=$repo/.run/keys
mkdir -p "$keys"
if [ ! -f "$keys/demo-partner.key" ]; then
  "$crmflow" pack keygen --out "$keys/demo-partner" --comment "demo partner (scripts/demo-pack.sh)"
fi
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "$staged" "$copy/membership"
"$crmflow" pack sign --key "$keys/demo-partner.key" "$copy/membership"
"$crmflow" --config "$repo/config/crmflow.json" pack install "$copy/membership"
