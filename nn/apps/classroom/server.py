"""The classroom's web server: the page, its pictures, and a live stream of the lesson.

It runs on aiohttp (an asyncio HTTP server) in a thread of its own, with a
fixed set of routes; nothing else is reachable, and no URL is ever turned
into a file path:

    GET  /                       the page (teacher and students get the same page)
    GET  /app.js  /style.css     its script and style, read from nn/apps/classroom/assets
    GET  /events[?token=...]     Server-Sent Events: the lesson's state, pushed on change
    GET  /state[?token=...]      the same state, once, as JSON
    GET  /graph.svg              the graph as drawn now
    GET  /training/boundary.png  the decision boundary of the run streaming now
    GET  /training/curves.png    its loss and accuracy curves
    POST /control                a teacher's action; needs the X-Stepgrad-Token header
    POST /answer                 a student's answer to the open quiz question

Only the teacher's token changes the lesson (compared with
`hmac.compare_digest`, in constant time); a student can read and answer.
A mistake gets a short 4xx reply in JSON, never a traceback.

The teacher comes first. A connection costs the server a few kilobytes, not
a thread, so a thousand idle ones take nothing from the lesson; and nobody
can hold all of them (`Limits`): each network address gets a fair share of
the connections, a client that has not sent its request's headers within
`request_timeout` seconds is dropped, the teacher's pages do not count
against the students' event streams, and the lesson's work (a step, an
answer) runs in threads apart, the teacher's apart from the students'.
Each student id, address and round has a budget of answers.

The server answers only to the names it was started for (a guard against
DNS rebinding, where a web page elsewhere names this server under its own
domain): an address written as numbers, `localhost`, and the host it
listens on; with `--host 0.0.0.0`, also this computer's name. Other names
are added with `hosts=` (`stepgrad serve --allow-host NAME`).

Why aiohttp: one well-kept package gives a fast, strict HTTP parser,
streamed replies for Server-Sent Events, and a server that runs on an event
loop we start in a background thread (the classroom runs beside a REPL or a
notebook) and whose connections we can count and time by address. Starlette
on uvicorn would need two packages, wants to own the process (its signals,
its loop), and has no deadline for a request's headers.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import hmac
import ipaddress
import json
import logging
import math
import re
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from typing import Any, Callable, Iterable

from aiohttp import web

from nn.apps.classroom.push import BadRequest, ControlError, Picture
from nn.apps.classroom.state import Lesson

TOKEN_HEADER = "X-Stepgrad-Token"
STUDENT_ID = re.compile(r"[0-9a-f]{16,64}")
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the teacher's URL holds the token
    "Cache-Control": "no-store",
}
MAX_TEACHER_STREAMS = 20  # the teacher's own tabs and projector, apart from the students'
MAX_QUERY_FIELDS = 8
ACCEPT_BURST = 512  # connections accepted in one go, before the loop turns to others
MAX_REFUSED_WAITING = 2000  # refused sockets kept open for their second, at most
MAX_UNREAD = 32 * 1024  # bytes a page may leave unread before a write waits for it


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
    request_timeout: float = 5.0  # seconds to send a request before the server hangs up
    keepalive: float = 15.0  # seconds between two comments on an idle event stream
    render_seconds: float = 5.0  # the most time one drawing of the graph may take


def load_assets() -> dict[str, bytes]:
    """The page's files, read once from the package (`nn/apps/classroom/assets`)."""
    folder = resources.files("nn.apps.classroom") / "assets"
    return {name: (folder / name).read_bytes() for name, _ in ASSETS.values()}


