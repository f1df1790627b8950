"""The classroom server over plain HTTP: what it serves, and everything it refuses.

Every server here listens on 127.0.0.1, on a free port, and is closed by its
fixture; every socket has a timeout, so a hung server fails a test instead
of hanging it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from engine import Value
from engine.views.stepper import Stepper
from nn.apps.classroom import Classroom, ControlError, Limits

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 10.0
STUDENT_A = "a" * 32
STUDENT_B = "b" * 32
LIMITS = Limits(
    max_body=1024,
    max_event_streams=2,
    max_connections=6,
    answers_per_window=2,
    answer_window=60.0,
    request_timeout=2.0,
    keepalive=0.5,
)


@pytest.fixture
def room() -> Iterator[Classroom]:
    with Classroom("x * w", "x=2 w=-3", limits=LIMITS) as classroom:
        yield classroom


def token_of(room: Classroom) -> str:
    return room.teacher_url.split("token=")[1]


def call(
    room: Classroom,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, http.client.HTTPResponse]:
    """One request; returns (status, body, response)."""
    connection = http.client.HTTPConnection("127.0.0.1", room.port, timeout=TIMEOUT)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if data is not None else {}
    sent.update(headers or {})
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, content, response


def control(room: Classroom, body: Any, token: str | None = None) -> tuple[int, dict[str, Any]]:
    headers = {"X-Stepgrad-Token": token if token is not None else token_of(room)}
    status, content, _ = call(room, "POST", "/control", body, headers)
    return status, json.loads(content)


def answer(room: Classroom, student: str, value: Any) -> tuple[int, dict[str, Any]]:
    status, content, _ = call(room, "POST", "/answer", {"student": student, "answer": value})
    return status, json.loads(content)


def raw(room: Classroom, data: bytes) -> bytes:
    """Send bytes on a fresh socket; return everything the server answers."""
    with socket.create_connection(("127.0.0.1", room.port), timeout=TIMEOUT) as connection:
        connection.sendall(data)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


class EventStream:
    """A page's event stream, read event by event."""

    def __init__(self, room: Classroom, query: str = "") -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", room.port, timeout=TIMEOUT)
        self.connection.request("GET", "/events" + query)
        self.response = self.connection.getresponse()

    def next_state(self) -> dict[str, Any]:
        while True:
            line = self.response.fp.readline()
            if not line:
                raise EOFError("the event stream ended")
            if line.startswith(b"data: "):
                return json.loads(line[6:])

    def close(self) -> None:
        self.connection.close()


# ---------------------------------------------------------------------- what is served


def test_the_page_and_its_assets_are_served_with_a_strict_policy(room: Classroom) -> None:
    status, page, response = call(room, "GET", "/")
    assert status == 200 and b'<script src="/app.js">' in page
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    for path, kind in (("/app.js", "javascript"), ("/style.css", "css")):
        status, _, response = call(room, "GET", path)
        assert status == 200 and kind in response.headers["Content-Type"]


def test_the_graph_view_is_served_from_the_package(room: Classroom) -> None:
    from engine.views import web

    _, page, _ = call(room, "GET", "/")
    assert b'<script type="module" src="/graph/page.js">' in page
    for name in ("page.js", "graph-view.js", "graph-view.css", "vendor/panzoom/panzoom.es.js"):
        status, content, response = call(room, "GET", "/graph/" + name)
        assert status == 200 and content == web.read(name)
        assert response.headers["Content-Type"] == web.FILES[name]
    for path in ("/graph/", "/graph/__init__.py", "/graph/../app.js", "/graph/vendor/panzoom/"):
        assert call(room, "GET", path)[0] == 404, path


def test_the_page_uses_no_outside_resources(room: Classroom) -> None:
    for path in ("/", "/app.js", "/style.css"):
        _, content, _ = call(room, "GET", path)
        assert b"http://" not in content and b"https://" not in content, path


def test_a_student_gets_the_state_and_the_graph(room: Classroom) -> None:
    status, content, _ = call(room, "GET", "/state")
    state = json.loads(content)
    assert status == 200 and state["teacher"] is False
    assert state["source"] == "x * w" and state["total"] == 1
    status, svg, response = call(room, "GET", state["graph"])
    assert status == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg


