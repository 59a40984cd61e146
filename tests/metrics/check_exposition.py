#!/usr/bin/python3
"""Reads the demo registry's exposition with an independent parser, prometheus_client's
text_string_to_metric_families (Debian: python3-prometheus-client), and checks every family's
type and help and every sample's labels and value against what demo_registry.cc sets.

    check_exposition.py <metrics_demo>

Run it with the interpreter that sees Debian's dist-packages (/usr/bin/python3): a pyenv or
venv python3 earlier in PATH does not. Exit 77 (ctest: skipped) only when prometheus_client
cannot be imported.
"""

import math
import re
import subprocess
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    print(f"SKIP: prometheus_client not importable by {sys.executable} "
          "(apt-get install python3-prometheus-client)")
    sys.exit(77)

INF = math.inf
EVENTS = "main.default.events"

# family name as the parser reports it (counters lose _total) -> (type, help)
FAMILIES = {
    "zerobusd_demo_records_received": ("counter", "Records accepted from producers, by table."),
    "zerobusd_demo_connections_accepted": ("counter", "Producer connections accepted."),
    "zerobusd_demo_records_rejected": (
        "counter", 'Records rejected.\nSecond line with a \\ backslash and "quotes".'),
    "zerobusd_demo_queue_depth_records": ("gauge", "Records queued per table."),
    "zerobusd_demo_ratio": ("gauge", "Special and awkward values."),
    "zerobusd_demo_batch_size_records": ("histogram", "Records per batch request."),
    "zerobusd_demo_ack_latency_seconds": (
        "histogram", "Time from send to durable acknowledgement."),
    "zerobusd_demo_build_info": ("gauge", "Build information."),
}


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


SAMPLES = {
    key("zerobusd_demo_records_received_total", table=EVENTS): 12345,
    key("zerobusd_demo_records_received_total", table="main.défaut.événements"): 7,
    key("zerobusd_demo_connections_accepted_total"): 3,
    key("zerobusd_demo_records_rejected_total", reason='bad "quote" \\ back\nnewline'): 2,
    key("zerobusd_demo_queue_depth_records", instance_role="demo", table=EVENTS): 42,
    key("zerobusd_demo_queue_depth_records", instance_role="demo", table="main.default.logs"): 0,
    key("zerobusd_demo_ratio", kind="negative"): -3.25,
    key("zerobusd_demo_ratio", kind="small"): 1.5e-7,
    key("zerobusd_demo_ratio", kind="big"): 1e21,
    key("zerobusd_demo_ratio", kind="million"): 1e6,
    key("zerobusd_demo_ratio", kind="inf"): INF,
    key("zerobusd_demo_ratio", kind="nan"): math.nan,
    key("zerobusd_demo_batch_size_records_bucket", table=EVENTS, le="1"): 2,
    key("zerobusd_demo_batch_size_records_bucket", table=EVENTS, le="10"): 4,
    key("zerobusd_demo_batch_size_records_bucket", table=EVENTS, le="100"): 5,
    key("zerobusd_demo_batch_size_records_bucket", table=EVENTS, le="1000"): 6,
    key("zerobusd_demo_batch_size_records_bucket", table=EVENTS, le="+Inf"): 7,
    key("zerobusd_demo_batch_size_records_sum", table=EVENTS): 5566.5,
    key("zerobusd_demo_batch_size_records_count", table=EVENTS): 7,
    key("zerobusd_demo_ack_latency_seconds_bucket", le="0.001"): 1,
    key("zerobusd_demo_ack_latency_seconds_bucket", le="0.01"): 3,
    key("zerobusd_demo_ack_latency_seconds_bucket", le="0.1"): 3,
    key("zerobusd_demo_ack_latency_seconds_bucket", le="+Inf"): 4,
    key("zerobusd_demo_ack_latency_seconds_sum"): 0.0005 + 0.002 + 0.003 + 0.5,
    key("zerobusd_demo_ack_latency_seconds_count"): 4,
    key("zerobusd_demo_build_info", grpc="1.51.1", version="0.1.0"): 1,
}


def same(expected, actual):
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == expected or math.isclose(actual, expected, rel_tol=1e-12, abs_tol=0)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    text = subprocess.run([sys.argv[1], "dump"], check=True, capture_output=True).stdout
    text = text.decode("utf-8")
    problems = []

    families = {}
    for family in text_string_to_metric_families(text):
        if family.name in families:
            problems.append(f"family {family.name} appears twice")
        families[family.name] = family
    for name, (kind, documentation) in FAMILIES.items():
        family = families.get(name)
        if family is None:
            problems.append(f"missing family {name}")
            continue
        if family.type != kind:
            problems.append(f"{name}: type {family.type!r}, expected {kind!r}")
        if family.documentation != documentation:
            problems.append(f"{name}: help {family.documentation!r}, expected {documentation!r}")
    for name in families.keys() - FAMILIES.keys():
        problems.append(f"unexpected family {name}")

    # The parser renames counter samples to end in _total whatever the text said; check the
    # names as written.
    for name in sorted({name for name, _ in SAMPLES}):
        if not re.search("^" + re.escape(name) + "[ {]", text, re.MULTILINE):
            problems.append(f"no sample line starts with {name}")

    seen = {}
    for family in families.values():
        for sample in family.samples:
            k = key(sample.name, **sample.labels)
            if k in seen:
                problems.append(f"duplicate sample {k}")
            seen[k] = sample.value
    for k, expected in SAMPLES.items():
        if k not in seen:
            problems.append(f"missing sample {k}")
        elif not same(expected, seen[k]):
            problems.append(f"{k}: value {seen[k]!r}, expected {expected!r}")
    for k in seen.keys() - SAMPLES.keys():
        problems.append(f"unexpected sample {k} = {seen[k]!r}")

    if problems:
        print("FAIL:\n  " + "\n  ".join(problems))
        print("--- exposition ---\n" + text)
        return 1
    print(f"prometheus_client parsed {len(families)} families, {len(seen)} samples, "
          "all as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
