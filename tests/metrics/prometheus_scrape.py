#!/usr/bin/python3
"""A real Prometheus (Debian's 2.42) scrapes HttpExporter: metrics_demo serves the demo
registry on a loopback port, Prometheus scrapes it every second, and the test waits (bounded)
until the target is up and known values come back through /api/v1/query, including a
histogram_quantile over our buckets and label values that need escaping. It also checks that
neither process listens on anything but loopback. Standard library only.

    prometheus_scrape.py <metrics_demo> [--prometheus PATH] [--timeout SECONDS]

Exit 0 pass, 1 fail, 77 (ctest: skipped) only when the prometheus binary is absent.
"""

import argparse
import json
import math
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

EVENTS = 'main.default.events'
# The proxy handler is empty so that an http_proxy in the environment never sees loopback
# requests.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Failure(Exception):
    pass


def http_get_json(url):
    with OPENER.open(url, timeout=2) as response:
        return json.loads(response.read().decode('utf-8'))


def free_loopback_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_port_line(process, deadline):
    """The demo prints "port <n>" once serving."""
    line = b''
    while not line.endswith(b'\n'):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise Failure('metrics_demo did not report its port in time')
        ready, _, _ = select.select([process.stdout], [], [], remaining)
        if ready:
            chunk = os.read(process.stdout.fileno(), 1)
            if not chunk:
                raise Failure(f'metrics_demo exited early (code {process.wait()})')
            line += chunk
    words = line.decode().split()
    if len(words) != 2 or words[0] != 'port':
        raise Failure(f'unexpected line from metrics_demo: {line!r}')
    return int(words[1])


def listening_addresses(pid):
    """(family, ip, port) of every TCP socket in LISTEN state that process `pid` holds."""
    inodes = set()
    fd_dir = f'/proc/{pid}/fd'
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith('socket:['):
            inodes.add(target[len('socket:['):-1])
    found = []
    for table, family in (('tcp', 4), ('tcp6', 6)):
        try:
            with open(f'/proc/{pid}/net/{table}') as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != '0A' or inode not in inodes:  # 0A: TCP_LISTEN
                continue
            address_hex, port_hex = local.split(':')
            raw = bytes.fromhex(address_hex)
            # /proc prints each 32-bit word in host (little-endian) order.
            ip = b''.join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.append((family, ip, int(port_hex, 16)))
    return found


def is_loopback(family, ip):
    if family == 4:
        return ip[0] == 127
    return ip == bytes(15) + b'\x01' or (ip[:12] == bytes(10) + b'\xff\xff' and ip[12] == 127)


def check_loopback_only(name, pid):
    addresses = listening_addresses(pid)
    if not addresses:
        raise Failure(f'{name} (pid {pid}) has no listening socket')
    for family, ip, port in addresses:
        if not is_loopback(family, ip):
            text = socket.inet_ntop(socket.AF_INET if family == 4 else socket.AF_INET6, ip)
            raise Failure(f'{name} listens on non-loopback {text}:{port}')
    return len(addresses)


def query(base, promql):
    url = f'{base}/api/v1/query?' + urllib.parse.urlencode({'query': promql})
    answer = http_get_json(url)
    if answer.get('status') != 'success':
        raise Failure(f'query {promql} failed: {answer}')
    return answer['data']['result']


def single_value(base, promql):
    result = query(base, promql)
    if len(result) != 1:
        return None
    return float(result[0]['value'][1])


def wait_for(description, deadline, probe):
    """Polls probe() until it returns something other than None; the last error is reported."""
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value is not None:
                return value
        except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
            last = e
        time.sleep(0.2)
    suffix = f' (last error: {last})' if last else ''
    raise Failure(f'timed out waiting for {description}{suffix}')


def stop(process, name, graceful):
    if process is None or process.poll() is not None:
        return
    graceful()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        print(f'{name} did not stop; killing it')
        process.kill()
        process.wait()


