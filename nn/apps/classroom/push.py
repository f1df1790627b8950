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
(`/graph.svg?v=3`, or `/graph.svg?v=3&layout=tall` for a phone held
upright), so a change that leaves the drawing alone (a quiz answer counted)
sends a few hundred bytes, not a drawing. The graph is drawn by a
`GraphPainter`, outside the lesson's lock: a step reaches the pages at once,
and its picture follows when the renderer is done.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
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
    """The latest drawing in each layout, and the version that names them.

    The layouts are the lesson's (`LAYOUTS` in nn/apps/classroom/state.py).
    """

    content_type: str
    layouts: dict[str, bytes] = field(default_factory=dict)
    version: int = 0

    def replace(self, layouts: dict[str, bytes]) -> None:
        self.layouts = layouts
        self.version += 1


# The drawings a painter keeps, in bytes: Back, Reset and a step taken again
# show a drawing made before, without laying it out again.
DRAWINGS_KEPT_BYTES = 16 * 1024 * 1024


@dataclass
class GraphPainter:
    """Draws the lesson's graph in a thread of its own: the latest drawing asked for wins.

    The lesson builds the DOT text of each layout under its lock (quick) and
    hands it to `paint()`; the renderer (seconds, for a big graph) runs
    here, outside the lock, in a child process with a time budget per
    layout. When it is done, the picture is replaced and the lesson
    publishes, unless a newer drawing was asked for meanwhile, or the
    drawing is the one shown already (Reset before any step, Run when
    backprop is finished). A
    drawing that fails keeps the previous picture and says why on stderr,
    in one message folded at 80 columns.

    Each DOT text is laid out once: the SVG is kept (the latest ones, up to
    `DRAWINGS_KEPT_BYTES`), so stepping back and forth costs no renderer.
    A step changes the numbers in the boxes, and with them the boxes'
    widths, so each new step is a new layout.
    """

    picture: Picture
    lock: threading.RLock  # the lesson's
    publish: Callable[[], None]
    seconds: float  # the time budget of one drawing
    _wanted: int = 0  # the number of the latest drawing asked for
    _finished: int = 0  # the number of the latest drawing done with (shown, dropped or failed)
    _pending: tuple[int, dict[str, str], str] | None = None
    _shown: dict[str, str] = field(default_factory=dict)  # the DOT texts of the picture
    _thread: threading.Thread | None = None  # started at the first paint(), kept
    _closed: bool = False
    _guard: threading.Condition = field(default_factory=threading.Condition)
    _kept: OrderedDict[str, bytes] = field(default_factory=OrderedDict)  # DOT text -> SVG
    _kept_lock: threading.Lock = field(default_factory=threading.Lock)

    def draw_now(self, sources: dict[str, str], what: str) -> dict[str, bytes]:
        """Render each layout's DOT text here and now, each within the budget.

        Too slow (TooBigToDraw, a ValueError) for any layout: nothing is drawn.
        """
        return {layout: self._render(source, what) for layout, source in sources.items()}

    def _render(self, source: str, what: str) -> bytes:
        from engine.views.render import render_dot

        with self._kept_lock:
            if source in self._kept:
                self._kept.move_to_end(source)
                return self._kept[source]
        svg = render_dot(source, "svg", timeout=self.seconds, what=what)
        with self._kept_lock:
            self._kept[source] = svg
            kept = sum(len(drawing) for drawing in self._kept.values())
            while kept > DRAWINGS_KEPT_BYTES and len(self._kept) > 1:
                kept -= len(self._kept.popitem(last=False)[1])
        return svg

    def replace(self, sources: dict[str, str], svgs: dict[str, bytes]) -> None:
        """Show `svgs`, drawn from `sources`, now (caller holds the lesson's lock).

        Drawings asked for before are dropped.
        """
        with self._guard:
            self._wanted += 1
            self._finished = self._wanted
            self._pending = None
            self._shown = sources
            self._guard.notify_all()
        self.picture.replace(svgs)

    def paint(self, sources: dict[str, str], what: str) -> None:
        """Draw each layout's DOT text in the background; the pages get it when it is done."""
        with self._guard:
            self._wanted += 1
            self._pending = (self._wanted, sources, what)
            self._guard.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="stepgrad-painter", daemon=True
                )
                self._thread.start()

    def wait_until_done(self, timeout: float) -> bool:
        """Wait until every drawing asked for is on the pages or dropped (False: timed out)."""
        with self._guard:
            return self._guard.wait_for(lambda: self._finished == self._wanted, timeout)

    def close(self) -> None:
        """Let the painter's thread end (a drawing under way finishes first)."""
        with self._guard:
            self._closed = True
            self._guard.notify_all()

    def _work(self) -> None:
        while True:
            with self._guard:
                self._guard.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed or self._pending is None:
                    return
                number, sources, what = self._pending
                self._pending = None
                new = sources != self._shown  # else it is on the pages already
            if new:
                self._draw(number, sources, what)
            with self._guard:
                self._finished = max(self._finished, number)
                self._guard.notify_all()

    def _draw(self, number: int, sources: dict[str, str], what: str) -> None:
        try:
            svgs = self.draw_now(sources, what)
        except (RuntimeError, ValueError, OSError) as error:
            with self._guard:
                if self._closed:  # the server stopped, and stopped the renderer with it
                    return
            line = f"stepgrad serve: the graph is not redrawn: {error}"
            print(error_lines(line), file=sys.stderr)
            return
        with self.lock:
            with self._guard:
                latest = number == self._wanted
                if latest:
                    self._shown = sources
            if latest:
                self.picture.replace(svgs)
                self.publish()
