"""What goes from the lesson to the pages: versioned views, pictures, and refusals.

The lesson (`nn/apps/classroom/state.py`) publishes two JSON views after every
change, one for the teacher and one for the students. The `Broadcaster`
keeps only the latest of each, with a version number; every open page's
event stream waits for the version to pass the one it sent last, then sends
the latest view. A page that falls behind skips straight to the newest
state: nobody needs the steps in between, only where the class is now.

>>> broadcaster = Broadcaster()
>>> broadcaster.publish(b'{"teacher": true}', b'{"teacher": false}')
>>> broadcaster.wait(0, teacher=False, timeout=1.0)
(1, b'{"teacher": false}')
>>> broadcaster.wait(1, teacher=False, timeout=0.01) is None  # nothing newer yet
True

Pictures travel apart from the views: a view names a picture by its version
(`/graph.svg?v=3`), so a change that leaves the drawing alone (a quiz answer
counted) sends a few hundred bytes, not a drawing. The graph is drawn by a
`GraphPainter`, outside the lesson's lock: a step reaches the pages at once,
and its picture follows when the renderer is done.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Callable

from nn.apps.arguments import error_lines


class ControlError(ValueError):
    """A request that cannot be done now, e.g. Back before any step (HTTP 409)."""


class BadRequest(ControlError):
    """A request that is wrong in itself: a bad formula, an unknown action (HTTP 400)."""


class Broadcaster:
    """The latest view for each role, with a version number pages wait on."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.version = 0
        self._views: dict[bool, bytes] = {True: b"{}", False: b"{}"}
        self.closed = False
        self._listeners: list[Callable[[], None]] = []

    def publish(self, teacher_view: bytes, student_view: bytes) -> None:
        with self._changed:
            self.version += 1
            self._views = {True: teacher_view, False: student_view}
            self._changed.notify_all()
        self._tell_listeners()

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every publish (and at close), from the publishing thread."""
        with self._changed:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[], None]) -> None:
        with self._changed:
            self._listeners.remove(listener)

    def _tell_listeners(self) -> None:
        with self._changed:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def latest(self, teacher: bool) -> tuple[int, bytes]:
        with self._changed:
            return self.version, self._views[teacher]

    def wait(self, seen: int, teacher: bool, timeout: float) -> tuple[int, bytes] | None:
        """The view once its version passes `seen`; None on timeout or when closed."""
        with self._changed:
            self._changed.wait_for(lambda: self.version > seen or self.closed, timeout)
            if self.closed or self.version <= seen:
                return None
            return self.version, self._views[teacher]

    def close(self) -> None:
        """Wake every waiting page for the last time: the server is stopping."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        self._tell_listeners()


@dataclass
class Picture:
    """The latest bytes of one picture and the version that names them."""

    content_type: str
    data: bytes = b""
    version: int = 0

    def replace(self, data: bytes) -> None:
        self.data = data
        self.version += 1


@dataclass
class GraphPainter:
    """Draws the lesson's graph in a thread of its own: the latest drawing asked for wins.

    The lesson builds the DOT text under its lock (quick) and hands it to
    `paint()`; the renderer (seconds, for a big graph) runs here, outside the
    lock, in a child process with a time budget. When it is done, the picture
    is replaced and the lesson publishes, unless a newer drawing was asked
    for meanwhile. A drawing that fails keeps the previous picture and says
    why on stderr, in one message folded at 80 columns.
    """

    picture: Picture
    lock: threading.RLock  # the lesson's
    publish: Callable[[], None]
    seconds: float  # the time budget of one drawing
    _wanted: int = 0  # the number of the latest drawing asked for
    _pending: tuple[int, str, str] | None = None
    _thread: threading.Thread | None = None  # started at the first paint(), kept
    _closed: bool = False
    _guard: threading.Condition = field(default_factory=threading.Condition)

    def draw_now(self, source: str, what: str) -> bytes:
        """Render DOT `source` here and now, within the budget (TooBigToDraw if not)."""
        from engine.views.render import render_dot

        return render_dot(source, "svg", timeout=self.seconds, what=what)

    def replace(self, svg: bytes) -> None:
        """Show `svg` now (caller holds the lesson's lock); drawings asked for before are dropped."""
        with self._guard:
            self._wanted += 1
            self._pending = None
        self.picture.replace(svg)

    def paint(self, source: str, what: str) -> None:
        """Draw DOT `source` in the background; the pages get it when it is done."""
        with self._guard:
            self._wanted += 1
            self._pending = (self._wanted, source, what)
            self._guard.notify()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="stepgrad-painter", daemon=True
                )
                self._thread.start()

    def close(self) -> None:
        """Let the painter's thread end (a drawing under way finishes first)."""
        with self._guard:
            self._closed = True
            self._guard.notify()

    def _work(self) -> None:
        while True:
            with self._guard:
                self._guard.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed or self._pending is None:
                    return
                number, source, what = self._pending
                self._pending = None
            try:
                svg = self.draw_now(source, what)
            except (RuntimeError, ValueError, OSError) as error:
                with self._guard:
                    if self._closed:  # the server stopped, and stopped the renderer with it
                        return
                line = f"stepgrad serve: the graph is not redrawn: {error}"
                print(error_lines(line), file=sys.stderr)
                continue
            with self.lock:
                with self._guard:
                    latest = number == self._wanted
                if latest:
                    self.picture.replace(svg)
                    self.publish()
