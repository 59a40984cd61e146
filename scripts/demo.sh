#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine: installs what is missing, builds,
# starts zerobus-fake over TLS (a local stand-in of Databricks Zerobus), starts zerobusd against
# it (OAuth token from the fake, TLS with the test CA), has a producer push records through
# zerobusd's Unix socket with the C++ client library, waits for every durable ack, and shows the
# rows that landed and the daemon's metrics.
#   scripts/demo.sh [records]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
records=${1:-10000}
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target zerobus-fake zerobusd daemon_load
bin=build/release
work=$(mktemp -d /tmp/zerobusd-demo.XXXXXX)
source scripts/fake-env.sh
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work/fake"
echo "zerobus-fake: gRPC https://localhost:$FAKE_GRPC, OAuth/UC https://localhost:$FAKE_HTTP, admin http://127.0.0.1:$FAKE_ADMIN"
start_daemon "$bin/daemon/server/zerobusd" "$work/daemon"
echo "zerobusd:     socket $DAEMON_SOCKET, metrics http://127.0.0.1:$DAEMON_METRICS/metrics"

table=main.default.air_quality
echo "producer:     $records records of 100 B into $table, waiting for durable acks ..."
"$bin/bench/daemon_load" --socket "$DAEMON_SOCKET" --table "$table" --records "$records" --size 100 --batch 1000
echo
echo "rows that landed ($FAKE_OUT/$table.jsonl, first 5 of $(wc -l <"$FAKE_OUT/$table.jsonl")):"
head -n 5 "$FAKE_OUT/$table.jsonl"
echo
echo "zerobusd metrics:"
curl -sf "http://127.0.0.1:$DAEMON_METRICS/metrics" | grep -E '^zerobusd_(records_(received|accepted|durable)_total|streams|token_fetches_total\{result="ok"\})' || true
stop_daemon
echo
echo "zerobusd stopped (exit ${DAEMON_EXIT:-?}: 0 means everything it accepted was durable)"
