"""What the client does when the daemon goes away, restarts, shuts down, or says something the
protocol does not allow: every pending wait ends with a clear exception, within bounded time."""

import asyncio
import struct
import time

import pytest
from conftest import EVENTS, json_options, landed, run_async
from scripted_daemon import ScriptedDaemon, ack, error, frame, open_result, welcome, window
from zerobusd_env import wait_for

from zerobusd import _wire as w
from zerobusd import aio
from zerobusd.shared import ErrorCode, NonRetriableException, StreamState, TableProperties, ZerobusException
from zerobusd.sync import ZerobusSdk


def test_no_daemon_is_a_retriable_error_naming_the_socket(tmp_path):
    path = str(tmp_path / "none.sock")
    with pytest.raises(ZerobusException) as caught:
        ZerobusSdk(path).create_stream(None, None, TableProperties(EVENTS), json_options())
    assert not isinstance(caught.value, NonRetriableException)
    assert caught.value.code == ErrorCode.NOT_CONNECTED and path in str(caught.value)


def test_daemon_killed_mid_stream_fails_pending_acks_retriably_then_recreate_resends(make_daemon, fake, tag, acks_paused):
    d = make_daemon()
    sdk = ZerobusSdk(d.socket)
    stream = sdk.create_stream(None, None, TableProperties(EVENTS), json_options(recovery=False))
    ack_ = stream.ingest_records([{"id": i, "kind": tag} for i in range(5)])
    ack_.wait_accepted(10)  # in the daemon, held by the service
    d.kill()
    started = time.monotonic()
    with pytest.raises(ZerobusException) as caught:
        ack_.wait_for_ack(10)
    assert time.monotonic() - started < 5
    assert not isinstance(caught.value, NonRetriableException)
    assert {f.code for f in ack_.failures} == {ErrorCode.CONNECTION_LOST}
    assert "outcome unknown" in ack_.failures[0].message
    assert stream.get_state() == StreamState.FAILED
    assert len(stream.get_unacked_records()) == 5
    with pytest.raises(ZerobusException, match="recreate_stream") as caught:
        stream.ingest_record({"id": 9, "kind": tag})
    assert caught.value.retriable

    acks_paused()  # the service acks again
    d.start()
    new = sdk.recreate_stream(stream)
    new.flush()
    new.close()
    rows = landed(fake, EVENTS, lambda r: r.get("kind") == tag, 5)
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3, 4]  # the killed call landed nothing


def test_recovery_reconnects_on_the_next_call_after_a_restart(make_daemon, fake, tag):
    d = make_daemon()
    opts = json_options(recovery=True, recovery_retries=100, recovery_backoff_ms=50, recovery_timeout_ms=20000)
    with ZerobusSdk(d.socket).create_stream(None, None, TableProperties(EVENTS), opts) as stream:
        stream.ingest_record({"id": 1, "kind": tag}).wait_for_ack(10)
        d.stop()
        wait_for(lambda: stream.get_state() == StreamState.RECOVERING, 10, "the stream to notice")
        d.start()
        assert stream.ingest_record({"id": 2, "kind": tag}).wait_for_ack(10) == 1
        assert stream.get_state() == StreamState.OPENED
    landed(fake, EVENTS, lambda r: r.get("kind") == tag, 2)


def _recovery_that_fails(api: str, path: str, opts):
    """Opens a stream to ``path``, waits until it notices the daemon hung up, then makes one
    ingest call that must reconnect and cannot: (its exception, its seconds, the state after)."""
    if api == "sync":
        stream = ZerobusSdk(path).create_stream(None, None, TableProperties(EVENTS), opts)
        wait_for(lambda: stream.get_state() == StreamState.RECOVERING, 10, "the stream to notice")
        started = time.monotonic()
        with pytest.raises(ZerobusException) as caught:
            stream.ingest_record({"id": 1})
        seconds = time.monotonic() - started
        state = stream.get_state()
        stream.close()
        return caught.value, seconds, state

    async def main():
        stream = await aio.ZerobusSdk(path).create_stream(None, None, TableProperties(EVENTS), opts)
        deadline = time.monotonic() + 10
        while stream.get_state() != StreamState.RECOVERING:
            assert time.monotonic() < deadline, "the stream did not notice the hang-up"
            await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(ZerobusException) as caught:
            await stream.ingest_record({"id": 1})
        seconds = time.monotonic() - started
        state = stream.get_state()
        await stream.close()
        return caught.value, seconds, state

    return run_async(main())


