"""Classroom benchmark: how fast a teacher's step reaches 60 open student pages.

    python tests/benchmarks/bench_classroom.py                 # 60 pages, 40 steps
    python tests/benchmarks/bench_classroom.py --pages 30 --steps 20

Starts `stepgrad`'s classroom server in a separate process (on 127.0.0.1,
a free port), opens `--pages` student event streams (the connection a
student's page holds open), then presses Next (and Back, to go on past the
last step) `--steps` times as the teacher, one step at a time. For each step
it measures the time from sending the teacher's request until the new state
has arrived on every page; it reports the median (p50) and the 95th
percentile (p95) of that time (the target is p95 < 500 ms), and the same for
single deliveries. It reports the server's memory: its resident set size
(RSS, from /proc) before the pages connect, with them connected and after
the steps, and the Python allocations traced by tracemalloc inside it.

Each step redraws the graph (the renderer runs once per step, not per page)
and pushes a small JSON state; the pages fetch the drawing itself by URL,
which this benchmark does not time. The student pages run as threads of
this process, on the same machine: the numbers include their load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOTAL_STEPS = 5  # backprop steps of the server's formula

SERVER = """
import sys, tracemalloc
tracemalloc.start()
from nn.apps.classroom import Classroom, Limits
room = Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.8813735870195432",
                 limits=Limits(max_event_streams=500, max_connections=600))
print(room.port, room.teacher_url.split("token=")[1], flush=True)
sys.stdin.readline()  # the benchmark says when to stop
current, peak = tracemalloc.get_traced_memory()
print(current, peak, flush=True)
room.close()
"""


class Page:
    """One student page: an event stream read in a thread, arrival times kept."""

    def __init__(self, port: int) -> None:
        self.socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.socket.sendall(b"GET /events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        self.stream = self.socket.makefile("rb")
        self.arrivals: list[tuple[int, float]] = []  # (version, time)
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        version = 0
        try:
            for line in self.stream:
                if line.startswith(b"id: "):
                    version = int(line[4:])
                elif line.startswith(b"data: "):
                    json.loads(line[6:])  # a page parses every state it gets
                    with self.changed:
                        self.arrivals.append((version, time.perf_counter()))
                        self.changed.notify_all()
        except (OSError, ValueError):
            pass

    def arrival_after(self, version: int, timeout: float) -> float:
        """When the first state newer than `version` arrived (waits for it)."""
        with self.changed:
            self.changed.wait_for(lambda: self.arrivals and self.arrivals[-1][0] > version, timeout)
            for seen, moment in self.arrivals:
                if seen > version:
                    return moment
        raise TimeoutError(f"no state newer than {version} within {timeout} s")

    def latest(self) -> int:
        with self.changed:
            return self.arrivals[-1][0] if self.arrivals else 0

    def close(self) -> None:
        self.socket.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--steps", type=int, default=40)
    options = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    port_text, token = server.stdout.readline().split()
    port = int(port_text)
    rss_before = rss_mb(server.pid)

    pages = [Page(port) for _ in range(options.pages)]
    for page in pages:
        page.arrival_after(0, timeout=30)  # every page has its first state
    rss_connected = rss_mb(server.pid)

    reach_all: list[float] = []
    deliveries: list[float] = []
    position, going_up = 0, True
    for _ in range(options.steps):
        version = max(page.latest() for page in pages)
        if position == TOTAL_STEPS:
            going_up = False  # walk back down to 0, then up again
        elif position == 0:
            going_up = True
        action = "next" if going_up else "back"
        body = json.dumps({"action": action}).encode()
        teacher = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent = time.perf_counter()
        teacher.request(
            "POST", "/control", body,
            {"Content-Type": "application/json", "X-Stepgrad-Token": token},
        )  # fmt: skip
        reply = teacher.getresponse()
        position = json.loads(reply.read())["position"]
        teacher.close()
        arrived = [page.arrival_after(version, timeout=30) - sent for page in pages]
        reach_all.append(max(arrived))
        deliveries.extend(arrived)
    rss_after = rss_mb(server.pid)

    server.stdin.write("stop\n")
    server.stdin.flush()
    traced, peak = (int(number) for number in server.stdout.readline().split())
    for page in pages:
        page.close()
    server.wait(timeout=30)

    print(f"{options.pages} student pages, {options.steps} teacher steps (Next/Back)")
    print("time for a step to reach every page:")
    print(f"  p50 {1000 * statistics.median(reach_all):7.1f} ms")
    print(f"  p95 {1000 * percentile(reach_all, 0.95):7.1f} ms   (target < 500 ms)")
    print(f"  max {1000 * max(reach_all):7.1f} ms")
    print("time for one delivery (one step to one page):")
    print(f"  p50 {1000 * statistics.median(deliveries):7.1f} ms")
    print(f"  p95 {1000 * percentile(deliveries, 0.95):7.1f} ms")
    print("server memory:")
    print(f"  RSS before pages {rss_before:6.1f} MB, with {options.pages} pages "
          f"{rss_connected:6.1f} MB, after the steps {rss_after:6.1f} MB")
    print(f"  tracemalloc: {traced / 1e6:.2f} MB traced at the end, peak {peak / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
