# Sourced by scripts that need a running zerobus-fake: start_fake / stop_fake.
#   start_fake <zerobus-fake binary> <work dir> [extra args...]
# starts it on free loopback ports over TLS (certs from scripts/gen-certs.sh in <work dir>/certs),
# waits (bounded) for its ready file and sets FAKE_PID, FAKE_GRPC, FAKE_HTTP, FAKE_ADMIN, FAKE_CA,
# FAKE_OUT. stop_fake ends it. An EXIT trap stops it whatever happens.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

start_fake() {
  local bin=$1 work=$2; shift 2
  mkdir -p "$work"
  "$ROOT/scripts/gen-certs.sh" "$work/certs" >/dev/null
  FAKE_CA=$work/certs/ca.pem
  FAKE_OUT=$work/out
  rm -rf "$FAKE_OUT" "$work/ready.json"
  "$bin" --config "${FAKE_CONFIG:-$ROOT/config/zerobus-fake.yaml}" \
    --grpc-listen 127.0.0.1:0 --http-listen 127.0.0.1:0 --admin-listen 127.0.0.1:0 \
    --tls-cert "$work/certs/server.pem" --tls-key "$work/certs/server.key" \
    --output-dir "$FAKE_OUT" --ready-file "$work/ready.json" "$@" >"$work/fake.log" 2>&1 &
  FAKE_PID=$!
  trap stop_fake EXIT
  for _ in $(seq 1 200); do
    [[ -f $work/ready.json ]] && break
    kill -0 "$FAKE_PID" 2>/dev/null || { cat "$work/fake.log" >&2; echo "zerobus-fake did not start" >&2; return 1; }
    sleep 0.05
  done
  [[ -f $work/ready.json ]] || { echo "zerobus-fake not ready after 10 s" >&2; return 1; }
  FAKE_GRPC=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["grpc_port"])' "$work/ready.json")
  FAKE_HTTP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["http_port"])' "$work/ready.json")
  FAKE_ADMIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin_port"])' "$work/ready.json")
}

stop_fake() {
  if [[ -n ${FAKE_PID:-} ]] && kill -0 "$FAKE_PID" 2>/dev/null; then
    kill -TERM "$FAKE_PID" 2>/dev/null || true
    wait "$FAKE_PID" 2>/dev/null || true
  fi
  FAKE_PID=
}

fake_counters() { curl -sf "http://127.0.0.1:$FAKE_ADMIN/admin/counters"; }

# start_daemon <zerobusd binary> <work dir> [extra zerobusd args...]
# Runs zerobusd against the fake started by start_fake: TLS with the test CA, OAuth with the
# fake's test client, the socket in <work dir>; waits (bounded) until the socket accepts.
# Sets DAEMON_PID, DAEMON_SOCKET, DAEMON_METRICS.
start_daemon() {
  local bin=$1 work=$2; shift 2
  mkdir -p "$work"
  DAEMON_SOCKET=$work/zerobusd.sock
  DAEMON_METRICS=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cp "$ROOT/config/schemas/air_quality.proto" "$work/air_quality.proto"
  cat >"$work/zerobusd.yaml" <<YAML
service:
  endpoint: https://localhost:$FAKE_GRPC
  workspace_url: https://localhost:$FAKE_HTTP
  ca_bundle_file: $FAKE_CA
auth:
  mode: oauth
  client_id: test-client
  client_secret_env: ZEROBUSD_CLIENT_SECRET
socket:
  path: $DAEMON_SOCKET
metrics:
  listen: 127.0.0.1:$DAEMON_METRICS
log:
  level: ${DAEMON_LOG_LEVEL:-info}
tables:
  - name: main.default.air_quality
    record_type: proto
    proto_file: air_quality.proto
    message: AirQuality
  - name: main.default.events
    record_type: json
YAML
  chmod 600 "$work/zerobusd.yaml"
  ZEROBUSD_CLIENT_SECRET=test-secret "$bin" --config "$work/zerobusd.yaml" "$@" >"$work/zerobusd.log" 2>&1 &
  DAEMON_PID=$!
  trap 'stop_daemon; stop_fake' EXIT
  for _ in $(seq 1 200); do
    if [[ -S $DAEMON_SOCKET ]] && curl -sf "http://127.0.0.1:$DAEMON_METRICS/readyz" >/dev/null; then return 0; fi
    kill -0 "$DAEMON_PID" 2>/dev/null || { cat "$work/zerobusd.log" >&2; echo "zerobusd did not start" >&2; return 1; }
    sleep 0.05
  done
  cat "$work/zerobusd.log" >&2
  echo "zerobusd not ready after 10 s" >&2
  return 1
}

stop_daemon() {
  if [[ -n ${DAEMON_PID:-} ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
    kill -TERM "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null
    DAEMON_EXIT=$?
  fi
  DAEMON_PID=
}

# setup_official_sdk <dir>: the official SDK driver (../shared/bench/official-sdk, read-only)
# copied to <dir> and its pinned npm package installed there. Sets SDK_DRIVER.
setup_official_sdk() {
  local dir=$1 src=${OFFICIAL_SDK_SRC:-$ROOT/../shared/bench/official-sdk}
  mkdir -p "$dir"
  cp "$src"/driver.js "$src"/setup.sh "$src"/air_quality.proto "$dir/"
  (cd "$dir" && sh ./setup.sh)
  SDK_DRIVER=$dir/driver.js
}