@pytest.mark.parametrize("api", ["sync", "aio"])
@pytest.mark.parametrize(
    "timeout_ms, retries, backoff_ms, at_least_s",
    [(400, 100, 50, 0.4), (20000, 3, 250, 0.5)],  # 3 attempts: 2 backoffs
    ids=["recovery_timeout_ms", "recovery_retries"],
)
def test_recovery_gives_up_after_its_timeout_or_its_retries(tmp_path, api, timeout_ms, retries, backoff_ms, at_least_s):
    def script(peer):
        peer.handshake()  # then hang up; the listener closes too, so every reconnect is refused

    s = scripted(tmp_path, script)
    opts = json_options(recovery=True, recovery_timeout_ms=timeout_ms, recovery_retries=retries, recovery_backoff_ms=backoff_ms)
    error, seconds, state = _recovery_that_fails(api, s.path, opts)
    s.join()
    assert at_least_s * 0.95 <= seconds < 5
    assert error.retriable and error.code == ErrorCode.NOT_CONNECTED
    assert f"cannot reconnect the stream to {EVENTS}" in str(error)
    assert isinstance(error.cause, ZerobusException) and s.path in str(error.cause)  # the last attempt's
    assert state == StreamState.FAILED


def test_daemon_shutdown_ends_pending_records_with_a_retriable_error(make_daemon, tag, acks_paused):
    d = make_daemon("shutdown:\n  drain_timeout_ms: 300\n")
    stream = ZerobusSdk(d.socket).create_stream(None, None, TableProperties(EVENTS), json_options(recovery=False))
    ack_ = stream.ingest_records([{"id": i, "kind": tag} for i in range(3)])
    ack_.wait_accepted(10)
    d.stop()  # SIGTERM: GOODBYE (shutting down), drain, close
    with pytest.raises(ZerobusException) as caught:
        ack_.wait_for_ack(10)
    assert caught.value.retriable
    assert {f.code for f in ack_.failures} <= {ErrorCode.SHUTTING_DOWN, ErrorCode.CONNECTION_LOST, ErrorCode.UPSTREAM_UNAVAILABLE}
    with pytest.raises(ZerobusException):
        stream.ingest_record({"id": 9, "kind": tag})
    stream.close()  # wait_for_ack() saw the failures: close() does not raise them again
    assert stream.get_state() == StreamState.CLOSED


# --- a daemon that breaks the protocol ---------------------------------------------------------


def scripted(tmp_path, script):
    return ScriptedDaemon(str(tmp_path / "s.sock"), script)


@pytest.mark.parametrize(
    "reply, code, message",
    [
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", ErrorCode.PROTOCOL_ERROR, "bad magic"),
        (frame(w.WELCOME, welcome()[8:] + b"!"), ErrorCode.PROTOCOL_ERROR, "left over"),
        (frame(w.WELCOME, b"\x01\x03"), ErrorCode.PROTOCOL_ERROR, "too short"),
        (frame(w.ACK, struct.pack("<IBQ", 1, 2, 0)), ErrorCode.PROTOCOL_ERROR, "ACK before WELCOME"),
        (struct.pack("<HBBI", 0x425A, 1, w.WELCOME, 1 << 30), ErrorCode.PROTOCOL_ERROR, "exceeds the limit"),
        (error(ErrorCode.LIMIT_EXCEEDED, True, "too many connections", retriable=True), ErrorCode.LIMIT_EXCEEDED, "too many"),
    ],
    ids=["http-reply", "trailing-byte", "short-welcome", "ack-first", "huge-frame", "fatal-error"],
)
def test_a_bad_handshake_is_a_clear_exception(tmp_path, reply, code, message):
    def script(peer):
        assert peer.read_frame()[0] == w.HELLO
        peer.send(reply)
        peer.read_frame()  # until the client hangs up

    s = scripted(tmp_path, script)
    with pytest.raises(ZerobusException, match=message) as caught:
        ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options())
    assert caught.value.code == code
    s.join()


def test_a_silent_daemon_times_the_handshake_out(tmp_path):
    def script(peer):
        peer.read_frame()
        peer.read_frame(timeout_s=10)  # says nothing; returns when the client gives up

    s = scripted(tmp_path, script)
    started = time.monotonic()
    with pytest.raises(ZerobusException, match="did not complete the handshake") as caught:
        ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options(connect_timeout_ms=300))
    assert 0.25 < time.monotonic() - started < 5
    assert caught.value.code == ErrorCode.NOT_CONNECTED
    s.join()


