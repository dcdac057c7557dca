"""Isolation workloads shared by the load tests, the memory tests and ci/stress.sh.

A :class:`Worker` runs a random mix of operations on locals shared by every
worker (``Local`` set/get/delete, ``LocalStack`` push/pop/top, proxy reads and
writes, a proxied ``ContextVar``) and keeps a private model of what it should
see. Every value it writes carries its own token, so any value written by
another worker shows up as a mismatch with the model: that is cross-talk.

:meth:`Worker.steps` is a generator that yields between each write and the
read that checks it; a driver turns the yield into a thread switch
(``time.sleep(0)``), an ``await`` or a greenlet switch, so that other workers
run in between.

Counts: each load test names its *full* count (the figure the docs quote,
run by ``ci/stress.sh``) and runs ``scaled(full)`` of it, where the factor
comes from ``CTXLOCAL_STRESS_SCALE`` (default ``DEFAULT_SCALE``, which keeps
the default test run fast).

This file is also a script, so that gevent and eventlet can monkeypatch a
fresh interpreter (see :func:`main`).
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import types
from contextvars import Context, ContextVar
from typing import Any, Callable, Dict, Iterator, List

DEFAULT_SCALE = 0.05
_MISSING = object()


def scale() -> float:
    """The load factor from ``CTXLOCAL_STRESS_SCALE`` (1.0 = the full counts)."""
    return float(os.environ.get("CTXLOCAL_STRESS_SCALE", DEFAULT_SCALE))


def scaled(full: int, minimum: int = 10) -> int:
    """``full`` times the load factor, but at least ``minimum``."""
    return max(minimum, int(full * scale()))


def load(name: str) -> types.ModuleType:
    """Import one implementation's module by its name (``"python"``, ``"cython"``)."""
    # Imported here, not at the top: run as a script, this file must
    # monkeypatch (see main) before ctxlocal is imported.
    from ctxlocal._implementations import MODULES

    return importlib.import_module(MODULES[name])  # type: ignore[index]


class Item:
    """A stack item whose ``tag`` a named stack proxy reads."""

    __slots__ = ("tag",)

    def __init__(self, tag: Any) -> None:
        self.tag = tag


class Box:
    """A worker's own mutable object, written through a proxy."""

    def __init__(self, token: int) -> None:
        self.token = token
        self.count = -1
        self.items: Dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        self.items[key] = value


class Shared:
    """The locals and proxies every worker of one run uses concurrently."""

    def __init__(self, module: types.ModuleType, ident_func: Any = None) -> None:
        self.local = module.Local()
        self.stack = module.LocalStack()
        if ident_func is not None:
            self.local.__ident_func__ = ident_func
            self.stack.__ident_func__ = ident_func
        self.var: ContextVar[Any] = ContextVar("ctxlocal-stress")
        self.value = self.local("value")
        self.box = module.LocalProxy(self.local, "box")
        self.top = self.stack()
        self.top_tag = self.stack("tag")
        self.var_value = module.LocalProxy(self.var)


class CrossTalk(AssertionError):
    """A worker saw a value it did not write."""


class Worker:
    """One worker's operations and the model of what it must see.

    ``value`` and ``stack`` are the model; between two steps (at a ``yield``)
    the shared locals hold exactly the model, so a driver may snapshot it.
    """

    def __init__(self, shared: Shared, token: int, n_ops: int, seed: int) -> None:
        self.shared = shared
        self.token = token
        self.n_ops = n_ops
        self.rng = random.Random(seed)
        self.value: Any = _MISSING
        self.stack: List[Item] = []
        self.box = Box(token)

    def fail(self, what: str, expected: Any, got: Any) -> None:
        raise CrossTalk(f"worker {self.token}: {what}: expected {expected!r}, got {got!r}")

    def check_value(self) -> None:
        got = getattr(self.shared.local, "value", _MISSING)
        if got is not self.value:
            self.fail("local.value", self.value, got)

    def check_top(self) -> None:
        expected = self.stack[-1] if self.stack else None
        got = self.shared.stack.top
        if got is not expected:
            self.fail("stack.top", expected, got)

    def steps(self) -> Iterator[None]:
        """Run ``n_ops`` random operations, yielding between writes and reads."""
        shared = self.shared
        local = shared.local
        for i in range(self.n_ops):
            op = self.rng.randrange(8)
            if op == 0:  # Local write
                self.value = (self.token, i)
                local.value = self.value
                yield
                self.check_value()
            elif op == 1:  # Local read
                self.check_value()
            elif op == 2:  # Local delete
                if self.value is _MISSING:
                    try:
                        del local.value
                    except AttributeError:
                        pass
                    else:
                        self.fail("del of a missing attribute", "AttributeError", None)
                else:
                    del local.value
                    self.value = _MISSING
                yield
                self.check_value()
            elif op == 3:  # push
                item = Item((self.token, i))
                self.stack.append(item)
                pushed = shared.stack.push(item)
                if len(pushed) != len(self.stack) or pushed[-1] is not item:
                    self.fail("push result", self.stack, list(pushed))
                yield
                self.check_top()
            elif op == 4:  # pop
                expected = self.stack.pop() if self.stack else None
                got = shared.stack.pop()
                if got is not expected:
                    self.fail("stack.pop()", expected, got)
                yield
                self.check_top()
            elif op == 5:  # proxy reads
                self._check_proxies()
            elif op == 6:  # proxy writes
                local.box = self.box
                shared.box.count = i
                shared.box["last"] = (self.token, i)
                yield
                if self.box.count != i or self.box.items["last"] != (self.token, i):
                    self.fail("box written through a proxy", i, vars(self.box))
                if shared.box._get_current_object() is not self.box:
                    self.fail("local.box", self.box, shared.box._get_current_object())
            else:  # a proxied ContextVar
                mine = (self.token, i)
                shared.var.set(mine)
                yield
                got = shared.var_value._get_current_object()
                if got is not mine:
                    self.fail("ContextVar proxy", mine, got)
        self._check_proxies()

    def _check_proxies(self) -> None:
        shared = self.shared
        try:
            got = shared.value._get_current_object()
        except RuntimeError:
            got = _MISSING
        if got is not self.value:
            self.fail("proxy to local.value", self.value, got)
        if self.value is not _MISSING and not shared.value == self.value:
            self.fail("proxy == value", self.value, repr(shared.value))
        if self.stack:
            top = self.stack[-1]
            if shared.top._get_current_object() is not top or shared.top_tag != top.tag:
                self.fail("proxy to stack.top", top, repr(shared.top))
        elif bool(shared.top):
            self.fail("proxy to an empty stack", "unbound", repr(shared.top))