def svg_size(svg: bytes) -> tuple[float, float]:
    """A Graphviz drawing's width and height, in points."""
    width, height = re.search(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(width), float(height)


def test_a_phone_can_ask_for_the_tall_layout_of_the_same_drawing(room: Classroom) -> None:
    room.formula("tanh(x1*w1 + x2*w2 + b)", "x1=2 w1=-3 x2=0 w2=1 b=6.88")
    room.next()
    assert room.lesson.painter.wait_until_done(TIMEOUT)
    state = json.loads(call(room, "GET", "/state")[1])
    assert state["graph_tall"] == state["graph"] + "&layout=tall"
    _, wide, _ = call(room, "GET", state["graph"])
    status, tall, response = call(room, "GET", state["graph_tall"])
    assert status == 200 and response.headers["Content-Type"] == "image/svg+xml"
    width, height = svg_size(wide)
    assert width > 2 * height  # left to right
    width, height = svg_size(tall)
    assert height > 1.3 * width  # top to bottom, narrow boxes
    for svg in (wide, tall):  # the same step: the same node is the current one
        assert svg.count(b'class="node current"') == 1
        assert re.search(rb'class="node current">\s*<title>v9</title>', svg)
    status, content, _ = call(room, "GET", "/graph.svg?layout=sideways")
    assert status == 400 and "no layout 'sideways': use one of wide, tall" in content.decode()


def test_each_drawing_is_laid_out_once_per_layout(
    room: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.views import render

    laid_out: list[str] = []

    def counted(source: str, *args: Any, **options: Any) -> bytes:
        laid_out.append(source)
        return real(source, *args, **options)

    real = render.render_dot
    monkeypatch.setattr(render, "render_dot", counted)
    picture = room.lesson.graph_picture

    def then(action: Any, renders: int, versions: int) -> None:
        before = picture.version
        action()
        assert room.lesson.painter.wait_until_done(TIMEOUT)
        assert (len(laid_out), picture.version - before) == (renders, versions), action

    then(lambda: room.formula("tanh(x*w + b)", "x=2 w=-3 b=6.5"), 2, 1)  # wide and tall
    then(room.next, 4, 1)
    then(room.next, 6, 1)
    then(room.back, 6, 1)  # step 1's drawings again: kept, not laid out again
    then(room.next, 6, 1)
    then(room.quiz, 8, 1)  # the node asked about and its inputs marked (class asked)
    then(room.back, 8, 1)  # the question taken back: step 2's drawings again, kept
    then(room.quiz, 8, 1)  # asked again: kept too
    then(room.reveal, 10, 1)
    then(room.reset, 10, 1)
    assert len(set(laid_out)) == len(laid_out)


def test_the_teacher_steps_and_every_open_page_gets_the_step(room: Classroom) -> None:
    student = EventStream(room)
    teacher = EventStream(room, f"?token={token_of(room)}")
    try:
        assert student.next_state()["position"] == 0
        assert teacher.next_state()["teacher"] is True
        status, reply = control(room, {"action": "next"})
        assert status == 200 and reply["position"] == 1
        pushed = student.next_state()
        assert pushed["position"] == 1
        assert pushed["current_step"]["text"].startswith("step 1 of 1: out = x * w")
        assert teacher.next_state()["position"] == 1
    finally:
        student.close()
        teacher.close()


def test_a_formula_from_the_teacher_builds_a_new_graph(room: Classroom) -> None:
    status, reply = control(
        room, {"action": "formula", "expression": "tanh(x*w + b)", "values": "x=1, w=2 b=0"}
    )
    assert status == 200 and reply["source"] == "tanh(x*w + b)" and reply["total"] == 3


# ---------------------------------------------------------------------- the token


def test_control_without_the_token_is_refused(room: Classroom) -> None:
    status, content, _ = call(room, "POST", "/control", {"action": "next"})
    assert status == 401 and b"only the teacher" in content
    assert json.loads(call(room, "GET", "/state")[1])["position"] == 0


@pytest.mark.parametrize("forged", ["", "wrong", "x" * 32])
def test_control_with_a_wrong_token_is_refused(room: Classroom, forged: str) -> None:
    status, reply = control(room, {"action": "run"}, token=forged)
    assert status == 403 and "wrong token" in reply["error"]
    assert room.position == 0


def test_a_token_of_bytes_that_are_not_text_is_refused_like_any_wrong_one(
    room: Classroom,
) -> None:
    """Not an error on the server (it was a 500): its bytes are compared as they came."""
    request = (
        b"POST /control HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nX-Stepgrad-Token: \xff\xfe%s\r\n"
        b"Content-Type: application/json\r\nContent-Length: 17\r\nConnection: close\r\n"
        b"\r\n{\"action\": \"run\"}"
    ) % (room.port, token_of(room).encode()[2:])
    reply = raw(room, request)
    assert reply.startswith(b"HTTP/1.1 403") and b"wrong token" in reply
    assert room.position == 0


def test_a_wrong_token_cannot_read_the_teacher_view(room: Classroom) -> None:
    for path in ("/state?token=guess", "/events?token=guess"):
        status, content, _ = call(room, "GET", path)
        assert status == 403 and b"teacher link" in content


# ---------------------------------------------------------------------- malformed requests


def test_an_oversized_body_is_refused_before_it_is_read(room: Classroom) -> None:
    status, content, _ = call(
        room, "POST", "/control", b"{" + b" " * 2000 + b"}", {"X-Stepgrad-Token": token_of(room)}
    )
    assert status == 413 and b"limit is 1024" in content


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "JSON object"),
        (b"\xff\xfe", 400, "not valid JSON"),
        (b'{"action": "fly"}', 400, "unknown action 'fly'"),
        (b'{"action": "formula", "expression": "__import__(1)", "values": ""}', 400, "unknown function __import__"),
        (b'{"action": "formula", "expression": 3}', 400, "as text"),
        (b'{"action": "train", "steps": 100000}', 400, "1 to 1000"),
        (b'{"action": "back"}', 409, "no step to undo"),
    ],
)
def test_bad_control_requests_get_a_4xx_with_the_reason(
    room: Classroom, body: bytes, status: int, message: str
) -> None:
    got, content, response = call(
        room, "POST", "/control", body, {"X-Stepgrad-Token": token_of(room)}
    )
    assert got == status and message in json.loads(content)["error"]
    assert response.headers["Content-Type"] == "application/json"