@pytest.mark.parametrize(
    "reply, message",
    [
        (ack(1, 2, 50), "covers records never sent"),
        (ack(7, 2, 1), "handle 7"),
        (frame(w.REJECT, struct.pack("<IQIHB", 1, 3, 1, 11, 0) + b"\x00\x00"), "never sent"),
        (frame(w.FLUSHED, struct.pack("<IH", 99, 0) + b"\x00\x00"), "no FLUSH"),
        (struct.pack("<HBBI", 0x425A, 1, w.ACK, 70000), "exceeds the limit"),
        (frame(w.OPEN_RESULT, struct.pack("<IHI", 1, 0, 2) + b"\x00\x00"), "unexpected OPEN_RESULT"),
    ],
    ids=["ack-beyond-sent", "unknown-handle", "reject-unsent", "flushed-no-flush", "huge-frame", "second-open-result"],
)
def test_a_broken_guarantee_mid_stream_fails_pending_acks(tmp_path, reply, message):
    def script(peer):
        peer.handshake()
        t, payload = peer.read_frame()
        assert t == w.RECORDS
        peer.send(reply)
        peer.read_frame()  # the client drops the connection

    s = scripted(tmp_path, script)
    stream = ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options(recovery=False))
    a = stream.ingest_record({"id": 1, "kind": "x"})
    with pytest.raises(ZerobusException, match=message) as caught:
        a.wait_for_ack(10)
    assert caught.value.retriable and a.failures[0].code == ErrorCode.PROTOCOL_ERROR
    assert stream.get_state() == StreamState.FAILED
    s.join()
    stream.close()  # the failure was seen through the ack


def test_fatal_error_from_the_daemon_fails_pending_acks(tmp_path):
    def script(peer):
        peer.handshake()
        peer.read_frame()
        peer.send(error(ErrorCode.SEQUENCE_GAP, True, "first_seq 5, expected 0"))

    s = scripted(tmp_path, script)
    stream = ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options(recovery=False))
    a = stream.ingest_record({"id": 1, "kind": "x"})
    with pytest.raises(ZerobusException, match="SEQUENCE_GAP"):
        a.wait_for_ack(10)
    s.join()


def test_a_daemon_that_never_acks_cannot_hang_waits_flush_or_close(tmp_path):
    def script(peer):
        peer.handshake()
        peer.read_frame()  # RECORDS
        peer.read_frame()  # FLUSH
        peer.read_frame(timeout_s=10)  # GOODBYE, then the client hangs up

    s = scripted(tmp_path, script)
    stream = ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options(flush_timeout_ms=300))
    a = stream.ingest_record({"id": 1, "kind": "x"})
    with pytest.raises(ZerobusException) as caught:
        a.wait_for_ack(0.2)
    assert caught.value.code == ErrorCode.WAIT_TIMEOUT
    with pytest.raises(ZerobusException, match="flush not complete"):
        stream.flush()
    started = time.monotonic()
    with pytest.raises(ZerobusException):
        stream.close()  # gives up after flush_timeout_ms: the record's outcome is lost
    assert time.monotonic() - started < 3
    assert a.failures[0].code == ErrorCode.CONNECTION_LOST
    s.join()


def test_a_zero_window_holds_records_until_it_opens(tmp_path):
    def script(peer):
        peer.handshake(welcome(max_records=10, win_records=10, win_bytes=65536), open_result(), window(0, 0))
        s.go.wait(10)
        assert peer.nothing_pending(), "the client sent records into a zero window"
        peer.send(window(10, 65536))
        t, payload = peer.read_frame()
        assert t == w.RECORDS
        handle, first_seq, count = struct.unpack_from("<IQI", payload)
        assert (first_seq, count) == (0, 1)
        peer.send(ack(1, 2, 1))
        peer.read_frame()  # GOODBYE
        peer.send(frame(w.DAEMON_GOODBYE, b"\x00\x00\x00\x00"))

    s = scripted(tmp_path, script)
    stream = ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options())
    a = stream.ingest_record({"id": 1, "kind": "x"})
    with pytest.raises(ZerobusException):
        a.wait_accepted(0.3)  # not sent: the window is zero
    s.go.set()
    assert a.wait_for_ack(10) == 0
    stream.close()
    s.join()


def test_asyncio_stream_fails_pending_acks_on_a_malformed_frame(tmp_path):
    def script(peer):
        peer.handshake()
        peer.read_frame()
        peer.send(b"\x5a\x42\x01\x83\x0d\x00\x00\x00" + b"\x01\x00\x00\x00\x05" + b"\x00" * 8)  # level 5
        peer.read_frame()

    s = scripted(tmp_path, script)

    async def main():
        stream = await aio.ZerobusSdk(s.path).create_stream(None, None, TableProperties(EVENTS), json_options(recovery=False))
        a = await stream.ingest_record({"id": 1, "kind": "x"})
        with pytest.raises(ZerobusException, match="level is 5"):
            await a
        assert stream.get_state() == StreamState.FAILED
        await stream.close()

    run_async(main(), 20)
    s.join()
