"""The local protocol's codec (docs/protocol.md, version 1): encoders for the client's frames and
a strict, incremental decoder for the daemon's. Pure: no I/O, no state beyond FrameReader's
buffer. Every malformation raises ProtocolError naming what was wrong."""

import struct
from typing import List, Tuple

MAGIC = 0x425A
VERSION = 1
HEADER = struct.Struct("<HBBI")  # magic, version, type, payload length
HEADER_SIZE = 8
PRE_WELCOME_MAX_FRAME = 65536
MIN_MAX_FRAME_BYTES = 1024
MAX_CLIENT_NAME_BYTES = 256
MAX_TABLE_NAME_BYTES = 1024
ALL_HANDLES = 0xFFFFFFFF
RECORDS_FIXED = 16  # handle u32, first_seq u64, count u32
RECORD_PREFIX = 4  # u32 length before each record

# Client -> daemon.
HELLO, OPEN, RECORDS, FLUSH, PING, CLOSE_HANDLE, GOODBYE, STATUS = range(0x01, 0x09)
# Daemon -> client.
WELCOME, OPEN_RESULT, ACK, REJECT, FLUSHED, PONG, WINDOW, ERROR, DAEMON_GOODBYE, STATUS_RESULT = range(
    0x81, 0x8B
)
_CLIENT_TYPES = frozenset(range(0x01, 0x09))
_DAEMON_TYPES = frozenset(range(0x81, 0x8B))
_NAMES = {
    WELCOME: "WELCOME", OPEN_RESULT: "OPEN_RESULT", ACK: "ACK", REJECT: "REJECT",
    FLUSHED: "FLUSHED", PONG: "PONG", WINDOW: "WINDOW", ERROR: "ERROR",
    DAEMON_GOODBYE: "GOODBYE", STATUS_RESULT: "STATUS_RESULT",
}

ACK_ACCEPTED = 1
ACK_DURABLE = 2

_U32 = struct.Struct("<I")
_RECORDS_HEAD = struct.Struct("<HBBIIQI")  # frame header + RECORDS' fixed fields
pack_u32 = _U32.pack


class ProtocolError(Exception):
    """The daemon's bytes broke the protocol; the connection cannot be used any more."""


def frame_name(frame_type: int) -> str:
    return _NAMES.get(frame_type, f"0x{frame_type:02x}")


def _frame(frame_type: int, payload: bytes) -> bytes:
    return HEADER.pack(MAGIC, VERSION, frame_type, len(payload)) + payload


def _string(text: str, limit: int, what: str) -> bytes:
    data = text.encode("utf-8")
    if len(data) > limit:
        raise ValueError(f"{what} is {len(data)} bytes of UTF-8, at most {limit} allowed")
    return struct.pack("<H", len(data)) + data


def encode_hello(ack_levels: int, client_name: str) -> bytes:
    return _frame(HELLO, struct.pack("<BB", ack_levels, 0) + _string(client_name, MAX_CLIENT_NAME_BYTES, "client_name"))


def encode_open(request_id: int, record_type: int, table: str) -> bytes:
    return _frame(OPEN, struct.pack("<IB", request_id, record_type) + _string(table, MAX_TABLE_NAME_BYTES, "table name"))


def records_header(handle: int, first_seq: int, count: int, body_len: int) -> bytes:
    """Frame header and RECORDS' fixed fields; ``body_len`` bytes of length-prefixed records follow."""
    return _RECORDS_HEAD.pack(MAGIC, VERSION, RECORDS, RECORDS_FIXED + body_len, handle, first_seq, count)


def encode_flush(request_id: int, handle: int) -> bytes:
    return _frame(FLUSH, struct.pack("<II", request_id, handle))


def encode_ping(nonce: int) -> bytes:
    return _frame(PING, struct.pack("<Q", nonce))


def encode_close_handle(handle: int) -> bytes:
    return _frame(CLOSE_HANDLE, struct.pack("<I", handle))


def encode_goodbye() -> bytes:
    return _frame(GOODBYE, b"")


def encode_status(request_id: int) -> bytes:
    return _frame(STATUS, struct.pack("<I", request_id))


