"""zerobusd.sync against the real zerobusd and zerobus-fake: rows are checked where they land."""

import json
import threading

import pytest
from conftest import AIR_QUALITY, EVENTS, JSON, air_quality_bytes, json_options, landed

from zerobusd.shared import (
    AckCallback,
    ErrorCode,
    NonRetriableException,
    RecordType,
    StreamConfigurationOptions,
    StreamState,
    TableProperties,
    ZerobusException,
)
from zerobusd.sync import ZerobusSdk


@pytest.fixture
def sdk(daemon):
    return ZerobusSdk(daemon.socket)


def test_json_records_land_through_the_sdk_shaped_api(sdk, fake, tag):
    # The official SDK's positional shape; credentials are accepted and ignored.
    stream = sdk.create_stream("client-id", "client-secret", TableProperties(EVENTS), JSON)
    assert stream.get_state() == StreamState.OPENED
    try:
        ack = stream.ingest_record({"id": 1, "kind": tag})
        assert ack.wait_for_ack(10) == 0
        assert stream.ingest_record(json.dumps({"id": 2, "kind": tag})).wait_for_ack(10) == 1
    finally:
        stream.close()
    assert stream.get_state() == StreamState.CLOSED
    rows = landed(fake, EVENTS, lambda r: r.get("kind") == tag, 2)
    assert sorted(r["id"] for r in rows) == [1, 2]


def test_socket_path_comes_from_the_environment(daemon, fake, tag, monkeypatch):
    monkeypatch.setenv("ZEROBUSD_SOCKET", daemon.socket)
    with ZerobusSdk().create_stream(None, None, TableProperties(EVENTS), JSON) as stream:
        stream.ingest_record({"id": 7, "kind": tag}).wait_for_ack(10)
    landed(fake, EVENTS, lambda r: r.get("kind") == tag, 1)


def test_proto_messages_and_bytes_land(sdk, fake, tag, air_quality_pb2):
    props = TableProperties(AIR_QUALITY, air_quality_pb2.AirQuality.DESCRIPTOR)  # record type PROTO inferred
    with sdk.create_stream("id", "secret", props) as stream:
        acks = [stream.ingest_record(air_quality_pb2.AirQuality(device_name=f"{tag}-{i}", temp=20 + i, humidity=50 + i)) for i in range(5)]
        acks.append(stream.ingest_record(air_quality_bytes(f"{tag}-5", 25, 55)))
        assert [a.wait_for_ack(10) for a in acks] == list(range(6))
    rows = landed(fake, AIR_QUALITY, lambda r: r.get("device_name", "").startswith(tag), 6)
    assert sorted((r["device_name"], r["temp"], r["humidity"]) for r in rows) == [
        (f"{tag}-{i}", 20 + i, 50 + i) for i in range(6)
    ]


def test_a_batch_gets_one_ack_and_bad_records_fail_alone_with_their_reasons(sdk, fake, tag):
    records = [{"id": i, "kind": tag} for i in range(10)]
    records[3] = "not json at all"
    records[7] = "[1, 2]"  # JSON, but not an object
    with sdk.create_stream(None, None, TableProperties(EVENTS), JSON) as stream:
        ack = stream.ingest_records(records)
        with pytest.raises(NonRetriableException) as caught:
            ack.wait_for_ack(10)
        assert ack.is_done() and ack.record_count == 10
        failed = {i: f for f in ack.failures for i in f.indices()}
        assert sorted(failed) == [3, 7]
        for f in failed.values():
            assert f.code == ErrorCode.INVALID_RECORD and f.code_name == "INVALID_RECORD"
            assert not f.retriable and f.message
        assert caught.value.failures == ack.failures
        assert "2 of 10 records failed" in str(caught.value)
        stream.flush()  # the failure was seen through the ack: flush does not raise it again
    rows = landed(fake, EVENTS, lambda r: r.get("kind") == tag, 8)
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 4, 5, 6, 8, 9]


def test_flush_raises_failures_nobody_looked_at(sdk, tag):
    with sdk.create_stream(None, None, TableProperties(EVENTS), JSON) as stream:
        stream.ingest_records_nowait([{"id": 1, "kind": tag}, "nope"])
        first = stream.ingest_record_offset({"id": 2, "kind": tag})
        with pytest.raises(NonRetriableException) as caught:
            stream.flush()
        assert caught.value.code == ErrorCode.INVALID_RECORD
        assert list(caught.value.failures_by_offset) == [0]
        assert first == 1
        stream.flush()  # reported once
        assert stream.get_unacked_records() == []


