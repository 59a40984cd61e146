"""One connection's protocol state, without I/O: its handle, sequence numbers, the daemon's
window, the queue of unsent chunks and control frames, the chunks in flight, and what each ACK /
REJECT / FLUSHED / WINDOW / ERROR / GOODBYE frame does to them (docs/protocol.md sections 8, 9).

Thread affinity: none; it does not lock. The sync transport calls it with its condition's lock
held, the asyncio transport on the event loop only. Final submissions are handed to the
stream (``stream.complete``), which the transport drains to wake waiters and run callbacks.
"""

from collections import deque
from typing import TYPE_CHECKING, Deque, Dict, List, Optional

from . import _wire as w
from ._handshake import Handshake
from ._records import ChunkSpec
from .shared.errors import ErrorCode, RecordFailure, ZerobusException, code_name

if TYPE_CHECKING:
    from ._stream_core import StreamCore


class ConnectionEnded(Exception):
    """The daemon ended the session (fatal ERROR): the connection is finished."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class Submission:
    """One ingest call (one record or a batch): the unit an acknowledgment reports on."""

    __slots__ = ("offset", "count", "remaining", "failures", "done", "unsent", "end_seq", "conn", "waiter", "callbacks")

    def __init__(self, offset: int, count: int, nchunks: int, conn):
        self.offset = offset
        self.count = count
        self.remaining = count  # records without a final outcome
        self.failures: List[RecordFailure] = []
        self.done = count == 0
        self.unsent = nchunks
        self.end_seq = -1  # seq after its last record, once every chunk is sent
        self.conn = conn
        self.waiter = None  # transport-specific (an asyncio future), created only when awaited
        self.callbacks = None


class Chunk:
    __slots__ = ("sub", "index", "count", "nbytes", "body", "records", "first_seq", "rejected", "final")

    def __init__(self, sub: Submission, spec: ChunkSpec):
        self.sub = sub
        self.index = spec.index
        self.count = spec.count
        self.nbytes = spec.nbytes
        self.body = spec.body
        self.records = spec.records
        self.first_seq = -1
        self.rejected = None  # [(first_seq, end_seq)] of REJECTed records, rarely set
        self.final = False

    def unresolved(self, durable_next: int):
        """(first_seq, end_seq) ranges neither covered by ACK durable nor rejected."""
        start = max(self.first_seq, durable_next)
        end = self.first_seq + self.count
        gaps = []
        for rs, re in sorted(self.rejected or ()):
            if re <= start:
                continue
            if rs > start:
                gaps.append((start, min(rs, end)))
            start = max(start, re)
        if start < end:
            gaps.append((start, end))
        return gaps


class Flush:
    __slots__ = ("request_id", "sent", "seq_at_send", "done", "code", "message")

    def __init__(self, request_id: int):
        self.request_id = request_id
        self.sent = False
        self.seq_at_send = 0
        self.done = False
        self.code = 0
        self.message = ""


class _Control:
    """A control frame queued behind the records sent before it (FLUSH, GOODBYE)."""

    __slots__ = ("frame", "flush", "goodbye")

    def __init__(self, frame: bytes, flush: Optional[Flush] = None, goodbye: bool = False):
        self.frame, self.flush, self.goodbye = frame, flush, goodbye


class Connection:
    """One connection's protocol state after the handshake.

    Window accounting is per chunk (the records of one ingest call in one frame): a chunk's
    records and bytes count as in flight until all of them are final. An ACK durable may end in
    the middle of a chunk, so this can count more than the daemon does, never less: the client
    may wait a little early, but never writes beyond the window."""

    def __init__(self, stream: "StreamCore", hs: Handshake):
        welcome = hs.welcome
        self.stream = stream
        self.handle = hs.handle
        self.levels = welcome[1]
        self.max_frame_bytes = welcome[2]
        self.max_records = welcome[3]
        self.window_records, self.window_bytes = hs.window or (welcome[4], welcome[5])
        self.daemon_version = welcome[6]
        self.reader = hs.reader
        self.next_seq = 0
        self.queue: Deque = deque()  # Chunk and _Control, in send order
        self.queued_records = 0
        self.queued_bytes = 0
        self.inflight: Deque[Chunk] = deque()
        self.inflight_records = 0
        self.inflight_bytes = 0
        self.durable_next = 0
        self.accepted_raw = 0
        self.accepted_next = 0
        self.flushes: Dict[int, Flush] = {}
        self.next_request_id = 2  # 1 was the OPEN
        self.goodbye_sent = False
        self.goodbye_received = False
        self.draining = False  # the daemon said GOODBYE reason 1: send nothing more
        self.dead: Optional[ZerobusException] = None  # why the connection ended

    # -- client side --

    def enqueue(self, sub: Submission, specs: List[ChunkSpec]) -> None:
        for spec in specs:
            self.queue.append(Chunk(sub, spec))
            self.queued_records += spec.count
            self.queued_bytes += spec.nbytes

    def enqueue_flush(self) -> Flush:
        fl = Flush(self.next_request_id)
        self.next_request_id = (self.next_request_id + 1) & 0xFFFFFFFF or 2
        self.flushes[fl.request_id] = fl
        self.queue.append(_Control(w.encode_flush(fl.request_id, self.handle), flush=fl))
        return fl

    def enqueue_goodbye(self) -> None:
        self.queue.append(_Control(w.encode_goodbye(), goodbye=True))

    def has_room(self, records: int, nbytes: int, max_records: int, max_bytes: int) -> bool:
        """The client-side bound: records queued + in flight (plus this call) within the options."""
        held = self.queued_records + self.inflight_records
        if held == 0:
            return True  # a call larger than the bound still goes, alone
        return held + records <= max_records and self.queued_bytes + self.inflight_bytes + nbytes <= max_bytes

    def can_send(self) -> bool:
        """Whether take_frames() would produce something now."""
        if not self.queue or self.dead is not None or self.goodbye_sent:
            return False
        head = self.queue[0]
        if type(head) is _Control:
            return True
        if self.draining or self.window_records == 0 or self.window_bytes == 0:
            return False
        if self.inflight_records == 0:
            return True
        return (
            self.inflight_records + head.count <= self.window_records
            and self.inflight_bytes + head.nbytes <= self.window_bytes
        )

    def take_frames(self) -> list:
        """Frames to write now, in order, as a list of bytes pieces. Registers the records as in
        flight before they are written, so acks that race the write find them."""
        out = []
        q = self.queue
        max_records, max_frame = self.max_records, self.max_frame_bytes
        while q and self.dead is None and not self.goodbye_sent:
            head = q[0]
            if type(head) is _Control:
                q.popleft()
                out.append(head.frame)
                if head.flush is not None:
                    head.flush.sent = True
                    head.flush.seq_at_send = self.next_seq
                if head.goodbye:
                    self.goodbye_sent = True
                continue
            if self.draining or self.window_records == 0 or self.window_bytes == 0:
                break
            seq = self.next_seq
            wr, wb = self.window_records, self.window_bytes
            ifr, ifb = self.inflight_records, self.inflight_bytes
            n = b = body_len = 0
            parts = []
            while q:
                c = q[0]
                if type(c) is _Control:
                    break
                size = len(c.body)
                if parts and (n + c.count > max_records or w.RECORDS_FIXED + body_len + size > max_frame):
                    break
                # docs/protocol.md section 9: within the window, or alone when nothing is in flight.
                if ifr + n > 0 and (ifr + n + c.count > wr or ifb + b + c.nbytes > wb):
                    break
                q.popleft()
                c.first_seq = seq + n
                n += c.count
                b += c.nbytes
                body_len += size
                parts.append(c.body)
                c.body = None
                self.inflight.append(c)
                sub = c.sub
                sub.unsent -= 1
                if sub.unsent == 0:
                    sub.end_seq = c.first_seq + c.count
            if not parts:
                break
            out.append(w.records_header(self.handle, seq, n, body_len))
            out.extend(parts)
            self.next_seq = seq + n
            self.inflight_records += n
            self.inflight_bytes += b
            self.queued_records -= n
            self.queued_bytes -= b
        return out

    # -- daemon side --

    def on_frame(self, frame_type: int, payload: bytes) -> None:
        """Applies one daemon frame. Raises w.ProtocolError (the daemon broke the protocol) or
        ConnectionEnded (a fatal ERROR)."""
        fields = w.parse(frame_type, payload)
        if frame_type == w.ACK:
            self._on_ack(*fields)
        elif frame_type == w.REJECT:
            self._on_reject(*fields)
        elif frame_type == w.WINDOW:
            self.window_records, self.window_bytes = fields
        elif frame_type == w.FLUSHED:
            self._on_flushed(*fields)
        elif frame_type == w.ERROR:
            self._on_error(*fields)
        elif frame_type == w.DAEMON_GOODBYE:
            self._on_goodbye(*fields)
        else:  # WELCOME, OPEN_RESULT, PONG, STATUS_RESULT: this connection asked for none of them
            raise w.ProtocolError(f"unexpected {w.frame_name(frame_type)} (nothing asked for it)")

    def _on_ack(self, handle: int, level: int, next_seq: int) -> None:
        if handle != self.handle:
            raise w.ProtocolError(f"ACK for handle {handle}, which this connection never opened")
        if not level & self.levels:
            raise w.ProtocolError(f"ACK level {level} was not granted")
        if next_seq > self.next_seq:
            raise w.ProtocolError(f"ACK next_seq {next_seq} covers records never sent (sent {self.next_seq})")
        if level == w.ACK_ACCEPTED:
            if next_seq < self.accepted_raw:
                raise w.ProtocolError(f"ACK accepted went back from {self.accepted_raw} to {next_seq}")
            self.accepted_raw = next_seq
            if next_seq > self.accepted_next:
                self.accepted_next = next_seq
            return
        if next_seq < self.durable_next:
            raise w.ProtocolError(f"ACK durable went back from {self.durable_next} to {next_seq}")
        self.durable_next = next_seq
        if next_seq > self.accepted_next:
            self.accepted_next = next_seq  # durable implies accepted
        self._settle_head()

    def _all_final(self, c: Chunk) -> bool:
        d = self.durable_next
        covered = max(0, min(d, c.first_seq + c.count) - c.first_seq)
        rejected_above = sum(max(0, re - max(rs, d)) for rs, re in (c.rejected or ()))
        return covered + rejected_above >= c.count

    def _settle_head(self) -> None:
        q = self.inflight
        d = self.durable_next
        while q:
            c = q[0]
            if c.final:
                q.popleft()
            elif c.first_seq + c.count <= d or (c.rejected and self._all_final(c)):
                q.popleft()
                self._finalize(c)
            else:
                break

    def _finalize(self, c: Chunk) -> None:
        c.final = True
        c.records = None
        self.inflight_records -= c.count
        self.inflight_bytes -= c.nbytes
        sub = c.sub
        sub.remaining -= c.count
        if sub.remaining == 0:
            self.stream.complete(sub)

    def _on_reject(self, handle, first, count, code, retriable, message) -> None:
        if handle != self.handle:
            raise w.ProtocolError(f"REJECT for handle {handle}, which this connection never opened")
        end = first + count
        if end > self.next_seq:
            raise w.ProtocolError(f"REJECT of seq {first}..{end - 1}: records never sent (sent {self.next_seq})")
        if first < self.durable_next:
            raise w.ProtocolError(f"REJECT of seq {first}, already covered by ACK durable {self.durable_next}")
        covered = 0
        for c in self.inflight:
            cs = c.first_seq
            ce = cs + c.count
            if ce <= first:
                continue
            if cs >= end:
                break
            if c.final:
                raise w.ProtocolError(f"REJECT of seq {max(first, cs)}, which already had its outcome")
            s, e = max(first, cs), min(end, ce)
            for rs, re in c.rejected or ():
                if rs < e and s < re:
                    raise w.ProtocolError(f"REJECT of seq {max(s, rs)} twice")
            if c.rejected is None:
                c.rejected = []
            c.rejected.append((s, e))
            covered += e - s
            c.sub.failures.append(RecordFailure(c.index + (s - cs), e - s, code, message, retriable))
            if self._all_final(c):
                self._finalize(c)
        if covered != count:
            raise w.ProtocolError(f"REJECT of seq {first}..{end - 1}: some already had their outcome")
        self._settle_head()

    def _on_flushed(self, request_id, code, message) -> None:
        fl = self.flushes.pop(request_id, None)
        if fl is None or not fl.sent:
            raise w.ProtocolError(f"FLUSHED for request {request_id}, which is no FLUSH sent")
        if code == 0:
            for c in self.inflight:
                if c.first_seq >= fl.seq_at_send:
                    break
                if not c.final:
                    raise w.ProtocolError(f"FLUSHED before the outcome of seq {c.first_seq}, sent before the FLUSH")
        fl.done, fl.code, fl.message = True, code, message

    def _on_error(self, code, retriable, fatal, context, message) -> None:
        if fatal:
            raise ConnectionEnded(code, f"zerobusd ended the session: {code_name(code)}: {message}")
        if code == ErrorCode.UNKNOWN_HANDLE and context == self.handle:
            # The daemon dropped records we sent without outcomes: nothing can be trusted any more.
            raise ConnectionEnded(code, f"zerobusd no longer knows this stream's handle: {message}")
        self.stream.log_warning("zerobusd reported %s: %s", code_name(code), message)

    def _on_goodbye(self, reason, message) -> None:
        if reason == 0:
            if not self.goodbye_sent:
                raise w.ProtocolError("GOODBYE reason 0 (an answer) but the client said no GOODBYE")
            self.goodbye_received = True
            return
        # Shutting down: the daemon reads nothing more. Records not written yet never reached
        # it: fail them now (retriable, no duplicate risk); written ones still get outcomes.
        self.draining = True
        detail = f"zerobusd is shutting down ({message})" if message else "zerobusd is shutting down"
        self._fail_queue(ErrorCode.SHUTTING_DOWN, f"{detail}; the record was not sent", True)
        for fl in self.flushes.values():
            if not fl.sent and not fl.done:
                fl.done, fl.code, fl.message = True, ErrorCode.SHUTTING_DOWN, detail

    # -- the end --

    def _fail_queue(self, code, message, retriable) -> None:
        q = self.queue
        kept = deque()
        while q:
            c = q.popleft()
            if type(c) is _Control:
                if c.goodbye:
                    kept.append(c)
                continue
            self.stream.note_lost(c.sub, c.records)
            c.sub.failures.append(RecordFailure(c.index, c.count, code, message, retriable))
            self.queued_records -= c.count
            self.queued_bytes -= c.nbytes
            c.sub.unsent -= 1
            c.sub.remaining -= c.count
            if c.sub.remaining == 0:
                self.stream.complete(c.sub)
        self.queue = kept

    def fail_all(self, error: ZerobusException, sent_code: int, sent_message: str) -> None:
        """The connection is gone: every record without an outcome fails. Sent ones with
        ``sent_code`` (their outcome is unknown), unsent ones with the same code, 'not sent'."""
        if self.dead is not None:
            return
        self.dead = error
        d = self.durable_next
        for c in self.inflight:
            if c.final:
                continue
            for s, e in c.unresolved(d):
                lo, hi = s - c.first_seq, e - c.first_seq
                self.stream.note_lost(c.sub, c.records[lo:hi])
                c.sub.failures.append(
                    RecordFailure(c.index + lo, hi - lo, sent_code, sent_message + "; outcome unknown (it was sent)", True)
                )
            c.final = True
            c.records = None
            c.sub.remaining -= c.count
            if c.sub.remaining == 0:
                self.stream.complete(c.sub)
        self.inflight.clear()
        self.inflight_records = self.inflight_bytes = 0
        self._fail_queue(sent_code, sent_message + "; the record was not sent", True)
        self.queue.clear()
        for fl in self.flushes.values():
            if not fl.done:
                fl.done, fl.code, fl.message = True, sent_code, sent_message
        self.flushes.clear()

    def unacked(self) -> List[tuple]:
        """(offset, records) without an outcome yet: in flight or queued."""
        out = []
        for c in self.inflight:
            if not c.final:
                for s, e in c.unresolved(self.durable_next):
                    out.append((c.sub.offset, c.records[s - c.first_seq:e - c.first_seq]))
        for c in self.queue:
            if type(c) is not _Control:
                out.append((c.sub.offset, c.records))
        return out