class _Payload:
    """Strict reader over one payload: every field must be present, nothing may be left over."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str):
        self.data = data
        self.pos = 0
        self.what = what

    def _take(self, st: struct.Struct) -> Tuple:
        end = self.pos + st.size
        if end > len(self.data):
            raise ProtocolError(f"{self.what} payload is too short ({len(self.data)} bytes)")
        values = st.unpack_from(self.data, self.pos)
        self.pos = end
        return values

    def fields(self, st: struct.Struct) -> Tuple:
        return self._take(st)

    def boolean(self, field: str) -> bool:
        (value,) = self._take(_U8)
        if value > 1:
            raise ProtocolError(f"{self.what} {field} is {value}, must be 0 or 1")
        return value == 1

    def string(self, field: str) -> str:
        (length,) = self._take(_U16)
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError(f"{self.what} {field} runs past the end of the payload")
        raw = bytes(self.data[self.pos:end])
        self.pos = end
        try:
            return raw.decode("utf-8")  # strict: rejects overlong forms, surrogates, > U+10FFFF
        except UnicodeDecodeError as e:
            raise ProtocolError(f"{self.what} {field} is not valid UTF-8: {e}") from None

    def rest(self, length: int, field: str) -> bytes:
        if self.pos + length != len(self.data):
            raise ProtocolError(f"{self.what} {field} length {length} does not match the payload")
        value = bytes(self.data[self.pos:])
        self.pos = len(self.data)
        return value

    def end(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{self.what} payload has {len(self.data) - self.pos} bytes left over")


_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_WELCOME = struct.Struct("<BBHIIQQ")
_OPEN_RESULT = struct.Struct("<IHI")
_ACK = struct.Struct("<IBQ")
_REJECT = struct.Struct("<IQIH")
_FLUSHED = struct.Struct("<IH")
_U64 = struct.Struct("<Q")
_WINDOW = struct.Struct("<QQ")
_ERROR_HEAD = struct.Struct("<H")
_U32S = struct.Struct("<I")
_STATUS_RESULT = struct.Struct("<II")


def parse(frame_type: int, payload: bytes) -> Tuple:
    """Decodes one daemon frame's payload into a tuple of its fields (docs/protocol.md section 7)."""
    p = _Payload(payload, frame_name(frame_type))
    if frame_type == ACK:
        out = p.fields(_ACK)
        if out[1] not in (ACK_ACCEPTED, ACK_DURABLE):
            raise ProtocolError(f"ACK level is {out[1]}, must be 1 or 2")
    elif frame_type == REJECT:
        handle, first_seq, count, code = p.fields(_REJECT)
        retriable = p.boolean("retriable")
        out = (handle, first_seq, count, code, retriable, p.string("message"))
        if count == 0:
            raise ProtocolError("REJECT count is 0")
        if code == 0:
            raise ProtocolError("REJECT error_code is 0")
    elif frame_type == WELCOME:
        version, levels, reserved, max_frame, max_records, win_records, win_bytes = p.fields(_WELCOME)
        out = (version, levels, max_frame, max_records, win_records, win_bytes, p.string("daemon_version"))
        if version != VERSION:
            raise ProtocolError(f"WELCOME version is {version}, this client speaks {VERSION}")
        if reserved != 0:
            raise ProtocolError(f"WELCOME reserved field is {reserved}, must be 0")
        if max_frame < MIN_MAX_FRAME_BYTES:
            raise ProtocolError(f"WELCOME max_frame_bytes {max_frame} is below {MIN_MAX_FRAME_BYTES}")
        if max_records < 1:
            raise ProtocolError("WELCOME max_records_per_frame is 0")
        if win_records < max_records or win_bytes < max_frame:
            raise ProtocolError(
                f"WELCOME window ({win_records} records, {win_bytes} bytes) is below the frame limits "
                f"({max_records} records, {max_frame} bytes)"
            )
    elif frame_type == OPEN_RESULT:
        request_id, code, handle = p.fields(_OPEN_RESULT)
        out = (request_id, code, handle, p.string("message"))
        if code == 0 and handle in (0, ALL_HANDLES):
            raise ProtocolError(f"OPEN_RESULT OK with reserved handle {handle}")
        if code != 0 and handle != 0:
            raise ProtocolError(f"OPEN_RESULT error {code} with handle {handle} (must be 0)")
    elif frame_type == FLUSHED:
        request_id, code = p.fields(_FLUSHED)
        out = (request_id, code, p.string("message"))
    elif frame_type == PONG:
        out = p.fields(_U64)
    elif frame_type == WINDOW:
        out = p.fields(_WINDOW)
    elif frame_type == ERROR:
        (code,) = p.fields(_ERROR_HEAD)
        retriable = p.boolean("retriable")
        fatal = p.boolean("fatal")
        (context,) = p.fields(_U32S)
        out = (code, retriable, fatal, context, p.string("message"))
        if code == 0:
            raise ProtocolError("ERROR error_code is 0")
    elif frame_type == DAEMON_GOODBYE:
        (reason,) = p.fields(_U16)
        out = (reason, p.string("message"))
        if reason > 1:
            raise ProtocolError(f"GOODBYE reason is {reason}, must be 0 or 1")
    elif frame_type == STATUS_RESULT:
        request_id, length = p.fields(_STATUS_RESULT)
        out = (request_id, p.rest(length, "json"))
    else:  # FrameReader lets only daemon types through
        raise ProtocolError(f"unexpected frame type {frame_name(frame_type)}")
    p.end()
    return out


class FrameReader:
    """Reassembles the daemon's byte stream into (type, payload) frames. Checks each header in
    the documented order (magic, version, type, length) as soon as its bytes are there."""

    __slots__ = ("_buf", "limit")

    def __init__(self):
        self._buf = bytearray()
        self.limit = PRE_WELCOME_MAX_FRAME

    def feed(self, data: bytes) -> List[Tuple[int, bytes]]:
        buf = self._buf
        buf += data
        frames = []
        pos = 0
        n = len(buf)
        while pos < n:
            # Each header field is checked as soon as its bytes are there (docs/protocol.md 4.3).
            if buf[pos] != 0x5A or (n - pos >= 2 and buf[pos + 1] != 0x42):
                raise ProtocolError(f"bad magic {bytes(buf[pos:pos + 2]).hex()} (expected 5a42)")
            if n - pos < 3:
                break
            if buf[pos + 2] != VERSION:
                raise ProtocolError(f"unsupported protocol version {buf[pos + 2]}")
            if n - pos < 4:
                break
            frame_type = buf[pos + 3]
            if frame_type not in _DAEMON_TYPES:
                which = "a client frame type" if frame_type in _CLIENT_TYPES else "unknown"
                raise ProtocolError(f"frame type 0x{frame_type:02x} from the daemon is {which}")
            if n - pos < HEADER_SIZE:
                break
            (length,) = _U32.unpack_from(buf, pos + 4)
            if length > self.limit:
                raise ProtocolError(f"{frame_name(frame_type)} of {length} bytes exceeds the limit of {self.limit}")
            end = pos + HEADER_SIZE + length
            if end > n:
                break
            frames.append((frame_type, bytes(buf[pos + HEADER_SIZE:end])))
            pos = end
        if pos:
            del buf[:pos]
        return frames

    def pending_bytes(self) -> int:
        return len(self._buf)
