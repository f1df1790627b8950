"""Classroom benchmark: how fast a teacher's step reaches every open student page.

    python tests/benchmarks/bench_classroom.py                  # 60 pages, 40 steps
    python tests/benchmarks/bench_classroom.py --pages 30 --steps 20
    python tests/benchmarks/bench_classroom.py --pages 300 --attack 1000

Starts `stepgrad`'s classroom server in a separate process (on 127.0.0.1,
a free port), opens `--pages` student event streams (the connection a
student's page holds open), each from its own loopback address (127.0.1.x,
127.0.2.x, ...: Linux routes all of 127.0.0.0/8 to this machine), then
presses Next (and Back, to go on past the last step) `--steps` times as the
teacher, one step at a time. For each step it measures the time from sending
the teacher's request until the new state has arrived on every page; it
reports the median (p50) and the 95th percentile (p95) of that time (the
target is p95 < 500 ms), and the same for single deliveries. It reports the
server's memory: its resident set size (RSS, from /proc) before the pages
connect, with them connected and after the steps, and the Python
allocations traced by tracemalloc inside it.

`--attack N` adds, before the pages connect and for the whole run, a third
process that tries to hold N slow connections from one address
(127.0.0.200): each sends the first line of a request, then one more byte
every 3 s, never finishing its headers (slowloris), and opens a new one
1 s after the server drops or refuses it. The benchmark then also reports
how many of them the server let in at most at once (the address's fair
share is `Limits.connections_per_address`), how long the server took to
drop the ones it let in (the target: seconds), and whether a new student
could still join during the attack (the page and its first state).

Each step redraws the graph (in the background: the state goes out at
once, the drawing follows) and pushes a small JSON state; the pages fetch
the drawing itself by URL, which this benchmark does not time. The pages
and the teacher run on one asyncio loop in this process, on the same
machine as the server: the numbers include their load. Times are
`time.perf_counter()` differences in this process. Everything is bounded: a
fixed number of steps, every wait has a timeout, the attacker stops after
its time, and the server stops when the benchmark says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOTAL_STEPS = 5  # backprop steps of the server's formula
ATTACKER_ADDRESS = "127.0.0.200"
WAIT = 30.0  # seconds: the longest any single wait may take

SERVER = """
import sys, threading, time, tracemalloc
tracemalloc.start()
from nn.apps.classroom import Classroom, Limits
room = Classroom("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.8813735870195432")
print(room.port, room.teacher_url.split("token=")[1], flush=True)
most = 0  # the most connections the attacker's address held at once, seen every 20 ms
def watch():
    global most
    while True:
        most = max(most, room._server.gate.by_address.get("%s", 0))
        time.sleep(0.02)
threading.Thread(target=watch, daemon=True).start()
sys.stdin.readline()  # the benchmark says when to stop
current, peak = tracemalloc.get_traced_memory()
print(current, peak, most, room._server.limits.connections_per_address, flush=True)
room.close()
"""

# Run as its own process: N slow connections from one address, for a fixed time.
ATTACKER = """
import asyncio, json, sys, time
port, count, seconds, address = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
refused = 0
held = []  # seconds the server kept a connection it had let in, until it dropped it

async def slow_client(end):
    global refused
    while time.monotonic() < end:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(address, 0))
        except OSError:
            await asyncio.sleep(1.0)
            continue
        started = time.monotonic()
        try:
            writer.write(b"GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nX-Slow: ")
            while time.monotonic() < end:
                try:
                    data = await asyncio.wait_for(reader.read(64), 3.0)
                except asyncio.TimeoutError:
                    writer.write(b"a")  # one byte every 3 s: never a whole request
                    continue
                if data.startswith(b"HTTP/1.0 503"):
                    refused += 1  # over the address's share: refused at once
                elif data == b"":
                    held.append(time.monotonic() - started)  # let in, then dropped
                break
        except OSError:
            pass
        writer.close()
        await asyncio.sleep(1.0)