def test_a_body_must_be_json_with_a_length(room: Classroom) -> None:
    headers = {"X-Stepgrad-Token": token_of(room), "Content-Type": "text/plain"}
    assert call(room, "POST", "/control", b"{}", headers)[0] == 415
    reply = raw(room, b"POST /answer HTTP/1.0\r\nContent-Type: application/json\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 411")


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET / HTTP/9.9\r\n\r\n", b"400"),
        (b"GET /" + b"a" * 70000 + b" HTTP/1.0\r\n\r\n", b"400"),  # aiohttp: line too long
        (b"PUT / HTTP/1.0\r\n\r\n", b"405"),
        (b"GET /control HTTP/1.0\r\n\r\n", b"405"),
    ],
)
def test_malformed_requests_get_a_short_reply_never_a_traceback(
    room: Classroom, request_bytes: bytes, status: bytes
) -> None:
    reply = raw(room, request_bytes)
    assert reply.split(b" ")[1] == status
    assert b"Traceback" not in reply and b"<html" not in reply.lower()


@pytest.mark.parametrize(
    "path",
    [
        "/../pyproject.toml",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/assets/",
        "/assets/app.js",
        "/nn/apps/classroom/assets/app.js",
        "/classroom/state.py",
        "//etc/passwd",
        "/app.js/../../state.py",
        "/index.html",
    ],
)
def test_no_path_outside_the_routes_is_served(room: Classroom, path: str) -> None:
    status, content, _ = call(room, "GET", path)
    assert status == 404 and b"no page" in content
    assert b"import" not in content and b"root:" not in content


