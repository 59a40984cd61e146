#!/usr/bin/env python3
"""Checks what the official SDK driver (--unique 1) landed in zerobus-fake: every record index
0..N-1 exactly once, with the values the driver encodes (temp = 20 + i % 15, humidity =
50 + i % 40, device_name "sensor-<i>" padded with x), and the fake's counters agree."""
import argparse
import json
import re
import sys

NAME = re.compile(r"^sensor-(\d+)x*$")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", required=True)
    ap.add_argument("--counters", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--records", type=int, required=True)
    a = ap.parse_args()
    seen = [0] * a.records
    errors = []
    with open(a.rows, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            row = json.loads(line)["row"]
            m = NAME.match(row.get("device_name", ""))
            if not m or int(m.group(1)) >= a.records:
                errors.append(f"line {n}: unexpected device_name {row.get('device_name')!r}")
                continue
            i = int(m.group(1))
            seen[i] += 1
            if row.get("temp") != 20 + i % 15 or row.get("humidity") != 50 + i % 40:
                errors.append(f"line {n}: record {i} has temp={row.get('temp')} humidity={row.get('humidity')}")
    missing = [i for i, c in enumerate(seen) if c == 0]
    repeated = [i for i, c in enumerate(seen) if c > 1]
    if missing:
        errors.append(f"{len(missing)} records never landed, first {missing[:5]}")
    if repeated:
        errors.append(f"{len(repeated)} records landed more than once, first {repeated[:5]}")
    counters = json.load(open(a.counters))["tables"].get(a.table, {})
    if counters.get("landed_records") != a.records:
        errors.append(f"fake counted {counters.get('landed_records')} landed records, expected {a.records}")
    if counters.get("duplicates") != 0:
        errors.append(f"fake counted {counters.get('duplicates')} duplicates")
    for e in errors[:20]:
        print("check_rows:", e, file=sys.stderr)
    if errors:
        return 1
    print(f"check_rows: all {a.records} records landed once with the right values")
    return 0


if __name__ == "__main__":
    sys.exit(main())
