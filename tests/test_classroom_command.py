"""`stepgrad serve --token` / `--token-file`: the teacher's link outlives a restart."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nn.apps.arguments import CommandLineError
from nn.apps.classroom.tokens import read_or_make_token

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30.0


def test_a_token_file_is_made_private_once_and_read_after(tmp_path: Path) -> None:
    path = tmp_path / "teacher-token"
    token = read_or_make_token(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 16
    assert read_or_make_token(str(path)) == token  # the next start: the same token


def test_a_token_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "teacher-token"
    path.write_text("a-token-others-can-read-0123456789\n")
    path.chmod(0o644)
    with pytest.raises(CommandLineError, match="chmod 600"):
        read_or_make_token(str(path))


def serve_once(*arguments: str) -> str:
    """Start `stepgrad serve`, read the teacher's link it prints, stop it with Ctrl-C."""
    environment = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    process = subprocess.Popen(
        [sys.executable, "-m", "nn", "serve", *arguments],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        teacher = process.stdout.readline()
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait(timeout=TIMEOUT)
    assert teacher.startswith("teacher:"), teacher
    return teacher.split()[1]


def test_a_restart_with_the_token_file_prints_the_same_teacher_link(tmp_path: Path) -> None:
    path = str(tmp_path / "token")
    first = serve_once("--port", "0", "--token-file", path)
    second = serve_once("--port", "0", "--token-file", path)
    assert first.split("?token=")[1] == second.split("?token=")[1]
    given = serve_once("--token", "my-course-token-2026-abcdef")
    assert given.endswith("?token=my-course-token-2026-abcdef")


def test_a_bad_token_is_refused_with_the_rule() -> None:
    environment = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, "-m", "nn", "serve", "--token", "short"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 2
    assert "--token" in result.stderr and "16 to 128" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_file_that_is_not_text_is_refused_with_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "teacher-token"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))  # a picture saved by mistake
    path.chmod(0o600)
    environment = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, "-m", "nn", "serve", "--token-file", str(path)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=TIMEOUT,
    )  # fmt: skip
    assert result.returncode == 2
    said = " ".join(result.stderr.split())  # unfolded from 80 columns
    assert f"--token-file {path}: token=this token must be 16 to 128" in said
    assert "Traceback" not in result.stderr
