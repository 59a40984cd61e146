#!/usr/bin/env bash
# The main job end to end on a fresh Debian 12 machine: installs what is missing, builds,
# starts zerobus-fake over TLS (a local stand-in of Databricks Zerobus), gets an OAuth token
# from it as a real client would, pushes records through a Zerobus stream, and shows the rows
# that landed.
#   scripts/demo.sh [records]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
records=${1:-10000}
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target zerobus-fake fake_load
bin=build/release
work=$(mktemp -d /tmp/zerobusd-demo.XXXXXX)
source scripts/fake-env.sh
start_fake "$bin/tools/zerobus-fake/zerobus-fake" "$work"
echo "zerobus-fake: gRPC https://localhost:$FAKE_GRPC, OAuth/UC https://localhost:$FAKE_HTTP, admin http://127.0.0.1:$FAKE_ADMIN"

table=main.default.air_quality
details='[{"type":"unity_catalog_privileges","privileges":["USE CATALOG"],"object_type":"CATALOG","object_full_path":"main"},{"type":"unity_catalog_privileges","privileges":["USE SCHEMA"],"object_type":"SCHEMA","object_full_path":"main.default"},{"type":"unity_catalog_privileges","privileges":["SELECT","MODIFY"],"object_type":"TABLE","object_full_path":"'$table'"}]'
token=$(curl -sf --cacert "$FAKE_CA" -u test-client:test-secret "https://localhost:$FAKE_HTTP/oidc/v1/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode scope=all-apis \
  --data-urlencode "resource=api://databricks/workspaces/localhost:$FAKE_GRPC/zerobusDirectWriteApi" \
  --data-urlencode "authorization_details=$details" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
echo "OAuth: minted a token scoped to $table"

echo "pushing $records records (100 B, batches of 1000) over TLS ..."
"$bin/bench/fake_load" --target "localhost:$FAKE_GRPC" --ca "$FAKE_CA" --token "$token" \
  --table "$table" --records "$records" --size 100 --batch 1000
echo
echo "rows that landed ($FAKE_OUT/$table.jsonl, first 5 of $(wc -l <"$FAKE_OUT/$table.jsonl")):"
head -n 5 "$FAKE_OUT/$table.jsonl"
echo
echo "counters:"
fake_counters | python3 -c 'import json,sys; c=json.load(sys.stdin); print(json.dumps({"tables": c["tables"], "streams": c["streams"]}, indent=2))'