def run_to_end(steps: Iterator[None], switch: Callable[[], Any]) -> None:
    """Drive a worker, calling ``switch`` at each of its yields."""
    for _ in steps:
        switch()


def snapshot(worker: Worker) -> Dict[str, Any]:
    """What a context copied from ``worker``'s current one must see."""
    return {"value": worker.value, "stack": list(worker.stack)}


def check_snapshot(shared: Shared, expected: Dict[str, Any], token: int) -> None:
    """Check that the current context holds ``expected``; pops the stack."""
    got = getattr(shared.local, "value", _MISSING)
    if got is not expected["value"]:
        raise CrossTalk(f"child of {token}: value {got!r}, expected {expected['value']!r}")
    items = []
    while True:
        item = shared.stack.pop()
        if item is None:
            break
        items.append(item)
    items.reverse()
    if items != expected["stack"]:
        raise CrossTalk(f"child of {token}: stack {items!r}, expected {expected['stack']!r}")


def run_greenlets(
    module: types.ModuleType, n_greenlets: int, n_ops: int, ident_func: Any = None
) -> None:
    """``n_greenlets`` plain greenlets, round-robin, switching at every yield."""
    import greenlet

    shared = Shared(module, ident_func)
    hub = greenlet.getcurrent()
    errors: List[BaseException] = []

    def body(token: int) -> None:
        try:
            run_to_end(Worker(shared, token, n_ops, seed=token).steps(), hub.switch)
        except BaseException as exc:  # reported by the hub below
            errors.append(exc)

    live = [greenlet.greenlet(body, parent=hub) for _ in range(n_greenlets)]
    for token, glet in enumerate(live):
        glet.switch(token)
    while live:
        for glet in live:
            glet.switch()
        live = [glet for glet in live if not glet.dead]
    if errors:
        raise errors[0]


def run_patched_pool(module: types.ModuleType, n_workers: int, n_ops: int, mode: str) -> None:
    """A thread pool in a monkeypatched interpreter (gevent or eventlet).

    ``threading`` is patched, so the pool's threads are green and
    ``time.sleep(0)`` yields to the other workers.
    """
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    if mode == "greenlet":
        from greenlet import getcurrent as ident_func
    else:
        ident_func = {"context": None, "thread": threading.get_ident}[mode]
    shared = Shared(module, ident_func)

    def job(token: int) -> None:
        # A pool thread runs many jobs, and its context and ident outlive
        # each of them: start each job in an empty context and release the
        # ident slots at its end, as a server does around each request.
        worker = Worker(shared, token, n_ops, seed=token)
        Context().run(run_to_end, worker.steps(), lambda: time.sleep(0))
        shared.local.__release_local__()
        shared.stack.__release_local__()

    with ThreadPoolExecutor(max_workers=32) as pool:
        for future in [pool.submit(job, token) for token in range(n_workers)]:
            future.result()


def main(argv: List[str]) -> None:
    """``_workloads.py {gevent|eventlet} IMPL MODE N_WORKERS N_OPS``.

    Monkeypatches first, then runs :func:`run_patched_pool`; a cross-talk
    raises, so the exit status tells the parent test.
    """
    framework, impl, mode, n_workers, n_ops = argv
    if framework == "gevent":
        from gevent import monkey

        monkey.patch_all()
    else:
        import eventlet

        eventlet.monkey_patch()
    run_patched_pool(load(impl), int(n_workers), int(n_ops), mode)
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1:])
