#!/usr/bin/env bash
# Fails when a C or C++ source of the project does not follow .clang-format.
# Fix with: clang-format -i <file>
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' '*.cpp' '*.hpp' \
  ':!:tests/abi/v1.0/*')
clang-format --dry-run --Werror "${files[@]}"
echo "format_check: ${#files[@]} files follow .clang-format"
