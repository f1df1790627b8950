"""The classroom compares the teacher's token in constant time, read from the code.

An `==` between the token a request gives and the real one returns sooner the
earlier they differ, so the time a refusal takes leaks the token a character
at a time. No request can show which compare the server used, so this test
reads the source of nn/apps/classroom/ (every file: where the compare sits
may change) and checks that the token is compared only through
`hmac.compare_digest` (or `secrets.compare_digest`, the same function).
"""

from __future__ import annotations

import ast
from pathlib import Path

CLASSROOM = Path(__file__).resolve().parents[1] / "nn" / "apps" / "classroom"
EQUALITY = (ast.Eq, ast.NotEq, ast.Is, ast.IsNot)


def mentions_token(node: ast.AST) -> bool:
    """Whether an expression reads something named like a token (token,
    self._token, tokens[0], query.get("token"), token.encode())."""
    for part in ast.walk(node):
        if isinstance(part, ast.Name) and "token" in part.id.lower():
            return True
        if isinstance(part, ast.Attribute) and "token" in part.attr.lower():
            return True
        if isinstance(part, ast.Constant) and part.value == "token":
            return True
    return False


def is_constant_or_length(node: ast.AST) -> bool:
    """None, a literal, or len(...): comparing with these tells nothing secret."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
        node.func.id == "len"
    )


def is_compare_digest(call: ast.Call) -> bool:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr == "compare_digest" and isinstance(function.value, ast.Name) and (
            function.value.id in ("hmac", "secrets")
        )
    return isinstance(function, ast.Name) and function.id == "compare_digest"


def classroom_sources() -> dict[str, ast.Module]:
    files = sorted(CLASSROOM.rglob("*.py"))
    assert files, f"no Python files under {CLASSROOM}"
    return {str(path.relative_to(CLASSROOM)): ast.parse(path.read_text()) for path in files}


def test_the_token_is_compared_only_in_constant_time() -> None:
    plain_compares: list[str] = []
    digest_compares: list[str] = []
    for name, tree in classroom_sources().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare):
                sides = [node.left, *node.comparators]
                for op, left, right in zip(node.ops, sides, sides[1:]):
                    if not isinstance(op, EQUALITY):
                        continue
                    if is_constant_or_length(left) or is_constant_or_length(right):
                        continue
                    if mentions_token(left) or mentions_token(right):
                        plain_compares.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.Call) and is_compare_digest(node):
                if any(mentions_token(argument) for argument in node.args):
                    digest_compares.append(f"{name}:{node.lineno}")
    assert plain_compares == [], "compare the token with hmac.compare_digest, not =="
    assert digest_compares, "no hmac.compare_digest of the token in nn/apps/classroom/"


def test_the_reader_sees_a_plain_compare_and_a_digest() -> None:
    """The checks above on two small samples, so they cannot pass by seeing nothing."""
    plain = ast.parse("if given == self.token:\n    pass")
    compare = next(node for node in ast.walk(plain) if isinstance(node, ast.Compare))
    assert mentions_token(compare.left) or mentions_token(compare.comparators[0])
    digest = ast.parse("hmac.compare_digest(given.encode(), self._token.encode())")
    call = next(node for node in ast.walk(digest) if isinstance(node, ast.Call)
                and is_compare_digest(node))
    assert any(mentions_token(argument) for argument in call.args)
    assert not mentions_token(ast.parse("len(rows) != 1").body[0])
