#!/usr/bin/env python3
"""python_client: one producer pushing AirQuality records through zerobusd with the Python client's
batched API (ingest_records), waiting for every durable ack, and printing one JSON line of
figures, like bench/daemon_load (the C++ client) so the two compare.

Records are byte for byte bench/air_quality.h's (and the official SDK driver's): AirQuality
{device_name "sensor-<id>" padded with 'x' to --size bytes, temp 20 + id % 15, humidity
50 + id % 40}; JSON mode sends the same fields as a JSON object of --size bytes. They are built
batch by batch inside the timed loop, as daemon_load does. records_per_s counts from the first
ingest to the last durable ack.

    bench/python_client.py --socket build/zerobusd.sock --records 1000000
"""

import argparse
import asyncio
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "client", "python", "src"))

from zerobusd import aio, sync  # noqa: E402
from zerobusd.shared import RecordType, StreamConfigurationOptions, TableProperties  # noqa: E402

_TEMP = [bytes([20 + i]) for i in range(15)]
_HUMIDITY = [bytes([50 + i]) for i in range(40)]


def proto_batch(first: int, n: int, size: int) -> list:
    name_len = min(max(size - 6, 1), 127)
    head = b"\x0a" + bytes([name_len])
    out = []
    append = out.append
    for i in range(first, first + n):
        name = (b"sensor-%d" % i).ljust(name_len, b"x")[:name_len]
        append(head + name + b"\x10" + _TEMP[i % 15] + b"\x18" + _HUMIDITY[i % 40])
    return out


def json_batch(first: int, n: int, size: int) -> list:
    out = []
    for i in range(first, first + n):
        tail = f'","temp":{20 + i % 15},"humidity":{50 + i % 40}}}'
        name = f"sensor-{i}"
        base = len('{"device_name":"') + len(tail)
        if size > base + len(name):
            name = name.ljust(size - base, "x")
        out.append(f'{{"device_name":"{name}{tail}'.encode())
    return out


def run_sync(args, make, table_props, options) -> float:
    stream = sync.ZerobusSdk(args.socket).create_stream(None, None, table_props, options)
    acks = []
    start = time.perf_counter()
    for first in range(args.first, args.first + args.records, args.batch):
        n = min(args.batch, args.first + args.records - first)
        acks.append(stream.ingest_records(make(first, n, args.size)))
    for ack in acks:
        ack.wait_for_ack(300)
    seconds = time.perf_counter() - start
    stream.close()
    return seconds


async def run_aio(args, make, table_props, options) -> float:
    stream = await aio.ZerobusSdk(args.socket).create_stream(None, None, table_props, options)
    acks = []
    start = time.perf_counter()
    for first in range(args.first, args.first + args.records, args.batch):
        n = min(args.batch, args.first + args.records - first)
        acks.append(await stream.ingest_records(make(first, n, args.size)))
    for ack in acks:
        await ack.wait_for_ack(300)
    seconds = time.perf_counter() - start
    await stream.close()
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", default=os.environ.get("ZEROBUSD_SOCKET"), help="zerobusd's socket ($ZEROBUSD_SOCKET)")
    ap.add_argument("--table", default="main.default.air_quality")
    ap.add_argument("--mode", choices=["proto", "json"], default="proto")
    ap.add_argument("--api", choices=["sync", "aio"], default="sync")
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--first", type=int, default=0, help="id of the first record (distinct records per producer)")
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--profile", metavar="FILE", help="write a cProfile of the run to FILE")
    args = ap.parse_args()
    if not args.socket:
        ap.error("--socket or $ZEROBUSD_SOCKET is required")
    if args.records < 1 or args.batch < 1 or not 20 <= args.size <= 1 << 20:
        ap.error("--records and --batch must be >= 1, --size in 20..1048576")
    proto = args.mode == "proto"
    make = proto_batch if proto else json_batch
    options = StreamConfigurationOptions(record_type=RecordType.PROTO if proto else RecordType.JSON)
    table_props = TableProperties(args.table)

    def go():
        if args.api == "sync":
            return run_sync(args, make, table_props, options)
        return asyncio.run(run_aio(args, make, table_props, options))

    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        seconds = profiler.runcall(go)
        profiler.dump_stats(args.profile)
    else:
        seconds = go()
    print(json.dumps({
        "driver": f"python-{args.api}", "mode": args.mode, "batch": args.batch, "records": args.records,
        "size": args.size, "seconds": round(seconds, 4), "records_per_s": int(args.records / seconds),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
