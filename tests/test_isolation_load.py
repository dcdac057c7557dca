"""One context never sees another's data, under load (threads, asyncio, greenlets).

The full counts are the ones the docs quote; ``ci/stress.sh`` runs them
with ``CTXLOCAL_STRESS_SCALE=1``. The default run scales them down (see
``tests/_workloads.py``). Workers check every read against their own model, so
a single value crossing from one context to another fails the test.
"""

from __future__ import annotations

import asyncio
import gc
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, List

import pytest

from _impls import Implementation
from _workloads import (
    Shared,
    Worker,
    check_snapshot,
    run_greenlets,
    run_to_end,
    scaled,
    snapshot,
)

ROOT = Path(__file__).resolve().parent.parent

THREADS = 32
OPS_PER_THREAD = 20_000
TASKS = 10_000
GREENLETS = 10_000
OPS_PER_TASK = 20
SHORT_LIVED_THREADS = 1_000
SHORT_LIVED_GREENLETS = 10_000


def _run_threads(shared: Shared, n_threads: int, n_ops: int) -> None:
    errors: List[BaseException] = []
    start = threading.Barrier(n_threads)

    def body(token: int) -> None:
        try:
            start.wait()
            # sleep(0) releases the GIL: another thread runs between a write and its check.
            run_to_end(Worker(shared, token, n_ops, seed=token).steps(), lambda: time.sleep(0))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(token,)) for token in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("mode", ["context", "ident"])
def test_threads_never_see_each_other(
    impl: Implementation, mode: str, fast_switching: None
) -> None:
    shared = Shared(impl.module, threading.get_ident if mode == "ident" else None)
    _run_threads(shared, THREADS, scaled(OPS_PER_THREAD, minimum=200))


async def _task(shared: Shared, token: int, n_ops: int) -> None:
    # A task starts with a copy of its parent's context ...
    check_snapshot(shared, {"value": "root", "stack": ["root"]}, token)
    # ... and its writes stay in its copy (checked by the parent at the end).
    del shared.local.value
    worker = Worker(shared, token, n_ops, seed=token)
    fork_at = worker.rng.randrange(n_ops)
    children = []
    for step, _ in enumerate(worker.steps()):
        if step == fork_at:
            children.append(asyncio.create_task(_child(shared, snapshot(worker), token)))
        await asyncio.sleep(0)
    await asyncio.gather(*children)
    # Whatever the child wrote stayed in the child; the worker's final step
    # already checked its own state, check once more after the child ended.
    worker.check_value()
    worker.check_top()


async def _child(shared: Shared, expected: Any, token: int) -> None:
    await asyncio.sleep(0)
    check_snapshot(shared, expected, token)
    try:
        del shared.local.value
    except AttributeError:
        pass
    child_token = -1 - token
    for _ in Worker(shared, child_token, OPS_PER_TASK, seed=child_token).steps():
        await asyncio.sleep(0)


def test_asyncio_tasks_never_see_each_other(impl: Implementation) -> None:
    shared = Shared(impl.module)

    async def main() -> None:
        shared.local.value = "root"
        shared.stack.push("root")
        await asyncio.gather(
            *(_task(shared, token, OPS_PER_TASK) for token in range(scaled(TASKS, 50)))
        )
        # No task's writes came back to the parent.
        assert list(shared.local) == [("value", "root")]
        assert shared.stack.pop() == "root"
        assert shared.stack.pop() is None

    asyncio.run(main())


@pytest.mark.parametrize("mode", ["context", "ident"])
def test_greenlets_never_see_each_other(impl: Implementation, mode: str) -> None:
    greenlet = pytest.importorskip("greenlet")
    ident_func = greenlet.getcurrent if mode == "ident" else None
    run_greenlets(impl.module, scaled(GREENLETS, 50), OPS_PER_TASK, ident_func)


def _patched_run(framework: str, impl: str, mode: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    workers, n_ops = scaled(GREENLETS, 64), OPS_PER_TASK
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "_workloads.py"), framework, impl, mode,
         str(workers), str(n_ops)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")


@pytest.mark.parametrize("mode", ["context", "thread", "greenlet"])
def test_gevent_patched_thread_pool(impl: Implementation, mode: str) -> None:
    pytest.importorskip("gevent")
    _patched_run("gevent", impl.name, mode)


@pytest.mark.parametrize("mode", ["context", "thread", "greenlet"])
def test_eventlet_patched_thread_pool(impl: Implementation, mode: str) -> None:
    pytest.importorskip("eventlet")
    _patched_run("eventlet", impl.name, mode)


def _collect_without_refcounting() -> None:
    """Where objects die only in the garbage collector (PyPy), run it."""
    if sys.implementation.name != "cpython":
        gc.collect()


def test_ident_mode_releases_finished_threads(impl: Implementation) -> None:
    local = impl.Local()
    stack = impl.LocalStack()
    local.__ident_func__ = threading.get_ident
    stack.__ident_func__ = threading.get_ident
    seen: List[Any] = []

    def body() -> None:
        local.value = threading.get_ident()
        stack.push(local.value)
        seen.append(len(local.__storage__) > 0 and len(stack.__storage__) > 0)

    total = scaled(SHORT_LIVED_THREADS, 100)
    for _ in range(0, total, 50):
        threads = [threading.Thread(target=body) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(seen) >= total and all(seen)
    _collect_without_refcounting()
    assert dict(local.__storage__) == {}
    assert stack.__storage__ == {}


def test_ident_mode_releases_finished_greenlets(impl: Implementation) -> None:
    greenlet = pytest.importorskip("greenlet")
    local = impl.Local()
    stack = impl.LocalStack()
    local.__ident_func__ = greenlet.getcurrent
    stack.__ident_func__ = greenlet.getcurrent
    hub = greenlet.getcurrent()
    peak = 0

    def body(token: int) -> None:
        local.value = token
        stack.push(token)
        hub.switch()
        assert local.value == token and stack.top == token

    total = scaled(SHORT_LIVED_GREENLETS, 100)
    for _ in range(0, total, 500):
        batch = [greenlet.greenlet(body) for _ in range(500)]
        for token, glet in enumerate(batch):
            glet.switch(token)
        # All of the batch is alive and holds data here.
        peak = max(peak, len(local.__storage__), len(stack.__storage__))
        for glet in batch:
            glet.switch()
        assert all(glet.dead for glet in batch)
        del batch, glet
    assert peak == 500
    # On CPython, finished greenlets that nothing references are freed by
    # reference counting alone; no gc.collect() is needed for their data to go.
    _collect_without_refcounting()
    assert len(local.__storage__) == 0
    assert len(stack.__storage__) == 0
