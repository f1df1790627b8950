"""The teacher's token: the secret in the teacher's link that lets a page change the lesson.

A token is made at random (`new_token`), or given by the teacher and checked
(`check_token`: it must fit in a link), or kept in a file of the teacher's
own so that the link outlives a restart (`read_or_make_token`). The server
compares the token a request brings with the real one in constant time
(`is_teacher_token`):

>>> token = new_token()
>>> is_teacher_token(token, token), is_teacher_token("a-guess-0123456789", token)
(True, False)

Why constant time: `==` stops at the first character that differs, so the
time a refusal takes would tell a patient guesser how many characters of
their guess are right, one at a time. `hmac.compare_digest` takes the same
time wherever the two differ.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import stat

from nn.apps.arguments import CommandLineError

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")  # what fits in a link unchanged
RANDOM_BYTES = 24  # 192 random bits, 32 characters in the link


def new_token() -> str:
    """A random token: 32 letters, digits, '-' or '_'.

    >>> len(new_token()), new_token() == new_token()
    (32, False)
    """
    return secrets.token_urlsafe(RANDOM_BYTES)


def check_token(token: str) -> str:
    """A teacher's token: 16 to 128 letters, digits, '-' or '_' (it goes in a link).

    >>> check_token("my-course-token-2026")
    'my-course-token-2026'
    >>> check_token("short")
    Traceback (most recent call last):
    ...
    ValueError: token='short' must be 16 to 128 letters, digits, '-' or '_' (it goes in a link); leave it out to get a random one
    """
    if not isinstance(token, str) or not TOKEN.fullmatch(token):
        # a long one is not shown: it may be a secret pasted in the wrong place
        shown = repr(token) if isinstance(token, str) and len(token) <= 40 else "this token"
        raise ValueError(
            f"token={shown} must be 16 to 128 letters, digits, '-' or '_' "
            "(it goes in a link); leave it out to get a random one"
        )
    return token


def read_or_make_token(path: str) -> str:
    """The token in the file at `path`; a new random one, saved there, if it does not exist.

    The file holds a secret: it is created readable by its owner only (mode
    0600), and refused if others can read it. What it holds is checked by
    the caller (`check_token`), which names the file in its message.
    """
    try:
        # O_EXCL: make the file only if it is not there, so nobody can slip one in between
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = os.stat(path).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CommandLineError(
                f"--token-file {path}: others can read it (mode {stat.filemode(mode)}); "
                f"make it yours only: chmod 600 {path}"
            ) from None
        with open(path, "rb") as file:
            # a token is at most 128 characters; bytes that are not UTF-8 become
            # U+FFFD, which check_token refuses by name (not a UnicodeDecodeError)
            return file.read(200).decode("utf-8", "replace").strip()
    except OSError as error:
        raise CommandLineError(f"--token-file {path}: {error.strerror or error}") from None
    token = new_token()
    with os.fdopen(descriptor, "wb") as file:
        file.write((token + "\n").encode())  # ASCII: new_token is letters, digits, - and _
    return token


def is_teacher_token(given: str, token: str) -> bool:
    """Whether `given` (from a request) is the teacher's `token`, compared in constant time.

    Compared as bytes: `hmac.compare_digest` refuses text that is not ASCII,
    and a request may bring any bytes. The server decodes them as UTF-8, with
    the bytes that are not UTF-8 kept as stand-ins ("surrogates", e.g. the
    byte 0xff as "\\udcff"); "surrogateescape" turns those back into the bytes
    the request sent. (The teacher's token is ASCII: `check_token`.)

    >>> is_teacher_token("ü" * 20, "a-token-0123456789")
    False
    >>> is_teacher_token("\\udcff\\udcfe", "a-token-0123456789")
    False
    """
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode())
