"""
Synchronous Ingestion Example - JSON Mode (zerobusd)

The official Zerobus SDK's sync JSON example, moved to zerobusd: only the import and the
ZerobusSdk constructor differ. The daemon holds the endpoint and the credentials, so the
client id and secret passed to create_stream() are ignored.

    examples/run.sh /usr/bin/python3 examples/python/sync_json.py

Ingests 300 rows into main.default.events (id bigint NOT NULL, kind string NOT NULL,
tags array<string>, ...), waits for every acknowledgment, prints a summary and exits non-zero
if any record failed.
"""

import json
import importlib.util
import logging
import os
import sys
import time

if importlib.util.find_spec("zerobusd") is None:  # not installed (pip install client/python)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "client", "python", "src"))  # use the checkout's

from zerobusd.shared import RecordType, StreamConfigurationOptions, TableProperties, ZerobusException
from zerobusd.sync import ZerobusSdk

logging.basicConfig(level=logging.INFO, format="%(asctime)s - %(name)s - %(levelname)s - %(message)s")
logger = logging.getLogger(__name__)

# Configuration: the socket comes from $ZEROBUSD_SOCKET (examples/run.sh sets it).
TABLE_NAME = os.getenv("ZEROBUS_TABLE_NAME", "main.default.events")
CLIENT_ID = os.getenv("DATABRICKS_CLIENT_ID", "unused")  # zerobusd holds the credentials
CLIENT_SECRET = os.getenv("DATABRICKS_CLIENT_SECRET", "unused")
NUM_RECORDS = 300


def create_sample_json_record(index):
    """One row of main.default.events as a dict (a pre-serialized JSON string works too)."""
    return {"id": index, "kind": "python_sync_json", "tags": ["example", f"batch-{index // 100}"]}


def main() -> int:
    print("Starting synchronous ingestion example (JSON mode, zerobusd)...")
    print("=" * 60)

    # Step 1: Initialize the SDK - the only line that differs from the official SDK
    # (ZerobusSdk(server_endpoint, workspace_url) there).
    sdk = ZerobusSdk()
    logger.info("SDK initialized (socket %s)", sdk.socket_path)

    # Step 2: Table properties and options, exactly as with the official SDK.
    table_properties = TableProperties(TABLE_NAME)
    options = StreamConfigurationOptions(record_type=RecordType.JSON, max_inflight_records=1000)

    # Step 3: Create the stream.
    stream = sdk.create_stream(CLIENT_ID, CLIENT_SECRET, table_properties, options)
    start_time = time.time()
    durable = 0
    failed = 0
    try:
        # Method 1: ingest_record() + wait_for_ack() - one record at a time, durable before the next.
        for i in range(100):
            ack = stream.ingest_record(create_sample_json_record(i))
            ack.wait_for_ack()
            durable += 1

        # Method 2: ingest_records_offset() - a batch, one offset for the whole batch.
        for batch_num in range(2):
            batch = [create_sample_json_record(100 + batch_num * 50 + i) for i in range(50)]
            batch[1::2] = [json.dumps(r) for r in batch[1::2]]  # dicts and JSON strings mix
            offset = stream.ingest_records_offset(batch)
            logger.info("batch %d: %d records, offset %d", batch_num + 1, len(batch), offset)

        # Method 3: ingest_record_nowait() / ingest_records_nowait() - fire and forget; flush()
        # below waits for them and raises if any failed.
        for i in range(200, 250):
            stream.ingest_record_nowait(create_sample_json_record(i))
        stream.ingest_records_nowait([create_sample_json_record(i) for i in range(250, NUM_RECORDS)])

        # Step 4: Flush - every record above is durable once it returns.
        stream.flush()
        durable = NUM_RECORDS
    except ZerobusException as e:
        failed = NUM_RECORDS - durable
        logger.error("ingestion failed: %s", e)
    finally:
        stream.close()

    duration = time.time() - start_time
    print("\n" + "=" * 60)
    print("Ingestion Summary:")
    print(f"  Total records: {NUM_RECORDS}")
    print(f"  Durable: {durable}")
    print(f"  Failed: {failed}")
    print(f"  Duration: {duration:.2f} seconds")
    print(f"  Throughput: {NUM_RECORDS / duration:.2f} records/sec")
    print(f"  Stream state: {stream.get_state().name}")
    print("=" * 60)
    return 0 if failed == 0 and durable == NUM_RECORDS else 1


if __name__ == "__main__":
    sys.exit(main())
