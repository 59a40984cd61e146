"""A stand-in daemon on a Unix socket that plays a script written by the test, to send the client
what a real zerobusd never would (malformed frames, broken guarantees, silence)."""

import socket
import struct
import threading
import time

from zerobusd import _wire as w

HDR = struct.Struct("<HBBI")


def frame(t: int, payload: bytes = b"") -> bytes:
    return HDR.pack(0x425A, 1, t, len(payload)) + payload


def string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<H", len(b)) + b


def welcome(max_frame=65536, max_records=100, win_records=1000, win_bytes=1 << 20) -> bytes:
    return frame(w.WELCOME, struct.pack("<BBHIIQQ", 1, 3, 0, max_frame, max_records, win_records, win_bytes) + string("scripted"))


def open_result(handle=1, code=0, message="") -> bytes:
    return frame(w.OPEN_RESULT, struct.pack("<IHI", 1, code, handle) + string(message))


def ack(handle: int, level: int, next_seq: int) -> bytes:
    return frame(w.ACK, struct.pack("<IBQ", handle, level, next_seq))


def window(records: int, nbytes: int) -> bytes:
    return frame(w.WINDOW, struct.pack("<QQ", records, nbytes))


def error(code: int, fatal: bool, message: str = "", retriable: bool = False) -> bytes:
    return frame(w.ERROR, struct.pack("<HBBI", code, retriable, fatal, 0) + string(message))


class Peer:
    """The accepted connection, with frame-level reads bounded by a timeout."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = b""

    def read_frame(self, timeout_s: float = 5):
        deadline = time.monotonic() + timeout_s
        while True:
            if len(self.buf) >= 8:
                _, _, t, n = HDR.unpack_from(self.buf)
                if len(self.buf) >= 8 + n:
                    payload, self.buf = self.buf[8:8 + n], self.buf[8 + n:]
                    return t, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the client")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                return None, b""
            self.buf += data

    def nothing_pending(self) -> bool:
        """True if the client has sent nothing unread (checked without waiting)."""
        if self.buf:
            return False
        self.sock.setblocking(False)
        try:
            return not self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True
        finally:
            self.sock.setblocking(True)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def handshake(self, *frames: bytes) -> None:
        """Reads HELLO, sends WELCOME (or what the test says), reads OPEN, sends OPEN_RESULT."""
        t, _ = self.read_frame()
        assert t == w.HELLO
        self.send(frames[0] if frames else welcome())
        t, _ = self.read_frame()
        assert t == w.OPEN
        self.send(b"".join(frames[1:]) if len(frames) > 1 else open_result())


class ScriptedDaemon:
    """Accepts one connection and runs ``script(peer)`` on a thread. ``join()`` re-raises what
    the script raised, so its own assertions count."""

    def __init__(self, path: str, script):
        self.path = path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.listener.settimeout(10)
        self.script = script
        self.error = None
        self.go = threading.Event()  # the test tells the script to go on
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            sock, _ = self.listener.accept()
            with sock:
                self.script(Peer(sock))
        except BaseException as e:  # reported by join()
            self.error = e
        finally:
            self.listener.close()

    def join(self, timeout_s: float = 10):
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), "the scripted daemon did not finish"
        if self.error is not None:
            raise self.error