def test_offsets_api_of_the_current_sdk(sdk, fake, tag):
    with sdk.create_stream(None, None, TableProperties(EVENTS), JSON) as stream:
        offsets = [stream.ingest_record_offset({"id": i, "kind": tag}) for i in range(3)]
        batch = stream.ingest_records_offset([{"id": 10 + i, "kind": tag} for i in range(4)])
        assert stream.ingest_records_offset([]) is None
        stream.ingest_record_nowait({"id": 20, "kind": tag})
        assert offsets == [0, 1, 2] and batch == 3
        stream.wait_for_offset(batch, timeout_sec=10)
        with pytest.raises(NonRetriableException, match="never returned"):
            stream.wait_for_offset(99)
    landed(fake, EVENTS, lambda r: r.get("kind") == tag, 8)


def test_unknown_table_is_refused_at_create_stream(sdk):
    with pytest.raises(NonRetriableException) as caught:
        sdk.create_stream(None, None, TableProperties("main.default.nope"), JSON)
    assert caught.value.code == ErrorCode.UNKNOWN_TABLE
    assert "main.default.nope" in str(caught.value)


def test_wrong_record_type_is_refused(sdk, air_quality_pb2):
    # The table takes PROTO; a JSON stream is refused by the daemon.
    with pytest.raises(NonRetriableException) as caught:
        sdk.create_stream(None, None, TableProperties(AIR_QUALITY), JSON)
    assert caught.value.code == ErrorCode.RECORD_TYPE_MISMATCH
    # A record of the wrong kind is refused by the client before anything is sent.
    with sdk.create_stream(None, None, TableProperties(AIR_QUALITY, air_quality_pb2.AirQuality.DESCRIPTOR)) as stream:
        with pytest.raises(NonRetriableException, match="protobuf message or bytes") as caught:
            stream.ingest_record({"device_name": "x"})
        assert caught.value.code == ErrorCode.INVALID_ARGUMENT
        with pytest.raises(NonRetriableException):
            stream.ingest_records([air_quality_bytes("ok", 1, 2), "a str"])  # all or nothing
        assert stream.get_unacked_records() == []


def test_bytes_that_are_not_the_schema_are_rejected_per_record(sdk, fake, tag):
    props = TableProperties(AIR_QUALITY)
    opts = StreamConfigurationOptions(record_type=RecordType.PROTO)
    with sdk.create_stream(None, None, props, opts) as stream:
        ack = stream.ingest_records([air_quality_bytes(f"{tag}-ok", 1, 2), b"\xff\xff\xff"])
        with pytest.raises(NonRetriableException):
            ack.wait_for_ack(10)
        (failure,) = ack.failures
        assert (failure.first_index, failure.count, failure.code_name) == (1, 1, "INVALID_RECORD")
    landed(fake, AIR_QUALITY, lambda r: r.get("device_name") == f"{tag}-ok", 1)


def test_state_flush_and_close(sdk, fake, tag):
    stream = sdk.create_stream(None, None, TableProperties(EVENTS), JSON)
    seen = []
    for i in range(300):
        stream.ingest_record_nowait({"id": i, "kind": tag})
    stream.flush()
    assert stream.get_state() == StreamState.OPENED
    assert len(landed(fake, EVENTS, lambda r: r.get("kind") == tag, 300, timeout_s=5)) == 300
    ack = stream.ingest_record({"id": 300, "kind": tag})
    ack.add_done_callback(seen.append)
    stream.close()
    assert ack.is_done() and seen == [ack]
    stream.close()  # idempotent
    assert stream.get_state() == StreamState.CLOSED
    with pytest.raises(NonRetriableException) as caught:
        stream.ingest_record({"id": 301, "kind": tag})
    assert caught.value.code == ErrorCode.CLOSED
    with pytest.raises(NonRetriableException):
        stream.flush()


