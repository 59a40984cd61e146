"""The synchronous stream: a blocking Unix socket with two threads per connection.

Thread affinity: ZerobusStream and RecordAcknowledgment are thread-safe. Each connection runs a
reader thread (parses the daemon's frames, completes acknowledgments, runs callbacks) and a
writer thread (coalesces queued records into RECORDS frames within the daemon's window). All
protocol state lives in the sans-IO core and is touched only with ``_cond``'s lock held.
Errors: every failure is a ZerobusException / NonRetriableException; every wait is bounded.
"""

import logging
import socket
import threading
import time
from typing import List, Optional

from .. import _wire as w
from .._api_base import AckBase, StreamBase
from .._connection import Connection, ConnectionEnded, Submission
from .._handshake import Handshake, protocol_error
from .._recovery import RecoveryPlan
from .._stream_core import StreamCore
from ..shared.definitions import StreamState
from ..shared.errors import ErrorCode, ZerobusException, failures_error, make_error

logger = logging.getLogger("zerobusd")
_RECV_BYTES = 256 * 1024


def connect(core: StreamCore, path: str, timeout_s: float, client_name: str):
    """Connects and opens the table: (Connection, socket, frames that followed OPEN_RESULT)."""
    deadline = time.monotonic() + timeout_s
    hs = Handshake(core.table, int(core.record_type), client_name)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout_s)
        try:
            sock.connect(path)
        except OSError as e:
            raise make_error(
                ErrorCode.NOT_CONNECTED, f"cannot connect to zerobusd at {path}: {e.strerror or e}", retriable=True
            ) from e
        sock.sendall(hs.hello)
        leftover = []
        while not hs.done:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout()
            sock.settimeout(remaining)
            data = sock.recv(65536)
            if not data:
                raise make_error(
                    ErrorCode.NOT_CONNECTED, f"zerobusd at {path} closed the connection during the handshake", retriable=True
                )
            try:
                frames = hs.reader.feed(data)
            except w.ProtocolError as e:
                raise protocol_error(str(e), during="handshake") from None
            for frame_type, payload in frames:
                if hs.done:
                    leftover.append((frame_type, payload))
                    continue
                reply = hs.on_frame(frame_type, payload)
                if reply:
                    sock.sendall(reply)
        sock.settimeout(None)
        return Connection(core, hs), sock, leftover
    except ZerobusException:
        sock.close()
        raise
    except socket.timeout:
        sock.close()
        raise make_error(
            ErrorCode.NOT_CONNECTED,
            f"zerobusd at {path} did not complete the handshake within {timeout_s * 1000:.0f} ms",
            retriable=True,
        ) from None
    except OSError as e:
        sock.close()
        raise make_error(ErrorCode.NOT_CONNECTED, f"connection to zerobusd at {path} failed: {e}", retriable=True) from e


class RecordAcknowledgment(AckBase):
    """The outcome of one ingest call (one record, or a batch from ``ingest_records``).

    ``wait_for_ack()`` is the official SDK's: it returns the call's offset once every record is
    durable, and raises if any failed (NonRetriableException when retrying cannot help). The
    extras: ``wait_accepted()``, ``failures``, ``is_accepted()``, ``record_count``.
    """

    __slots__ = ()

    @property
    def failures(self):
        """RecordFailure list (by index within the call); final once is_done()."""
        with self._stream._cond:
            return list(self._sub.failures)

    def is_accepted(self) -> bool:
        with self._stream._cond:
            return self._stream._core.is_accepted(self._sub)

    def wait_for_ack(self, timeout_sec: Optional[float] = None) -> int:
        """Waits until every record is durable (or failed). ``None``: up to flush_timeout_ms."""
        sub = self._sub
        stream = self._stream
        stream._wait(lambda: sub.done, timeout_sec, f"ingest call {sub.offset}")
        if sub.failures:
            with stream._cond:
                raise stream._core.sub_error(sub)
        return sub.offset

    def wait_accepted(self, timeout_sec: Optional[float] = None) -> int:
        """Waits until zerobusd owns every record (accepted; durable comes later). Raises if
        any record already failed."""
        sub = self._sub
        stream = self._stream
        stream._wait(lambda: stream._core.is_accepted(sub), timeout_sec, f"ingest call {sub.offset} (accepted)")
        with stream._cond:
            if sub.failures:
                raise failures_error(list(sub.failures), sub.count)
        return sub.offset

    def add_done_callback(self, fn) -> None:
        """``fn(ack)`` once the outcome is final: on the reader thread, or now if it already is."""
        with self._stream._cond:
            if not self._sub.done:
                if self._sub.callbacks is None:
                    self._sub.callbacks = []
                self._sub.callbacks.append((fn, self))
                return
        fn(self)


