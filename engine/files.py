"""Saving files safely: a file is either the old one or the complete new one, never half.

Every file stepgrad writes for you (drawings, GIFs, plots, saved models)
goes through `write_atomic`:

1. write the bytes to a temporary file in the same folder,
2. flush them to disk (fsync),
3. rename the temporary file over the target in one step (`os.replace`).

If anything fails on the way (a full disk, Ctrl-C), the temporary file is
removed and whatever was at the target before is untouched.

>>> import os, tempfile
>>> folder = tempfile.mkdtemp()
>>> path = write_atomic(os.path.join(folder, "note.txt"), b"hello")
>>> open(path).read(), os.listdir(folder)
('hello', ['note.txt'])
"""

from __future__ import annotations

import errno
import io
import os
import secrets
from pathlib import Path
from typing import Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]


def write_atomic(path: PathLike, content: bytes) -> Path:
    """Write `content` to `path` all at once (see the module docstring); return the path.

    A new file gets the permissions `open(path, "w")` would give it (mode
    0o666 less the user's umask, so usually 0o644); a replaced file keeps its own.
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write {target}: it is a folder; give the name of a file"
        )
    if target.parent.exists() and not target.parent.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"cannot write {target}: {target.parent} is a file, not a folder",
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot write {target}: there is no folder {target.parent}; create it first",
        )
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(8)}.tmp")
    try:
        # Like open(), ask for mode 0o666 and let the kernel remove the umask's
        # bits. (tempfile.mkstemp would make a private 0o600 file, and reading
        # the umask with os.umask() changes it for every thread for a moment.)
        # O_EXCL: fail rather than write into a file that is already there;
        # O_BINARY (Windows only): no newline translation.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        handle = os.open(temporary, flags, 0o666)
    except OSError as error:  # name the file the user asked for, not our temporary one
        raise OSError(error.errno, f"cannot write {target}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if target.exists():  # keep the mode of the file we replace
            os.chmod(temporary, target.stat().st_mode & 0o777)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return target


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

    target = Path(path)
    if target.suffix.lower() != ".gif":
        raise ValueError(f"an animation is written as a .gif file, not {str(path)!r}")
    if not frames:
        raise ValueError("an animation needs at least one frame")
    if not seconds_per_frame > 0:
        raise ValueError(f"seconds_per_frame must be a positive number, not {seconds_per_frame!r}")
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
    return write_atomic(target, buffer.getvalue())
