"""Who gets in, and how much: the classroom server's limits, and what enforces them.

A classroom server is open to a room of laptops, and with `--host 0.0.0.0`
to the whole network. Nothing anybody sends may take the lesson from the
teacher, so everything has a budget (`Limits`):

- connections: at most `max_connections` in all, and a fair share per
  network address (`connections_per_address`), decided as each connection
  is accepted (`ConnectionGate`), before anything else is spent on it;
- time: a client that has not sent its request's headers within
  `request_timeout` seconds is dropped (`GuardedConnection`);
- answers: per student id and per address in a sliding window
  (`AnswerRates`), and a few student ids per address in a quiz round
  (`RoundIds`), so made-up ids cannot fill a round before the class answers;
- names: the server answers only to the names it was started for
  (`allowed_host_names`), a guard against DNS rebinding, where a web page
  elsewhere names this server under its own domain.

>>> gate = ConnectionGate(Limits(connections_per_address=2))
>>> [gate.admit("10.0.0.7") for _ in range(3)]
[None, None, 'too many connections from your address: close some pages']
>>> gate.admit("10.0.0.8") is None  # another address still gets in
True
"""

from __future__ import annotations

import asyncio
import collections
import functools
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import Any, Iterable

ACCEPT_BURST = 512  # connections accepted in one go, before the loop turns to others
MAX_REFUSED_WAITING = 2000  # refused sockets kept open for their second, at most


@dataclass(frozen=True)
class Limits:
    """How much the server accepts; the defaults suit a class of a few hundred."""

    max_body: int = 4096  # bytes of a POST body
    max_event_streams: int = 500  # students' open pages (each holds one event stream)
    max_connections: int = 2000  # connections of any kind at once
    # One network address's fair share of the connections. A school network
    # that puts every laptop behind one address needs more.
    connections_per_address: int = 100
    ids_per_address: int = 8  # student ids one address may answer under in a round
    answers_per_window: int = 5  # answers one student may send per window
    answers_per_address: int = 60  # answers one network address may send per window
    answer_window: float = 10.0  # seconds
    request_timeout: float = 5.0  # seconds to send a request (or read a reply) before we hang up
    keepalive: float = 15.0  # seconds between two comments on an idle event stream
    render_seconds: float = 5.0  # the most time one drawing of the graph may take


# ---------------------------------------------------------------------- budgets


class AnswerRates:
    """Per student (or address): the times of their recent answers, in a sliding window."""

    MAX_STUDENTS = 5000  # forget everybody when more ids than this show up

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.recent: dict[str, list[float]] = {}

    def allow(self, student: str) -> bool:
        now = time.monotonic()
        if student not in self.recent and len(self.recent) >= self.MAX_STUDENTS:
            self.recent.clear()
        times = [t for t in self.recent.get(student, []) if now - t < self.window]
        if len(times) >= self.limit:
            self.recent[student] = times
            return False
        times.append(now)
        self.recent[student] = times
        return True


class RoundIds:
    """The student ids each address has answered under in this quiz round.

    Ids are made up by the browsers, so a script could make up a thousand and
    fill the round before the class answers; an address may use only a few.
    """

    def __init__(self, per_address: int) -> None:
        self.per_address = per_address
        self.round: int | None = None
        self.ids: dict[str, set[str]] = {}

    def allow(self, round_number: int, address: str, student: str) -> bool:
        if round_number != self.round:
            self.round, self.ids = round_number, {}
        ids = self.ids.setdefault(address, set())
        if student not in ids and len(ids) >= self.per_address:
            return False
        ids.add(student)
        return True


class ConnectionGate:
    """Counts open connections, in all and per address (only the event loop uses it).

    It decides as a connection is accepted, before asyncio or aiohttp spend
    anything on it: refusing the thousandth connection of a flood costs a
    few system calls, so a flood cannot keep the loop from the teacher.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.total = 0
        self.by_address: dict[str, int] = {}
        self.waiting: dict[Any, GuardedConnection] = {}  # transport -> its guard
        # Refused sockets, closed a second later: time for the client to send its
        # request and read why (closing at once could reset the connection first).
        self.refused: collections.deque[tuple[float, socket.socket]] = collections.deque()

    def refuse(self, connection: socket.socket, message: str) -> None:
        try:
            connection.send(_refusal(message))
            connection.shutdown(socket.SHUT_WR)
        except OSError:  # the client has gone already
            pass
        if len(self.refused) >= MAX_REFUSED_WAITING:
            connection.close()
        else:
            self.refused.append((time.monotonic() + 1.0, connection))

    def close_refused(self) -> None:
        """Close the refused sockets whose second is up."""
        now = time.monotonic()
        while self.refused and self.refused[0][0] <= now:
            self.refused.popleft()[1].close()

    def admit(self, address: str) -> str | None:
        """Count a new connection from `address` in; or say why it is refused."""
        if self.total >= self.limits.max_connections:
            return "too many connections: try again in a moment"
        if self.by_address.get(address, 0) >= self.limits.connections_per_address:
            return "too many connections from your address: close some pages"
        self.total += 1
        self.by_address[address] = self.by_address.get(address, 0) + 1
        return None

    def release(self, address: str) -> None:
        self.total -= 1
        left = self.by_address[address] - 1
        if left:
            self.by_address[address] = left
        else:
            del self.by_address[address]

    def request_arrived(self, transport: Any) -> None:
        """The headers are in: the connection no longer has to beat the deadline."""
        guard = self.waiting.pop(transport, None)
        if guard is not None:
            guard.stop_deadline()


class GuardedConnection(asyncio.Protocol):
    """One connection let in by the gate: dropped if its request is too slow to come.

    It stands in front of aiohttp's own protocol object (`inner`) and hands
    everything on to it.
    """

    def __init__(self, inner: asyncio.Protocol, gate: ConnectionGate, address: str) -> None:
        self.inner = inner
        self.gate = gate
        self.address = address
        self.transport: Any = None
        self.deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        loop = asyncio.get_running_loop()
        self.deadline = loop.call_later(self.gate.limits.request_timeout, transport.abort)
        self.gate.waiting[transport] = self
        self.inner.connection_made(transport)

    def stop_deadline(self) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_deadline()
        self.gate.waiting.pop(self.transport, None)
        self.gate.release(self.address)
        self.inner.connection_lost(exc)


@functools.lru_cache(maxsize=4)  # a flood is refused with the same few bytes each time
def _refusal(message: str) -> bytes:
    body = json.dumps({"error": message}).encode()
    return (
        b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        b"Retry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )


# ---------------------------------------------------------------------- host names


def allowed_host_names(host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The names (not numeric addresses: those are always fine) the server answers to."""
    names = {"localhost", *(name.lower().rstrip(".") for name in extra)}
    if host in ("0.0.0.0", "", "::"):
        computer = socket.gethostname().lower()
        names |= {computer, f"{computer}.local", socket.getfqdn().lower()}
    elif not is_address(host):
        names.add(host.lower())
    return frozenset(names)


def is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """The name in a Host header, without its port.

    >>> host_name("Example.org:8000"), host_name("[::1]:8000"), host_name("localhost")
    ('example.org', '[::1]', 'localhost')
    """
    if header.startswith("["):
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0].lower().rstrip(".")
