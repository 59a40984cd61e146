"""zerobusd.aio against the real zerobusd and zerobus-fake."""

import asyncio

import pytest
from conftest import AIR_QUALITY, EVENTS, JSON, air_quality_bytes, json_options, landed, run_async

from zerobusd import aio
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


def test_two_stage_await_of_the_official_sdk(daemon, fake, tag):
    async def main():
        stream = await aio.ZerobusSdk(daemon.socket).create_stream("id", "secret", TableProperties(EVENTS), JSON)
        assert stream.get_state() == StreamState.OPENED
        try:
            futures = [await stream.ingest_record({"id": i, "kind": tag}) for i in range(200)]
            await stream.flush()
            assert await asyncio.gather(*futures) == list(range(200))
        finally:
            await stream.close()
        assert stream.get_state() == StreamState.CLOSED

    run_async(main())
    assert len(landed(fake, EVENTS, lambda r: r.get("kind") == tag, 200)) == 200


def test_proto_batches_and_offsets(daemon, fake, tag, air_quality_pb2):
    async def main():
        props = TableProperties(AIR_QUALITY, air_quality_pb2.AirQuality.DESCRIPTOR)
        async with await aio.ZerobusSdk(daemon.socket).create_stream(None, None, props) as stream:
            msgs = [air_quality_pb2.AirQuality(device_name=f"{tag}-{i}", temp=i, humidity=i) for i in range(50)]
            ack = await stream.ingest_records(msgs[:25] + [m.SerializeToString() for m in msgs[25:]])
            assert await ack.wait_accepted(10) == 0
            assert await ack == 0
            offset = await stream.ingest_record_offset(air_quality_bytes(f"{tag}-50", 1, 1))
            batch = await stream.ingest_records_offset([air_quality_bytes(f"{tag}-{i}", 1, 1) for i in range(51, 60)])
            stream.ingest_record_nowait(air_quality_bytes(f"{tag}-60", 1, 1))
            stream.ingest_records_nowait([air_quality_bytes(f"{tag}-61", 1, 1)])
            assert (offset, batch) == (1, 2)
            await stream.wait_for_offset(batch, timeout_sec=10)
            await stream.flush()
            assert await stream.get_unacked_records() == []

    run_async(main())
    assert len(landed(fake, AIR_QUALITY, lambda r: r.get("device_name", "").startswith(tag + "-"), 62)) == 62


def test_bad_records_fail_alone_with_reasons(daemon, fake, tag):
    async def main():
        stream = await aio.ZerobusSdk(daemon.socket).create_stream(None, None, TableProperties(EVENTS), JSON)
        ack = await stream.ingest_records([{"id": 1, "kind": tag}, "12", {"id": 2, "kind": tag}])
        with pytest.raises(NonRetriableException) as caught:
            await ack
        (failure,) = ack.failures
        assert (failure.first_index, failure.code_name, failure.retriable) == (1, "INVALID_RECORD", False)
        assert caught.value.failures == ack.failures
        stream.ingest_record_nowait("{}}")
        with pytest.raises(NonRetriableException, match="INVALID_RECORD"):
            await stream.flush()  # nobody awaited that one: flush reports it
        await stream.close()

    run_async(main())
    assert sorted(r["id"] for r in landed(fake, EVENTS, lambda r: r.get("kind") == tag, 2)) == [1, 2]


def test_unknown_table_and_wrong_record_type(daemon):
    async def main():
        sdk = aio.ZerobusSdk(daemon.socket)
        with pytest.raises(NonRetriableException) as caught:
            await sdk.create_stream(None, None, TableProperties("main.default.missing"), JSON)
        assert caught.value.code == ErrorCode.UNKNOWN_TABLE
        with pytest.raises(NonRetriableException) as caught:
            await sdk.create_stream(None, None, TableProperties(EVENTS), StreamConfigurationOptions(record_type=RecordType.PROTO))
        assert caught.value.code == ErrorCode.RECORD_TYPE_MISMATCH
        stream = await sdk.create_stream(None, None, TableProperties(EVENTS), JSON)
        with pytest.raises(NonRetriableException, match="dict, str or bytes"):
            await stream.ingest_record(3.14)
        await stream.close()

    run_async(main())


def test_ack_callback_and_timeouts(daemon, tag, acks_paused):
    class Count(AckCallback):
        def __init__(self):
            self.acked = []

        def on_ack(self, offset):
            self.acked.append(offset)

    cb = Count()

    async def main():
        opts = json_options(ack_callback=cb)
        stream = await aio.ZerobusSdk(daemon.socket).create_stream(None, None, TableProperties(EVENTS), opts)
        ack = await stream.ingest_record({"id": 1, "kind": tag})
        await ack.wait_accepted(10)
        with pytest.raises(ZerobusException) as caught:
            await ack.wait_for_ack(0.2)
        assert caught.value.code == ErrorCode.WAIT_TIMEOUT and caught.value.retriable
        assert len(await stream.get_unacked_records()) == 1
        acks_paused()  # resume the service's acks
        assert await ack.wait_for_ack(10) == 0
        await stream.close()

    run_async(main())
    assert cb.acked == [0]


def test_many_tasks_share_one_stream(daemon, fake, tag):
    async def main():
        stream = await aio.ZerobusSdk(daemon.socket).create_stream(None, None, TableProperties(EVENTS), JSON)

        async def produce(t):
            for b in range(5):
                await (await stream.ingest_records([{"id": t * 1000 + b * 100 + i, "kind": tag} for i in range(100)]))

        await asyncio.gather(*(produce(t) for t in range(4)))
        await stream.close()

    run_async(main())
    assert len({r["id"] for r in landed(fake, EVENTS, lambda r: r.get("kind") == tag, 2000)}) == 2000


def test_recovery_after_a_restart_and_recreate_stream(make_daemon, fake, tag, acks_paused):
    d = make_daemon()

    async def main():
        sdk = aio.ZerobusSdk(d.socket)
        opts = json_options(recovery_retries=100, recovery_backoff_ms=50, recovery_timeout_ms=20000)
        stream = await sdk.create_stream(None, None, TableProperties(EVENTS), opts)
        ack = await stream.ingest_records([{"id": i, "kind": tag} for i in range(3)])
        await ack.wait_accepted(10)
        d.kill()
        with pytest.raises(ZerobusException) as caught:
            await ack
        assert caught.value.retriable and ack.failures[0].code == ErrorCode.CONNECTION_LOST
        assert stream.get_state() == StreamState.RECOVERING
        with pytest.raises(ZerobusException, match="reconnects"):
            stream.ingest_record_nowait({"id": 99, "kind": tag})  # cannot reconnect without awaiting
        acks_paused()  # resume the service's acks
        d.start()
        new = await sdk.recreate_stream(stream)  # re-sends the 3 lost records
        await (await new.ingest_record({"id": 3, "kind": tag}))
        await new.close()

    run_async(main())
    rows = landed(fake, EVENTS, lambda r: r.get("kind") == tag, 4)
    assert sorted(r["id"] for r in rows) == [0, 1, 2, 3]
