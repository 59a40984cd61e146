"""The daemon's window and the client's own bound, against a zerobusd with small limits."""

import time

import pytest
from conftest import EVENTS, landed

from zerobusd.shared import ErrorCode, RecordType, StreamConfigurationOptions, TableProperties, ZerobusException
from zerobusd.sync import ZerobusSdk

SMALL = """limits:
  max_frame_bytes: 4096
  max_record_bytes: 4096
  max_records_per_frame: 10
  connection_window_records: 20
  connection_window_bytes: 8192
"""


def test_the_window_holds_records_back_and_a_full_stream_blocks_bounded(make_daemon, fake, tag, acks_paused):
    d = make_daemon(SMALL)
    opts = StreamConfigurationOptions(record_type=RecordType.JSON, max_inflight_records=50, ingest_block_timeout_ms=300)
    with ZerobusSdk(d.socket).create_stream(None, None, TableProperties(EVENTS), opts) as stream:
        info = stream.connection_info
        assert (info["max_records_per_frame"], info["window_records"], info["window_bytes"]) == (10, 20, 8192)
        acks = [stream.ingest_records([{"id": b * 10 + i, "kind": tag} for i in range(10)]) for b in range(5)]
        acks[0].wait_accepted(10)
        acks[1].wait_accepted(10)
        # The service holds every ack: the daemon's window (20 records) is full, the other 30
        # records wait in the client. Never more than the window on the socket:
        conn = stream._core.conn
        assert conn.inflight_records <= 20 and conn.queued_records == 30
        started = time.monotonic()
        with pytest.raises(ZerobusException) as caught:
            stream.ingest_record({"id": 50, "kind": tag})  # 51 > max_inflight_records
        assert caught.value.code == ErrorCode.WOULD_BLOCK and caught.value.retriable
        assert 0.25 <= time.monotonic() - started < 5
        acks_paused()  # the service acks again: everything drains through the window
        for a in acks:
            a.wait_for_ack(20)
        # A batch larger than a frame (and than the window) is split, still one ack.
        big = stream.ingest_records([{"id": 100 + i, "kind": tag} for i in range(95)])
        assert big.wait_for_ack(20) == 5
    rows = landed(fake, EVENTS, lambda r: r.get("kind") == tag, 145)
    assert sorted(r["id"] for r in rows) == list(range(50)) + list(range(100, 195))


def test_bytes_window_splits_large_records_across_frames(make_daemon, fake, tag):
    d = make_daemon(SMALL)
    with ZerobusSdk(d.socket).create_stream(None, None, TableProperties(EVENTS), StreamConfigurationOptions(record_type=RecordType.JSON)) as stream:
        records = [{"id": i, "kind": tag, "tags": ["x" * 1500]} for i in range(12)]  # 3 fit a 4 KiB frame
        assert stream.ingest_records(records).wait_for_ack(20) == 0
    assert len(landed(fake, EVENTS, lambda r: r.get("kind") == tag, 12)) == 12