def test_an_unknown_post_route_is_refused(room: Classroom) -> None:
    assert call(room, "POST", "/upload", {})[0] == 404


# ---------------------------------------------------------------------- load limits


def test_too_many_event_streams_are_refused(room: Classroom) -> None:
    pages = [EventStream(room), EventStream(room)]
    try:
        for page in pages:
            page.next_state()
        status, content, response = call(room, "GET", "/events")
        assert status == 503 and b"too many open pages" in content
        assert response.headers["Retry-After"] == "5"
    finally:
        for page in pages:
            page.close()


def test_too_many_connections_are_refused(room: Classroom) -> None:
    idle = [socket.create_connection(("127.0.0.1", room.port), timeout=TIMEOUT) for _ in range(6)]
    try:
        # The idle sockets hold every slot until the request timeout (2 s) frees them.
        assert raw(room, b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 503")
    finally:
        for connection in idle:
            connection.close()


def test_an_idle_connection_is_dropped_after_the_request_timeout(room: Classroom) -> None:
    with socket.create_connection(("127.0.0.1", room.port), timeout=TIMEOUT) as connection:
        connection.sendall(b"GET / HTT")  # and nothing more
        assert connection.recv(100) == b""  # the server hung up (after 2 s)


# ---------------------------------------------------------------------- quiz and answers


def test_a_quiz_round_counts_answers_and_hides_the_answer_until_reveal(room: Classroom) -> None:
    status, reply = control(room, {"action": "quiz"})
    assert status == 200 and reply["quiz"]["question"] == "What is x.grad after this step?"
    # The teacher's page is projected: before Reveal it shows only how many answered.
    assert "expected" not in reply["quiz"] and "hint" not in reply["quiz"]
    assert control(room, {"action": "peek"})[1]["quiz"]["expected"] == -3.0  # a private look
    student_view = json.loads(call(room, "GET", "/state")[1])
    assert "expected" not in student_view["quiz"] and "spread" not in student_view["quiz"]
    assert student_view["quiz"]["hint"].startswith("d(out)/d(x) = -3")
    assert answer(room, STUDENT_A, "-3.001")[0] == 200  # within the tolerance
    assert answer(room, STUDENT_B, 3)[0] == 200
    teacher_view = json.loads(call(room, "GET", f"/state?token={token_of(room)}")[1])
    assert teacher_view["quiz"]["answered"] == 2
    assert "right" not in teacher_view["quiz"] and "spread" not in teacher_view["quiz"]
    results = room.quiz_results
    assert results is not None
    assert (results["answered"], results["right"]) == (2, 1)
    assert {bar["answer"]: bar["right"] for bar in results["spread"]} == {"-3.001": True, "3": False}
    status, reply = control(room, {"action": "reveal"})
    assert status == 200 and reply["position"] == 1
    student_view = json.loads(call(room, "GET", "/state")[1])
    assert student_view["quiz"]["expected"] == -3.0 and student_view["quiz"]["right"] == 1
    assert answer(room, STUDENT_A, -3)[0] == 409  # the round is over


def test_an_answer_needs_an_open_question(room: Classroom) -> None:
    status, reply = answer(room, STUDENT_A, 1.0)
    assert status == 409 and "no open question" in reply["error"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({"student": "Ada Lovelace", "answer": 1}, "random id"),
        ({"student": "a" * 32, "answer": "three"}, "not a number"),
        ({"student": "a" * 32, "answer": "nan"}, "finite"),
        ({"student": "a" * 32, "answer": True}, "must be a number"),
        ({"student": "a" * 32, "answer": "1" * 41}, "must be a number"),
        ({"answer": 1}, "random id"),
    ],
)
def test_a_malformed_answer_is_refused(room: Classroom, body: Any, message: str) -> None:
    control(room, {"action": "quiz"})
    status, content, _ = call(room, "POST", "/answer", body)
    assert status == 400 and message in json.loads(content)["error"]


