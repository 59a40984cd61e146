"""What a stream keeps across its connections, without I/O: offsets, submissions not yet final,
failures the application has not seen yet, records whose outcome a lost connection took away.
Shared by the sync and asyncio transports (same thread affinity as ``Connection``)."""

from collections import deque
from typing import Deque, Dict, List, Optional

from ._connection import Connection, Submission
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

    # -- ingest --

    def prepare(self, records: list, conn: Connection) -> List[ChunkSpec]:
        if not records:
            return []
        return make_chunks(encode_records(records, self.json_mode), conn.max_records, conn.max_frame_bytes)

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
