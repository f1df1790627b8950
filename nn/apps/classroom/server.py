"""The classroom's web server: the page, its pictures, and a live stream of the lesson.

Python's own `http.server` (a thread per connection) serves a fixed set of
routes; nothing else is reachable, and no URL is ever turned into a file path:

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
Request bodies, the number of open connections and event streams, and each
student's rate of answers are bounded (`Limits`). A mistake gets a short
4xx reply in JSON, never a traceback.

Why Server-Sent Events from the standard library: updates go one way
(server to pages; the few clicks back are ordinary POSTs), EventSource
reconnects by itself in every browser, and `http.server` is enough for a
class of 60, so `pip install stepgrad` needs nothing more.
"""

from __future__ import annotations

import hmac
import json
import math
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

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


@dataclass(frozen=True)
class Limits:
    """How much the server accepts; the defaults suit a class of a few dozen."""

    max_body: int = 4096  # bytes of a POST body
    max_event_streams: int = 200  # open pages (each holds one event stream)
    max_connections: int = 300  # connections of any kind at once
    answers_per_window: int = 5  # answers one student may send per window
    answers_per_address: int = 60  # answers one network address may send per window
    answer_window: float = 10.0  # seconds
    request_timeout: float = 10.0  # seconds to send a request before the server hangs up
    keepalive: float = 15.0  # seconds between two comments on an idle event stream
    render_seconds: float = 5.0  # the most time one drawing of the graph may take


def load_assets() -> dict[str, bytes]:
    """The page's files, read once from the package (`nn/apps/classroom/assets`)."""
    folder = resources.files("nn.apps.classroom") / "assets"
    return {name: (folder / name).read_bytes() for name, _ in ASSETS.values()}