class RequestRefused(Exception):
    """A request the server answers with a 4xx status and a one-line message."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


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
    elif not _is_address(host):
        names.add(host.lower())
    return frozenset(names)


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def _host_name(header: str) -> str:
    """'Example.org:8000' -> 'example.org'; '[::1]:8000' -> '[::1]'."""
    if header.startswith("["):
        return header.split("]")[0] + "]"
    return header.rsplit(":", 1)[0].lower().rstrip(".")


# ---------------------------------------------------------------------- the server


class ClassroomServer:
    """The classroom's HTTP server, on an asyncio event loop in a background thread."""

    def __init__(
        self,
        address: tuple[str, int],
        lesson: Lesson,
        token: str,
        limits: Limits,
        hosts: Iterable[str] = (),
    ) -> None:
        self.lesson = lesson
        self.token = token
        self.limits = limits
        self.host_names = allowed_host_names(address[0], hosts)
        self.assets = load_assets()
        self.gate = ConnectionGate(limits)
        self.answer_rates = AnswerRates(limits.answers_per_window, limits.answer_window)
        # Student ids are made up by the browsers: a second limit per network address
        # holds back a script that makes up a new id for every answer.
        self.address_rates = AnswerRates(limits.answers_per_address, limits.answer_window)
        self.round_ids = RoundIds(limits.ids_per_address)
        self.streams = {True: 0, False: 0}  # open event streams: the teacher's, the students'
        # The lesson's methods block (a lock, a drawing): they run in threads,
        # the teacher's apart from the students', so answers never queue before a step.
        self.teacher_threads = ThreadPoolExecutor(2, thread_name_prefix="stepgrad-teacher")
        self.student_threads = ThreadPoolExecutor(4, thread_name_prefix="stepgrad-student")
        _raise_open_file_limit(limits.max_connections + 100)
        self.socket = socket.create_server(address, backlog=4096)
        self.socket.setblocking(False)
        self.server_address: tuple[str, int] = self.socket.getsockname()[:2]
        self.loop = asyncio.new_event_loop()
        self.changed = asyncio.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"stepgrad-classroom-{self.server_address[1]}", daemon=True
        )
        self._thread.start()
        self._started.wait()
        self.lesson.broadcaster.add_listener(self._lesson_changed)

    # -------------------------------------------------------------- starting and stopping

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self._started.set()
        self.loop.call_later(self.limits.keepalive, self._keepalive)
        self.loop.call_later(1.0, self._every_second)
        self.loop.run_forever()
        self.loop.close()

    async def _start(self) -> None:
        quiet = logging.getLogger("stepgrad.classroom.http")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False  # aiohttp logs each refused request with a traceback
        self.changed = asyncio.Event()
        self.http = web.Server(
            self._handle, access_log=None, logger=quiet, max_line_size=8190,
            max_field_size=8190, max_headers=64, keepalive_timeout=self.limits.request_timeout,
        )  # fmt: skip
        self.loop.add_reader(self.socket, self._accept)

    def close(self) -> None:
        """Stop serving: every page's stream ends, every connection is closed."""
        if self.loop.is_closed() or not self._thread.is_alive():
            return
        self.lesson.broadcaster.remove_listener(self._lesson_changed)
        stopping = asyncio.run_coroutine_threadsafe(self._stop(), self.loop)
        try:
            stopping.result(timeout=5)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            self.teacher_threads.shutdown(wait=False, cancel_futures=True)
            self.student_threads.shutdown(wait=False, cancel_futures=True)

    async def _stop(self) -> None:
        self.loop.remove_reader(self.socket)
        self.socket.close()
        self._wake_streams()
        await self.http.shutdown(timeout=1.0)
        while self.gate.refused:
            self.gate.refused.popleft()[1].close()

    def _accept(self) -> None:
        """New connections are waiting: let each in, or refuse it (see `ConnectionGate`)."""
        for _ in range(ACCEPT_BURST):
            try:
                connection, peer = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:  # out of file descriptors: wait a moment
                print(f"stepgrad serve: cannot accept a connection: {error}", file=sys.stderr)
                self.loop.remove_reader(self.socket)
                self.loop.call_later(1.0, self.loop.add_reader, self.socket, self._accept)
                break
            address = str(peer[0])
            refusal = self.gate.admit(address)
            if refusal is not None:
                self.gate.refuse(connection, refusal)
                continue
            connection.setblocking(False)
            protocol = GuardedConnection(self.http(), self.gate, address)
            self.loop.create_task(self._connect(connection, protocol))

    async def _connect(self, connection: socket.socket, protocol: GuardedConnection) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: protocol, connection)
        except OSError:
            self.gate.release(protocol.address)
            connection.close()

    def _lesson_changed(self) -> None:
        """The lesson published (in some thread): wake every stream, on the loop."""
        try:
            self.loop.call_soon_threadsafe(self._wake_streams)
        except RuntimeError:  # the loop has stopped
            pass

    def _wake_streams(self) -> None:
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()

    def _every_second(self) -> None:
        self.gate.close_refused()
        self.loop.call_later(1.0, self._every_second)

    def _keepalive(self) -> None:
        """Every `keepalive` seconds, wake every stream: one with nothing new sends a comment."""
        self._wake_streams()
        self.loop.call_later(self.limits.keepalive, self._keepalive)

    def is_teacher_token(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    # -------------------------------------------------------------- dispatch

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        self.gate.request_arrived(request.transport)
        try:
            self._check_host(request)
            if request.method in ("GET", "HEAD"):
                response = await self._get(request)
            elif request.method == "POST":
                response = await self._post(request)
            else:
                raise RequestRefused(HTTPStatus.METHOD_NOT_ALLOWED, "use GET or POST")
        except RequestRefused as refusal:
            response = _json_reply(refusal.status, {"error": refusal.message})
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as error:  # a bug of ours: say so in one line, keep serving
            print(f"stepgrad serve: error in {request.method} {request.path[:80]}: {error!r}",
                  file=sys.stderr)  # fmt: skip
            response = _json_reply(
                HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error (see the server)"}
            )
        response.force_close()  # one request per connection
        return response

    def _check_host(self, request: web.BaseRequest) -> None:
        header = request.headers.get("Host")
        if header is None:  # HTTP/1.0 may leave it out; a browser always sends it
            return
        name = _host_name(header)
        if not (_is_address(name) or name in self.host_names):
            raise RequestRefused(
                HTTPStatus.BAD_REQUEST,
                f"this server does not answer to the name {name[:60]!r}: open the link "
                f"stepgrad printed, or start it with --allow-host {name[:60]}",
            )

    async def _get(self, request: web.BaseRequest) -> web.StreamResponse:
        path, query = request.path, _query(request)
        lesson = self.lesson
        if path in ASSETS:
            name, content_type = ASSETS[path]
            return _reply(HTTPStatus.OK, content_type, self.assets[name])
        if path == "/events":
            return await self._event_stream(request, self._is_teacher(query))
        if path == "/state":
            _, view = lesson.broadcaster.latest(self._is_teacher(query))
            return _reply(HTTPStatus.OK, "application/json", view)
        pictures: dict[str, Callable[[], Picture]] = {
            "/graph.svg": lambda: lesson.graph_picture,
            "/training/boundary.png": lambda: lesson.training.boundary,
            "/training/curves.png": lambda: lesson.training.curves,
        }
        if path in pictures:
            picture = pictures[path]()
            if not picture.version:
                raise RequestRefused(HTTPStatus.NOT_FOUND, "nothing to show yet")
            return _reply(HTTPStatus.OK, picture.content_type, picture.data)
        if path in ("/control", "/answer"):
            raise RequestRefused(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} takes POST")
        raise RequestRefused(HTTPStatus.NOT_FOUND, f"no page {path[:80]!r} here")

    async def _post(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path not in ("/control", "/answer"):
            raise RequestRefused(HTTPStatus.NOT_FOUND, f"no page {path[:80]!r} here")
        if path == "/control":
            self._require_teacher(request)
        body = await self._read_json(request)
        loop = asyncio.get_running_loop()
        try:
            if path == "/control":
                reply = await loop.run_in_executor(
                    self.teacher_threads, self.lesson.control, body
                )
            else:
                student, answer = _check_answer(body)
                self._check_answer_budget(str(request.remote), student)
                await loop.run_in_executor(
                    self.student_threads, self.lesson.answer, student, answer
                )
                reply = {"received": True}
        except BadRequest as error:
            raise RequestRefused(HTTPStatus.BAD_REQUEST, str(error)) from None
        except ControlError as error:
            raise RequestRefused(HTTPStatus.CONFLICT, str(error)) from None
        return _json_reply(HTTPStatus.OK, reply)

    # -------------------------------------------------------------- checks

    def _is_teacher(self, query: dict[str, list[str]]) -> bool:
        """No token: a student. The right token: the teacher. A wrong one: refused."""
        tokens = query.get("token")
        if not tokens:
            return False
        if len(tokens) != 1 or not self.is_teacher_token(tokens[0]):
            raise RequestRefused(HTTPStatus.FORBIDDEN, "wrong teacher token: use the teacher link")
        return True

    def _require_teacher(self, request: web.BaseRequest) -> None:
        given = request.headers.get(TOKEN_HEADER)
        if given is None:
            raise RequestRefused(HTTPStatus.UNAUTHORIZED, "only the teacher can do this (no token)")
        if not self.is_teacher_token(given):
            raise RequestRefused(
                HTTPStatus.FORBIDDEN, "only the teacher can do this (wrong token)"
            )

    async def _read_json(self, request: web.BaseRequest) -> dict[str, Any]:
        length_text = request.headers.get("Content-Length")
        if length_text is None:
            raise RequestRefused(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length")
        if not (length_text.isascii() and length_text.isdigit()):
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        length = int(length_text)
        if length > self.limits.max_body:
            raise RequestRefused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body is {length} bytes; the limit is {self.limits.max_body}",
            )
        content_type = request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise RequestRefused(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)"
            )
        try:
            body = await asyncio.wait_for(request.read(), self.limits.request_timeout)
        except asyncio.TimeoutError:
            raise RequestRefused(HTTPStatus.REQUEST_TIMEOUT, "the body came too slowly") from None
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
        if not isinstance(parsed, dict):
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "send a JSON object, e.g. {...}")
        return parsed

    def _check_answer_budget(self, address: str, student: str) -> None:
        """Answers per student and per address in a window; ids per address in a round."""
        quiz = self.lesson.quiz
        if quiz is not None and not quiz.revealed:
            if not self.round_ids.allow(quiz.round_number, address, student):
                raise RequestRefused(
                    HTTPStatus.TOO_MANY_REQUESTS,
                    f"too many students answer from your address ({self.limits.ids_per_address} "
                    "per question): answer from your own device",
                )
        allowed = self.address_rates.allow(address)
        if not (allowed and self.answer_rates.allow(student)):
            raise RequestRefused(
                HTTPStatus.TOO_MANY_REQUESTS,
                "too many answers: wait a few seconds before answering again",
            )

    # -------------------------------------------------------------- event streams

    async def _event_stream(self, request: web.BaseRequest, teacher: bool) -> web.StreamResponse:
        most = MAX_TEACHER_STREAMS if teacher else self.limits.max_event_streams
        if self.streams[teacher] >= most:
            raise RequestRefused(
                HTTPStatus.SERVICE_UNAVAILABLE, "too many open pages: close one and reload"
            )
        self.streams[teacher] += 1
        try:
            response = web.StreamResponse(
                headers={"Content-Type": "text/event-stream", **SECURITY_HEADERS}
            )
            await response.prepare(request)
            if request.method == "HEAD":
                return response
            broadcaster = self.lesson.broadcaster
            seen, view = broadcaster.latest(teacher)
            await self._send(request, response, b"retry: 2000\n\n" + _event(seen, view))
            while not broadcaster.closed:
                await self.changed.wait()  # a change, or the keepalive tick
                version, view = broadcaster.latest(teacher)
                if version > seen:
                    seen = version
                    await self._send(request, response, _event(version, view))
                else:
                    await self._send(request, response, b": still here\n\n")  # phones stay awake
        except ConnectionError:
            pass
        finally:
            self.streams[teacher] -= 1
        return response

    async def _send(
        self, request: web.BaseRequest, response: web.StreamResponse, data: bytes
    ) -> None:
        """Write to a page; a page that stops reading for long is dropped."""
        transport = request.transport
        if transport is None:
            raise ConnectionResetError("the page has gone")
        if transport.get_write_buffer_size() + len(data) < MAX_UNREAD:
            await response.write(data)  # goes out at once: no need for a timer
            return
        try:  # the page is behind: give it a little time to catch up
            await asyncio.wait_for(response.write(data), self.limits.request_timeout)
        except asyncio.TimeoutError:
            transport.abort()
            raise ConnectionResetError("the page stopped reading") from None


