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
counted) sends a few hundred bytes, not a drawing.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


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

    def publish(self, teacher_view: bytes, student_view: bytes) -> None:
        with self._changed:
            self.version += 1
            self._views = {True: teacher_view, False: student_view}
            self._changed.notify_all()

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


@dataclass
class Picture:
    """The latest bytes of one picture and the version that names them."""

    content_type: str
    data: bytes = b""
    version: int = 0

    def replace(self, data: bytes) -> None:
        self.data = data
        self.version += 1
