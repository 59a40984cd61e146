#!/usr/bin/env bash
# Lints the demo registry's exposition with `promtool check metrics` (Debian's prometheus
# package): it parses the text format and applies Prometheus' naming rules (help present,
# counters end in _total, base units...). Any finding fails the test.
#   promtool_check.sh <metrics_demo>
# Exit 77 (ctest: skipped) only when promtool is not installed.
set -euo pipefail
demo=${1:?usage: promtool_check.sh <metrics_demo>}

if ! command -v promtool >/dev/null; then
  echo "SKIP: promtool not found (apt-get install prometheus; scripts/setup.sh installs it)"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$demo" dump >"$work/metrics.txt"
if [[ ! -s "$work/metrics.txt" ]]; then
  echo "FAIL: metrics_demo dump printed nothing"
  exit 1
fi
set +e
promtool check metrics <"$work/metrics.txt" >"$work/findings.txt" 2>&1
rc=$?
set -e
if ((rc != 0)) || [[ -s "$work/findings.txt" ]]; then
  echo "FAIL: promtool check metrics exited $rc:"
  cat "$work/findings.txt"
  echo "--- exposition ---"
  cat "$work/metrics.txt"
  exit 1
fi
families=$(grep -c '^# TYPE' "$work/metrics.txt")
echo "$(promtool --version 2>&1 | head -1): $families families, no findings"
