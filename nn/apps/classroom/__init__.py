"""The live classroom: one web page that a projector and thirty laptops show at once.

`serve()` starts a small web server in the background and returns a
`Classroom`, which holds two links: the teacher's (it carries a secret token
and has the buttons) and the students' (read-only, plus quiz answers). Your
own Python code decides what the class sees:

>>> from engine import Value
>>> with serve() as room:                          # doctest: +ELLIPSIS
...     room.teacher_url, room.student_url
...     x, w = Value(2.0, label="x"), Value(-3.0, label="w")
...     room.show((x * w).tanh())                  # the graph, on every page
...     room.next()                                # one step of backprop, for everyone
...     room.position
('http://127.0.0.1:...?token=...', 'http://127.0.0.1:.../')
1

and `room.step(stepper)` follows a `Stepper`, `room.quiz()` asks the class
about the next step, and `room.fit(model, X, y, ...)` trains while every page
watches the decision boundary and the loss curve. `stepgrad serve` on the
command line does the same and waits for Ctrl-C.

The server keeps everything in memory and writes nothing to disk. The
teacher's token is new each start unless you give one (`token=...`, or
`stepgrad serve --token-file`), so that the teacher's link outlives a restart.
It listens on 127.0.0.1 (this computer only) unless you ask for another host,
and answers only to the names it was started for (see `limits.py`): a name
of your own, e.g. the one a school's DNS gives this computer, goes in
`hosts=("classroom.school.example",)`.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from engine.views.render import stop_renderers
from nn.apps.classroom.limits import Limits
from nn.apps.classroom.push import ControlError
from nn.apps.classroom.server import ClassroomServer
from nn.apps.classroom.state import Lesson
from nn.apps.classroom.tokens import check_token, new_token

if TYPE_CHECKING:
    from engine.value import Value
    from engine.views.stepper import Stepper
    from nn.module import Module
    from nn.train import History

__all__ = ["Classroom", "ControlError", "Limits", "check_token", "serve"]

class Classroom:
    """A running classroom server; `close()` stops it (or use `with`)."""

    def __init__(
        self,
        expression: str | None = None,
        values: Mapping[str, float] | str = "",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        token: str | None = None,
        hosts: Iterable[str] = (),
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port={port!r} must be a whole number from 0 (any free port) to 65535")
        limits = limits or Limits()
        self.lesson = Lesson(render_seconds=limits.render_seconds)
        if expression is not None:
            self.lesson.show_formula(expression, values)
        self._token = check_token(token) if token is not None else new_token()
        self._server = ClassroomServer((host, port), self.lesson, self._token, limits, hosts)
        self.host = host
        self.port: int = self._server.server_address[1]
        self.closed = False
        self.lesson.invite(self.student_url)

    # ------------------------------------------------------------------ the links

    @property
    def teacher_url(self) -> str:
        """The teacher's link: it holds the token, so keep it off the projector's URL bar."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/?token={self._token}"

    @property
    def presenter_url(self) -> str:
        """The teacher's link for a private screen: it shows quiz answers before Reveal
        (the teacher's page, on the projector, shows only how many answered)."""
        return f"{self.teacher_url}&presenter"

    @property
    def student_url(self) -> str:
        """The students' link: read-only (they can answer quiz questions)."""
        host = network_address() if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}/"

    # ------------------------------------------------------------------ what the class sees

    def show(self, value: Value) -> None:
        """Show `value`'s graph on every page. Next then runs backprop on it from
        zero grads (the grads of an earlier `backward()` are cleared first)."""
        self.lesson.show_value(value)

    def step(self, stepper: Stepper) -> None:
        """Show `stepper` where it is now; the page's Next/Back move it from there.
        Call again after moving it yourself (`stepper.next()`), to show the new place."""
        self.lesson.follow_stepper(stepper)

    def formula(self, expression: str, values: Mapping[str, float] | str) -> None:
        """Show the graph of a formula, as the page's formula box does.

        `values` is a dict `{"x": 2.0}` or text `"x=2 w=-3"`.
        """
        self.lesson.show_formula(expression, values)

    def next(self) -> None:
        """Take one step of backprop for everyone (the Next button)."""
        self.lesson.next()

    def back(self) -> None:
        """Undo the last step (the Back button)."""
        self.lesson.back()

    def run(self) -> None:
        """Take every remaining step (the Run button)."""
        self.lesson.run()

    def reset(self) -> None:
        """Undo every step (the Reset button)."""
        self.lesson.reset()

    def quiz(self) -> None:
        """Ask the class for the grad that the next step will produce."""
        self.lesson.start_quiz()

    def reveal(self) -> None:
        """End the question: take the step for everyone and show the answer."""
        self.lesson.reveal()

    @property
    def position(self) -> int:
        """How many steps of backprop the class has seen."""
        stepper = self.lesson.stepper
        return stepper.position if stepper is not None else 0

    @property
    def quiz_results(self) -> dict[str, Any] | None:
        """The open (or last) question as the teacher sees it privately: answered,
        right, the spread and the answer (the projected page shows only the count)."""
        return self.lesson.peek()

    # ------------------------------------------------------------------ training

    def training_callback(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[int],
        steps: int | None = None,
        title: str = "",
    ) -> Callable[[int, History], bool | None]:
        """A `fit(..., callback=...)` that streams the run to every page.

        The pages draw the loss and accuracy curves from numbers sent several
        times a second, and (for 2 features) the decision boundary, sent at
        least twice a second while it takes little of the run's time. The
        teacher's Pause holds the training loop inside the callback until
        Resume, at the step the pages show; Stop ends it (the callback returns
        True). Give `steps` to show "step 40 of 100".
        """
        return self.lesson.training.callback(model, X, y, steps=steps, title=title)

    def fit(
        self,
        model: Module,
        X: Sequence[Sequence[float]],
        y: Sequence[int],
        *,
        callback: Callable[[int, History], bool | None] | None = None,
        title: str = "",
        **options: Any,
    ) -> History:
        """`nn.fit(model, X, y, **options)`, streamed to every page; returns the History."""
        from nn.train import fit

        stream = self.training_callback(model, X, y, steps=options.get("steps", 100), title=title)

        def both(step: int, history: History) -> bool | None:
            stop = stream(step, history)
            return True if stop else (callback(step, history) if callback else None)

        try:
            history = fit(model, X, y, callback=both, **options)
        except BaseException as error:
            self.lesson.training.ended(f"training failed: {error}")
            raise
        self.lesson.training.ended()
        return history

    # ------------------------------------------------------------------ stopping

    def close(self) -> None:
        """Stop the server: every page's stream ends, a paused training is let go."""
        if self.closed:
            return
        self.closed = True
        self.lesson.close()
        self._server.close()
        stop_renderers()  # a drawing still running is no longer wanted

    def __enter__(self) -> Classroom:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        if self.closed:
            return "Classroom(closed)"
        return f"Classroom(teacher={self.teacher_url}, students={self.student_url})"

    def _repr_html_(self) -> str:
        """In Jupyter: the two links, ready to click."""
        if self.closed:
            return "<p>Classroom (closed)</p>"
        return (
            f'<p>Teacher: <a href="{self.teacher_url}" target="_blank">{self.teacher_url}</a><br>'
            f'Students: <a href="{self.student_url}" target="_blank">{self.student_url}</a></p>'
        )


def serve(
    expression: str | None = None,
    values: Mapping[str, float] | str = "",
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    limits: Limits | None = None,
    token: str | None = None,
    hosts: Iterable[str] = (),
) -> Classroom:
    """Start a classroom server in the background; returns the running `Classroom`.

    `expression` and `values` put a formula on the page to start with, e.g.
    `serve("tanh(x*w + b)", "x=2 w=-3 b=6.88")`. `port=0` picks a free port.
    `token` keeps the teacher's link the same across restarts (default: a new
    random one each start). `hosts` adds names the server answers to (besides
    its addresses and `localhost`).
    """
    return Classroom(
        expression, values, host=host, port=port, limits=limits, token=token, hosts=hosts
    )


def network_address() -> str:
    """This computer's address on the local network (what students type), or 127.0.0.1.

    Opening a UDP socket towards a private address sends nothing; it only
    makes the system pick the interface it would use.
    """
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        address = str(probe.getsockname()[0])
    except OSError:
        address = "127.0.0.1"
    finally:
        probe.close()
    return address
