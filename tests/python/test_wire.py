"""The Python codec against the protocol's byte-level example (tests/frame/data/session.hex, the
session docs/protocol.md quotes) and against malformed daemon frames. No daemon needed."""

import struct

import pytest
from conftest import ROOT

from zerobusd import _wire as w
from zerobusd._records import make_chunks


def session_frames():
    frames = []
    for line in (ROOT / "tests/frame/data/session.hex").read_text().splitlines():
        if line.startswith("== "):
            _, direction, name = line.split(maxsplit=2)
            frames.append([direction, name, bytearray()])
        elif frames and line.strip() and not line.startswith("#"):
            frames[-1][2] += bytes.fromhex(line.split("#")[0])
    return [(d, n, bytes(b)) for d, n, b in frames]


def test_client_frames_match_the_documented_session_byte_for_byte():
    client = [(name, data) for d, name, data in session_frames() if d == "C>D"]
    ours = {
        "HELLO": w.encode_hello(3, "demo"),
        "OPEN": w.encode_open(1, 2, "main.demo.events"),
        "FLUSH": w.encode_flush(2, w.ALL_HANDLES),
        "GOODBYE": w.encode_goodbye(),
    }
    records = [b'{"id":1}', b'{"id":2}']
    (chunk,) = make_chunks(records, max_records=1000, max_frame_bytes=1 << 20)
    ours["RECORDS"] = w.records_header(1, 0, 2, len(chunk.body)) + chunk.body
    assert [name for name, _ in client] == ["HELLO", "OPEN", "RECORDS", "FLUSH", "GOODBYE"]
    for name, data in client:
        assert ours[name] == data, name


def test_daemon_frames_of_the_documented_session_parse_to_their_fields():
    reader = w.FrameReader()
    stream = b"".join(data for d, _, data in session_frames() if d == "D>C")
    # One byte at a time: reassembly must not depend on how reads split the stream.
    frames = []
    for i in range(len(stream)):
        frames += reader.feed(stream[i:i + 1])
    parsed = [(t, w.parse(t, p)) for t, p in frames]
    assert parsed == [
        (w.WELCOME, (1, 3, 1048576, 1000, 100000, 67108864, "zerobusd 0.1.0")),
        (w.OPEN_RESULT, (1, 0, 1, "")),
        (w.ACK, (1, 1, 2)),
        (w.ACK, (1, 2, 2)),
        (w.FLUSHED, (2, 0, "")),
        (w.DAEMON_GOODBYE, (0, "")),
    ]
    assert reader.pending_bytes() == 0


def frame(t, payload):
    return struct.pack("<HBBI", 0x425A, 1, t, len(payload)) + payload


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x5a\x43", "bad magic"),
        (b"\x00", "bad magic"),
        (b"\x5a\x42\x02", "unsupported protocol version 2"),
        (b"\x5a\x42\x01\x7f", "unknown"),
        (b"\x5a\x42\x01\x03", "client frame type"),
        (struct.pack("<HBBI", 0x425A, 1, w.ACK, 65537), "exceeds the limit"),
    ],
)
def test_bad_headers_are_refused_as_soon_as_the_field_arrives(data, message):
    with pytest.raises(w.ProtocolError, match=message):
        w.FrameReader().feed(data)


@pytest.mark.parametrize(
    "t, payload, message",
    [
        (w.ACK, struct.pack("<IBQ", 1, 2, 5) + b"\x00", "left over"),
        (w.ACK, struct.pack("<IBQ", 1, 3, 5), "level is 3"),
        (w.ACK, struct.pack("<IB", 1, 2), "too short"),
        (w.REJECT, struct.pack("<IQIHB", 1, 0, 1, 11, 2) + b"\x00\x00", "must be 0 or 1"),
        (w.REJECT, struct.pack("<IQIHB", 1, 0, 0, 11, 0) + b"\x00\x00", "count is 0"),
        (w.REJECT, struct.pack("<IQIHB", 1, 0, 1, 11, 0) + b"\x02\x00\xc0\xaf", "not valid UTF-8"),
        (w.REJECT, struct.pack("<IQIHB", 1, 0, 1, 11, 0) + b"\x03\x00\xed\xa0\x80", "not valid UTF-8"),
        (w.REJECT, struct.pack("<IQIHB", 1, 0, 1, 11, 0) + b"\x09\x00ab", "past the end"),
        (w.WELCOME, struct.pack("<BBHIIQQ", 1, 3, 0, 512, 10, 100, 4096) + b"\x00\x00", "below 1024"),
        (w.WELCOME, struct.pack("<BBHIIQQ", 1, 3, 0, 4096, 10, 5, 8192) + b"\x00\x00", "below the frame limits"),
        (w.WELCOME, struct.pack("<BBHIIQQ", 2, 3, 0, 4096, 10, 100, 8192) + b"\x00\x00", "version is 2"),
        (w.OPEN_RESULT, struct.pack("<IHI", 1, 0, 0) + b"\x00\x00", "reserved handle"),
        (w.ERROR, struct.pack("<HBBI", 0, 0, 1, 0) + b"\x00\x00", "error_code is 0"),
        (w.STATUS_RESULT, struct.pack("<II", 1, 10) + b"{}", "does not match"),
        (w.DAEMON_GOODBYE, struct.pack("<H", 7) + b"\x00\x00", "reason is 7"),
    ],
)
def test_malformed_payloads_are_protocol_errors(t, payload, message):
    reader = w.FrameReader()
    (got,) = reader.feed(frame(t, payload))
    with pytest.raises(w.ProtocolError, match=message):
        w.parse(*got)


def test_batches_split_into_frames_within_both_limits():
    records = [bytes([i]) * (10 + i % 7) for i in range(95)]
    chunks = make_chunks(records, max_records=10, max_frame_bytes=w.RECORDS_FIXED + 100)
    assert sum(c.count for c in chunks) == 95
    assert [r for c in chunks for r in c.records] == records
    for c in chunks:
        assert c.count <= 10
        assert len(c.body) <= 100
        assert c.nbytes == sum(map(len, c.records))
        assert len(c.body) == c.nbytes + 4 * c.count
    assert chunks[0].index == 0 and all(a.index + a.count == b.index for a, b in zip(chunks, chunks[1:]))