def test_each_student_may_answer_only_so_often(room: Classroom) -> None:
    control(room, {"action": "quiz"})
    assert answer(room, STUDENT_A, 1)[0] == 200
    assert answer(room, STUDENT_A, 2)[0] == 200
    status, reply = answer(room, STUDENT_A, -3)
    assert status == 429 and "too many answers" in reply["error"]
    assert answer(room, STUDENT_B, -3)[0] == 200  # another student is not held back
    results = room.quiz_results
    assert results is not None and results["answered"] == 2


def test_one_address_may_not_answer_under_ever_new_ids() -> None:
    limits = Limits(answers_per_window=5, answers_per_address=3, answer_window=60.0)
    with Classroom("x * w", "x=2 w=-3", limits=limits) as room:
        room.quiz()
        made_up = [f"{number:032x}" for number in range(4)]
        assert [answer(room, student, 1.0)[0] for student in made_up] == [200, 200, 200, 429]


def test_a_student_cannot_control_through_the_answer_route(room: Classroom) -> None:
    control(room, {"action": "quiz"})
    status, _, _ = call(room, "POST", "/answer", {"student": STUDENT_A, "action": "reveal"})
    assert status == 400
    assert room.position == 0


# ---------------------------------------------------------------------- nothing stalls the lesson


def test_a_formula_too_slow_to_draw_is_refused_and_stalls_nobody() -> None:
    import threading

    slow = "+".join(["x"] * 150)  # 299 characters; its layout takes minutes
    with Classroom("x * w", "x=2 w=-3", limits=Limits(render_seconds=4.0)) as room:
        room.quiz()
        replies: list[tuple[int, dict[str, Any]]] = []
        teacher = threading.Thread(
            target=lambda: replies.append(
                control(room, {"action": "formula", "expression": slow, "values": "x=1"})
            )
        )
        teacher.start()
        time.sleep(0.3)  # the renderer is at work now
        started = time.perf_counter()
        assert call(room, "GET", "/state")[0] == 200
        assert answer(room, STUDENT_A, -3)[0] == 200
        assert time.perf_counter() - started < 2.0  # not held up by the 4-s drawing
        teacher.join(timeout=TIMEOUT)
        status, reply = replies[0]
        assert status == 400 and "too big to draw in time: 150 Values" in reply["error"]
        assert json.loads(call(room, "GET", "/state")[1])["source"] == "x * w"  # unchanged


# ---------------------------------------------------------------------- from Python


def test_python_pushes_a_value_and_a_stepper(room: Classroom) -> None:
    a = Value(3.0, label="a")
    square = a * a
    square.backward()  # Next starts from zero grads: no double counting
    room.show(square)
    room.run()
    assert a.grad == 6.0
    b = Value(1.5, label="b")
    stepper = Stepper((b * 2).tanh())
    stepper.next()
    room.step(stepper)
    state = json.loads(call(room, "GET", "/state")[1])
    assert state["position"] == 1 and len(state["steps"]) == 1
    room.next()
    assert stepper.position == 2


def test_the_page_shows_whole_steps_whatever_the_servers_terminal(
    room: Classroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "30")  # the teacher's terminal is narrow
    room.next()
    state = json.loads(call(room, "GET", "/state")[1])
    assert state["steps"] == ["step 1 of 1: out = x * w, out.grad = 1"]
    assert state["current_step"]["text"].splitlines()[0] == state["steps"][0]


def test_values_given_as_numbers_are_shown_with_every_digit(room: Classroom) -> None:
    room.formula("tanh(x*w + b)", {"x": 2.0, "w": -3, "b": 6.8813735870195432})
    state = json.loads(call(room, "GET", "/state")[1])
    assert state["values"] == "x=2 w=-3 b=6.881373587019543"


def test_a_quiz_with_nothing_left_to_ask_is_refused(room: Classroom) -> None:
    room.run()
    with pytest.raises(ControlError, match="no step left"):
        room.quiz()


