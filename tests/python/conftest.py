"""Fixtures of the Python client's tests: one zerobus-fake and one zerobusd for the session, more
daemons on demand (own limits, restarts), the AirQuality protobuf module generated at run time;
and the helpers the test files share (JSON stream options, running an asyncio test body)."""

import asyncio
import importlib
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "client/python/src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from zerobusd_env import Daemon, Fake, wait_for  # noqa: E402

from zerobusd.shared import RecordType, StreamConfigurationOptions  # noqa: E402

AIR_QUALITY = "main.default.air_quality"
EVENTS = "main.default.events"


def json_options(**kw) -> StreamConfigurationOptions:
    """Options of a JSON stream (the EVENTS table takes JSON), ``kw`` set on top."""
    return StreamConfigurationOptions(record_type=RecordType.JSON, **kw)


JSON = json_options()


def run_async(coro, timeout_s: float = 60):
    """Runs an asyncio test body on a new event loop; a hang fails the test after ``timeout_s``."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="zbpy-"))  # short: Unix socket paths are <= 107 bytes
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def fake(workdir):
    f = Fake(workdir / "fake")
    yield f
    f.stop()


@pytest.fixture(scope="session")
def daemon(fake, workdir):
    d = Daemon(fake, workdir / "daemon")
    yield d
    d.stop()


@pytest.fixture
def make_daemon(fake, workdir):
    """Starts extra daemons (own socket, own config) that the test may stop or kill."""
    started = []

    def make(extra_yaml: str = "") -> Daemon:
        d = Daemon(fake, workdir / f"d-{uuid.uuid4().hex[:8]}", extra_yaml)
        started.append(d)
        return d

    yield make
    for d in started:
        d.stop(timeout_s=10)


@pytest.fixture
def acks_paused(fake):
    """Holds the fake's acks (records stay in flight) until the test resumes them; always resumed."""
    fake.admin("faults/acks", {"mode": "stop"})
    yield lambda: fake.admin("faults/acks", {"mode": "normal"})
    fake.admin("faults/acks", {"mode": "normal"})


@pytest.fixture
def tag():
    """A value unique to the test, put in its rows to find them among the session's."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def air_quality_pb2(workdir):
    """config/schemas/air_quality.proto compiled by protoc for python3-protobuf, never committed."""
    pytest.importorskip("google.protobuf")
    out = workdir / "pb2"
    out.mkdir()
    subprocess.run(
        ["protoc", f"--python_out={out}", f"-I{ROOT / 'config/schemas'}", "air_quality.proto"], check=True
    )
    sys.path.insert(0, str(out))
    return importlib.import_module("air_quality_pb2")


def landed(fake: Fake, table: str, predicate, count: int, timeout_s: float = 20):
    """Waits until ``count`` rows of ``table`` match ``predicate``; returns them."""

    def matching():
        rows = [r for r in fake.rows(table) if predicate(r)]
        return rows if len(rows) >= count else None

    try:
        return wait_for(matching, timeout_s, f"{count} rows in {table}")
    except TimeoutError:
        have = len([r for r in fake.rows(table) if predicate(r)])
        raise AssertionError(f"{have} of {count} rows landed in {table}") from None


def air_quality_bytes(name: str, temp: int, humidity: int) -> bytes:
    """AirQuality{device_name, temp, humidity}, hand-encoded (field 1 string, 2 and 3 varints)."""

    def varint(v: int) -> bytes:
        out = bytearray()
        v &= (1 << 64) - 1
        while True:
            b = v & 0x7F
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                return bytes(out)

    raw = name.encode()
    return b"\x0a" + varint(len(raw)) + raw + b"\x10" + varint(temp) + b"\x18" + varint(humidity)