class ZerobusStream(StreamBase):
    """A stream to one table through zerobusd (one connection, one handle). Made by
    ``ZerobusSdk.create_stream``."""

    def __init__(self, socket_path: str, table_properties, options, client_name: Optional[str]):
        super().__init__(socket_path, table_properties, options, client_name)
        self._cond = threading.Condition(threading.Lock())
        self._recover_lock = threading.Lock()
        self._io_idents = set()  # reader threads: they must never block on the stream
        self._sock_lock = threading.Lock()
        self._sock: Optional[socket.socket] = None
        self._threads: List[threading.Thread] = []

    # -- connection management --

    def _start(self) -> None:
        conn, sock, leftover = connect(self._core, self._path, self.options.connect_timeout_ms / 1000, self._client_name)
        self._install(conn, sock, leftover)

    def _install(self, conn: Connection, sock: socket.socket, leftover) -> None:
        core = self._core
        with self._cond:
            try:
                core.install(conn)
            except ZerobusException:  # closed meanwhile
                sock.close()
                raise
            self._sock = sock
            try:
                for frame_type, payload in leftover:
                    conn.on_frame(frame_type, payload)
            except (w.ProtocolError, ConnectionEnded) as e:
                sock.close()
                core.connection_lost(protocol_error(str(e)), ErrorCode.PROTOCOL_ERROR, str(e))
                raise protocol_error(str(e)) from None
        writer = threading.Thread(target=self._writer, args=(conn, sock), name=f"zerobusd-writer:{core.table}", daemon=True)
        reader = threading.Thread(
            target=self._reader, args=(conn, sock, writer), name=f"zerobusd-reader:{core.table}", daemon=True
        )
        self._threads = [reader, writer]
        writer.start()
        reader.start()

    def _shutdown(self, sock: socket.socket) -> None:
        """Wakes the threads blocked on ``sock``. Under _sock_lock: the reader closes the socket
        under it too, so a file descriptor is never used after close (and reuse)."""
        with self._sock_lock:
            if sock.fileno() != -1:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _reader(self, conn: Connection, sock: socket.socket, writer: threading.Thread) -> None:
        """Owns ``sock``: reads until the connection ends, then fails what is pending, waits for
        the writer and closes the socket."""
        core = self._core
        self._io_idents.add(threading.get_ident())
        code, message = ErrorCode.CONNECTION_LOST, "zerobusd closed the connection"
        try:
            while True:
                data = sock.recv(_RECV_BYTES)
                if not data:
                    break
                frames = conn.reader.feed(data)
                broken = None
                with self._cond:
                    try:
                        for frame_type, payload in frames:
                            conn.on_frame(frame_type, payload)
                    except (w.ProtocolError, ConnectionEnded) as e:
                        broken = e  # after the callbacks of what the frames before it completed
                    done = core.drain_completed()
                    self._cond.notify_all()
                if done:
                    core.run_callbacks(done)
                if broken is not None:
                    raise broken
        except w.ProtocolError as e:
            code, message = ErrorCode.PROTOCOL_ERROR, f"zerobusd broke the protocol: {e}"
            logger.error("zerobusd: %s; dropping the connection", message)
        except ConnectionEnded as e:
            message = str(e)
        except OSError as e:
            message = f"the connection to zerobusd broke: {e}"
        self._shutdown(sock)  # wakes the writer if it is blocked in sendall
        with self._cond:
            core.lose(conn, code, message)
            done = core.drain_completed()
            self._cond.notify_all()
        if done:
            core.run_callbacks(done)
        writer.join(timeout=10)  # it sees conn.dead, or its sendall fails on the shut-down socket
        with self._sock_lock:
            sock.close()
        self._io_idents.discard(threading.get_ident())

    def _writer(self, conn: Connection, sock: socket.socket) -> None:
        cond = self._cond
        try:
            while True:
                with cond:
                    while conn.dead is None and not conn.can_send():
                        cond.wait()
                    if conn.dead is not None:
                        return
                    parts = conn.take_frames()
                if parts:
                    sock.sendall(b"".join(parts))
        except OSError as e:
            logger.debug("zerobusd: write failed: %s", e)
            self._shutdown(sock)  # the reader turns this into CONNECTION_LOST

    def _usable_conn(self) -> Connection:
        core = self._core
        with self._cond:
            conn = core.usable_conn()
            if conn is not None:
                return conn
            lost = core.conn
        return self._recover(lost)

    def _recover(self, old: Connection) -> Connection:
        """Reconnects after a lost connection (options.recovery): up to recovery_retries attempts
        recovery_backoff_ms apart, all within recovery_timeout_ms."""
        core = self._core
        with self._recover_lock:
            with self._cond:
                core.check_usable()
                if core.conn is not old and core.conn.dead is None:
                    return core.conn
                core.state = StreamState.RECOVERING
            self._join_threads()
            plan = RecoveryPlan(core.options, time.monotonic())
            for pause in plan.pauses(time.monotonic):
                if pause:
                    time.sleep(pause)  # the SDK's backoff
                timeout = plan.timeout(time.monotonic())
                if timeout <= 0:
                    break
                try:
                    conn, sock, leftover = connect(core, self._path, timeout, self._client_name)
                except ZerobusException as e:
                    if plan.failed(e):
                        continue
                    break
                self._install(conn, sock, leftover)
                logger.info("zerobusd: stream to %s reconnected", core.table)
                return conn
            with self._cond:
                error = core.recovery_failed(plan.last)
            raise error

    def _join_threads(self) -> None:
        me = threading.current_thread()
        for t in self._threads:
            if t is not me:
                t.join(timeout=5)

    # -- waiting --

    def _wait(self, predicate, timeout_sec: Optional[float], what: str) -> None:
        timeout = self.options.flush_timeout_ms / 1000 if timeout_sec is None else timeout_sec
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                if threading.get_ident() in self._io_idents:
                    raise make_error(ErrorCode.WOULD_BLOCK, f"cannot wait for {what} inside an ack callback", retriable=True)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise make_error(
                        ErrorCode.WAIT_TIMEOUT, f"{what} not complete after {timeout:g} s; it is still pending", retriable=True
                    )
                self._cond.wait(remaining)

    # -- ingest --

    def _ingest(self, records: list) -> Submission:
        core = self._core
        block_ms = core.options.ingest_block_timeout_ms
        while True:
            conn = self._usable_conn()
            specs = core.prepare(records, conn)  # encoding, outside the lock
            has_room = core.room_for(conn, specs)
            with self._cond:
                if not core.still_current(conn):
                    continue  # reconnected or lost meanwhile: encode again for the live connection
                if not has_room():
                    if threading.get_ident() in self._io_idents:
                        raise make_error(ErrorCode.WOULD_BLOCK, "the stream is full; an ack callback cannot wait", retriable=True)
                    deadline = time.monotonic() + block_ms / 1000
                    while conn.dead is None and not has_room():
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise make_error(
                                ErrorCode.WOULD_BLOCK,
                                f"the stream stayed full for {block_ms} ms; the record was not taken",
                                retriable=True,
                            )
                        self._cond.wait(remaining)
                    if not core.still_current(conn):
                        continue
                sub = core.submit(specs, conn)
                self._cond.notify_all()
                return sub

    def ingest_record(self, record) -> RecordAcknowledgment:
        """Queues one record (protobuf message or bytes; JSON: dict or str) and returns its
        acknowledgment. Blocks while the stream is full (up to ingest_block_timeout_ms)."""
        return RecordAcknowledgment(self, self._ingest([record]))

    def ingest_record_offset(self, record) -> int:
        return self._ingest([record]).offset

    def ingest_record_nowait(self, record) -> None:
        self._ingest([record])

    def ingest_records(self, records) -> RecordAcknowledgment:
        """Queues a batch as one unit (all or none taken) with one acknowledgment: the fast path."""
        return RecordAcknowledgment(self, self._ingest(records if isinstance(records, list) else list(records)))

    def ingest_records_offset(self, records) -> Optional[int]:
        records = records if isinstance(records, list) else list(records)
        if not records:
            return None
        return self._ingest(records).offset

    def ingest_records_nowait(self, records) -> None:
        records = records if isinstance(records, list) else list(records)
        if records:
            self._ingest(records)

    # -- flush, offsets, close --

    def wait_for_offset(self, offset: int, timeout_sec: Optional[float] = None) -> None:
        """Waits until every ingest call up to ``offset`` is final; raises for failed records
        among them that no one has seen yet."""
        core = self._core
        core.check_offset(offset)
        self._wait(lambda: core.low_pending() > offset, timeout_sec, f"offset {offset}")
        with self._cond:
            err = core.take_unseen(offset + 1)
        if err is not None:
            raise err

    def flush(self) -> None:
        """Sends what is queued and waits (up to flush_timeout_ms) until every record ingested
        before the call has its final outcome. Raises for failed records no one has seen yet."""
        core = self._core
        timeout = self.options.flush_timeout_ms / 1000
        deadline = time.monotonic() + timeout
        with self._cond:
            flushing = core.start_flush()
            if flushing.frame is not None:
                self._cond.notify_all()
            try:
                while not flushing.complete():
                    if threading.get_ident() in self._io_idents:
                        raise make_error(ErrorCode.WOULD_BLOCK, "cannot flush inside an ack callback", retriable=True)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise make_error(
                            ErrorCode.WAIT_TIMEOUT, f"flush not complete after {timeout:g} s (flush_timeout_ms)", retriable=True
                        )
                    self._cond.wait(remaining)
            finally:
                core.end_flush()
            err = flushing.error()
        if err is not None:
            raise err

    def close(self) -> None:
        """Says GOODBYE, waits (up to flush_timeout_ms) for every outstanding outcome, closes
        the connection. Raises for failed records no one has seen yet. Idempotent."""
        core = self._core
        timeout = self.options.flush_timeout_ms / 1000
        deadline = time.monotonic() + timeout
        with self._cond:
            if not core.start_close():
                return
            self._cond.notify_all()  # the writer sends GOODBYE
            conn = core.conn
            in_callback = threading.get_ident() in self._io_idents
            while conn is not None and conn.dead is None and not in_callback:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            core.finish_close(conn)
            done = core.drain_completed()
            err = core.take_unseen(core.next_offset)
            self._cond.notify_all()
        if done:
            core.run_callbacks(done)
        if self._sock is not None:
            self._shutdown(self._sock)  # the reader closes it
        self._join_threads()
        if err is not None:
            raise err

    # -- inspection --

    @property
    def connection_info(self) -> dict:
        """What the daemon announced (WELCOME, latest WINDOW) on the current connection."""
        with self._cond:
            return self._core.connection_info()

    def get_unacked_records(self) -> List[bytes]:
        """Records without an outcome yet (queued or in flight) or whose outcome a lost
        connection took with it, oldest first. Rejected records are not included."""
        with self._cond:
            return self._core.unacked_records()

    def get_unacked_batches(self) -> List[List[bytes]]:
        with self._cond:
            return self._core.unacked_batches()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