def test_training_streams_and_pauses(room: Classroom) -> None:
    from nn import MLP
    from nn.data import moons, signed_labels

    stream = EventStream(room)
    try:
        stream.next_state()
        X, labels = moons(n=20, seed=0)
        history = room.fit(MLP(2, [4, 1], seed=0), X, signed_labels(labels), steps=3,
                           progress=False)
        assert history.steps == 3
        seen = stream.next_state()["training"]
        while seen["status"] != "done":
            seen = stream.next_state()["training"]
        assert seen["step"] == 3 and len(seen["loss"]) == 3
        boundary = seen["boundary"]  # numbers the page draws: the grid's picks, the points
        assert boundary["step"] == 3 and len(boundary["picks"]) == boundary["size"] ** 2
        assert len(boundary["points"]) == 20
    finally:
        stream.close()
    assert control(room, {"action": "pause"})[0] == 409  # nothing is running now


def test_a_paused_run_waits_for_resume(room: Classroom) -> None:
    status, reply = control(room, {"action": "train", "data": "xor", "steps": 1000})
    assert status == 200 and reply["training"]["status"] == "running"
    assert control(room, {"action": "pause"})[0] == 200
    # The pages get a view at most 10 times a second: wait for the one that says "paused".
    deadline = time.monotonic() + 10
    while (training := json.loads(call(room, "GET", "/state")[1])["training"])["status"] != "paused":
        assert time.monotonic() < deadline, f"never paused: {training['status']}"
        time.sleep(0.05)
    time.sleep(0.5)
    assert json.loads(call(room, "GET", "/state")[1])["training"]["step"] == training["step"]
    assert control(room, {"action": "resume"})[0] == 200
    assert control(room, {"action": "stop"})[0] == 200


def test_bad_arguments_are_refused_in_python() -> None:
    with pytest.raises(ValueError, match="port=70000"):
        Classroom(port=70000)
    with pytest.raises(ValueError, match="no value for the input w"):
        Classroom("x * w", "x=1")
    with Classroom() as room:
        with pytest.raises(TypeError, match="needs a Value, not str"):
            room.show("x")  # type: ignore[arg-type]
        with pytest.raises(ControlError, match="type a formula first"):
            room.next()


def test_nothing_is_written_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Classroom("x * w", "x=2 w=-3", limits=LIMITS) as room:
        control(room, {"action": "quiz"})
        answer(room, STUDENT_A, -3)
        control(room, {"action": "reveal"})
    assert os.listdir(tmp_path) == []


def test_a_closed_classroom_refuses_connections() -> None:
    room = Classroom()
    port = room.port
    room.close()
    room.close()  # a second close does nothing
    assert repr(room) == "Classroom(closed)"
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)


# ---------------------------------------------------------------------- the command


def serve_command(*arguments: str) -> subprocess.Popen[str]:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    return subprocess.Popen(
        [sys.executable, "-m", "nn", "serve", *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_command_prints_both_links_and_stops_on_ctrl_c() -> None:
    process = serve_command("--expr", "tanh(x*w)", "x=1", "w=0.5")
    try:
        assert process.stdout is not None
        teacher = process.stdout.readline()
        students = process.stdout.readline()
        assert teacher.startswith("teacher:  http://127.0.0.1:") and "/?token=" in teacher
        assert students.startswith("students: http://127.0.0.1:") and "token" not in students
        port = int(students.split(":")[-1].strip("/\n"))
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT):
            pass
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
    assert process.returncode == 0
    assert "stopped" in out and "Traceback" not in err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--expr", "x.y", "x=1"], "attribute access"),
        (["x=1"], "add --expr"),
        (["--port", "99999"], "not a port"),
    ],
)
def test_the_command_refuses_bad_arguments(arguments: list[str], message: str) -> None:
    process = serve_command(*arguments)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2 and message in err and "Traceback" not in err


def test_the_network_address_for_students_is_an_ipv4_address() -> None:
    from nn.apps.classroom import network_address

    parts = network_address().split(".")
    assert len(parts) == 4 and all(0 <= int(part) <= 255 for part in parts)


# ---------------------------------------------------------------------- under load and attack


# Linux routes all of 127.0.0.0/8 to this machine: tests play many addresses from one.
many_addresses = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="needs every 127.x.y.z address (Linux)"
)


def call_from(
    room: Classroom, address: str, method: str, path: str, body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request from another loopback address (Linux routes all of 127.0.0.0/8 here)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", room.port, timeout=TIMEOUT, source_address=(address, 0)
    )
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if data is not None else {}
    connection.request(method, path, body=data, headers={**sent, **(headers or {})})
    response = connection.getresponse()
    content = response.read()
    connection.close()
    return response.status, content


