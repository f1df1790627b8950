"""Writing and reading files safely.

**Writing.** Every file stepgrad writes for you (drawings, GIFs, plots, saved
models) goes through `write_atomic`, so a file is either the old one or the
complete new one, never half:

1. write the bytes to a temporary file in the same folder as the target,
2. flush them to disk (fsync),
3. rename the temporary file over the target in one step (`os.replace`).

If anything fails on the way (a full disk, Ctrl-C), the temporary file is
removed and whatever was at the target before is untouched. A symbolic link
at the target is followed, as `open()`, `torch.save` and `numpy.save` do:
the file it points to gets the new content and the link stays a link. A
folder, a named pipe (FIFO), a device or a socket at the target is refused.

`check_writable(path)` raises what writing would raise, without writing: a
program that works long before it saves can check its paths first.

A process killed on the way (SIGKILL, a power cut) cannot clean up: its
temporary file `.NAME.PID.RANDOM.tmp` stays beside the target. The next
write of the same target removes such files of processes that are no longer
running (on POSIX systems, where that can be asked).

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = write_atomic(os.path.join(folder, "note.txt"), b"hello")
>>> open(path).read(), os.listdir(folder)
('hello', ['note.txt'])

**Reading.** `read_file(path, max_bytes)` reads a whole file that the user
named, but only a regular file of at most `max_bytes`: a folder, a FIFO (which
would wait forever for a writer) or a device (`/dev/zero` never ends) is
refused before anything is read.

>>> read_file(path, max_bytes=100)
b'hello'
>>> read_file(path, max_bytes=3)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: ...note.txt is 5 bytes, but this file may have at most 3 bytes
"""

from __future__ import annotations

import errno
import io
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Sequence, Union

from engine.checks import check_number

PathLike = Union[str, "os.PathLike[str]"]


class SpecialFileError(OSError):
    """The path names a FIFO, a device or a socket where a regular file is needed."""


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _check_regular(name: str, mode: int, doing: str) -> None:
    """Raise IsADirectoryError or SpecialFileError unless `mode` is a regular file's."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(
            errno.EISDIR, f"cannot {doing} {name}: it is a folder; give the name of a file"
        )
    if not stat.S_ISREG(mode):
        raise SpecialFileError(
            f"cannot {doing} {name}: it is {_kind(mode)}, not a regular file; "
            "give the name of a regular file"
        )


def _reason(error: OSError) -> str:
    """What went wrong, in words: the system's text (`strerror`), else the message."""
    return error.strerror or str(error)


def write_atomic(path: PathLike, content: bytes) -> Path:
    """Write `content` to `path` all at once (see the module docstring); return the path.

    A new file gets the permissions `open(path, "w")` would give it (mode
    0o666 less the user's umask, so usually 0o644); a replaced file keeps its own.

    Errors (all OSError, naming `path`): FileNotFoundError when its folder
    does not exist, NotADirectoryError when that "folder" is a file,
    IsADirectoryError when `path` is a folder, `SpecialFileError` when it is
    a FIFO, a device or a socket, and the system's error otherwise (no
    permission, a full disk, a loop of symbolic links).
    """
    target, name, existing = _writable_target(path)
    _remove_stale_temporaries(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    try:
        # Like open(), ask for mode 0o666 and let the kernel remove the umask's
        # bits. (tempfile.mkstemp would make a private 0o600 file, and reading
        # the umask with os.umask() changes it for every thread for a moment.)
        # O_EXCL: fail rather than write into a file that is already there;
        # O_BINARY (Windows only): no newline translation.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        handle = os.open(temporary, flags, 0o666)
    except OSError as error:  # name the file the user asked for, not our temporary one
        raise OSError(error.errno, f"cannot write {name}: {_reason(error)}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if existing is not None:  # keep the mode of the file we replace
            os.chmod(temporary, stat.S_IMODE(existing.st_mode))
        os.replace(temporary, target)
    except BaseException as error:  # a full disk, Ctrl-C, ...: the old file stays
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError):  # e.g. ENOSPC names no file: name the target
            raise OSError(error.errno, f"cannot write {name}: {_reason(error)}") from None
        raise
    return Path(path)


def check_writable(path: PathLike) -> None:
    """Raise the error `write_atomic(path, ...)` would raise before writing, if any.

    For a program that works a long time before it writes (training, then
    saving): it can check its output paths first. The permission to create
    files in the folder is checked too (os.access), so that a read-only
    folder is found before the work, not after.
    """
    target, name, _ = _writable_target(path)
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise PermissionError(
            errno.EACCES, f"cannot write {name}: no permission to write in {target.parent}"
        )


def _writable_target(path: PathLike) -> tuple[Path, str, os.stat_result | None]:
    """The file that writing `path` changes (a link followed), its name for
    errors, and its stat (None if it is new). Raises the errors of `write_atomic`."""
    given = Path(path)
    target = Path(os.path.realpath(given))  # through any symbolic links
    name = f"{given} (a link to {target})" if given.is_symlink() else str(given)
    try:
        existing: os.stat_result | None = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):  # explained below
        existing = None
    except OSError as error:  # e.g. a loop of symbolic links
        raise OSError(error.errno, f"cannot write {name}: {_reason(error)}") from None
    if existing is not None:
        _check_regular(name, existing.st_mode, "write")
    elif target.parent.exists() and not target.parent.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, f"cannot write {name}: {target.parent} is a file, not a folder"
        )
    elif not target.parent.is_dir():
        folder = (target if given.is_symlink() else given).parent
        raise FileNotFoundError(
            errno.ENOENT, f"cannot write {name}: there is no folder {folder}; create it first"
        )
    return target, name, existing