# ---------------------------------------------------------------------- replies


def _query(request: web.BaseRequest) -> dict[str, list[str]]:
    query = request.query
    if len(query) > MAX_QUERY_FIELDS:
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "too many query parameters")
    return {key: query.getall(key) for key in query.keys()}


def _check_answer(request: dict[str, Any]) -> tuple[str, float]:
    student = request.get("student")
    if not isinstance(student, str) or not STUDENT_ID.fullmatch(student):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "student must be the page's random id")
    answer = request.get("answer")
    if isinstance(answer, str) and len(answer) <= 40:
        try:
            answer = float(answer.strip().replace(",", "."))
        except ValueError:
            raise RequestRefused(
                HTTPStatus.BAD_REQUEST, f"{answer!r} is not a number; write e.g. -0.5"
            ) from None
    if isinstance(answer, bool) or not isinstance(answer, (int, float)):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "answer must be a number, e.g. -0.5")
    try:
        answer = float(answer)
    except OverflowError:  # a whole number of hundreds of digits
        answer = math.inf
    if not math.isfinite(answer):
        raise RequestRefused(HTTPStatus.BAD_REQUEST, "answer must be a finite number")
    return student, answer


def _event(version: int, view: bytes) -> bytes:
    return b"event: state\nid: %d\ndata: %s\n\n" % (version, view)


def _reply(status: HTTPStatus, content_type: str, body: bytes) -> web.Response:
    headers = {"Content-Type": content_type, **SECURITY_HEADERS}
    if status in (HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE):
        headers["Retry-After"] = "5"
    return web.Response(status=status, body=body, headers=headers)


def _json_reply(status: HTTPStatus, content: dict[str, Any]) -> web.Response:
    return _reply(status, "application/json", json.dumps(content).encode())


def _raise_open_file_limit(wanted: int) -> None:
    """Let this process hold `wanted` connections, if the system allows (POSIX)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