class RequestRefused(Exception):
    """A request the server answers with a 4xx status and a one-line message."""

    def __init__(self, status: HTTPStatus, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


class AnswerRates:
    """Per student (or address): the times of their recent answers, in a sliding window."""

    MAX_STUDENTS = 5000  # forget everybody when more ids than this show up

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.lock = threading.Lock()
        self.recent: dict[str, list[float]] = {}

    def allow(self, student: str) -> bool:
        now = time.monotonic()
        with self.lock:
            if student not in self.recent and len(self.recent) >= self.MAX_STUDENTS:
                self.recent.clear()
            times = [t for t in self.recent.get(student, []) if now - t < self.window]
            if len(times) >= self.limit:
                self.recent[student] = times
                return False
            times.append(now)
            self.recent[student] = times
            return True


class ClassroomServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows the lesson, the token and the limits."""

    daemon_threads = True  # an open page never keeps Python from exiting
    request_queue_size = 64

    def __init__(
        self, address: tuple[str, int], lesson: Lesson, token: str, limits: Limits
    ) -> None:
        self.lesson = lesson
        self.token = token
        self.limits = limits
        self.assets = load_assets()
        self.answer_rates = AnswerRates(limits.answers_per_window, limits.answer_window)
        # Student ids are made up by the browsers: a second limit per network address
        # holds back a script that makes up a new id for every answer.
        self.address_rates = AnswerRates(limits.answers_per_address, limits.answer_window)
        self.count_lock = threading.Lock()
        self.connections = 0
        self.event_streams = 0
        super().__init__(address, ClassroomHandler)

    def is_teacher_token(self, given: str) -> bool:
        return hmac.compare_digest(given.encode("utf-8"), self.token.encode("utf-8"))

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.count_lock:
            too_many = self.connections >= self.limits.max_connections
            if not too_many:
                self.connections += 1
        if too_many:
            _refuse_connection(request)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.count_lock:
                self.connections -= 1

    def open_event_stream(self) -> bool:
        with self.count_lock:
            if self.event_streams >= self.limits.max_event_streams:
                return False
            self.event_streams += 1
            return True

    def close_event_stream(self) -> None:
        with self.count_lock:
            self.event_streams -= 1

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A failure inside a request: one line on stderr, not a traceback."""
        error = sys.exc_info()[1]
        if not isinstance(error, (ConnectionError, TimeoutError, socket.timeout)):
            print(f"stepgrad serve: error in a request: {error!r}", file=sys.stderr)


def _refuse_connection(request: socket.socket) -> None:
    body = b'{"error": "too many connections: try again in a moment"}'
    try:
        request.sendall(
            b"HTTP/1.0 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Retry-After: 5\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        )
    except OSError:
        pass


class ClassroomHandler(BaseHTTPRequestHandler):
    """One request: find its route, check it, answer it."""

    server: ClassroomServer
    server_version = "stepgrad"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection; event streams end on close
    error_content_type = "application/json"

    def setup(self) -> None:
        # A client that stalls (sending or reading) is dropped after this many seconds.
        self.request.settimeout(self.server.limits.request_timeout)
        super().setup()

    # -------------------------------------------------------------- dispatch

    def do_GET(self) -> None:
        self._dispatch(self._get)

    def do_HEAD(self) -> None:
        self._dispatch(self._get)

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def _not_allowed(self) -> None:
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED, "use GET or POST")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    def _dispatch(self, route: Any) -> None:
        try:
            route()
        except RequestRefused as refusal:
            if refusal.close:
                self.close_connection = True
            self.send_error(refusal.status, refusal.message)
        except (ConnectionError, TimeoutError, socket.timeout):
            self.close_connection = True
        except Exception as error:  # a bug of ours: say so in one line, keep serving
            print(f"stepgrad serve: error in {self.command} {self.path[:80]}: {error!r}",
                  file=sys.stderr)
            self.send_error(HTTPStatus.INTERNAL_SERVER_ERROR, "internal error (see the server)")

    def _get(self) -> None:
        path, query = self._split_url()
        if path in ASSETS:
            name, content_type = ASSETS[path]
            self._send(HTTPStatus.OK, content_type, self.server.assets[name])
        elif path == "/events":
            self._event_stream(self._is_teacher(query))
        elif path == "/state":
            _, view = self.server.lesson.broadcaster.latest(self._is_teacher(query))
            self._send(HTTPStatus.OK, "application/json", view)
        elif path == "/graph.svg":
            self._picture(self.server.lesson.graph_picture)
        elif path == "/training/boundary.png":
            self._picture(self.server.lesson.training.boundary)
        elif path == "/training/curves.png":
            self._picture(self.server.lesson.training.curves)
        elif path in ("/control", "/answer"):
            raise RequestRefused(HTTPStatus.METHOD_NOT_ALLOWED, f"{path} takes POST")
        else:
            raise RequestRefused(HTTPStatus.NOT_FOUND, f"no page {path[:80]!r} here")

    def _post(self) -> None:
        path, _ = self._split_url()
        if path not in ("/control", "/answer"):
            raise RequestRefused(HTTPStatus.NOT_FOUND, f"no page {path[:80]!r} here", close=True)
        if path == "/control":
            self._require_teacher()
        request = self._read_json()
        lesson = self.server.lesson
        try:
            if path == "/control":
                reply: dict[str, Any] = lesson.control(request)
            else:
                student, answer = self._check_answer(request)
                address = str(self.client_address[0])
                allowed = self.server.address_rates.allow(address)
                if not (allowed and self.server.answer_rates.allow(student)):
                    raise RequestRefused(
                        HTTPStatus.TOO_MANY_REQUESTS,
                        "too many answers: wait a few seconds before answering again",
                    )
                lesson.answer(student, answer)
                reply = {"received": True}
        except BadRequest as error:
            raise RequestRefused(HTTPStatus.BAD_REQUEST, str(error)) from None
        except ControlError as error:
            raise RequestRefused(HTTPStatus.CONFLICT, str(error)) from None
        self._send(HTTPStatus.OK, "application/json", json.dumps(reply).encode())

    # -------------------------------------------------------------- checks

    def _split_url(self) -> tuple[str, dict[str, list[str]]]:
        parts = urlsplit(self.path)
        try:
            query = parse_qs(parts.query, max_num_fields=8, strict_parsing=False)
        except ValueError:
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "too many query parameters") from None
        return parts.path, query

    def _is_teacher(self, query: dict[str, list[str]]) -> bool:
        """No token: a student. The right token: the teacher. A wrong one: refused."""
        tokens = query.get("token")
        if not tokens:
            return False
        if len(tokens) != 1 or not self.server.is_teacher_token(tokens[0]):
            raise RequestRefused(HTTPStatus.FORBIDDEN, "wrong teacher token: use the teacher link")
        return True

    def _require_teacher(self) -> None:
        given = self.headers.get(TOKEN_HEADER)
        if given is None:
            raise RequestRefused(
                HTTPStatus.UNAUTHORIZED, "only the teacher can do this (no token)", close=True
            )
        if not self.server.is_teacher_token(given):
            raise RequestRefused(
                HTTPStatus.FORBIDDEN, "only the teacher can do this (wrong token)", close=True
            )

    def _read_json(self) -> dict[str, Any]:
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise RequestRefused(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length", close=True)
        if not length_text.isdigit():
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "bad Content-Length", close=True)
        length = int(length_text)
        if length > self.server.limits.max_body:
            raise RequestRefused(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the request body is {length} bytes; the limit is {self.server.limits.max_body}",
                close=True,
            )
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise RequestRefused(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)",
                close=True,
            )
        body = self.rfile.read(length)
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
        if not isinstance(request, dict):
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "send a JSON object, e.g. {...}")
        return request

    def _check_answer(self, request: dict[str, Any]) -> tuple[str, float]:
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
        answer = float(answer)
        if not math.isfinite(answer):
            raise RequestRefused(HTTPStatus.BAD_REQUEST, "answer must be a finite number")
        return student, answer

    # -------------------------------------------------------------- replies

    def _start_reply(self, status: HTTPStatus, content_type: str, length: int | None) -> None:
        """The status line and the headers every reply has (end_headers() is the caller's)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:  # an event stream has no length: it ends when it closes
            self.send_header("Content-Length", str(length))
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self._start_reply(status, content_type, len(body))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every refusal, ours or http.server's (a bad request line, ...): short JSON.

        A request http.server cannot parse gets 400 (not its 501 or 505), with a
        status line even when the request line was too broken to name a version.
        """
        if code in (HTTPStatus.NOT_IMPLEMENTED, HTTPStatus.HTTP_VERSION_NOT_SUPPORTED):
            code, message = HTTPStatus.BAD_REQUEST, message or "unsupported request"
        self.request_version = "HTTP/1.0"
        try:
            status = HTTPStatus(code)
        except ValueError:
            status = HTTPStatus.BAD_REQUEST
        text = message or status.phrase
        body = json.dumps({"error": text}).encode()
        self._start_reply(status, "application/json", len(body))
        if status == HTTPStatus.TOO_MANY_REQUESTS or status == HTTPStatus.SERVICE_UNAVAILABLE:
            self.send_header("Retry-After", "5")
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _picture(self, picture: Picture) -> None:
        if not picture.version:
            raise RequestRefused(HTTPStatus.NOT_FOUND, "nothing to show yet")
        self._send(HTTPStatus.OK, picture.content_type, picture.data)

    def _event_stream(self, teacher: bool) -> None:
        if not self.server.open_event_stream():
            raise RequestRefused(
                HTTPStatus.SERVICE_UNAVAILABLE, "too many open pages: close one and reload"
            )
        try:
            self._start_reply(HTTPStatus.OK, "text/event-stream", None)
            self.end_headers()
            self.close_connection = True
            if self.command == "HEAD":
                return
            broadcaster = self.server.lesson.broadcaster
            version, view = broadcaster.latest(teacher)
            self.wfile.write(b"retry: 2000\n\n")
            self._write_event(version, view)
            while not broadcaster.closed:
                update = broadcaster.wait(version, teacher, self.server.limits.keepalive)
                if update is None:
                    self.wfile.write(b": still here\n\n")  # keeps proxies and phones awake
                else:
                    version, view = update
                    self._write_event(version, view)
                self.wfile.flush()
        finally:
            self.server.close_event_stream()

    def _write_event(self, version: int, view: bytes) -> None:
        self.wfile.write(b"event: state\nid: %d\ndata: %s\n\n" % (version, view))
        self.wfile.flush()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a lecture's terminal is not a web log (refusals go to the page, not here)."""
