#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, then for each
# build preset (default: dev, asan, tsan) configures, builds and runs every test with ctest.
#   scripts/test.sh                 all presets
#   ZEROBUSD_PRESETS="dev" scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
jobs=$(nproc)
for preset in ${ZEROBUSD_PRESETS:-dev asan tsan}; do
  echo "=== preset $preset ==="
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
done