def test_accepted_and_durable_acks(sdk, tag, acks_paused):
    with sdk.create_stream(None, None, TableProperties(EVENTS), JSON) as stream:
        ack = stream.ingest_records([{"id": i, "kind": tag} for i in range(5)])
        assert ack.wait_accepted(10) == 0  # zerobusd owns them while the service holds its ack
        assert ack.is_accepted() and not ack.is_done()
        with pytest.raises(ZerobusException) as caught:
            ack.wait_for_ack(0.2)
        assert caught.value.code == ErrorCode.WAIT_TIMEOUT and caught.value.retriable
        assert len(stream.get_unacked_records()) == 5
        acks_paused()  # resume
        assert ack.wait_for_ack(10) == 0


def test_ack_callback_runs_once_per_call(sdk, tag):
    class Recorder(AckCallback):
        def __init__(self):
            self.acked, self.errors = [], []

        def on_ack(self, offset):
            self.acked.append(offset)

        def on_error(self, offset, message):
            self.errors.append((offset, message))

    cb = Recorder()
    opts = json_options(ack_callback=cb)
    with sdk.create_stream(None, None, TableProperties(EVENTS), opts) as stream:
        stream.ingest_records_nowait([{"id": 1, "kind": tag}, {"id": 2, "kind": tag}])
        stream.ingest_record_nowait("{broken")
        stream.ingest_record_nowait({"id": 3, "kind": tag})
        stream.flush()  # the failure went to on_error: seen, not raised
    assert cb.acked == [0, 2]
    assert [o for o, _ in cb.errors] == [1] and "INVALID_RECORD" in cb.errors[0][1]


def test_a_callback_without_on_error_leaves_failures_to_flush(sdk):
    class OnlyAcks(AckCallback):
        def on_ack(self, offset):
            pass

    opts = json_options(ack_callback=OnlyAcks())
    with sdk.create_stream(None, None, TableProperties(EVENTS), opts) as stream:
        stream.ingest_record_nowait("[]")
        with pytest.raises(NonRetriableException, match="INVALID_RECORD"):
            stream.flush()


def test_many_threads_share_one_stream(sdk, fake, tag):
    with sdk.create_stream(None, None, TableProperties(EVENTS), JSON) as stream:

        def produce(t):
            acks = [stream.ingest_records([{"id": t * 1000 + b * 50 + i, "kind": tag} for i in range(50)]) for b in range(10)]
            for a in acks:
                a.wait_for_ack(30)

        threads = [threading.Thread(target=produce, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
    rows = landed(fake, EVENTS, lambda r: r.get("kind") == tag, 2000)
    assert len({r["id"] for r in rows}) == 2000


def test_options_are_checked_and_the_official_names_accepted():
    opts = StreamConfigurationOptions(
        max_inflight_records=10, recovery=False, recovery_timeout_ms=1, recovery_backoff_ms=1, recovery_retries=0,
        server_lack_of_ack_timeout_ms=1, flush_timeout_ms=1, record_type=RecordType.JSON,
        stream_paused_max_wait_time_ms=0, callback_max_wait_time_ms=None, ack_callback=None,
    )
    assert opts.max_inflight_records == 10 and opts.record_type == RecordType.JSON
    with pytest.raises(TypeError):
        StreamConfigurationOptions(max_inflight_record=5)  # a typo is an error, not the default
    with pytest.raises(ValueError):
        StreamConfigurationOptions(max_inflight_records=0)
    with pytest.raises(ValueError, match="socket path, not an endpoint"):
        ZerobusSdk("https://1234.zerobus.us-west-2.cloud.databricks.com")


def test_avro_is_refused(sdk):
    with pytest.raises(NonRetriableException, match="Avro"):
        sdk.create_stream(None, None, TableProperties(EVENTS, avro_schema="{}"))


def test_records_larger_than_a_frame_are_refused_before_sending(make_daemon):
    d = make_daemon("limits:\n  max_frame_bytes: 4096\n  max_record_bytes: 4096\n")
    with ZerobusSdk(d.socket).create_stream(None, None, TableProperties(EVENTS), JSON) as stream:
        assert stream.connection_info["max_frame_bytes"] == 4096
        with pytest.raises(NonRetriableException) as caught:
            stream.ingest_record({"id": 1, "kind": "x" * 5000})
        assert caught.value.code == ErrorCode.RECORD_TOO_LARGE
