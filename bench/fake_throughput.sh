#!/usr/bin/env bash
# How fast zerobus-fake takes records, so that it never caps a benchmark of zerobusd or the
# official SDK. fake_load pushes 100-byte AirQuality records in 1000-record batches over TLS
# and waits for every ack; the fake decodes every record, counts duplicates, and either writes
# every row as JSON (rows) or only counts them (--no-rows). Each case runs RUNS times; prints
# min / median / max records/s.
#   bench/fake_throughput.sh [records per run] [runs]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
records=${1:-2000000}
runs=${2:-3}
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target zerobus-fake fake_load >/dev/null
bin=build/release
work=$(mktemp -d /tmp/zerobusd-bench.XXXXXX)
source scripts/fake-env.sh

summary() { python3 -c '
import json, statistics, sys
rs = [json.loads(l)["records_per_s"] for l in sys.stdin if l.strip()]
print(f"min {min(rs):>9,}  median {int(statistics.median(rs)):>9,}  max {max(rs):>9,} records/s")'; }

for rows in no-rows rows; do
  for streams in 1 2; do
    args=(); [[ $rows == no-rows ]] && args=(--no-rows)
    : >"$work/results"
    for _ in $(seq "$runs"); do
      start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake" "${args[@]}"
      "$bin/bench/fake_load" --target "localhost:$FAKE_GRPC" --ca "$FAKE_CA" --records "$records" \
        --size 100 --batch 1000 --streams "$streams" >>"$work/results"
      stop_fake
    done
    printf '%-8s streams=%d  ' "$rows" "$streams"
    summary <"$work/results"
  done
done
rm -rf "$work"
