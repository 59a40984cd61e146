#!/usr/bin/env bash
# Ack latency with several paced producers, the way a host's applications use zerobusd: P
# producer processes (1, 4, 16) share one total rate, each pacing its batches at RATE/P
# records/s for SECONDS, on one zerobus-fake (TLS, rows counted not written). For each P and
# ack level (accepted, durable), prints the producers' p50/p99/max latency in microseconds: the
# median of their p50s, the worst p99 and the worst max. Runs alternate between the levels.
#   bench/paced_latency.sh [total_rate] [seconds] [runs]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
total_rate=${1:-200000}
seconds=${2:-5}
runs=${3:-3}
bin=${ZEROBUSD_BIN_DIR:-build/release}
if [[ -z ${ZEROBUSD_BIN_DIR:-} ]]; then
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$(nproc)" --target zerobus-fake zerobusd daemon_load >/dev/null
fi
work=$(mktemp -d /tmp/zerobusd-bench.XXXXXX)
source scripts/fake-env.sh
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake" --no-rows
DAEMON_LOG_LEVEL=warn start_daemon "$bin/daemon/server/zerobusd" "$work/daemon"
trap 'stop_daemon; stop_fake; rm -rf "$work"' EXIT

run_paced() {  # producers wait -> one JSON line per producer in $work/out
  local p=$1 wait=$2 per_rate=$((total_rate / $1))
  local pids=()
  : >"$work/out"
  for i in $(seq 0 $((p - 1))); do
    "$bin/bench/daemon_load" --socket "$DAEMON_SOCKET" --records $((per_rate * seconds)) \
      --first $((i * per_rate * seconds)) --rate "$per_rate" --batch 100 --wait "$wait" >>"$work/out" &
    pids+=($!)
  done
  wait "${pids[@]}"  # the producers only: the fake and the daemon are jobs of this shell too
  python3 -c '
import json, statistics, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
p50 = statistics.median(r["latency_p50_us"] for r in rs)
p99 = max(r["latency_p99_us"] for r in rs)
mx = max(r["latency_max_us"] for r in rs)
print(f"{p50:.0f} {p99:.0f} {mx:.0f}")' "$work/out"
}

echo "total $total_rate records/s for ${seconds}s, batches of 100, 100 B AirQuality records"
for p in 1 4 16; do
  for wait in accepted durable; do : >"$work/$wait"; done
  for run in $(seq 1 "$runs"); do
    for wait in accepted durable; do run_paced "$p" "$wait" >>"$work/$wait"; done
  done
  for wait in accepted durable; do
    python3 -c '
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[3]) if l.strip()]
cols = list(zip(*rows))
def fmt(c): return f"{statistics.median(c):.0f} (runs {min(c):.0f}..{max(c):.0f})"
print(f"P={sys.argv[1]:>2} {sys.argv[2]:>8}: p50 {fmt(cols[0])}  p99 {fmt(cols[1])}  max {fmt(cols[2])} us")
' "$p" "$wait" "$work/$wait"
  done
done
