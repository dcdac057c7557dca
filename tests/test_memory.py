"""No unbounded memory growth, and reference cycles through proxies are collected.

Growth is measured with ``tracemalloc`` after each round of work (each round
in a fresh context, its data released at its end): the first round is the
baseline, and later rounds may not add more than a small bound. A leak of even
a few bytes per operation exceeds it. The full counts are run by ci/stress.sh.
"""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from contextvars import Context, ContextVar, copy_context
from typing import Any, Callable, Iterator, List

import pytest

from _impls import Implementation
from _workloads import Shared, Worker, run_to_end, scaled

try:
    import tracemalloc
except ImportError:  # PyPy has no tracemalloc; the cycle tests still run there
    tracemalloc = None  # type: ignore[assignment]

needs_tracemalloc = pytest.mark.skipif(
    tracemalloc is None, reason=f"{sys.implementation.name} has no tracemalloc"
)

MIXED_OPERATIONS = 1_000_000
BORN_AND_FINISHED = 100_000
ROUNDS = 5
# The most a later round may add over the first one (allocator noise, caches).
BOUND = 96 * 1024


@pytest.fixture
def traced() -> Iterator[Callable[[], int]]:
    """Trace allocations; yields a function returning the current traced size after a collection."""
    tracemalloc.start()

    def size() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    try:
        yield size
    finally:
        tracemalloc.stop()


def _growth(sizes: List[int]) -> int:
    return max(sizes[1:]) - sizes[0]


@needs_tracemalloc
@pytest.mark.parametrize("mode", ["context", "ident"])
def test_mixed_operations_do_not_grow(
    impl: Implementation, mode: str, traced: Callable[[], int]
) -> None:
    shared = Shared(impl.module, threading.get_ident if mode == "ident" else None)
    per_round = scaled(MIXED_OPERATIONS, 20_000) // ROUNDS
    sizes = []
    for index in range(ROUNDS):
        worker = Worker(shared, index, per_round, seed=index)
        Context().run(run_to_end, worker.steps(), lambda: None)
        impl.release_local(shared.local)
        impl.release_local(shared.stack)
        del worker
        sizes.append(traced())
    assert _growth(sizes) < BOUND, sizes


def _write_everything(shared: Shared, token: int) -> None:
    shared.local.value = token
    shared.stack.push(token)
    shared.var.set(token)
    shared.box  # noqa: B018 - a read that fails: nothing bound


def _born_and_finished_greenlets(shared: Shared, count: int) -> None:
    import greenlet

    for token in range(count):
        greenlet.greenlet(_write_everything).switch(shared, token)


def _born_and_finished_threads(shared: Shared, count: int) -> None:
    for start in range(0, count, 50):
        threads = [
            threading.Thread(target=_safe_write, args=(shared, token))
            for token in range(start, min(start + 50, count))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


def _safe_write(shared: Shared, token: int) -> None:
    try:
        _write_everything(shared, token)
    except AttributeError:
        pass


@needs_tracemalloc
@pytest.mark.parametrize("mode", ["context", "ident"])
@pytest.mark.parametrize("kind", ["greenlet", "thread"])
def test_finished_greenlets_and_threads_leave_nothing(
    impl: Implementation, kind: str, mode: str, traced: Callable[[], int]
) -> None:
    if kind == "greenlet":
        greenlet = pytest.importorskip("greenlet")
        ident_func: Any = greenlet.getcurrent
        run = _born_and_finished_greenlets
    else:
        ident_func = threading.get_ident
        run = _born_and_finished_threads
    shared = Shared(impl.module, ident_func if mode == "ident" else None)
    per_round = scaled(BORN_AND_FINISHED, 1_000) // ROUNDS
    sizes = []
    for _ in range(ROUNDS):
        run(shared, per_round)
        sizes.append(traced())
    assert _growth(sizes) < BOUND, sizes
    if mode == "ident":
        assert len(shared.local.__storage__) == 0
        assert shared.stack.__storage__ == {}


class Node:
    """A plain object that can be weakly referenced and hold a proxy."""

    proxy: Any = None


def _proxy_target_proxy(impl: Implementation) -> Any:
    node = Node()
    node.proxy = impl.LocalProxy(lambda: node)
    return node


def _callable_closing_over_its_proxy(impl: Implementation) -> Any:
    def current() -> Any:
        return proxy

    proxy = impl.LocalProxy(current)
    return proxy


def _local_holding_its_own_proxy(impl: Implementation) -> Any:
    local = impl.Local()
    # In a copied context that is then dropped: the context holds the value.
    copy_context().run(setattr, local, "me", local("me"))
    return local


def _ident_local_holding_its_own_proxy(impl: Implementation) -> Any:
    local = impl.Local()
    local.__ident_func__ = threading.get_ident
    local.me = local("me")
    return local


def _stack_holding_its_own_proxy(impl: Implementation) -> Any:
    stack = impl.LocalStack()
    stack.__ident_func__ = threading.get_ident
    stack.push(stack())
    return stack


def _var_proxy_in_a_target(impl: Implementation) -> Any:
    var: ContextVar[Any] = ContextVar("cycle")
    node = Node()
    node.proxy = impl.LocalProxy(var, "proxy")
    copy_context().run(var.set, node)
    return node


@pytest.mark.parametrize(
    "make",
    [
        _proxy_target_proxy,
        _callable_closing_over_its_proxy,
        _local_holding_its_own_proxy,
        _ident_local_holding_its_own_proxy,
        _stack_holding_its_own_proxy,
        _var_proxy_in_a_target,
    ],
)
def test_cycles_through_proxies_are_collected(impl: Implementation, make: Any) -> None:
    gc.collect()
    ref = weakref.ref(make(impl))
    gc.collect()
    assert ref() is None
