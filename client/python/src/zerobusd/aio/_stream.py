"""The asyncio stream: an asyncio Protocol over the Unix socket, no threads.

Thread affinity: a stream belongs to the event loop that created it; call it from that loop only.
Frames are parsed in ``data_received``; queued records are written by ``_pump`` (scheduled once
per loop iteration, or at once when a frame's worth is queued) within the daemon's window.
Errors: every failure is a ZerobusException / NonRetriableException; every wait is bounded.
"""

import asyncio
import logging
from typing import List, Optional

from .. import _wire as w
from .._api_base import AckBase, StreamBase
from .._connection import Connection, ConnectionEnded, Submission
from .._handshake import Handshake, protocol_error
from .._recovery import RecoveryPlan
from ..shared.definitions import StreamState
from ..shared.errors import ErrorCode, ZerobusException, failures_error, make_error

logger = logging.getLogger("zerobusd")
_PUMP_NOW_BYTES = 256 * 1024  # queued bytes that are written at once instead of next iteration


class _Protocol(asyncio.Protocol):
    def __init__(self, stream: "ZerobusStream", hs: Handshake, loop):
        self.stream = stream
        self.hs = hs
        self.transport = None
        self.conn: Optional[Connection] = None
        self.handshake = loop.create_future()
        self.paused = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.hs.hello)

    def data_received(self, data: bytes) -> None:
        if self.conn is None:
            self._handshake_data(data)
        else:
            self.stream._on_data(self, data)

    def _handshake_data(self, data: bytes) -> None:
        hs = self.hs
        try:
            frames = hs.reader.feed(data)
            for i, (frame_type, payload) in enumerate(frames):
                reply = hs.on_frame(frame_type, payload)
                if reply:
                    self.transport.write(reply)
                if hs.done:
                    self.conn = Connection(self.stream._core, hs)
                    for frame_type2, payload2 in frames[i + 1:]:
                        self.conn.on_frame(frame_type2, payload2)
                    break
        except w.ProtocolError as e:
            self._fail_handshake(protocol_error(str(e), during="handshake"))
            return
        except ConnectionEnded as e:
            self._fail_handshake(make_error(e.code, str(e)))
            return
        except ZerobusException as e:
            self._fail_handshake(e)
            return
        if self.conn is not None and not self.handshake.done():
            self.handshake.set_result(None)

    def _fail_handshake(self, error: ZerobusException) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(error)
        self.transport.abort()

    def connection_lost(self, exc) -> None:
        if not self.handshake.done():
            why = f": {exc}" if exc else ""
            self.handshake.set_exception(
                make_error(ErrorCode.NOT_CONNECTED, f"zerobusd closed the connection during the handshake{why}", retriable=True)
            )
            return
        self.stream._on_lost(self, exc)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self.stream._pump()


class RecordAcknowledgment(AckBase):
    """The outcome of one ingest call. Awaitable: ``await ack`` is ``await ack.wait_for_ack()``,
    which returns the offset once every record is durable and raises if any failed (as the
    official SDK's awaitable). Extras: ``wait_accepted()``, ``failures``, ``is_accepted()``."""

    __slots__ = ()

    def __await__(self):
        return self.wait_for_ack().__await__()

    @property
    def failures(self):
        return list(self._sub.failures)

    done = AckBase.is_done

    def is_accepted(self) -> bool:
        return self._stream._core.is_accepted(self._sub)

    async def wait_for_ack(self, timeout_sec: Optional[float] = None) -> int:
        sub = self._sub
        stream = self._stream
        if not sub.done:
            if sub.waiter is None:
                sub.waiter = asyncio.get_running_loop().create_future()
            timeout = stream._timeout(timeout_sec)
            try:
                await asyncio.wait_for(asyncio.shield(sub.waiter), timeout)
            except asyncio.TimeoutError:
                raise make_error(
                    ErrorCode.WAIT_TIMEOUT, f"ingest call {sub.offset} not complete after {timeout:g} s; still pending", retriable=True
                ) from None
        if sub.failures:
            raise stream._core.sub_error(sub)
        return sub.offset

    async def wait_accepted(self, timeout_sec: Optional[float] = None) -> int:
        sub = self._sub
        core = self._stream._core
        await self._stream._wait_until(lambda: core.is_accepted(sub), timeout_sec, f"ingest call {sub.offset} (accepted)")
        if sub.failures:
            raise failures_error(list(sub.failures), sub.count)
        return sub.offset

    def add_done_callback(self, fn) -> None:
        """``fn(ack)`` once the outcome is final (on the event loop), or now if it already is."""
        if self._sub.done:
            fn(self)
            return
        if self._sub.callbacks is None:
            self._sub.callbacks = []
        self._sub.callbacks.append((fn, self))


