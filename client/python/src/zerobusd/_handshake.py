"""The handshake, without I/O: HELLO -> WELCOME -> OPEN -> OPEN_RESULT (docs/protocol.md
sections 5-7). The transports feed it frames until ``done``."""

from typing import Optional

from . import _wire as w
from .shared.errors import ErrorCode, ZerobusException, code_name, make_error

ACK_LEVELS = w.ACK_ACCEPTED | w.ACK_DURABLE  # always both: durable is final, accepted is a bonus


class Handshake:
    """HELLO, WELCOME, OPEN, OPEN_RESULT. Feed it the daemon's frames until ``done``; it raises a
    ZerobusException when the daemon refuses or breaks the protocol."""

    def __init__(self, table: str, record_type: int, client_name: str):
        self.table = table
        self.record_type = record_type
        self.hello = w.encode_hello(ACK_LEVELS, client_name)
        self.reader = w.FrameReader()
        self.welcome = None
        self.handle = 0
        self.window = None
        self.done = False

    def on_frame(self, frame_type: int, payload: bytes) -> Optional[bytes]:
        """Returns bytes to send next (the OPEN), or None."""
        try:
            fields = w.parse(frame_type, payload)
        except w.ProtocolError as e:
            raise protocol_error(str(e), during="handshake") from None
        if frame_type == w.ERROR:
            code, retriable, fatal, _context, message = fields
            if fatal or self.welcome is None:
                raise make_error(code, f"zerobusd refused the connection: {message}", retriable)
            return None  # a non-fatal error concerning nothing we sent yet: ignore
        if self.welcome is None:
            if frame_type != w.WELCOME:
                raise protocol_error(f"{w.frame_name(frame_type)} before WELCOME", during="handshake")
            levels = fields[1]
            if levels == 0 or levels & ~ACK_LEVELS:
                raise protocol_error(f"WELCOME granted ack levels {levels}, asked for {ACK_LEVELS}", during="handshake")
            self.welcome = fields
            self.reader.limit = fields[2]
            return w.encode_open(1, self.record_type, self.table)
        if frame_type == w.WINDOW:
            self.window = fields
            return None
        if frame_type == w.DAEMON_GOODBYE:
            raise make_error(ErrorCode.SHUTTING_DOWN, f"zerobusd is shutting down: {fields[1]}")
        if frame_type != w.OPEN_RESULT or fields[0] != 1:
            raise protocol_error(f"unexpected {w.frame_name(frame_type)} while waiting for OPEN_RESULT", during="handshake")
        _request_id, code, handle, message = fields
        if code != 0:
            detail = message or code_name(code)
            raise make_error(code, f"cannot open table {self.table!r}: {detail}")
        self.handle = handle
        self.done = True
        return None


def protocol_error(detail: str, during: str = "session") -> ZerobusException:
    return make_error(ErrorCode.PROTOCOL_ERROR, f"zerobusd broke the protocol ({during}): {detail}", retriable=True)