def _remove_stale_temporaries(target: Path) -> None:
    """Remove the temporary files that killed writers of `target` left behind.

    Only files named like ours for this very target, and only those whose
    process is gone: a temporary file of a writer still running is its own.
    """
    if os.name != "posix":  # elsewhere os.kill(pid, 0) does not just ask
        return
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[0-9a-f]{16}\.tmp")
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return  # writing will fail with a clear error, or work without the cleanup
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None or process_exists(int(match.group(1))):
            continue
        try:
            os.remove(entry.path)
        except OSError:
            pass  # gone already, or not ours to remove: writing goes on


def process_exists(pid: int) -> bool:
    """Is there a process with this id? (Signal 0 checks without sending anything.)

    Used to tell a killed writer's leftovers from a running writer's files.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # someone else's process, or a number we cannot ask about: keep it
    return True


def read_file(path: PathLike, max_bytes: int, what: str = "this file") -> bytes:
    """The bytes of the regular file at `path`, if it has at most `max_bytes`.

    `what` names the kind of file in the error for a file too large.

    Errors: FileNotFoundError (no such file), IsADirectoryError (a folder),
    `SpecialFileError` (a FIFO, a device or a socket: refused without
    waiting or reading), ValueError (larger than `max_bytes`), all naming
    `path`; the system's OSError otherwise (e.g. no permission).
    """
    name = str(path)
    try:
        _check_regular(name, os.stat(path).st_mode, "read")
        # O_NONBLOCK: if a FIFO took the file's place since the check, open()
        # returns at once instead of waiting for a writer; fstat() refuses it.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(
            errno.ENOENT, f"cannot read {name}: there is no such file"
        ) from None
    except (IsADirectoryError, SpecialFileError):
        raise
    except OSError as error:
        raise OSError(error.errno, f"cannot read {name}: {_reason(error)}") from None
    with os.fdopen(handle, "rb") as file:
        size = os.fstat(handle)
        _check_regular(name, size.st_mode, "read")
        if size.st_size > max_bytes:
            raise ValueError(_too_large(name, size.st_size, max_bytes, what))
        try:
            content = file.read(max_bytes + 1)  # + 1: a file that grows since fstat
        except OSError as error:  # e.g. EIO from a failing disk names no file
            raise OSError(error.errno, f"cannot read {name}: {_reason(error)}") from None
    if len(content) > max_bytes:
        raise ValueError(_too_large(name, len(content), max_bytes, what))
    return content


def _too_large(name: str, size: int, max_bytes: int, what: str) -> str:
    return f"{name} is {size:,} bytes, but {what} may have at most {max_bytes:,} bytes"


def write_gif(
    path: PathLike, frames: Sequence[bytes], seconds_per_frame: float, max_width: int = 1600
) -> Path:
    """Write PNG pictures as the frames of a looping animated GIF (atomically).

    Frames of different sizes are placed on a white canvas as large as the
    largest, top-left, so that nothing is cut off or stretched. Frames wider
    than `max_width` pixels are scaled down (a slide is not wider, and big
    GIFs take long to write).
    """
    from PIL import Image  # Pillow comes with matplotlib

    check_animation(path, seconds_per_frame)
    if not frames:
        raise ValueError("an animation needs at least one frame")
    pictures = [Image.open(io.BytesIO(png)).convert("RGB") for png in frames]
    width = max(picture.width for picture in pictures)
    height = max(picture.height for picture in pictures)
    scale = min(1.0, max_width / width)
    canvases = []
    for picture in pictures:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(picture, (0, 0))
        if scale < 1.0:
            canvas = canvas.resize((round(width * scale), round(height * scale)))
        canvases.append(canvas)
    buffer = io.BytesIO()
    canvases[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=canvases[1:],
        duration=round(seconds_per_frame * 1000),
        loop=0,
    )
    return write_atomic(path, buffer.getvalue())


def check_animation(path: PathLike, seconds_per_frame: float) -> None:
    """Raise what `write_gif` raises for its path and speed, before any frame is made.

    >>> check_animation("steps.png", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: an animation is written as a .gif file, not 'steps.png'
    """
    if Path(path).suffix.lower() != ".gif":
        raise ValueError(f"an animation is written as a .gif file, not {str(path)!r}")
    check_number("seconds_per_frame", seconds_per_frame, above=0.0)
