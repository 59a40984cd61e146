#!/usr/bin/env bash
# Runs the Python ctypes snippet of docs/c-api.md (the ```python block after the
# "<!-- snippet: ctypes -->" marker) against a fresh daemon, so the documented binding cannot
# drift from the library: it must exit 0 and land exactly its one row.
#   tests/capi/doc_snippet_test.sh <libzerobusd_c.so> <docs/c-api.md>
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
lib=$1 doc=$2
snippet=$(mktemp "${TMPDIR:-/tmp}/zerobusd-snippet.XXXXXX")
trap 'rm -f "$snippet"' EXIT
awk '/<!-- snippet: ctypes -->/ {armed = 1; next}
     armed && /^```python/ {inside = 1; next}
     inside && /^```/ {exit}
     inside {print}' "$doc" >"$snippet"
[[ -s $snippet ]] || { echo "FAIL: no ctypes snippet found in $doc" >&2; exit 1; }
export ZEROBUSD_C_LIB=$lib
exec "$ROOT/tests/capi/run_checked.sh" main.default.events=1 python3 "$snippet"