class ZerobusStream(StreamBase):
    """An asyncio stream to one table through zerobusd. Made by ``await sdk.create_stream(...)``."""

    def __init__(self, socket_path: str, table_properties, options, client_name: Optional[str]):
        super().__init__(socket_path, table_properties, options, client_name)
        self._proto: Optional[_Protocol] = None
        self._progress: List[asyncio.Future] = []
        self._pump_scheduled = False
        self._recovering: Optional[asyncio.Future] = None

    # -- connection management --

    async def _start(self) -> None:
        self._install(await self._connect(self.options.connect_timeout_ms / 1000))

    async def _connect(self, timeout_s: float) -> _Protocol:
        loop = asyncio.get_running_loop()
        core = self._core
        hs = Handshake(core.table, int(core.record_type), self._client_name)
        proto = _Protocol(self, hs, loop)
        deadline = loop.time() + timeout_s
        try:
            await asyncio.wait_for(loop.create_unix_connection(lambda: proto, self._path), timeout_s)
        except asyncio.TimeoutError:
            raise make_error(
                ErrorCode.NOT_CONNECTED, f"cannot connect to zerobusd at {self._path} within {timeout_s * 1000:.0f} ms", retriable=True
            ) from None
        except OSError as e:
            raise make_error(
                ErrorCode.NOT_CONNECTED, f"cannot connect to zerobusd at {self._path}: {e.strerror or e}", retriable=True
            ) from e
        try:
            await asyncio.wait_for(asyncio.shield(proto.handshake), max(0.0, deadline - loop.time()))
        except asyncio.TimeoutError:
            proto.transport.abort()
            raise make_error(
                ErrorCode.NOT_CONNECTED,
                f"zerobusd at {self._path} did not complete the handshake within {timeout_s * 1000:.0f} ms",
                retriable=True,
            ) from None
        except BaseException:
            proto.transport.abort()
            raise
        return proto

    def _install(self, proto: _Protocol) -> None:
        core = self._core
        try:
            core.install(proto.conn)
        except ZerobusException:  # closed meanwhile
            proto.transport.abort()
            raise
        self._proto = proto
        if proto.transport.is_closing():  # lost between the handshake and now
            self._on_lost(proto, None)
        if proto.conn.dead is not None:
            core.state = StreamState.RECOVERING if core.options.recovery else StreamState.FAILED

    def _on_data(self, proto: _Protocol, data: bytes) -> None:
        conn = proto.conn
        try:
            for frame_type, payload in conn.reader.feed(data):
                conn.on_frame(frame_type, payload)
        except w.ProtocolError as e:
            message = f"zerobusd broke the protocol: {e}"
            logger.error("zerobusd: %s; dropping the connection", message)
            proto.transport.abort()
            self._lose(proto, ErrorCode.PROTOCOL_ERROR, message)
        except ConnectionEnded as e:
            proto.transport.abort()
            self._lose(proto, ErrorCode.CONNECTION_LOST, str(e))
        self._progressed()

    def _on_lost(self, proto: _Protocol, exc) -> None:
        message = f"the connection to zerobusd broke: {exc}" if exc else "zerobusd closed the connection"
        self._lose(proto, ErrorCode.CONNECTION_LOST, message)
        self._progressed()

    def _lose(self, proto: _Protocol, code: int, message: str) -> None:
        if proto.conn is not None:
            self._core.lose(proto.conn, code, message)

    def _progressed(self) -> None:
        """After frames or a lost connection: wake waiters, run callbacks, write what now fits."""
        core = self._core
        done = core.drain_completed()
        for sub in done:
            if sub.waiter is not None and not sub.waiter.done():
                sub.waiter.set_result(None)
        if done:
            core.run_callbacks(done)
        waiters, self._progress = self._progress, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        self._pump()

    def _pump(self) -> None:
        self._pump_scheduled = False
        proto = self._proto
        conn = self._core.conn
        if proto is None or conn is None or conn.dead is not None or proto.paused:
            return
        parts = conn.take_frames()
        if parts:
            proto.transport.write(b"".join(parts))

    def _kick(self) -> None:
        conn = self._core.conn
        if conn.queued_records >= conn.max_records or conn.queued_bytes >= _PUMP_NOW_BYTES:
            self._pump()
        elif not self._pump_scheduled:
            self._pump_scheduled = True
            asyncio.get_running_loop().call_soon(self._pump)

    async def _usable_conn(self) -> Connection:
        conn = self._core.usable_conn()
        if conn is not None:
            return conn
        return await self._recover(self._core.conn)

    async def _recover(self, old: Connection) -> Connection:
        core = self._core
        if self._recovering is not None:  # another task is reconnecting: share its outcome
            await asyncio.shield(self._recovering)
            core.check_usable()
            return core.conn
        self._recovering = asyncio.get_running_loop().create_future()
        try:
            conn = await self._reconnect()
            self._recovering.set_result(None)
            return conn
        except BaseException as e:
            self._recovering.set_exception(e)
            self._recovering.exception()  # retrieved: only sharers re-raise it
            raise
        finally:
            self._recovering = None

    async def _reconnect(self) -> Connection:
        core = self._core
        loop = asyncio.get_running_loop()
        core.state = StreamState.RECOVERING
        plan = RecoveryPlan(core.options, loop.time())
        for pause in plan.pauses(loop.time):
            if pause:
                await asyncio.sleep(pause)  # the SDK's backoff
            timeout = plan.timeout(loop.time())
            if timeout <= 0:
                break
            try:
                proto = await self._connect(timeout)
            except ZerobusException as e:
                if plan.failed(e):
                    continue
                break
            self._install(proto)
            logger.info("zerobusd: stream to %s reconnected", core.table)
            return proto.conn
        raise core.recovery_failed(plan.last)

    # -- waiting --

    def _timeout(self, timeout_sec: Optional[float]) -> float:
        return self.options.flush_timeout_ms / 1000 if timeout_sec is None else timeout_sec

    async def _wait_until(self, predicate, timeout_sec: Optional[float], what: str, code=ErrorCode.WAIT_TIMEOUT) -> None:
        loop = asyncio.get_running_loop()
        timeout = self._timeout(timeout_sec)
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise make_error(code, f"{what} not complete after {timeout:g} s", retriable=True)
            fut = loop.create_future()
            self._progress.append(fut)
            try:
                await asyncio.wait_for(fut, remaining)
            except asyncio.TimeoutError:
                pass

    # -- ingest --

    async def _ingest(self, records: list) -> Submission:
        core = self._core
        while True:
            conn = await self._usable_conn()
            specs = core.prepare(records, conn)
            has_room = core.room_for(conn, specs)
            if not has_room():
                await self._wait_until(
                    lambda: conn.dead is not None or core.closing or has_room(),
                    core.options.ingest_block_timeout_ms / 1000,
                    "waiting for room in the stream (the record was not taken)",
                    code=ErrorCode.WOULD_BLOCK,
                )
            if not core.still_current(conn):
                continue  # lost or reconnected meanwhile: encode again for the live connection
            sub = core.submit(specs, conn)
            self._kick()
            proto = self._proto
            if conn.queued_bytes >= _PUMP_NOW_BYTES or (proto is not None and proto.transport.get_write_buffer_size()):
                # A producer that never waits would keep the loop from writing and reading acks:
                # give it one iteration so the socket works while the next batch is built.
                await asyncio.sleep(0)
            return sub

    def _ingest_nowait(self, records: list) -> Submission:
        """Never awaits: raises WOULD_BLOCK when the stream is full and NOT_CONNECTED when its
        connection is down (an awaited call reconnects)."""
        core = self._core
        core.check_usable()
        conn = core.conn
        if conn.dead is not None:
            raise make_error(
                ErrorCode.NOT_CONNECTED, f"the connection is down ({conn.dead}); an awaited call reconnects", retriable=True
            )
        core.check_conn(conn)
        specs = core.prepare(records, conn)
        if not core.room_for(conn, specs)():
            raise make_error(ErrorCode.WOULD_BLOCK, "the stream is full; the record was not taken", retriable=True)
        sub = core.submit(specs, conn)
        self._kick()
        return sub

    async def ingest_record(self, record) -> RecordAcknowledgment:
        """Queues one record; ``await`` the returned acknowledgment for durability (the
        official SDK's two-stage await). Waits while the stream is full."""
        return RecordAcknowledgment(self, await self._ingest([record]))

    async def ingest_record_offset(self, record) -> int:
        return (await self._ingest([record])).offset

    def ingest_record_nowait(self, record) -> None:
        self._ingest_nowait([record])

    async def ingest_records(self, records) -> RecordAcknowledgment:
        """Queues a batch as one unit with one acknowledgment: the fast path."""
        return RecordAcknowledgment(self, await self._ingest(records if isinstance(records, list) else list(records)))

    async def ingest_records_offset(self, records) -> Optional[int]:
        records = records if isinstance(records, list) else list(records)
        if not records:
            return None
        return (await self._ingest(records)).offset

    def ingest_records_nowait(self, records) -> None:
        records = records if isinstance(records, list) else list(records)
        if records:
            self._ingest_nowait(records)

    # -- flush, offsets, close --

    async def wait_for_offset(self, offset: int, timeout_sec: Optional[float] = None) -> None:
        core = self._core
        core.check_offset(offset)
        await self._wait_until(lambda: core.low_pending() > offset, timeout_sec, f"offset {offset}")
        err = core.take_unseen(offset + 1)
        if err is not None:
            raise err

    async def flush(self) -> None:
        core = self._core
        flushing = core.start_flush()
        if flushing.frame is not None:
            self._pump()
        try:
            await self._wait_until(flushing.complete, None, "flush (flush_timeout_ms)")
        finally:
            core.end_flush()
        err = flushing.error()
        if err is not None:
            raise err

    async def close(self) -> None:
        core = self._core
        if not core.start_close():
            return
        self._pump()  # GOODBYE
        conn = core.conn
        try:
            await self._wait_until(lambda: conn is None or conn.dead is not None, None, "close")
        except ZerobusException:
            pass
        core.finish_close(conn)
        if self._proto is not None and self._proto.transport is not None:
            self._proto.transport.close()
        self._progressed()
        err = core.take_unseen(core.next_offset)
        if err is not None:
            raise err

    # -- inspection --

    @property
    def connection_info(self) -> dict:
        return self._core.connection_info()

    async def get_unacked_records(self) -> List[bytes]:
        return self._core.unacked_records()

    async def get_unacked_batches(self) -> List[List[bytes]]:
        return self._core.unacked_batches()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()