def run(args, work):
    deadline = time.monotonic() + args.timeout
    demo_log = open(os.path.join(work, 'demo.log'), 'wb')
    demo = subprocess.Popen([args.demo, 'serve', '127.0.0.1:0'], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=demo_log)
    prometheus = None
    prometheus_log_path = os.path.join(work, 'prometheus.log')
    try:
        target_port = read_port_line(demo, deadline)
        web_port = free_loopback_port()
        config = os.path.join(work, 'prometheus.yml')
        with open(config, 'w') as f:
            f.write(
                'global:\n'
                '  scrape_interval: 1s\n'
                '  scrape_timeout: 1s\n'
                '  evaluation_interval: 1s\n'
                'scrape_configs:\n'
                '  - job_name: zerobusd_demo\n'
                '    static_configs:\n'
                f'      - targets: ["127.0.0.1:{target_port}"]\n')
        with open(prometheus_log_path, 'wb') as prometheus_log:
            prometheus = subprocess.Popen(
                [args.prometheus, f'--config.file={config}',
                 f'--storage.tsdb.path={os.path.join(work, "data")}',
                 f'--web.listen-address=127.0.0.1:{web_port}', '--log.level=warn'],
                cwd=work, stdin=subprocess.DEVNULL, stdout=prometheus_log, stderr=prometheus_log)
        base = f'http://127.0.0.1:{web_port}'

        def target_up():
            if prometheus.poll() is not None:
                raise Failure(f'prometheus exited with code {prometheus.returncode}')
            targets = http_get_json(f'{base}/api/v1/targets')['data']['activeTargets']
            if len(targets) == 1 and targets[0]['health'] == 'up':
                return targets[0]
            return None

        target = wait_for('the scrape target to be up', deadline, target_up)
        if target.get('lastError'):
            raise Failure(f'scrape error: {target["lastError"]}')
        counter = f'zerobusd_demo_records_received_total{{table="{EVENTS}"}}'
        value = wait_for(f'{counter} to be queryable', deadline,
                         lambda: single_value(base, counter))

        expected = {
            counter: 12345,
            'zerobusd_demo_records_received_total{table="main.défaut.événements"}': 7,
            'zerobusd_demo_connections_accepted_total': 3,
            f'zerobusd_demo_queue_depth_records{{instance_role="demo",table="{EVENTS}"}}': 42,
            'zerobusd_demo_ratio{kind="small"}': 1.5e-7,
            'zerobusd_demo_ratio{kind="inf"}': math.inf,
            'zerobusd_demo_batch_size_records_bucket{le="+Inf"}': 7,
            'zerobusd_demo_batch_size_records_bucket{le="10"}': 4,
            'zerobusd_demo_batch_size_records_count': 7,
            'zerobusd_demo_batch_size_records_sum': 5566.5,
            # Rank 3.5 of 7 falls in (1, 10] holding observations 3 and 4: 1 + 9 * 1.5 / 2.
            'histogram_quantile(0.5, zerobusd_demo_batch_size_records_bucket)': 7.75,
            'zerobusd_demo_build_info{version="0.1.0",grpc="1.51.1"}': 1,
            'up{job="zerobusd_demo"}': 1,
        }
        problems = []
        for promql, want in expected.items():
            got = single_value(base, promql)
            if got is None or not (got == want or math.isclose(got, want, rel_tol=1e-12)):
                problems.append(f'{promql}: got {got}, expected {want}')
        nan = single_value(base, 'zerobusd_demo_ratio{kind="nan"}')
        if nan is None or not math.isnan(nan):
            problems.append(f'zerobusd_demo_ratio{{kind="nan"}}: got {nan}, expected NaN')
        rejected = query(base, 'zerobusd_demo_records_rejected_total')
        reasons = [r['metric'].get('reason') for r in rejected]
        if reasons != ['bad "quote" \\ back\nnewline']:
            problems.append(f'escaped label value read back as {reasons!r}')
        if problems:
            raise Failure('Prometheus read unexpected values:\n  ' + '\n  '.join(problems))

        demo_listeners = check_loopback_only('metrics_demo', demo.pid)
        prometheus_listeners = check_loopback_only('prometheus', prometheus.pid)
        print(f'prometheus scraped 127.0.0.1:{target_port} (up, no scrape error), '
              f'{counter} = {value:g}, {len(expected) + 2} queries as expected; listeners: '
              f'demo {demo_listeners}, prometheus {prometheus_listeners}, all loopback')
    finally:
        stop(prometheus, 'prometheus', lambda: prometheus.terminate())
        stop(demo, 'metrics_demo', lambda: demo.stdin.close())
        demo_log.close()
    if demo.returncode != 0:
        raise Failure(f'metrics_demo exited with code {demo.returncode}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('demo')
    parser.add_argument('--prometheus', default=shutil.which('prometheus') or '/usr/bin/prometheus')
    parser.add_argument('--timeout', type=float, default=60)
    args = parser.parse_args()
    if not os.access(args.prometheus, os.X_OK):
        print(f'SKIP: prometheus not found at {args.prometheus} (apt-get install prometheus)')
        return 77
    work = tempfile.mkdtemp(prefix='zerobusd-prom-')
    try:
        run(args, work)
        return 0
    except Failure as e:
        print(f'FAIL: {e}')
        for log in ('demo.log', 'prometheus.log'):
            path = os.path.join(work, log)
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    print(f'--- {log} ---\n{f.read()[-4000:]}')
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
