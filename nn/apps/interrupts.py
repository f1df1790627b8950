"""Ctrl-C in the `stepgrad` command: one line and exit status 130 (ignored once it is done).

Python turns Ctrl-C (the signal SIGINT) into a KeyboardInterrupt exception,
raised wherever the program happens to be. Most of the time that is what we
want: the exception unwinds the run, the output folder is cleaned up on the
way (see `runfolder.py`), and `cli.main()` prints one line and returns 130.
Two moments need more care, and `catch_ctrl_c()` handles them:

- **during an import.** The command imports its modules as it goes (the
  plots import matplotlib, which takes a second). An exception raised in
  the middle of a module's import can leave an extension module half set
  up; once that ended in "Fatal Python error". So Ctrl-C during an import
  exits at once, with the same line and status, after the `cleanups`
  (removing a half-written output folder) have run.
- **after the command is done** (`finished()`): while Python shuts down there
  is nothing left to catch the exception, and late in the shutdown Python
  puts back the default handler (which kills the process without a word).
  So after `finished()` Ctrl-C exits at once, and from `shutting_down()` on
  (the last thing the command does) it is ignored: the command's own status
  stands, its work done and its files in place. (Python leaves an ignored
  signal ignored while it shuts down.)

This module imports nothing of stepgrad, so that the command can install it
before it imports anything else (see `nn/__main__.py`).
"""

import os
import signal
import sys

TYPE_CHECKING = False  # no typing import at run time: this runs first (see above)
if TYPE_CHECKING:
    from types import FrameType
    from typing import Callable

INTERRUPTED = 130  # Ctrl-C, as a shell reports it (128 + SIGINT)

# What to undo before exiting at once (an output folder registers its
# staging folder and lock here while it exists); each runs once.
cleanups: "list[Callable[[], None]]" = []

_command = ["stepgrad"]  # the name in the line: "stepgrad train" once it is known
_done = [False]


def catch_ctrl_c() -> None:
    """From now on, Ctrl-C ends the command with one line and status 130."""
    signal.signal(signal.SIGINT, _on_ctrl_c)


def name_command(name: str) -> None:
    """The command the line names, e.g. "stepgrad train"."""
    _command[0] = name


def finished() -> None:
    """The command is done: from now on Ctrl-C exits at once."""
    _done[0] = True


def shutting_down() -> None:
    """Python is about to shut down: from now on Ctrl-C is ignored (see above)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def interrupted_line() -> str:
    """The one line Ctrl-C prints (on a terminal, over the ^C it echoed)."""
    start = "\r" if sys.stderr.isatty() else ""
    return f"{start}{_command[0]}: interrupted (Ctrl-C)\n"


def exit_interrupted() -> None:
    """Print the line, run the cleanups, exit with status 130: now, raising nothing."""
    try:
        sys.stdout.flush()  # what the command printed so far (os._exit would drop it)
    except Exception:
        pass  # e.g. Ctrl-C came in the middle of a print to stdout: its rest is lost
    try:
        # os.write, not print: Ctrl-C may have come in the middle of a print.
        os.write(2, interrupted_line().encode("utf-8", "replace"))
    except OSError:
        pass  # no stderr: exit anyway
    while cleanups:
        try:
            cleanups.pop()()
        except Exception:
            pass  # clean up what can be; the next run removes the rest
    os._exit(INTERRUPTED)


def _on_ctrl_c(signal_number: int, frame: "FrameType | None") -> None:
    """The SIGINT handler: raise KeyboardInterrupt, or exit at once (see above)."""
    if _done[0] or _inside_an_import(frame):
        exit_interrupted()
    raise KeyboardInterrupt


def _inside_an_import(frame: "FrameType | None") -> bool:
    """Is a module being imported? (Python's import system runs in these frames.)"""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False
