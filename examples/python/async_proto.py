"""
Asynchronous Ingestion Example - Protocol Buffers (zerobusd)

The official Zerobus SDK's async protobuf example, moved to zerobusd: only the import and the
ZerobusSdk constructor differ. air_quality_pb2 is generated at run time from
config/schemas/air_quality.proto (protoc + python3-protobuf; the client needs neither).

    examples/run.sh /usr/bin/python3 examples/python/async_proto.py

Ingests 300 AirQuality rows into main.default.air_quality with the offset, fire-and-forget and
batched APIs, flushes, prints a summary and exits non-zero if any record failed.
"""

import asyncio
import atexit
import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if importlib.util.find_spec("zerobusd") is None:  # not installed (pip install client/python)
    sys.path.insert(0, os.path.join(HERE, "..", "..", "client", "python", "src"))  # use the checkout's

from zerobusd.aio import ZerobusSdk
from zerobusd.shared import RecordType, StreamConfigurationOptions, TableProperties, ZerobusException

logging.basicConfig(level=logging.INFO, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
logger = logging.getLogger(__name__)

TABLE_NAME = os.getenv("ZEROBUS_TABLE_NAME", "main.default.air_quality")
CLIENT_ID = os.getenv("DATABRICKS_CLIENT_ID", "unused")  # zerobusd holds the credentials
CLIENT_SECRET = os.getenv("DATABRICKS_CLIENT_SECRET", "unused")
NUM_RECORDS = 300


def load_air_quality_pb2():
    """protoc --python_out into a temporary directory, then import it."""
    out = tempfile.mkdtemp(prefix="zerobusd-pb2-")
    atexit.register(shutil.rmtree, out, True)
    schemas = os.path.join(HERE, "..", "..", "config", "schemas")
    subprocess.run(["protoc", f"--python_out={out}", f"-I{schemas}", "air_quality.proto"], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("air_quality_pb2")


record_pb2 = load_air_quality_pb2()


def create_sample_record(index):
    return record_pb2.AirQuality(device_name=f"python-async-proto-{index}", temp=20 + index % 15, humidity=50 + index % 40)


async def main() -> int:
    print("Starting asynchronous ingestion example (Protobuf, zerobusd)...")
    print("=" * 60)
    sdk = ZerobusSdk()  # $ZEROBUSD_SOCKET, else /run/zerobusd/zerobusd.sock
    options = StreamConfigurationOptions(record_type=RecordType.PROTO, max_inflight_records=10_000, recovery=True)
    descriptor_bytes = record_pb2.AirQuality.DESCRIPTOR.file.serialized_pb  # accepted and ignored
    stream = await sdk.create_stream(CLIENT_ID, CLIENT_SECRET, TableProperties(TABLE_NAME, descriptor_bytes), options)

    start_time = time.time()
    failed = 0
    try:
        # Method 1: ingest_record_offset() - an offset per record.
        for i in range(10):
            offset = await stream.ingest_record_offset(create_sample_record(i))
            logger.info("record %d queued at offset %d", i, offset)

        # Method 2: ingest_records_offset() - messages and pre-serialized bytes may mix.
        for batch_num in range(2):
            batch = [create_sample_record(10 + batch_num * 20 + i) for i in range(20)]
            batch[1::2] = [m.SerializeToString() for m in batch[1::2]]
            offset = await stream.ingest_records_offset(batch)
            logger.info("batch %d: %d records, offset %d", batch_num + 1, len(batch), offset)

        # Method 3: fire and forget (not awaited; raises at once if the stream is full).
        for i in range(50, 150):
            stream.ingest_record_nowait(create_sample_record(i))

        # Method 4 (zerobusd): a batch with one awaitable acknowledgment and per-record failures.
        ack = await stream.ingest_records([create_sample_record(i) for i in range(150, NUM_RECORDS)])
        try:
            await ack.wait_accepted()  # zerobusd owns them (in memory or spool)
            await ack  # durable in the table
        except ZerobusException:
            failed += sum(f.count for f in ack.failures)
            raise

        # Step 5: Flush - everything queued above is durable once it returns.
        await stream.flush()
    except ZerobusException as e:
        failed = failed or NUM_RECORDS
        logger.error("ingestion failed: %s", e)
    finally:
        await stream.close()

    duration = time.time() - start_time
    print("\n" + "=" * 60)
    print("Ingestion Summary:")
    print(f"  Total records: {NUM_RECORDS}")
    print(f"  Failed: {failed}")
    print(f"  Total time: {duration:.2f} seconds")
    print(f"  Throughput: {NUM_RECORDS / duration:.2f} records/sec")
    print(f"  Stream state: {stream.get_state().name}")
    print("  Record type: Protobuf")
    print("=" * 60)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