async def main():
    end = time.monotonic() + seconds
    print("started", flush=True)
    await asyncio.gather(*(slow_client(end) for _ in range(count)))
    print(json.dumps({"refused": refused, "held": held}), flush=True)

asyncio.run(main())
"""


class Page:
    """One student page: an event stream read on the loop, arrival times kept."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.arrivals: list[tuple[int, float]] = []  # (version, time)
        self.changed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def open(self, port: int) -> None:
        reader, self.writer = await asyncio.open_connection(
            "127.0.0.1", port, local_addr=(self.address, 0)
        )
        self.writer.write(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.task = asyncio.create_task(self.read(reader))

    async def read(self, reader: asyncio.StreamReader) -> None:
        version = 0
        try:
            async for line in reader:
                if line.startswith(b"id: "):
                    version = int(line[4:])
                elif line.startswith(b"data: "):
                    json.loads(line[6:])  # a page parses every state it gets
                    self.arrivals.append((version, time.perf_counter()))
                    self.changed.set()
        except (OSError, ValueError):
            pass

    async def arrival_after(self, version: int) -> float:
        """When the first state newer than `version` arrived (waits for it)."""
        deadline = time.perf_counter() + WAIT
        while True:
            for seen, moment in self.arrivals:
                if seen > version:
                    return moment
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"page {self.address}: no state newer than {version}")
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass

    def latest(self) -> int:
        return self.arrivals[-1][0] if self.arrivals else 0

    def close(self) -> None:
        self.writer.close()
        if self.task is not None:
            self.task.cancel()


def student_address(number: int) -> str:
    """127.0.1.1, 127.0.1.2, ... 127.0.1.250, 127.0.2.1, ...: one address per page."""
    return f"127.0.{1 + number // 250}.{1 + number % 250}"


