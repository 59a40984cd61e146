#!/usr/bin/env bash
# Runs one example (any command) against a local zerobus-fake and zerobusd, then shows the rows
# that landed. The example finds the daemon through $ZEROBUSD_SOCKET, like any producer.
#   examples/run.sh <command> [args...]
#   examples/run.sh python3 examples/python/sync_json.py
# The tables (scripts/fake-env.sh start_daemon): main.default.air_quality (proto, AirQuality in
# config/schemas/air_quality.proto) and main.default.events (JSON).
# Binaries come from $ZEROBUSD_BIN_DIR (default build/dev; built first if missing). Exit code:
# the example's. The work directory is removed unless KEEP_WORK=1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -ge 1 ]] || { sed -n '2,10p' "$0" >&2; exit 2; }
bin=${ZEROBUSD_BIN_DIR:-$ROOT/build/dev}
if [[ ! -x $bin/daemon/server/zerobusd || ! -x $bin/tools/zerobus-fake/zerobus-fake ]]; then
  (cd "$ROOT" && cmake --preset dev >/dev/null && cmake --build --preset dev --target zerobusd zerobus-fake)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/zerobusd-example.XXXXXX")
source "$ROOT/scripts/fake-env.sh"
cleanup() {
  stop_daemon
  stop_fake
  [[ ${KEEP_WORK:-0} == 1 ]] || rm -rf "$work"
}
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake"
start_daemon "$bin/daemon/server/zerobusd" "$work/daemon"
trap cleanup EXIT
export ZEROBUSD_SOCKET=$DAEMON_SOCKET
set +e
"$@"
rc=$?
set -e
# The example's exit code is what this script reports; the daemon's ends up in $DAEMON_EXIT.
stop_daemon || true
for rows in "$FAKE_OUT"/*.jsonl; do
  [[ -f $rows ]] || continue
  echo "rows in $(basename "$rows" .jsonl): $(wc -l <"$rows") (first 3)"
  head -n 3 "$rows"
done
exit $rc
