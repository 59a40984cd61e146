#!/usr/bin/env bash
# zerobusd against the official SDK, in one run, on one zerobus-fake (TLS, rows counted not
# written): P producer processes (1, 4, 16) each sending RECORDS/P records and waiting for
# durable acks, through zerobusd (bench/daemon_load, C++ client library) and streaming
# directly with the official SDK (../shared/bench/official-sdk/driver.js, one stream each).
# Rate = all records / the slowest producer's own timed seconds (stream setup excluded for
# both). Also: zerobusd's idle RSS, and accepted-ack latency at half of the measured peak.
#   bench/daemon_vs_sdk.sh [records] [runs]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
records=${1:-400000}
runs=${2:-3}
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target zerobus-fake zerobusd daemon_load >/dev/null
bin=build/release
work=$(mktemp -d /tmp/zerobusd-bench.XXXXXX)
source scripts/fake-env.sh
setup_official_sdk "$work/official-sdk"
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake" --no-rows
DAEMON_LOG_LEVEL=warn start_daemon "$bin/daemon/server/zerobusd" "$work/daemon"
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/"$DAEMON_PID"/status)
echo "zerobusd idle RSS: $((rss_kb / 1024)) MB ($rss_kb kB)"

run_parallel() {  # driver producers size -> prints aggregate records/s
  local driver=$1 p=$2 size=$3 per=$((records / $2))
  : >"$work/out"
  for i in $(seq 0 $((p - 1))); do
    if [[ $driver == sdk ]]; then
      SSL_CERT_FILE=$FAKE_CA node "$SDK_DRIVER" --endpoint "https://localhost:$FAKE_GRPC" \
        --records "$per" --size "$size" --mode proto --batch 1000 >>"$work/out" &
    else
      "$bin/bench/daemon_load" --socket "$DAEMON_SOCKET" --records "$per" --first $((i * per)) \
        --size "$size" --mode proto --batch 1000 >>"$work/out" &
    fi
  done
  wait
  python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(rs) == int(sys.argv[2]), f"{len(rs)} of {sys.argv[2]} producers reported"
print(int(sum(r["records"] for r in rs) / max(r["seconds"] for r in rs)))' "$work/out" "$p"
}

summary() { python3 -c '
import statistics, sys
v = [int(x) for x in sys.argv[2:]]
print(f"{sys.argv[1]:42} min {min(v):>9,} median {int(statistics.median(v)):>9,} max {max(v):>9,} records/s")' "$@"; }

peak=0
for size in 100 1000; do
  for p in 1 4 16; do
    sdk_rates=(); zd_rates=()
    for _ in $(seq "$runs"); do
      sdk_rates+=("$(run_parallel sdk "$p" "$size")")
      zd_rates+=("$(run_parallel zerobusd "$p" "$size")")
    done
    summary "size=$size P=$p official SDK (direct)" "${sdk_rates[@]}"
    summary "size=$size P=$p zerobusd" "${zd_rates[@]}"
    python3 -c '
import statistics, sys
n = int(sys.argv[1]); a = [int(x) for x in sys.argv[2:2+n]]; b = [int(x) for x in sys.argv[2+n:]]
print(" " * 42 + f" ratio zerobusd/SDK (medians) {statistics.median(b)/statistics.median(a):.2f}x")' "$runs" "${sdk_rates[@]}" "${zd_rates[@]}"
    if [[ $size == 100 && $p == 4 ]]; then peak=$(printf '%s\n' "${zd_rates[@]}" | sort -n | tail -1); fi
  done
done

half=$((peak / 2))
echo "accepted-ack latency at half of peak ($half records/s, 1 producer, batches of 100):"
"$bin/bench/daemon_load" --socket "$DAEMON_SOCKET" --records $((half * 5)) --rate "$half" --batch 100 --wait accepted
stop_daemon
stop_fake
rm -rf "$work"
