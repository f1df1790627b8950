"""engine.files: a saved file is the old one or the whole new one, with normal permissions."""

from __future__ import annotations

import io
import os
import re
import stat
from pathlib import Path

import pytest
from PIL import Image

from engine.files import write_atomic, write_gif


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
        ("steps.gif", [b"x"], 0.0, "positive number"),
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
