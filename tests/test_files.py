"""engine.files: a saved file is the old one or the whole new one, with normal permissions."""

from __future__ import annotations

import io
import os
import re
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from PIL import Image

from engine.files import (
    SpecialFileError,
    check_writable,
    read_file,
    write_atomic,
    write_gif,
)


def png(width: int, height: int, colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)], ids=["022", "077", "002"]
)
def test_a_new_file_gets_the_mode_open_would_give_it(tmp_path: Path, umask: int, mode: int) -> None:
    old_umask = os.umask(umask)
    try:
        path = write_atomic(tmp_path / "model.json", b"{}")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == mode  # 0o666 without the umask's bits
    assert os.listdir(tmp_path) == ["model.json"]


def test_replacing_a_file_keeps_its_permissions(tmp_path: Path) -> None:
    path = tmp_path / "graph.svg"
    path.write_bytes(b"old")
    path.chmod(0o600)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"the old model")

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(path, b"the new model")
    assert path.read_bytes() == b"the old model"
    assert os.listdir(tmp_path) == ["model.json"]


def test_write_gif_pads_frames_of_different_sizes(tmp_path: Path) -> None:
    path = write_gif(tmp_path / "steps.gif", [png(40, 30, "red"), png(60, 20, "blue")], 0.5)
    with Image.open(path) as gif:
        assert gif.size == (60, 30)
        assert gif.n_frames == 2
        assert gif.info["duration"] == 500


@pytest.mark.parametrize(
    "name, frames, seconds, message",
    [
        ("steps.png", [b"x"], 1.0, "written as a .gif file"),
        ("steps.gif", [], 1.0, "at least one frame"),
        ("steps.gif", [b"x"], 0.0, "seconds_per_frame .*> 0, not 0.0"),
    ],
)
def test_write_gif_refuses_bad_arguments(
    tmp_path: Path, name: str, frames: list[bytes], seconds: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write_gif(tmp_path / name, frames, seconds)
    assert os.listdir(tmp_path) == []


def test_wide_frames_are_scaled_down_to_max_width(tmp_path: Path) -> None:
    path = write_gif(tmp_path / "wide.gif", [png(4000, 1000, "red")], 1.0, max_width=1600)
    with Image.open(path) as gif:
        assert gif.size == (1600, 400)


def test_a_missing_folder_is_named_in_the_error(tmp_path: Path) -> None:
    target = tmp_path / "no such folder" / "graph.svg"
    message = f"cannot write {target}: there is no folder {target.parent}; create it first"
    with pytest.raises(FileNotFoundError, match=re.escape(message)):
        write_atomic(target, b"<svg/>")
    assert os.listdir(tmp_path) == []


def test_a_file_where_the_folder_should_be_is_named(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    target = tmp_path / "notes.txt" / "model.json"
    with pytest.raises(NotADirectoryError, match=re.escape(f"{target.parent} is a file, not a folder")):
        write_atomic(target, b"{}")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_writing_onto_a_folder_names_the_folder_not_a_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "plots"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match=re.escape(f"cannot write {folder}: it is a folder")) as caught:
        write_atomic(folder, b"<svg/>")
    assert ".tmp" not in str(caught.value)
    assert os.listdir(tmp_path) == ["plots"] and os.listdir(folder) == []


def test_other_errors_name_the_target_not_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*arguments: object) -> int:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)  # as in a folder we may not write to
    target = tmp_path / "graph.svg"
    with pytest.raises(PermissionError, match=re.escape(f"cannot write {target}: Permission denied")):
        write_atomic(target, b"<svg/>")


# ---------------------------------------------------------------------- links and special files


def test_writing_through_a_symlink_replaces_the_file_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "runs" / "real.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "model.json"
    link.symlink_to(real)
    assert write_atomic(link, b"new") == link
    assert link.is_symlink() and real.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["model.json", "runs"]
    assert os.listdir(real.parent) == ["real.json"]  # the temporary file was beside it