async def request(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    reply = await asyncio.wait_for(reader.read(), WAIT)
    writer.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


async def teacher_step(port: int, token: str, action: str) -> int:
    body = json.dumps({"action": action}).encode()
    status, reply = await request(
        port,
        b"POST /control HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"X-Stepgrad-Token: %s\r\nContent-Length: %d\r\n\r\n%s" % (token.encode(), len(body), body),
    )
    assert status == 200, (status, reply)
    return int(json.loads(reply)["position"])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run(
    options: argparse.Namespace, port: int, token: str, server_pid: int, attacker_pid: int | None
) -> dict:
    measured: dict = {"rss_before": rss_mb(server_pid)}
    pages = [Page(student_address(number)) for number in range(options.pages)]
    for page in pages:
        await page.open(port)
    for page in pages:
        await page.arrival_after(0)  # every page has its first state
    measured["rss_connected"] = rss_mb(server_pid)

    reach_all: list[float] = []
    deliveries: list[float] = []
    replies: list[float] = []  # the teacher's own reply
    position, going_up = 0, True
    steps_started = time.perf_counter()
    cpu_started = {"server": cpu_seconds(server_pid), "benchmark": time.process_time()}
    if attacker_pid is not None:
        cpu_started["attacker"] = cpu_seconds(attacker_pid)
    for _ in range(options.steps):
        version = max(page.latest() for page in pages)
        if position == TOTAL_STEPS:
            going_up = False  # walk back down to 0, then up again
        elif position == 0:
            going_up = True
        sent = time.perf_counter()
        position = await teacher_step(port, token, "next" if going_up else "back")
        replies.append(time.perf_counter() - sent)
        arrived = [await page.arrival_after(version) - sent for page in pages]
        reach_all.append(max(arrived))
        deliveries.extend(arrived)
    measured.update(reach_all=reach_all, deliveries=deliveries, replies=replies,
                    rss_after=rss_mb(server_pid))  # fmt: skip
    wall = time.perf_counter() - steps_started
    cpu_now = {"server": cpu_seconds(server_pid), "benchmark": time.process_time()}
    if attacker_pid is not None:
        cpu_now["attacker"] = cpu_seconds(attacker_pid)
    measured["cpu"] = {name: (cpu_now[name] - cpu_started[name]) / wall for name in cpu_now}
    measured["load"] = os.getloadavg()[0]

    # A new student joins now (during the attack, if there is one): the page, then its state.
    started = time.perf_counter()
    status, _ = await request(port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    newcomer = Page(student_address(options.pages + 1))
    await newcomer.open(port)
    await newcomer.arrival_after(0)
    measured["join"] = (status, time.perf_counter() - started)
    newcomer.close()
    for page in pages:
        page.close()
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--attack", type=int, default=0, metavar="N",
                        help="slow connections from one address during the run")  # fmt: skip
    options = parser.parse_args()
    environment = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER % ATTACKER_ADDRESS], cwd=ROOT, env=environment,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    attacker = None
    try:
        assert server.stdin is not None and server.stdout is not None
        port_text, token = server.stdout.readline().split()
        port = int(port_text)
        if options.attack:
            # Long enough for the whole run; it stops by itself.
            seconds = 20 + options.steps * 1.0 + options.pages * 0.05
            attacker = subprocess.Popen(
                [sys.executable, "-c", ATTACKER, str(port), str(options.attack), str(seconds),
                 ATTACKER_ADDRESS],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert attacker.stdout is not None
            attacker.stdout.readline()
            time.sleep(5)  # the slow connections pile up
        measured = asyncio.run(
            run(options, port, token, server.pid, attacker.pid if attacker else None)
        )
        server.stdin.write("stop\n")
        server.stdin.flush()
        traced, peak, most_held, fair_share = (
            int(number) for number in server.stdout.readline().split()
        )
        server.wait(timeout=WAIT)
        attack = None
        if attacker is not None:
            assert attacker.stdout is not None
            attack = json.loads(attacker.stdout.readline() or "{}")
            attacker.wait(timeout=WAIT)
    finally:
        for process in (server, attacker):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    reach_all, deliveries = measured["reach_all"], measured["deliveries"]
    print(f"{options.pages} student pages, {options.steps} teacher steps (Next/Back)"
          + (f", {options.attack} slow connections from {ATTACKER_ADDRESS}" if attack else ""))
    print("time for a step to reach every page:")
    print(f"  p50 {1000 * statistics.median(reach_all):7.1f} ms")
    print(f"  p95 {1000 * percentile(reach_all, 0.95):7.1f} ms   (target < 500 ms)")
    print(f"  max {1000 * max(reach_all):7.1f} ms")
    print("time for one delivery (one step to one page):")
    print(f"  p50 {1000 * statistics.median(deliveries):7.1f} ms")
    print(f"  p95 {1000 * percentile(deliveries, 0.95):7.1f} ms")
    replies = measured["replies"]
    print(f"the teacher's own reply: p50 {1000 * statistics.median(replies):.1f} ms, "
          f"p95 {1000 * percentile(replies, 0.95):.1f} ms")
    status, seconds = measured["join"]
    print(f"a new student joins: the page {status}, first state after {1000 * seconds:.0f} ms")
    if attack:
        held = attack["held"]
        print("the slow connections:")
        print(f"  the server let in at most {most_held} at once (fair share {fair_share}); "
              f"refused {attack['refused']} times")
        if held:
            print(f"  dropped after p50 {statistics.median(held):.1f} s, max {max(held):.1f} s")
    shares = ", ".join(f"{name} {100 * share:.0f}%" for name, share in measured["cpu"].items())
    print(f"CPU during the steps (of one core): {shares}; machine load {measured['load']:.1f}")
    print("server memory:")
    print(f"  RSS before pages {measured['rss_before']:6.1f} MB, with {options.pages} pages "
          f"{measured['rss_connected']:6.1f} MB, after the steps {measured['rss_after']:6.1f} MB")
    print(f"  tracemalloc: {traced / 1e6:.2f} MB traced at the end, peak {peak / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
