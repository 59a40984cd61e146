#!/usr/bin/env python3
"""Runs a benchmark driver, adds the CPU time its process tree used (user + sys, from
getrusage of children) to the JSON line it prints: cpu_seconds and cpu_ns_per_record."""
import json
import resource
import subprocess
import sys

before = resource.getrusage(resource.RUSAGE_CHILDREN)
proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
if proc.returncode != 0:
    sys.stderr.write(proc.stdout)
    sys.exit(proc.returncode)
line = json.loads(proc.stdout.strip().splitlines()[-1])
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
line["process_cpu_seconds"] = round(cpu, 4)
line["process_cpu_ns_per_record"] = round(cpu * 1e9 / line["records"], 1)
print(json.dumps(line))