def test_a_dangling_symlink_gets_its_file_created(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to("real.json")
    write_atomic(link, b"new")
    assert link.is_symlink() and (tmp_path / "real.json").read_bytes() == b"new"


def test_a_loop_of_symlinks_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(OSError, match="cannot write .*a"):
        write_atomic(tmp_path / "a", b"x")


def test_a_fifo_at_the_target_is_refused_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    with pytest.raises(SpecialFileError, match="model.json: it is a named pipe"):
        write_atomic(fifo, b"{}")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_link_to_a_device_is_refused_and_named(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to("/dev/null")
    with pytest.raises(SpecialFileError, match=r"model.json \(a link to /dev/null\): .* device"):
        write_atomic(link, b"{}")
    assert link.is_symlink()


def test_a_temporary_file_of_a_killed_writer_is_removed_by_the_next_write(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # its id now names no process
    stale = tmp_path / f".model.json.{dead.pid}.0123456789abcdef.tmp"
    running = tmp_path / f".model.json.{os.getpid()}.0123456789abcdef.tmp"  # a writer still at work
    other = tmp_path / f".plot.png.{dead.pid}.0123456789abcdef.tmp"  # another target's
    for path in (stale, running, other):
        path.write_bytes(b"half")
    write_atomic(tmp_path / "model.json", b"{}")
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json", running.name, other.name])


# ---------------------------------------------------------------------- reading


def test_read_file_reads_a_regular_file_and_follows_links(tmp_path: Path) -> None:
    (tmp_path / "real.csv").write_bytes(b"a,b\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    assert read_file(tmp_path / "link.csv", max_bytes=4) == b"a,b\n"


def test_read_file_refuses_a_file_over_the_limit_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 101)
    with pytest.raises(ValueError, match="big.csv is 101 bytes.*at most 100 bytes"):
        read_file(path, max_bytes=100, what="a CSV file")


def test_read_file_refuses_a_device_without_reading_it(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")  # would never end
    with pytest.raises(SpecialFileError, match="model.json: it is a device"):
        read_file(link, max_bytes=10**9)


def test_read_file_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_file(fifo, max_bytes=100)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.append(error)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)
    if reader.is_alive():  # it waits for a writer: give it one so the thread ends
        with open(fifo, "wb"):
            pass
        pytest.fail("read_file waited on a FIFO")
    assert len(outcome) == 1 and isinstance(outcome[0], SpecialFileError)
    assert "named pipe" in str(outcome[0])


def test_read_file_names_a_missing_file_and_a_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nothing.json: there is no such file"):
        read_file(tmp_path / "nothing.json", max_bytes=100)
    with pytest.raises(IsADirectoryError, match=f"{tmp_path}: it is a folder"):
        read_file(tmp_path, max_bytes=100)


def test_check_writable_finds_before_any_work_what_writing_would_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_writable(tmp_path / "model.json")  # a new file in a folder we may write to
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(SpecialFileError, match="fifo.json: it is a named pipe"):
        check_writable(tmp_path / "fifo.json")
    with pytest.raises(FileNotFoundError, match="there is no folder"):
        check_writable(tmp_path / "missing" / "model.json")
    assert os.listdir(tmp_path) == ["fifo.json"]  # checking writes nothing
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as for a user, not root
    with pytest.raises(PermissionError, match="no permission to write in .*locked"):
        check_writable(locked / "model.json")


def test_after_a_sigkill_mid_write_the_next_write_removes_the_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "model.json"
    target.write_bytes(b"old model")
    writer = textwrap.dedent(
        """
        import os, sys, time
        from engine.files import write_atomic

        def stall(descriptor):  # the bytes are written, the rename not done
            print("writing", flush=True)
            time.sleep(60)

        os.fsync = stall
        write_atomic(sys.argv[1], b"new model")
        """
    )
    repository = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-c", writer, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=repository,
        env={**os.environ, "PYTHONPATH": str(repository)},
    )
    assert process.stdout is not None and process.stdout.readline() == "writing\n"
    process.kill()  # SIGKILL: no cleanup can run
    process.wait()
    process.stdout.close()
    left = [name for name in os.listdir(tmp_path) if name != "model.json"]
    temporary = rf"\.model\.json\.{process.pid}\.[0-9a-f]{{16}}\.tmp"  # the killed writer's
    assert len(left) == 1 and re.fullmatch(temporary, left[0])
    assert target.read_bytes() == b"old model"  # the old file, whole
    write_atomic(target, b"newer model")
    assert os.listdir(tmp_path) == ["model.json"] and target.read_bytes() == b"newer model"


# ---------------------------------------------------------------------- a full disk


class _FullDiskFile(io.BytesIO):
    """A file whose write fails as on a full disk (FileIO.write cannot be patched)."""

    def write(self, data: object) -> int:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_full_disk_names_the_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    # Simulated: the step that meets the full disk raises ENOSPC, as the system would.
    path = tmp_path / "model.json"
    path.write_bytes(b"the old model")

    def disk_full(*arguments: object) -> None:
        raise OSError(28, "No space left on device")

    if step == "write":
        real_fdopen = os.fdopen

        def fdopen(handle: int, *arguments: object) -> io.BytesIO:
            real_fdopen(handle).close()
            return _FullDiskFile()

        monkeypatch.setattr(os, "fdopen", fdopen)
    else:
        monkeypatch.setattr(os, step, disk_full)
    with pytest.raises(OSError, match=re.escape(f"cannot write {path}: No space left")) as caught:
        write_atomic(path, b"the new model")
    assert caught.value.errno == 28
    monkeypatch.undo()
    assert path.read_bytes() == b"the old model"
    assert os.listdir(tmp_path) == ["model.json"]


MOUNT_TMPFS = ["unshare", "--map-root-user", "--mount", "sh", "-c"]


def _can_mount_a_tmpfs(folder: Path) -> bool:
    try:
        done = subprocess.run(
            [*MOUNT_TMPFS, f"mount -t tmpfs -o size=64k tmpfs {folder}"],
            capture_output=True, timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def test_a_really_full_disk_names_the_file(tmp_path: Path) -> None:
    # A real 64 KiB tmpfs, mounted in a private mount namespace of a child
    # process (unshare: no root needed where user namespaces are allowed).
    if not _can_mount_a_tmpfs(tmp_path):
        pytest.skip("cannot mount a small tmpfs here (unshare or mount refused)")
    script = (
        "from engine.files import write_atomic\n"
        f"write_atomic({str(tmp_path / 'small.txt')!r}, b'fits')\n"
        "try:\n"
        f"    write_atomic({str(tmp_path / 'big.bin')!r}, bytes(200_000))\n"
        "except OSError as error:\n"
        "    print(error)\n"
    )
    command = f"mount -t tmpfs -o size=64k tmpfs {tmp_path} && {sys.executable} -c \"$0\""
    done = subprocess.run(
        [*MOUNT_TMPFS, command, script], capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.stdout.strip() == f"[Errno 28] cannot write {tmp_path / 'big.bin'}: No space left on device", done.stderr


def test_a_read_error_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n")

    class FailingDisk(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            raise OSError(5, "Input/output error")

    real_fdopen = os.fdopen

    def fdopen(handle: int, *arguments: object) -> io.BytesIO:
        real_fdopen(handle).close()
        return FailingDisk()

    monkeypatch.setattr(os, "fdopen", fdopen)
    monkeypatch.setattr(os, "fstat", lambda handle: os.stat(path))  # the handle is closed
    with pytest.raises(OSError, match=re.escape(f"cannot read {path}: Input/output error")):
        read_file(path, max_bytes=100)
