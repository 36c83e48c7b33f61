#!/usr/bin/env bash
# Installs the Debian 12 packages crmflow needs to build, test and run its demo.
# Idempotent and non-interactive; run as root (or through sudo). With --fuzz, also clang 16
# and its libFuzzer/sanitizer runtimes for scripts/fuzz.sh (clang 14 cannot compile
# libstdc++ 12's <expected>).
# The MariaDB server binaries come from mariadb-server-core, which ships mariadbd and
# mariadb-install-db without the system service: crmflow runs its own private server
# (scripts/mariadb.sh) and never touches /etc/mysql or a system unit.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format binutils git
  # libraries (Boost.DLL/Asio/Beast are header-only in libboost-dev 1.74)
  libboost-dev libboost-filesystem-dev libboost-system-dev libboost-test-dev
  libsoci-dev libmariadb-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libkainjow-mustache-dev
  libcurl4-openssl-dev libsodium-dev libhowardhinnant-date-dev tzdata
  # the private database server and its client
  mariadb-server-core mariadb-client-core
  # test peers
  python3 python3-aiosmtpd openssl
  # benchmarks (bench/)
  libbenchmark-dev
)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang-16 libclang-rt-16-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root (missing: ${missing[*]})" >&2; exit 1; }
  sudo="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "install-deps: done"
