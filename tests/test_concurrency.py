"""Isolation under real concurrency, small and fast: threads, asyncio tasks, greenlets.

Every worker writes its own values to a shared Local and LocalStack, lets the
others run, then reads them back directly and through proxies. The workers
interleave at every step (barrier, sleep(0), greenlet switch), so a value
leaking between them would be seen.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading
import types
from typing import Any, Callable, List, Tuple

import greenlet
import pytest

from _impls import Implementation

WORKERS = 8
ROUNDS = 5


class Shared:
    """One Local, one LocalStack and proxies to them, shared by all workers."""

    def __init__(self, impl: Implementation) -> None:
        self.local = impl.Local()
        self.stack = impl.LocalStack()
        self.name = self.local("name")
        self.top = self.stack()
        self.top_name = self.stack("name")

    def write(self, worker: int, round_: int) -> None:
        self.local.name = f"worker {worker}"
        self.local.round = round_
        self.stack.push(types.SimpleNamespace(name=f"worker {worker} round {round_}"))

    def read(self, worker: int, round_: int) -> List[str]:
        """The mismatches between what this worker wrote and what it sees."""
        problems = []
        expected_top = f"worker {worker} round {round_}"
        if self.local.name != f"worker {worker}" or self.name != f"worker {worker}":
            problems.append(f"{worker}: name {self.local.name!r}")
        if self.local.round != round_:
            problems.append(f"{worker}: round {self.local.round!r}")
        if self.stack.top.name != expected_top or self.top_name != expected_top:
            problems.append(f"{worker}: top {self.stack.top.name!r}")
        if len(self.stack.push("probe")) != round_ + 2:
            problems.append(f"{worker}: depth")
        self.stack.pop()
        if self.top.name != expected_top:
            problems.append(f"{worker}: proxy top {self.top.name!r}")
        return problems


def _thread_rounds(shared: Shared) -> List[str]:
    """Run the workers in threads, in lock step; return every problem seen."""
    # The timeout turns a worker dying early into BrokenBarrierError, not a hang.
    barrier = threading.Barrier(WORKERS, timeout=30)
    problems: List[str] = []

    def work(worker: int) -> None:
        try:
            for round_ in range(ROUNDS):
                shared.write(worker, round_)
                barrier.wait()
                problems.extend(shared.read(worker, round_))
                barrier.wait()
        except Exception as error:  # noqa: BLE001 - reported as a problem
            problems.append(f"{worker}: {error!r}")
            barrier.abort()

    run_all(work)
    return problems


def test_threads(impl: Implementation) -> None:
    shared = Shared(impl)
    assert _thread_rounds(shared) == []
    # The main thread never wrote.
    assert list(shared.local) == []
    assert shared.stack.top is None
    assert not shared.name


def test_asyncio_tasks(impl: Implementation) -> None:
    shared = Shared(impl)

    async def work(worker: int) -> List[str]:
        problems = []
        for round_ in range(ROUNDS):
            shared.write(worker, round_)
            await asyncio.sleep(0)
            problems.extend(shared.read(worker, round_))
            await asyncio.sleep(0)
        return problems

    async def main() -> Any:
        results = await asyncio.gather(*(work(i) for i in range(WORKERS)))
        return results, list(shared.local), shared.stack.top

    results, parent_values, parent_top = asyncio.run(main())
    assert results == [[]] * WORKERS
    assert parent_values == []
    assert parent_top is None


@pytest.mark.parametrize("mode", ["context", "ident"])
def test_greenlets(impl: Implementation, mode: str) -> None:
    """Greenlets have their own contexts; in ident mode, their own idents."""
    shared = Shared(impl)
    if mode == "ident":
        shared.local.__ident_func__ = greenlet.getcurrent
        shared.stack.__ident_func__ = greenlet.getcurrent
    hub = greenlet.getcurrent()

    def work(worker: int) -> List[str]:
        problems = []
        for round_ in range(ROUNDS):
            shared.write(worker, round_)
            hub.switch()
            problems.extend(shared.read(worker, round_))
            hub.switch()
        return problems

    workers = [greenlet.greenlet(work) for _ in range(WORKERS)]
    results: List[Any] = [None] * WORKERS
    # Round-robin: every worker runs one step, then the next one does.
    for index, each in enumerate(workers):
        each.switch(index)
    while not all(each.dead for each in workers):
        for index, each in enumerate(workers):
            if not each.dead:
                result = each.switch()
                if each.dead:
                    results[index] = result
    assert results == [[]] * WORKERS
    assert list(shared.local) == []
    assert shared.stack.top is None


def test_threads_with_ident_mode(impl: Implementation) -> None:
    shared = Shared(impl)
    shared.local.__ident_func__ = threading.get_ident
    shared.stack.__ident_func__ = threading.get_ident
    assert _thread_rounds(shared) == []
    gc.collect()  # PyPy finalizes the finished threads' locals at collection
    assert shared.local.__storage__ == {}
    assert shared.stack.__storage__ == {}


def test_proxy_to_a_context_var_in_threads(impl: Implementation) -> None:
    var: contextvars.ContextVar[Tuple[int, ...]] = contextvars.ContextVar("value")
    proxy = impl.LocalProxy(var)
    barrier = threading.Barrier(WORKERS, timeout=30)
    seen: List[Any] = [None] * WORKERS

    def work(worker: int) -> None:
        var.set((worker,))
        barrier.wait()
        seen[worker] = (proxy[0], len(proxy), proxy == (worker,))

    run_all(work)
    assert seen == [(i, 1, True) for i in range(WORKERS)]
    assert not proxy


def run_all(work: Callable[[int], None]) -> None:
    """Run ``work(i)`` in WORKERS threads and wait for all of them."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
