"""What a stream keeps across its connections, without I/O: offsets, submissions not yet final,
failures the application has not seen yet, records whose outcome a lost connection took away;
and the steps of ingest, flush, close and reconnect that do not wait. Shared by the sync and
asyncio transports, which add only the waiting (same thread affinity as ``Connection``)."""

from collections import deque
from typing import Deque, Dict, List, Optional

from ._connection import Connection, Flush, Submission
from ._records import ChunkSpec, encode_records, make_chunks
from .shared.definitions import AckCallback, RecordType, StreamState
from .shared.errors import ErrorCode, NonRetriableException, ZerobusException, failures_error, make_error

MAX_UNSEEN = 10000  # failures kept for flush() to raise when nobody looked at their acks


class StreamCore:
    """Held by a transport's ZerobusStream. After applying frames the transport takes the newly
    final submissions (``drain_completed``), wakes their waiters, and runs ``run_callbacks``
    outside its lock."""

    def __init__(self, table_properties, options, logger):
        self.table_properties = table_properties
        self.table = table_properties.table_name
        self.options = options
        self.logger = logger
        record_type = options.record_type
        if record_type == RecordType.UNSPECIFIED:
            record_type = RecordType.PROTO if table_properties.descriptor_proto is not None else RecordType.JSON
        if record_type == RecordType.AVRO or table_properties.avro_schema is not None:
            raise make_error(ErrorCode.INVALID_ARGUMENT, "zerobusd has no Avro tables: use PROTO or JSON", retriable=False)
        self.record_type = record_type
        self.json_mode = record_type == RecordType.JSON
        self.state = StreamState.UNINITIALIZED
        self.conn: Optional[Connection] = None
        self.next_offset = 0
        self.pending: Deque[Submission] = deque()  # not yet final, by offset
        self.completed: List[Submission] = []  # final since the transport last drained
        self.unseen: Dict[int, Submission] = {}  # failed, not yet reported to the application
        self.unseen_dropped = 0
        self.lost: List[tuple] = []  # (offset, records) whose outcome a connection took with it
        self.closing = False
        # An ack_callback whose on_error is its own (not AckCallback's no-op) sees failures.
        on_error = getattr(type(options.ack_callback), "on_error", None)
        self.callback_reports_errors = on_error is not None and on_error is not AckCallback.on_error

    def log_warning(self, fmt, *args) -> None:
        self.logger.warning(fmt, *args)

    # -- connections --

    def install(self, conn: Connection) -> None:
        """``conn`` (just opened) becomes the stream's connection."""
        if self.closing:
            raise make_error(ErrorCode.CLOSED, f"the stream to {self.table} was closed", retriable=False)
        self.conn = conn
        self.lost.clear()  # their acks already failed (CONNECTION_LOST); not resent
        self.state = StreamState.OPENED

    def usable_conn(self) -> Optional[Connection]:
        """The connection to take records on, or None when it is lost and ``options.recovery``
        lets the transport reconnect. Raises when the stream cannot take records."""
        self.check_usable()
        conn = self.conn
        if conn.dead is None:
            self.check_conn(conn)
            return conn
        if not self.options.recovery:
            self.state = StreamState.FAILED
            self.check_usable()
        return None

    def lose(self, conn: Connection, code: int, message: str) -> None:
        """``conn`` ended (read error, EOF, protocol error): what it holds fails retriably, and
        the stream's state follows if it is the current connection."""
        if conn.dead is not None:
            return
        error = make_error(code, message, retriable=True)
        if self.conn is conn:
            self.connection_lost(error, code, message)
        else:
            conn.fail_all(error, code, message)

    def recovery_failed(self, last: Optional[ZerobusException]) -> ZerobusException:
        """The stream is FAILED; the error for the call that wanted the connection back."""
        self.state = StreamState.FAILED
        return make_error(
            ErrorCode.NOT_CONNECTED,
            f"cannot reconnect the stream to {self.table}: {last or 'recovery_timeout_ms ran out'}",
            retriable=True,
            cause=last,
        )

    # -- ingest --

    def prepare(self, records: list, conn: Connection) -> List[ChunkSpec]:
        if not records:
            return []
        return make_chunks(encode_records(records, self.json_mode), conn.max_records, conn.max_frame_bytes)

    def room_for(self, conn: Connection, specs: List[ChunkSpec]):
        """A predicate: whether ``conn`` has room for ``specs`` now (the stream's own bound,
        max_inflight_records / max_inflight_bytes, counting what is queued and in flight)."""
        n = sum(s.count for s in specs)
        nbytes = sum(s.nbytes for s in specs)
        opts = self.options
        return lambda: conn.has_room(n, nbytes, opts.max_inflight_records, opts.max_inflight_bytes)

    def still_current(self, conn: Connection) -> bool:
        """Just before submitting records prepared for ``conn``: raises unless the stream takes
        records; False when ``conn`` was lost or replaced meanwhile (prepare them again)."""
        self.check_usable()
        if self.conn is not conn or conn.dead is not None:
            return False
        self.check_conn(conn)
        return True

    def submit(self, specs: List[ChunkSpec], conn: Connection) -> Submission:
        count = sum(s.count for s in specs)
        sub = Submission(self.next_offset, count, len(specs), conn)
        self.next_offset += 1
        if count:
            self.pending.append(sub)
            conn.enqueue(sub, specs)
        return sub

    def complete(self, sub: Submission) -> None:
        sub.done = True
        if sub.failures:
            sub.failures.sort(key=lambda f: f.first_index)
            if not self.callback_reports_errors:
                self.unseen[sub.offset] = sub  # else on_error reports it: seen
            if len(self.unseen) > MAX_UNSEEN:
                self.unseen.pop(next(iter(self.unseen)))
                self.unseen_dropped += 1
        self.completed.append(sub)
        p = self.pending
        while p and p[0].done:
            p.popleft()

    def note_lost(self, sub: Submission, records) -> None:
        if records:
            self.lost.append((sub.offset, records))

    def drain_completed(self) -> List[Submission]:
        done, self.completed = self.completed, []
        return done

    def run_callbacks(self, subs: List[Submission]) -> None:
        """The AckCallback and ack.add_done_callback() callbacks of final submissions. Called
        outside any lock, so it reads the submissions and changes nothing shared; exceptions are
        logged, never raised into the transport."""
        cb = self.options.ack_callback
        for sub in subs:
            if cb is not None:
                try:
                    if sub.failures:
                        on_error = getattr(cb, "on_error", None)
                        if on_error is not None:
                            on_error(sub.offset, str(failures_error(sub.failures, sub.count)))
                    else:
                        on_ack = getattr(cb, "on_ack", None)
                        if on_ack is not None:
                            on_ack(sub.offset)
                except Exception:  # a callback's bug must not kill the reader
                    self.logger.exception("zerobusd: ack_callback raised")
            if sub.callbacks:
                for fn, ack in sub.callbacks:
                    try:
                        fn(ack)
                    except Exception:
                        self.logger.exception("zerobusd: acknowledgment done-callback raised")
                sub.callbacks = None

    # -- waiting --

    def low_pending(self) -> int:
        """Every submission with a lower offset is final."""
        p = self.pending
        while p and p[0].done:
            p.popleft()
        return p[0].offset if p else self.next_offset

    def is_accepted(self, sub: Submission) -> bool:
        if sub.done:
            return True
        conn = sub.conn
        return sub.unsent == 0 and conn is not None and conn.accepted_next >= sub.end_seq

    def take_unseen(self, below: int) -> Optional[ZerobusException]:
        """One exception for the failures of submissions with offset < ``below`` that nobody saw;
        they count as seen afterwards. None if there are none."""
        subs = [s for off, s in self.unseen.items() if off < below]
        if not subs and not (self.unseen_dropped and below >= self.next_offset):
            return None
        for s in subs:
            del self.unseen[s.offset]
        dropped, self.unseen_dropped = self.unseen_dropped, 0
        by_offset = {s.offset: s.failures for s in subs}
        failed = sum(f.count for s in subs for f in s.failures)
        shown = "; ".join(f"offset {s.offset}: {failures_error(s.failures, s.count)}" for s in subs[:3])
        more = f"; ... {len(subs) - 3} more ingest calls" if len(subs) > 3 else ""
        if dropped:
            more += f"; and {dropped} earlier failed calls not kept"
        retriable = all(f.retriable for s in subs for f in s.failures)
        first = subs[0].failures[0].code if subs else ErrorCode.INTERNAL
        cls = ZerobusException if retriable else NonRetriableException
        err = cls(f"{failed} records failed: {shown}{more}", code=first, failures=subs[0].failures if subs else ())
        err.failures_by_offset = by_offset
        return err

    def sub_error(self, sub: Submission) -> ZerobusException:
        self.unseen.pop(sub.offset, None)
        return failures_error(sub.failures, sub.count)

    def check_offset(self, offset) -> None:
        if not isinstance(offset, int) or offset < 0 or offset >= self.next_offset:
            raise make_error(ErrorCode.INVALID_ARGUMENT, f"offset {offset!r} was never returned by this stream", retriable=False)

    # -- flush, close --

    def start_flush(self) -> "FlushWait":
        """flush(): sends FLUSH on a live connection and marks the stream FLUSHING until
        ``end_flush``. Raises if the stream is closed."""
        if self.state == StreamState.CLOSED:
            raise make_error(ErrorCode.CLOSED, f"the stream to {self.table} is closed", retriable=False)
        conn = self.conn
        target = self.next_offset
        frame = conn.enqueue_flush() if conn.dead is None and not conn.draining else None
        if self.state == StreamState.OPENED:
            self.state = StreamState.FLUSHING
        return FlushWait(self, conn, target, frame)

    def end_flush(self) -> None:
        if self.state == StreamState.FLUSHING:
            self.state = StreamState.OPENED

    def start_close(self) -> bool:
        """close(): no more records, GOODBYE queued on a live connection. False if the stream
        was closed already."""
        if self.state == StreamState.CLOSED:
            return False
        self.closing = True
        conn = self.conn
        if conn is not None and conn.dead is None and not conn.goodbye_sent:
            conn.enqueue_goodbye()
        return True

    def finish_close(self, conn: Optional[Connection]) -> None:
        """After close() waited for ``conn`` to end: outcomes still missing fail, the stream is
        CLOSED."""
        if conn is not None and conn.dead is None:
            message = "the stream was closed before the record's outcome arrived"
            self.connection_lost(make_error(ErrorCode.CLOSED, message, retriable=False), ErrorCode.CONNECTION_LOST, message)
        self.state = StreamState.CLOSED

    # -- inspection --

    def connection_info(self) -> dict:
        conn = self.conn
        return {
            "connected": conn is not None and conn.dead is None,
            "daemon_version": conn.daemon_version if conn else "",
            "max_frame_bytes": conn.max_frame_bytes if conn else 0,
            "max_records_per_frame": conn.max_records if conn else 0,
            "window_records": conn.window_records if conn else 0,
            "window_bytes": conn.window_bytes if conn else 0,
        }

    def unacked_records(self) -> List[bytes]:
        return [r for batch in self.unacked_batches() for r in batch]

    def unacked_batches(self) -> List[list]:
        """Records without a durable ack or a rejection, grouped by ingest call, oldest first."""
        groups: Dict[int, list] = {}
        items = list(self.lost)
        if self.conn is not None and self.conn.dead is None:
            items += self.conn.unacked()
        for offset, records in items:
            groups.setdefault(offset, []).extend(records)
        return [groups[k] for k in sorted(groups)]

    def connection_lost(self, error: ZerobusException, code: int, message: str) -> None:
        conn = self.conn
        if conn is not None:
            conn.fail_all(error, code, message)
        if self.state not in (StreamState.CLOSED,):
            self.state = StreamState.RECOVERING if (self.options.recovery and not self.closing) else StreamState.FAILED

    def check_usable(self) -> None:
        """Raises unless the stream may take records (before looking at its connection)."""
        if self.closing or self.state == StreamState.CLOSED:
            raise make_error(ErrorCode.CLOSED, f"the stream to {self.table} is closed", retriable=False)
        if self.state == StreamState.FAILED:
            why = f": {self.conn.dead}" if self.conn is not None and self.conn.dead is not None else ""
            raise make_error(
                ErrorCode.NOT_CONNECTED,
                f"the stream to {self.table} failed{why}; use sdk.recreate_stream(stream)",
                retriable=True,
            )

    def check_conn(self, conn: Connection) -> None:
        if conn.draining:
            raise make_error(ErrorCode.SHUTTING_DOWN, "zerobusd is shutting down; the record was not taken", retriable=True)


class FlushWait:
    """One flush() call: what it waits for and what it raises then."""

    __slots__ = ("core", "conn", "target", "frame")

    def __init__(self, core: StreamCore, conn: Connection, target: int, frame: Optional[Flush]):
        self.core = core
        self.conn = conn
        self.target = target  # every ingest call below this offset must be final
        self.frame = frame  # the FLUSH sent, None when the connection could take none

    def complete(self) -> bool:
        """The FLUSH came back (or its connection ended) and every earlier call is final."""
        fl = self.frame
        return (fl is None or fl.done or self.conn.dead is not None) and self.core.low_pending() >= self.target

    def error(self) -> Optional[ZerobusException]:
        """Once complete: failures nobody has seen yet, else the daemon's FLUSHED error."""
        err = self.core.take_unseen(self.target)
        fl = self.frame
        if err is None and fl is not None and fl.code and self.conn.dead is None:
            err = make_error(fl.code, f"flush failed: {fl.message}")
        return err

