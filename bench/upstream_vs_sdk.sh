#!/usr/bin/env bash
# One zerobusd upstream stream (bench/upstream_load) against the official SDK
# (../shared/bench/official-sdk/driver.js, npm @databricks/zerobus-ingest-sdk-linux-x64-gnu)
# on the same zerobus-fake over TLS, alternating runs, batches of 1000. CPU is the whole
# driver process (startup included) per record. Prints min/median/max records/s per driver
# and case, the ratio of medians, and median CPU ns per record.
#   bench/upstream_vs_sdk.sh [records] [runs]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
records=${1:-1000000}
runs=${2:-5}
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target zerobus-fake upstream_load >/dev/null
bin=build/release
work=$(mktemp -d /tmp/zerobusd-bench.XXXXXX)
source scripts/fake-env.sh
setup_official_sdk "$work/official-sdk"
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake" --no-rows
endpoint=https://localhost:$FAKE_GRPC

for case in "proto 100" "json 100" "json 1000"; do
  set -- $case
  mode=$1 size=$2
  : >"$work/sdk.jsonl"; : >"$work/ours.jsonl"
  for _ in $(seq "$runs"); do
    SSL_CERT_FILE=$FAKE_CA bench/run_measured.py node "$SDK_DRIVER" --endpoint "$endpoint" \
      --records "$records" --size "$size" --mode "$mode" --batch 1000 >>"$work/sdk.jsonl"
    bench/run_measured.py "$bin/bench/upstream_load" --endpoint "$endpoint" --ca "$FAKE_CA" \
      --records "$records" --size "$size" --mode "$mode" --batch 1000 >>"$work/ours.jsonl"
  done
  python3 - "$mode" "$size" "$work/sdk.jsonl" "$work/ours.jsonl" <<'PY'
import json, statistics, sys
mode, size, sdk_file, ours_file = sys.argv[1:]
def load(f): return [json.loads(l) for l in open(f) if l.strip()]
sdk, ours = load(sdk_file), load(ours_file)
def rates(rs): return [r["records_per_s"] for r in rs]
def cpu(rs): return statistics.median(r["process_cpu_ns_per_record"] for r in rs)
for name, rs in (("official SDK", sdk), ("zerobusd upstream", ours)):
    r = rates(rs)
    print(f"{mode:5} {size:>5} B  {name:18} records/s min {min(r):>9,} median {int(statistics.median(r)):>9,} max {max(r):>9,}  cpu {cpu(rs):7.0f} ns/record")
ratio = statistics.median(rates(ours)) / statistics.median(rates(sdk))
print(f"{mode:5} {size:>5} B  ratio zerobusd/SDK records/s {ratio:.2f}x, cpu per record {cpu(ours)/cpu(sdk):.2f}x")
PY
done
stop_fake
rm -rf "$work"
