"""Two threads at once: each has its own module scope, and backward() calls
from both leave the same grads as running them one after the other."""

from __future__ import annotations

import threading
from typing import Callable

from engine import Value, scope, topological_order


def run_in_threads(*targets: Callable[[], None]) -> None:
    """Start every target in its own thread at the same moment, wait for
    all, and fail if one of them failed."""
    errors: list[BaseException] = []
    start_together = threading.Barrier(len(targets))

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                start_together.wait(10)
                target()
            except BaseException as error:  # shown in the main thread
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(target), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    assert not stuck, f"still running after 60 s: {stuck}"
    assert not errors, errors


def test_each_thread_has_its_own_scope() -> None:
    """The steps interleave as the issue describes: enter, enter, exit, exit.
    With one scope for the process, the second exit would restore ("a",) for
    everyone afterwards."""
    a_entered, b_entered, a_left = threading.Event(), threading.Event(), threading.Event()
    made: dict[str, tuple[str, ...]] = {}

    def thread_a() -> None:
        with scope("a"):
            a_entered.set()
            b_entered.wait(10)
            made["a"] = (Value(1.0) * 2).scope
        a_left.set()

    def thread_b() -> None:
        a_entered.wait(10)
        made["b outside"] = Value(1.0).scope
        with scope("b"):
            b_entered.set()
            a_left.wait(10)
            made["b"] = (Value(1.0) + 1).scope

    run_in_threads(thread_a, thread_b)
    assert made == {"a": ("a",), "b outside": (), "b": ("b",)}
    assert Value(1.0).scope == ()


def shared_graph() -> tuple[list[Value], Value]:
    """Parameters and a graph of 100,000 nodes: backward() on it takes many
    times Python's thread switch interval (5 ms), so two unguarded calls
    would interleave."""
    parameters = [Value(0.01 * (i + 1), label=f"p{i}") for i in range(20)]
    total = Value(0.0)
    for step in range(20_000):
        p = parameters[step % 20]
        total = total + (p * (step % 7 - 3)).tanh() * parameters[(step * 3) % 20]
    return parameters, total


def test_backward_from_two_threads_equals_two_calls_in_turn() -> None:
    parameters, root = shared_graph()
    assert len(topological_order(root)) > 100_000
    root.backward()
    root.backward()
    expected = [p.grad for p in parameters]
    root.zero_grad()

    for _ in range(3):
        run_in_threads(root.backward, root.backward)
        assert [p.grad for p in parameters] == expected
        root.zero_grad()
