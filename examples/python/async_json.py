"""
Asynchronous Ingestion Example - JSON Mode (zerobusd)

The official Zerobus SDK's non-blocking JSON example (asyncio), moved to zerobusd: only the
import and the ZerobusSdk constructor differ. Every record is queued at once (the first await)
and its durability awaited later (the second await), with an AckCallback counting progress.

    examples/run.sh /usr/bin/python3 examples/python/async_json.py

Ingests 300 rows into main.default.events, waits for every acknowledgment, prints a summary
and exits non-zero if any record failed.
"""

import asyncio
import importlib.util
import logging
import os
import sys
import time

if importlib.util.find_spec("zerobusd") is None:  # not installed (pip install client/python)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "client", "python", "src"))  # use the checkout's

from zerobusd.aio import ZerobusSdk
from zerobusd.shared import AckCallback, RecordType, StreamConfigurationOptions, TableProperties, ZerobusException

logging.basicConfig(level=logging.INFO, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
logger = logging.getLogger(__name__)

TABLE_NAME = os.getenv("ZEROBUS_TABLE_NAME", "main.default.events")
CLIENT_ID = os.getenv("DATABRICKS_CLIENT_ID", "unused")  # zerobusd holds the credentials
CLIENT_SECRET = os.getenv("DATABRICKS_CLIENT_SECRET", "unused")
NUM_RECORDS = 300


class MyCallback(AckCallback):
    """Called once per ingest call when it is durable (on_ack) or failed (on_error)."""

    def __init__(self):
        self.acked = 0
        self.errors = 0

    def on_ack(self, offset: int):
        self.acked += 1
        if self.acked % 100 == 0:
            logger.info("acknowledged up to offset %d", offset)

    def on_error(self, offset: int, error_message: str):
        self.errors += 1
        logger.error("offset %d failed: %s", offset, error_message)


async def main() -> int:
    print("Starting asynchronous ingestion example (JSON mode, zerobusd)...")
    print("=" * 60)
    callback = MyCallback()
    options = StreamConfigurationOptions(record_type=RecordType.JSON, max_inflight_records=50000, ack_callback=callback)

    sdk = ZerobusSdk()  # $ZEROBUSD_SOCKET, else /run/zerobusd/zerobusd.sock
    table_properties = TableProperties(TABLE_NAME)
    stream = await sdk.create_stream(CLIENT_ID, CLIENT_SECRET, table_properties, options)

    start_time = time.time()
    futures = []
    failed = 0
    try:
        for i in range(NUM_RECORDS):
            record = {"id": i, "kind": "python_async_json", "tags": ["example"]}
            futures.append(await stream.ingest_record(record))  # queued, not yet durable
        submitted = time.time() - start_time

        await stream.flush()
        results = await asyncio.gather(*futures, return_exceptions=True)  # each: offset or error
        failed = sum(isinstance(r, Exception) for r in results)
    except ZerobusException as e:
        failed = NUM_RECORDS
        logger.error("ingestion failed: %s", e)
        submitted = time.time() - start_time
    finally:
        await stream.close()

    duration = time.time() - start_time
    print("\n" + "=" * 60)
    print("Ingestion Summary:")
    print(f"  Total records: {NUM_RECORDS}")
    print(f"  Durable (acknowledged by callback): {callback.acked}")
    print(f"  Failed: {failed}")
    print(f"  Submit time: {submitted:.3f} seconds")
    print(f"  Total time: {duration:.2f} seconds")
    print(f"  Throughput: {NUM_RECORDS / duration:.2f} records/sec")
    print("=" * 60)
    return 0 if failed == 0 and callback.errors == 0 and callback.acked == NUM_RECORDS else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
