#!/usr/bin/env bash
# The Python client against the C++ client, in one run, through one zerobusd on one zerobus-fake
# (TLS, rows counted not written): RECORDS AirQuality records of 100 B (proto), batches of
# 1000, every durable ack waited for, one producer process each. Alternates python (sync API),
# C++ (bench/daemon_load) and python (asyncio API), RUNS times, each run with records of its
# own, and prints min / median / max records/s of each.
#   bench/python_vs_cpp.sh [records] [runs]
# Binaries: $ZEROBUSD_BIN_DIR (used as it is), else the release preset is built first.
# Interpreter: $PYTHON (default /usr/bin/python3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
records=${1:-1000000}
runs=${2:-3}
python=${PYTHON:-/usr/bin/python3}
if [[ -n ${ZEROBUSD_BIN_DIR:-} ]]; then
  bin=$ZEROBUSD_BIN_DIR
else
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target zerobus-fake zerobusd daemon_load >/dev/null
  bin=build/release
fi
work=$(mktemp -d /tmp/zerobusd-pybench.XXXXXX)
source scripts/fake-env.sh
cleanup() { stop_daemon; stop_fake; rm -rf "$work"; }
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake" --no-rows
DAEMON_LOG_LEVEL=warn start_daemon "$bin/daemon/server/zerobusd" "$work/daemon"
trap cleanup EXIT

rate() { "$python" -c 'import json, sys; print(json.loads(sys.stdin.readlines()[-1])["records_per_s"])'; }
summary() { "$python" -c '
import statistics, sys
v = [int(x) for x in sys.argv[2:]]
print(f"{sys.argv[1]:34} min {min(v):>9,} median {int(statistics.median(v)):>9,} max {max(v):>9,} records/s")' "$@"; }

py_sync=(); cpp=(); py_aio=()
for run in $(seq "$runs"); do
  base=$(((run - 1) * 3 * records))
  py_sync+=("$("$python" bench/python_client.py --socket "$DAEMON_SOCKET" --records "$records" --first "$base" --api sync | rate)")
  cpp+=("$("$bin/bench/daemon_load" --socket "$DAEMON_SOCKET" --records "$records" --first $((base + records)) --batch 1000 | rate)")
  py_aio+=("$("$python" bench/python_client.py --socket "$DAEMON_SOCKET" --records "$records" --first $((base + 2 * records)) --api aio | rate)")
done
echo "$records records of 100 B per run, $runs runs each, binaries in $bin, $("$python" --version)"
summary "python client (sync, ingest_records)" "${py_sync[@]}"
summary "C++ client (daemon_load)" "${cpp[@]}"
summary "python client (asyncio)" "${py_aio[@]}"
fake_counters | "$python" -c '
import json, sys
t = json.load(sys.stdin)["tables"]["main.default.air_quality"]
print("landed", t.get("landed_records"), "records, duplicates", t.get("duplicates"))'
