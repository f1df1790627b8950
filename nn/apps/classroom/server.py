"""The classroom's web server: the page, its pictures, and a live stream of the lesson.

It runs on aiohttp (an asyncio HTTP server) in a thread of its own, with a
fixed set of routes; nothing else is reachable, and no URL is ever turned
into a file path:

    GET  /                       the page (teacher and students get the same page)
    GET  /app.js  /style.css     its script and style, read from nn/apps/classroom/assets
    GET  /events[?token=...]     Server-Sent Events: the lesson's state, pushed on change
    GET  /state[?token=...]      the same state, once, as JSON
    GET  /graph.svg[?layout=tall] the graph as drawn now (wide, or tall for a phone)
    GET  /graph/page.js ...      the graph view's files (engine/views/web: `FILES`)
    POST /control                a teacher's action; needs the X-Stepgrad-Token header
    POST /answer                 a student's answer to the open quiz question

Only the teacher's token changes the lesson (compared in constant time, see
`tokens.py`); a student can read and answer.
A mistake gets a short 4xx reply in JSON, never a traceback.

The teacher comes first. A connection costs the server a few kilobytes, not
a thread, so a thousand idle ones take nothing from the lesson, and nobody
can hold all of them: each address gets a fair share, a request's headers
have a deadline, answers have budgets, and only the server's own names are
answered (see `nn/apps/classroom/limits.py`). The teacher's pages do not
count against the students' event streams, and the lesson's work (a step,
an answer) runs in threads, the teacher's apart from the students'.

Why aiohttp: one well-kept package gives a fast, strict HTTP parser,
streamed replies for Server-Sent Events, and a server that runs on an event
loop we start in a background thread (the classroom runs beside a REPL or a
notebook) and whose connections we can count and time by address. Starlette
on uvicorn would need two packages, wants to own the process (its signals,
its loop), and has no deadline for a request's headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import socket
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from importlib import resources
from typing import Any, Callable, Iterable

from aiohttp import web

from engine.views import web as graph_view
from nn.apps.arguments import error_lines
from nn.apps.classroom.limits import (
    ACCEPT_BURST,
    AnswerRates,
    ConnectionGate,
    GuardedConnection,
    Limits,
    RoundIds,
    allowed_host_names,
    host_name,
    is_address,
)
from nn.apps.classroom.push import BadRequest, ControlError, Picture
from nn.apps.classroom.state import LAYOUTS, Lesson
from nn.apps.classroom.tokens import is_teacher_token

TOKEN_HEADER = "X-Stepgrad-Token"
STUDENT_ID = re.compile(r"[0-9a-f]{16,64}")
ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
# The graph view's files, the same the Stepper's notebook widget uses (engine/views/web).
GRAPH_VIEW = {f"/graph/{name}": name for name in graph_view.FILES}
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
MAX_UNREAD = 32 * 1024  # bytes a page may leave unread before a write waits for it


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
        self.graph_view = {name: graph_view.read(name) for name in graph_view.FILES}
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
                line = f"stepgrad serve: cannot accept a connection: {error}"
                print(error_lines(line), file=sys.stderr)
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
        except Exception as error:  # a bug of ours: say so (one message), keep serving
            line = f"stepgrad serve: error in {request.method} {request.path[:80]}: {error!r}"
            print(error_lines(line), file=sys.stderr)
            response = _json_reply(
                HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "internal error (see the server)"}
            )
        response.force_close()  # one request per connection
        return response

    def _check_host(self, request: web.BaseRequest) -> None:
        header = request.headers.get("Host")
        if header is None:  # HTTP/1.0 may leave it out; a browser always sends it
            return
        name = host_name(header)
        if not (is_address(name) or name in self.host_names):
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
        if path in GRAPH_VIEW:
            name = GRAPH_VIEW[path]
            return _reply(HTTPStatus.OK, graph_view.FILES[name], self.graph_view[name])
        if path == "/events":
            return await self._event_stream(request, self._is_teacher(query))
        if path == "/state":
            _, view = lesson.broadcaster.latest(self._is_teacher(query))
            return _reply(HTTPStatus.OK, "application/json", view)
        pictures: dict[str, Callable[[], Picture]] = {
            "/graph.svg": lambda: lesson.graph_picture,
        }
        if path in pictures:
            picture = pictures[path]()
            layout = query.get("layout", ["wide"])[0]
            if layout not in LAYOUTS:
                choices = ", ".join(LAYOUTS)
                refusal = f"no layout {layout[:40]!r}: use one of {choices}"
                raise RequestRefused(HTTPStatus.BAD_REQUEST, refusal)
            if not picture.version:
                raise RequestRefused(HTTPStatus.NOT_FOUND, "nothing to show yet")
            return _reply(HTTPStatus.OK, picture.content_type, picture.layouts[layout])
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
        if len(tokens) != 1 or not is_teacher_token(tokens[0], self.token):
            raise RequestRefused(HTTPStatus.FORBIDDEN, "wrong teacher token: use the teacher link")
        return True

    def _require_teacher(self, request: web.BaseRequest) -> None:
        given = request.headers.get(TOKEN_HEADER)
        if given is None:
            raise RequestRefused(HTTPStatus.UNAUTHORIZED, "only the teacher can do this (no token)")
        if not is_teacher_token(given, self.token):
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
            with self.lesson.watching(teacher):  # the teacher's page counts the students'
                await self._stream_views(request, response, teacher)
        except ConnectionError:
            pass
        finally:
            self.streams[teacher] -= 1
        return response

    async def _stream_views(
        self, request: web.BaseRequest, response: web.StreamResponse, teacher: bool
    ) -> None:
        broadcaster = self.lesson.broadcaster
        seen, view = broadcaster.latest(teacher)
        await self._send(request, response, b"retry: 2000\n\n" + _event(seen, view))
        while not broadcaster.closed:
            try:  # a change, or the keepalive tick; and each second, a look at the page
                await asyncio.wait_for(self.changed.wait(), 1.0)
            except asyncio.TimeoutError:
                if request.transport is None or request.transport.is_closing():
                    return  # the page was closed or reloaded: the count of students drops now
                continue
            version, view = broadcaster.latest(teacher)
            if version > seen:
                seen = version
                await self._send(request, response, _event(version, view))
            else:
                await self._send(request, response, b": still here\n\n")  # phones stay awake

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
