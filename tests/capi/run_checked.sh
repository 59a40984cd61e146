#!/usr/bin/env bash
# Runs a command through examples/run.sh (fresh zerobus-fake + zerobusd, $ZEROBUSD_SOCKET set)
# and checks the rows that landed, so a test passes only if the command succeeded AND the fake
# holds exactly the expected rows per table - no more (duplicates), no fewer (lost records),
# and no rows in other tables.
#   tests/capi/run_checked.sh <expect> <command> [args...]
# <expect>: "main.default.events=300[,table=n...]", or "auto": the expectations are the
# "expect-rows <table> <n>" lines the command prints.
# Environment: ZEROBUSD_BIN_DIR as for examples/run.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[[ $# -ge 2 ]] || { sed -n '2,9p' "$0" >&2; exit 2; }
expect=$1; shift
log=$(mktemp "${TMPDIR:-/tmp}/zerobusd-checked.XXXXXX")
trap 'rm -f "$log"' EXIT

set +e
"$ROOT/examples/run.sh" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [[ $rc -ne 0 ]]; then
  echo "FAIL: '$*' exited with $rc" >&2
  exit 1
fi

declare -A want=()
if [[ $expect == auto ]]; then
  while read -r _ table n; do want[$table]=$n; done < <(grep -E '^expect-rows [^ ]+ [0-9]+$' "$log")
  [[ ${#want[@]} -gt 0 ]] || { echo "FAIL: no expect-rows lines in the output" >&2; exit 1; }
else
  IFS=, read -ra pairs <<<"$expect"
  for pair in "${pairs[@]}"; do want[${pair%%=*}]=${pair#*=}; done
fi

declare -A got=()
while read -r _ _ table n _; do got[${table%:}]=$n; done < <(grep -E '^rows in [^ ]+: [0-9]+ ' "$log")

status=0
for table in "${!want[@]}"; do
  if [[ ${want[$table]} -eq 0 && -z ${got[$table]:-} ]]; then continue; fi
  if [[ ${got[$table]:-missing} != "${want[$table]}" ]]; then
    echo "FAIL: $table holds ${got[$table]:-no} rows, expected ${want[$table]}" >&2
    status=1
  else
    echo "ok: $table holds ${want[$table]} rows"
  fi
done
for table in "${!got[@]}"; do
  if [[ -z ${want[$table]:-} && ${got[$table]} -ne 0 ]]; then
    echo "FAIL: unexpected ${got[$table]} rows in $table" >&2
    status=1
  fi
done
exit $status