@many_addresses
def test_one_address_gets_a_fair_share_of_connections_and_the_teacher_gets_in() -> None:
    limits = Limits(connections_per_address=5, request_timeout=10.0)
    with Classroom("x * w", "x=2 w=-3", limits=limits) as room:
        hog = [
            socket.create_connection(("127.0.0.1", room.port), TIMEOUT, ("127.0.0.9", 0))
            for _ in range(5)
        ]
        try:
            status, content = call_from(room, "127.0.0.9", "GET", "/state")
            assert status == 503 and b"from your address" in content
            assert control(room, {"action": "next"})[0] == 200  # the teacher, elsewhere
            assert call_from(room, "127.0.0.10", "GET", "/state")[0] == 200  # a new student
        finally:
            for connection in hog:
                connection.close()


def test_a_request_that_drips_its_headers_is_dropped(room: Classroom) -> None:
    with socket.create_connection(("127.0.0.1", room.port), timeout=TIMEOUT) as connection:
        started = time.monotonic()
        try:
            for byte in b"GET / HTTP/1.0\r\nX-Slow: " + b"a" * 40:
                connection.sendall(bytes([byte]))  # one byte every 0.2 s: each looks alive
                time.sleep(0.2)
        except (ConnectionError, BrokenPipeError):
            pass
        assert connection.recv(100) == b""  # dropped...
        assert time.monotonic() - started < 2.0 + 1.0  # ...by the 2-s request timeout


def test_the_teachers_page_is_not_refused_when_the_students_pages_are_full(
    room: Classroom,
) -> None:
    pages = [EventStream(room), EventStream(room)]  # the students' limit is 2
    try:
        for page in pages:
            page.next_state()
        assert call(room, "GET", "/events")[0] == 503
        teacher = EventStream(room, f"?token={token_of(room)}")
        assert teacher.next_state()["teacher"] is True
        teacher.close()
    finally:
        for page in pages:
            page.close()


def test_malformed_fields_are_400s_never_500s(room: Classroom) -> None:
    reply = raw(
        room,
        "POST /answer HTTP/1.0\r\nContent-Type: application/json\r\n"
        "Content-Length: \u00b2\r\n\r\n{}".encode(),
    )
    assert reply.split(b" ")[1] == b"400"
    status, reply_json = control(room, {"action": ["next"]})
    assert status == 400 and "unknown action" in reply_json["error"]
    control(room, {"action": "quiz"})
    status, content, _ = call(
        room, "POST", "/answer", b'{"student": "%s", "answer": %s}' % (
            STUDENT_A.encode(), b"9" * 401)
    )  # fmt: skip
    assert status == 400 and b"finite" in content


@many_addresses
def test_spam_from_many_addresses_cannot_fill_a_round() -> None:
    limits = Limits(answers_per_address=1000, answers_per_window=1000)
    with Classroom("x * w", "x=2 w=-3", limits=limits) as room:
        room.quiz()
        statuses = []
        for address_number in range(2, 22):  # 20 addresses, 60 made-up ids each
            address = f"127.0.0.{address_number}"
            for number in range(60):
                student = f"{address_number:02x}{number:030x}"
                body = {"student": student, "answer": 1.0}
                statuses.append(call_from(room, address, "POST", "/answer", body)[0])
        assert statuses.count(200) == 20 * limits.ids_per_address
        assert set(statuses) == {200, 429}
        real = {"student": "f" * 32, "answer": -3.0}
        assert call_from(room, "127.0.0.99", "POST", "/answer", real)[0] == 200


def test_each_teacher_reply_shows_its_own_request(room: Classroom) -> None:
    import threading

    room.formula("tanh(x*w + b)", "x=2 w=-3 b=6.5")
    wrong: list[str] = []

    def press(action: str, position: int) -> None:
        for _ in range(40):
            status, reply = control(room, {"action": action})
            if status == 200 and reply["position"] != position:
                wrong.append(f"{action} replied position {reply['position']}")

    teachers = [threading.Thread(target=press, args=("run", 3)),
                threading.Thread(target=press, args=("reset", 0))]  # fmt: skip
    for teacher in teachers:
        teacher.start()
    for teacher in teachers:
        teacher.join()
    assert wrong == []


