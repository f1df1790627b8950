"""The teacher's token (nn/apps/classroom/tokens.py): what a token may be, the
private file that keeps it, and the compare that refuses every other token.

(The server's refusals over HTTP are in test_classroom_http.py; that the
compare is `hmac.compare_digest` is read from the code in test_token_compare.py.)
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from nn.apps.arguments import CommandLineError
from nn.apps.classroom.tokens import (
    check_token,
    is_teacher_token,
    new_token,
    read_or_make_token,
)

RULE = "must be 16 to 128 letters, digits, '-' or '_' (it goes in a link)"

# ---------------------------------------------------------------------- what a token may be


@pytest.mark.parametrize(
    "token",
    [
        "a" * 16,  # the shortest
        "Z" * 128,  # the longest
        "azAZ09-_azAZ09-_",  # every kind of character allowed
    ],
)
def test_a_token_that_fits_in_a_link_is_kept_as_it_is(token: str) -> None:
    assert check_token(token) == token


@pytest.mark.parametrize(
    "token",
    [
        "a" * 15,  # one too short
        "Z" * 129,  # one too long
        "a-token-with.a-dot",
        "a-token-with a-space",
        "a-token-with-é-accent",
        "a-token-with/slash-",
        "",
    ],
)
def test_a_token_that_would_not_fit_in_a_link_is_refused_with_the_rule(token: str) -> None:
    with pytest.raises(ValueError) as refusal:
        check_token(token)
    assert RULE in str(refusal.value)
    assert str(refusal.value).endswith("; leave it out to get a random one")


def test_a_refused_token_is_shown_only_when_short() -> None:
    """A long one may be a secret pasted in the wrong place: it is not repeated."""
    forty = "." * 40
    with pytest.raises(ValueError, match=r"^token='\.{40}' must be 16 to 128"):
        check_token(forty)
    with pytest.raises(ValueError, match="^token=this token must be 16 to 128"):
        check_token(forty + ".")


@pytest.mark.parametrize("token", [None, 12345678901234567890, b"a-bytes-token-0123456789"])
def test_a_token_that_is_not_text_is_refused_without_showing_it(token: object) -> None:
    with pytest.raises(ValueError, match="^token=this token " + re.escape(RULE)):
        check_token(token)  # type: ignore[arg-type]


def test_new_tokens_are_random_and_fit_the_rule() -> None:
    tokens = {new_token() for _ in range(20)}
    assert len(tokens) == 20
    for token in tokens:
        assert check_token(token) == token and len(token) == 32


# ---------------------------------------------------------------------- the token file


def test_a_new_token_file_holds_the_token_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "teacher-token"
    token = read_or_make_token(str(path))
    assert check_token(token) == token
    assert path.read_text(encoding="utf-8") == token + "\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_make_token(str(path)) == token


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_a_token_file_only_its_owner_can_read_is_read(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "teacher-token"
    path.write_text("  my-course-token-2026-abcdef \n\n", encoding="utf-8")
    path.chmod(mode)
    assert read_or_make_token(str(path)) == "my-course-token-2026-abcdef"


@pytest.mark.parametrize(
    "mode, shown", [(0o640, "-rw-r-----"), (0o604, "-rw----r--"), (0o620, "-rw--w----"),
                    (0o601, "-rw------x"), (0o610, "-rw---x---")]
)  # fmt: skip
def test_a_token_file_others_can_use_is_refused_with_the_fix(
    tmp_path: Path, mode: int, shown: str
) -> None:
    path = tmp_path / "teacher-token"
    path.write_text("my-course-token-2026-abcdef\n", encoding="utf-8")
    path.chmod(mode)
    with pytest.raises(CommandLineError) as refusal:
        read_or_make_token(str(path))
    assert str(refusal.value) == (
        f"--token-file {path}: others can read it (mode {shown}); "
        f"make it yours only: chmod 600 {path}"
    )


def test_a_token_file_that_cannot_be_made_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "teacher-token"
    with pytest.raises(CommandLineError) as refusal:
        read_or_make_token(str(path))
    assert str(refusal.value) == f"--token-file {path}: No such file or directory"
    assert not path.parent.exists()


def test_a_token_file_is_never_made_over_another_file(tmp_path: Path) -> None:
    """A name that exists is read (and refused if others can read it), never replaced."""
    path = tmp_path / "teacher-token"
    path.write_text("", encoding="utf-8")
    path.chmod(0o600)
    assert read_or_make_token(str(path)) == ""  # the caller's check_token refuses it
    assert path.read_text(encoding="utf-8") == ""


def test_a_token_file_holding_much_more_than_a_token_is_not_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "teacher-token"
    path.write_text("x" * 10_000, encoding="utf-8")
    os.chmod(path, 0o600)
    assert read_or_make_token(str(path)) == "x" * 200


# ---------------------------------------------------------------------- the compare


def test_only_the_very_token_is_the_teachers() -> None:
    token = "my-course-token-2026-abcdef"
    assert is_teacher_token(token, token)
    assert is_teacher_token("".join(token), token)  # equal text, another object
    for wrong in ("", token[:-1], token + "f", token[:-1] + "g", "M" + token[1:], token.upper()):
        assert not is_teacher_token(wrong, token), wrong


def test_any_text_a_request_brings_is_compared_without_an_error() -> None:
    token = "my-course-token-2026-abcdef"
    for given in ("é" * 27, "\udcff" * 3, "\x00", "my-course-token-2026-abcdeé"):
        try:
            assert not is_teacher_token(given, token)
        except UnicodeEncodeError:
            pytest.fail(f"comparing {given!r} raised UnicodeEncodeError")


def test_a_token_file_of_bytes_that_are_not_text_is_read_as_replacement_characters(
    tmp_path: Path,
) -> None:
    """So that check_token refuses it with its rule, not with a UnicodeDecodeError."""
    path = tmp_path / "teacher-token"
    path.write_bytes(b"\xff\xfe-my-course-token-2026\n")
    path.chmod(0o600)
    token = read_or_make_token(str(path))
    assert token == "\ufffd\ufffd-my-course-token-2026"
    with pytest.raises(ValueError, match=re.escape(RULE)):
        check_token(token)
