"""Starts zerobus-fake (TLS, OAuth) and zerobusd for the Python client's tests, as
scripts/fake-env.sh does for the shell scripts: free loopback ports, a ready file, bounded
waits, the same daemon config (plus extra YAML a test may append, e.g. small limits).

Binaries: $ZEROBUSD_BIN and $ZEROBUS_FAKE_BIN (ctest passes them), else build/dev's.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 20


def _binary(env_name: str, default: str) -> str:
    path = os.environ.get(env_name) or str(ROOT / "build/dev" / default)
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"{path} is not an executable (set ${env_name})")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout_s: float, what: str, interval_s: float = 0.02):
    """Polls ``predicate`` until it returns something truthy; raises after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


class Fake:
    """zerobus-fake over TLS with its admin API; rows land in ``out/<table>.jsonl``."""

    def __init__(self, work: Path):
        self.work = work
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(ROOT / "scripts/gen-certs.sh"), str(work / "certs")], check=True, stdout=subprocess.DEVNULL)
        self.ca = work / "certs/ca.pem"
        self.out = work / "out"
        ready = work / "ready.json"
        self.log = open(work / "fake.log", "wb")
        self.proc = subprocess.Popen(
            [
                _binary("ZEROBUS_FAKE_BIN", "tools/zerobus-fake/zerobus-fake"),
                "--config", str(ROOT / "config/zerobus-fake.yaml"),
                "--grpc-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--tls-cert", str(work / "certs/server.pem"), "--tls-key", str(work / "certs/server.key"),
                "--output-dir", str(self.out), "--ready-file", str(ready),
            ],
            stdout=self.log, stderr=subprocess.STDOUT,
        )

        def is_ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"zerobus-fake exited: {(work / 'fake.log').read_text()[-2000:]}")
            try:
                return json.loads(ready.read_text())
            except (OSError, ValueError):
                return None

        try:
            ports = wait_for(is_ready, START_TIMEOUT_S, "zerobus-fake's ready file")
        except BaseException:
            self.stop()  # never leave a process behind
            raise
        self.grpc_port, self.http_port, self.admin_port = ports["grpc_port"], ports["http_port"], ports["admin_port"]

    def admin(self, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.admin_port}/admin/{path}", data=data, method="POST" if data is not None or path in ("reset",) else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def rows(self, table: str):
        path = self.out / f"{table}.jsonl"
        if not path.exists():
            return []
        rows = []
        for line in path.read_text().splitlines():
            if line.strip():
                try:
                    rows.append(json.loads(line)["row"])
                except ValueError:  # a line being written right now
                    pass
        return rows

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Daemon:
    """zerobusd against ``fake``, its socket in ``work``. ``extra_yaml`` is appended to the
    config (top-level keys such as ``limits:``)."""

    def __init__(self, fake: Fake, work: Path, extra_yaml: str = ""):
        self.fake = fake
        self.work = work
        self.extra_yaml = extra_yaml
        work.mkdir(parents=True, exist_ok=True)
        self.socket = str(work / "zerobusd.sock")
        self.metrics_port = _free_port()
        (work / "air_quality.proto").write_text((ROOT / "config/schemas/air_quality.proto").read_text())
        config = work / "zerobusd.yaml"
        config.write_text(
            f"""service:
  endpoint: https://localhost:{fake.grpc_port}
  workspace_url: https://localhost:{fake.http_port}
  ca_bundle_file: {fake.ca}
auth:
  mode: oauth
  client_id: test-client
  client_secret_env: ZEROBUSD_CLIENT_SECRET
socket:
  path: {self.socket}
metrics:
  listen: 127.0.0.1:{self.metrics_port}
log:
  level: info
tables:
  - name: main.default.air_quality
    record_type: proto
    proto_file: air_quality.proto
    message: AirQuality
  - name: main.default.events
    record_type: json
{extra_yaml}"""
        )
        config.chmod(0o600)
        self.config = config
        self.proc = None
        self.start()

    def start(self):
        self.log = open(self.work / "zerobusd.log", "ab")
        env = dict(os.environ, ZEROBUSD_CLIENT_SECRET="test-secret")
        self.proc = subprocess.Popen(
            [_binary("ZEROBUSD_BIN", "daemon/server/zerobusd"), "--config", str(self.config)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )

        def is_ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"zerobusd exited: {(self.work / 'zerobusd.log').read_text()[-3000:]}")
            if not os.path.exists(self.socket):
                return False
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/readyz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        try:
            wait_for(is_ready, START_TIMEOUT_S, "zerobusd to be ready")
        except BaseException:
            self.kill()  # never leave a process behind
            raise

    def stop(self, sig=signal.SIGTERM, timeout_s: float = 30):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None:
            self.log.close()
        self.proc = None

    def kill(self):
        self.stop(signal.SIGKILL)
