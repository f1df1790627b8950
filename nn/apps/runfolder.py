"""The output folder of `stepgrad demo` and `stepgrad train`: a run's files as a set.

A run writes several files (a model, its plots). Either all of them come from
the same run, or none has changed: a run that fails or is stopped with Ctrl-C
on the way never leaves a new model beside the plots of an earlier run.

- `check_output_folder(folder, names, force)` refuses, before any training,
  a folder that cannot be written or that holds an earlier run's files
  (replaced only with --force).
- `OutputFolder` writes the files into a hidden staging folder beside their
  place, and `commit()` moves them into place together.

Two runs writing into the same folder at once would mix their files, so a
run holds a lock on its output folder from the start of `OutputFolder` to
the end of `commit()`, and a second run into the same folder is refused
with a message naming the first. The lock is the system's (flock): it ends
with its process, so a run killed with SIGKILL leaves no lock behind, only
a hidden `.stepgrad-lock` file that the next run takes over and removes.
(Where there is no flock, on Windows, runs are not locked.)

The mistakes found here are the user's (the --out argument), so they raise
the command's `CommandLineError` (exit status 2).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import sys
import threading
from pathlib import Path
from typing import Iterator, Sequence

from engine.files import process_exists
from nn.apps import interrupts
from nn.apps.arguments import CommandLineError

if sys.platform != "win32":  # Windows has no flock: runs are not locked there
    import fcntl

# The hidden folder a run writes into: .stepgrad-partial-PID-RANDOM
STAGING_PREFIX = ".stepgrad-partial-"

# The hidden file a run locks: .stepgrad-lock in an existing output folder,
# .stepgrad-lock-NAME beside a new one (in the nearest folder that exists).
LOCK_PREFIX = ".stepgrad-lock"


def check_output_folder(folder: Path, names: Sequence[str], force: bool) -> None:
    """Refuse, before any training, an output folder that cannot be written or
    that holds files of an earlier run (the `names` this command writes).

    A file of an earlier run is replaced only with --force, and only when
    the whole run is ready (see `OutputFolder`). A file that is a symbolic
    link is written through the link, to its target, which must be a regular
    file on the same disk (a file is put in place by renaming it).
    """
    where = f"--out {str(folder)!r}"
    existing = _nearest_existing(folder)
    if not existing.is_dir():
        what = "is a file" if existing == folder else f"is inside {str(existing)!r}, a file"
        raise CommandLineError(f"{where} {what}; give a folder name")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CommandLineError(
            f"{where}: cannot write into {str(existing)!r}; choose another folder with --out"
        )
    earlier = [name for name in names if (folder / name).exists()]
    for name in earlier:
        target = folder / name
        if target.is_dir():
            raise CommandLineError(
                f"{where}: {str(target)!r} is a folder, where this command writes a file; "
                "move it, or choose another folder with --out"
            )
        if not target.is_file():
            raise CommandLineError(
                f"{where}: {str(target)!r} is not a regular file (a pipe or a device?); "
                "move it, or choose another folder with --out"
            )
        if target.resolve().parent.stat().st_dev != folder.stat().st_dev:
            raise CommandLineError(
                f"{where}: {str(target)!r} links to {str(target.resolve())!r} on another "
                "disk, where a finished file cannot be moved in one step; remove the link "
                "or choose another folder with --out"
            )
    if earlier and not force:
        raise CommandLineError(
            f"{where} already holds {', '.join(earlier)} from an earlier run; "
            "choose another folder with --out, or add --force to replace them"
        )


class OutputFolder:
    """The files of one run, written to a hidden folder and put in place together.

        with OutputFolder(Path("run"), ["model.json", "loss.png"]) as output:
            save(model, output.path("model.json"))
            ...
            output.commit()

    The files are written into a hidden staging folder beside their final
    place (in the output folder if it exists, else in the nearest folder
    above it that does). `commit()` moves them into place: a new output
    folder appears whole, with one rename; in an existing folder, the
    earlier run's files among `names` are replaced, and those this run did
    not write are removed, while Ctrl-C waits for the few renames to end.
    A run that fails or is interrupted before `commit()` removes its staging
    folder and leaves the output folder as it was. (A staging folder left by
    a killed run is removed by the next run that writes there.) From its
    start to the end of `commit()` it holds the output folder's `FolderLock`,
    so that a second run into the same folder is refused meanwhile.
    """

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.folder = folder
        self.names = tuple(names)
        home = _nearest_existing(folder)
        self.lock = FolderLock(folder, home)  # first: refuse a second run at once
        _remove_stale_staging(home)
        # os.mkdir with 0o777 applies the umask, as `mkdir` does (tempfile.mkdtemp
        # would make it 0o700, and the new output folder private with it).
        self.staging = home / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(8)}"
        try:
            os.mkdir(self.staging, 0o777)
        except OSError as error:
            self.lock.release()
            raise CommandLineError(
                f"--out {str(folder)!r}: cannot write into {str(home)!r} "
                f"({error.strerror}); choose another folder with --out"
            ) from None
        self.committed = False
        interrupts.cleanups.append(self._clean_up)  # if Ctrl-C must exit at once

    def _clean_up(self) -> None:
        """Remove the staging folder (unless committed) and end the lock."""
        if not self.committed:
            shutil.rmtree(self.staging, ignore_errors=True)
        self.lock.release()

    def path(self, name: str) -> Path:
        """Where to write the file `name` during the run."""
        return self.staging / name

    def commit(self) -> None:
        """Put every file of this run in place, as a set."""
        with _ctrl_c_deferred():
            if not self.folder.exists():
                self.folder.parent.mkdir(parents=True, exist_ok=True)
                os.rename(self.staging, self.folder)
            else:
                for name in self.names:
                    if self.path(name).exists():  # through a symbolic link, to its target
                        os.replace(self.path(name), (self.folder / name).resolve())
                    else:  # an earlier run's file that this run does not make
                        (self.folder / name).unlink(missing_ok=True)
                self.staging.rmdir()
            self.committed = True
            self.lock.release()  # the set is in place: another run may write now

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        self._clean_up()
        if self._clean_up in interrupts.cleanups:
            interrupts.cleanups.remove(self._clean_up)
        # An error writing a file names the hidden staging folder: name the
        # file the user asked for (a full disk: "cannot write run/loss.png").
        if isinstance(error, OSError) and str(self.staging) in str(error.strerror):
            where = str(error.strerror).replace(str(self.staging), str(self.folder))
            raise OSError(error.errno, f"{where} (the run's files were not written)") from None


class FolderLock:
    """A lock on the output folder `folder`, held by this process until `release()`.

    The lock file is `.stepgrad-lock` in `folder` if it exists, else
    `.stepgrad-lock-NAME` in `home`, the nearest folder above it that does
    (NAME is the rest of the path, with "-" between its parts). Raises
    CommandLineError if another process holds it.
    """

    def __init__(self, folder: Path, home: Path) -> None:
        absolute, home = Path(os.path.abspath(folder)), Path(os.path.abspath(home))
        rest = "-".join(absolute.relative_to(home).parts)
        self.path = home / (f"{LOCK_PREFIX}-{rest}" if rest else LOCK_PREFIX)
        self.handle: int | None = None
        if sys.platform == "win32":
            return
        while self.handle is None:
            handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(handle, 20).decode("ascii", "replace").strip()
                os.close(handle)
                process = f"process {holder}" if holder.isdigit() else "another process"
                raise CommandLineError(
                    f"--out {str(folder)!r}: another stepgrad run ({process}) is writing "
                    "into this folder; wait for it to end, or choose another folder with --out"
                ) from None
            # Locked, but maybe a file that the run before removed when it
            # ended, while we were opening it: then lock the new one instead.
            if _same_file(handle, self.path):
                os.ftruncate(handle, 0)
                os.write(handle, f"{os.getpid()}\n".encode("ascii"))  # for the message above
                self.handle = handle
            else:
                os.close(handle)

    def release(self) -> None:
        """Remove the lock file and end the lock (again: nothing)."""
        if self.handle is None:
            return
        self.path.unlink(missing_ok=True)  # before unlocking: see the check in __init__
        os.close(self.handle)  # closing ends the flock
        self.handle = None


def _same_file(handle: int, path: Path) -> bool:
    """Is the open file `handle` still the file at `path`?"""
    try:
        return os.path.samestat(os.fstat(handle), os.stat(path))
    except FileNotFoundError:
        return False


def _nearest_existing(folder: Path) -> Path:
    """`folder`, or the nearest folder above it that exists (where it will be made)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _remove_stale_staging(folder: Path) -> None:
    """Remove staging folders in `folder` whose run no longer exists (killed runs)."""
    if os.name != "posix":  # elsewhere os.kill(pid, 0) does not just ask
        return
    for entry in folder.glob(f"{STAGING_PREFIX}*"):
        pid_text = entry.name[len(STAGING_PREFIX) :].partition("-")[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        if not process_exists(int(pid_text)):
            shutil.rmtree(entry, ignore_errors=True)


@contextlib.contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """Run the block to its end even if Ctrl-C comes; raise KeyboardInterrupt after it."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt
