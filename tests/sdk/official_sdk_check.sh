#!/usr/bin/env bash
# Conformance of zerobus-fake with the official Zerobus SDK (its Rust core, via the npm
# package the driver in ../shared/bench/official-sdk pins): over TLS, the SDK creates a stream,
# ingests records in proto mode and in JSON mode, receives every ack, and every row lands in
# the fake with the right values; then the SDK mints its own OAuth token at the fake.
#   tests/sdk/official_sdk_check.sh <zerobus-fake binary> <work dir> [records]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/scripts/fake-env.sh"
fake_bin=$1
work=$2
records=${3:-100000}
table=main.default.air_quality
setup_official_sdk "$work/official-sdk"

run_mode() {  # label, mode, records, extra driver args
  local label=$1 mode=$2 n=$3; shift 3
  start_fake "$fake_bin" "$work/$label"
  SSL_CERT_FILE=$FAKE_CA node "$SDK_DRIVER" --endpoint "https://localhost:$FAKE_GRPC" \
    --uc "https://localhost:$FAKE_HTTP" --table "$table" --records "$n" --mode "$mode" \
    --batch 1000 --unique 1 "$@" | tee "$work/$label/driver.json"
  fake_counters >"$work/$label/counters.json"
  stop_fake
  python3 "$ROOT/tests/sdk/check_rows.py" --rows "$FAKE_OUT/$table.jsonl" \
    --counters "$work/$label/counters.json" --table "$table" --records "$n"
}

run_mode proto proto "$records"
run_mode json json "$records"
# The SDK's built-in OAuth provider: client credentials against the fake's token endpoint.
run_mode oauth proto 10000 --client-id test-client --client-secret test-secret
python3 - "$work/oauth/counters.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
assert c["workspace"]["tokens_issued"] >= 1, f"the SDK minted no token: {c['workspace']}"
print(f"oauth: the SDK minted {c['workspace']['tokens_issued']} token(s) at the fake")
PY
echo "official SDK conformance: OK"