@pytest.mark.parametrize(
    "host, status",
    [("localhost", 200), ("127.0.0.1", 200), ("[::1]", 200), ("evil.example", 400),
     ("classroom.school.example", 200)],
)  # fmt: skip
def test_only_the_servers_own_names_are_answered(host: str, status: int) -> None:
    with Classroom(hosts=["classroom.school.example"], limits=LIMITS) as room:
        got, content, _ = call(room, "GET", "/state", headers={"Host": f"{host}:{room.port}"})
        assert got == status
        if status == 400:
            assert b"--allow-host evil.example" in content


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_stopping_the_server_during_a_drawing_stops_the_renderer(signal_name: str) -> None:
    import threading

    from test_render import (
        SLOW_FORMULA,
        process_is_gone,
        started_renderers,
        wait_until_gone,
    )

    process = serve_command("--expr", "x * w", "x=2", "w=-3")
    renderers: list[int] = []
    try:
        assert process.stdout is not None
        token = process.stdout.readline().split("token=")[1].strip()
        port = int(process.stdout.readline().split(":")[-1].strip("/\n"))

        def ask_for_the_slow_formula() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            body = json.dumps({"action": "formula", "expression": SLOW_FORMULA, "values": "x=1"})
            headers = {"Content-Type": "application/json", "X-Stepgrad-Token": token}
            try:
                connection.request("POST", "/control", body, headers)
                connection.getresponse().read()
            except OSError:
                pass  # the server stopped before it answered

        threading.Thread(target=ask_for_the_slow_formula, daemon=True).start()
        renderers = started_renderers(process.pid)
        process.send_signal(getattr(signal, signal_name))
        out, err = process.communicate(timeout=TIMEOUT)
        assert process.returncode == 0 and "Traceback" not in err
        wait_until_gone(renderers, f"the server ({signal_name})")
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
        for pid in renderers:
            if not process_is_gone(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("stopped", [False, True])
def test_a_drawing_that_fails_is_reported_unless_the_server_stopped_it(
    stopped: bool, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step's picture is drawn in the background. When the drawing fails the teacher
    reads why; when it fails because the server stopped (and killed the renderer), that
    is no news, and nothing is printed (a notebook's `with serve():` ends quietly)."""
    import threading

    drawing, failing = threading.Event(), threading.Event()

    def killed_renderer(source: str, what: str) -> bytes:
        drawing.set()
        failing.wait(TIMEOUT)
        raise RuntimeError("graphviz-pure could not render the drawing (exit status -9)")

    room = Classroom("x * w", "x=2 w=-3")
    painter = room.lesson.painter
    monkeypatch.setattr(painter, "draw_now", killed_renderer)
    printed = ""
    try:
        room.next()  # the step's picture is asked of the painter's thread
        assert drawing.wait(TIMEOUT)
        if stopped:
            room.close()
        failing.set()
        if stopped:
            assert painter._thread is not None
            painter._thread.join(TIMEOUT)  # it ends after the failed drawing
        deadline = time.monotonic() + TIMEOUT
        while not stopped and "not redrawn" not in printed and time.monotonic() < deadline:
            time.sleep(0.05)
            printed += capsys.readouterr().err
    finally:
        room.close()
    printed += capsys.readouterr().err
    assert ("not redrawn" in printed) == (not stopped), printed


def test_the_command_answers_to_a_name_given_with_allow_host() -> None:
    process = serve_command("--allow-host", "Classroom.School.Example")
    try:
        assert process.stdout is not None
        process.stdout.readline()
        port = int(process.stdout.readline().split(":")[-1].strip("/\n"))
        for name, status in (("classroom.school.example", 200), ("other.example", 400)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            connection.request("GET", "/state", headers={"Host": f"{name}:{port}"})
            assert connection.getresponse().status == status
            connection.close()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
