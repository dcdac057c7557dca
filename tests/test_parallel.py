"""Threads sharing locals, stacks and proxies while they change them.

Written for free-threaded CPython, where the compiled module runs without the
GIL, and run on every interpreter: with a GIL, the switch interval is set to
1 microsecond (and restored after), so the interpreter switches threads
between almost every pair of bytecodes.

Each test starts ``THREADS`` threads at one barrier on shared objects. Every
thread keeps its own model of what it wrote, and checks every read against it:
a value another thread wrote, a lost write, or a crash fails the test. Where
another thread changes the object itself (``__ident_func__`` switched,
``__init__`` called again), a read may find the storage reset, but never a
value that this thread did not write. Iterations are bounded: the whole file
runs in seconds.

Under a debug interpreter (ci/refcount-dbg.sh), ``test_refcounts_flat`` runs
one of these workloads in rounds and checks ``sys.gettotalrefcount()`` stays
flat.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from contextvars import ContextVar
from typing import Any, Callable, Dict, List, Optional

import pytest

from _impls import Implementation

THREADS = 4
ITERATIONS = 1000
JOIN_TIMEOUT = 60.0  # seconds: far beyond a run, a hang fails instead of blocking CI


def gil_enabled() -> bool:
    is_enabled: Optional[Callable[[], bool]] = getattr(sys, "_is_gil_enabled", None)
    return True if is_enabled is None else is_enabled()


# conftest.py's fixture: with a GIL, a switch between almost every two bytecodes.
pytestmark = pytest.mark.usefixtures("fast_switching")


def run_threads(work: Callable[[int, threading.Barrier], None], count: int = THREADS) -> None:
    """Run ``work(index, barrier)`` in ``count`` threads; re-raise the first failure."""
    barrier = threading.Barrier(count)
    failures: List[BaseException] = []

    def body(index: int) -> None:
        try:
            work(index, barrier)
        except BaseException as exc:  # reported by the main thread below
            failures.append(exc)
            barrier.abort()  # the others stop waiting for this one

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after {JOIN_TIMEOUT}s: {hung}"
    real = [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
    if real:
        raise real[0]
    assert not failures, failures


class Mine:
    """A value that says which thread wrote it, and when."""

    __slots__ = ("thread", "step")

    def __init__(self, thread: int, step: int) -> None:
        self.thread = thread
        self.step = step

    def __repr__(self) -> str:
        return f"Mine({self.thread}, {self.step})"


def expect(seen: Any, wanted: Any, what: str) -> None:
    assert seen is wanted, f"{what}: read {seen!r}, this thread wrote {wanted!r}"


# ------------------------------------------------------------------ Local ---


def local_workload(impl: Implementation, local: Any, index: int, barrier: threading.Barrier) -> None:
    """Write, read, delete and iterate this thread's attributes of ``local``.

    Some names every thread uses, one is this thread's own; the model is
    what this thread last wrote (its storage is its own: contexts or idents).
    """
    own = f"own{index}"
    model: Dict[str, Any] = {}
    shared_proxy = local("common")
    barrier.wait()
    for step in range(ITERATIONS):
        value = Mine(index, step)
        name = ("common", "other", own)[step % 3]
        setattr(local, name, value)
        model[name] = value
        expect(getattr(local, name), value, f"local.{name}")
        if "common" in model:
            expect(shared_proxy._get_current_object(), model["common"], "shared proxy")
            expect(local("common")._get_current_object(), model["common"], "new proxy")
        if step % 7 == 6:
            victim = ("common", "other", own)[step % 3]
            delattr(local, victim)
            del model[victim]
            with pytest.raises(AttributeError):
                getattr(local, victim)
        seen = dict(iter(local))
        assert seen == model, f"iteration: {seen!r}, model {model!r}"
        if step % 50 == 49:
            impl.release_local(local)
            model.clear()
            assert dict(iter(local)) == {}
            with pytest.raises(RuntimeError):
                shared_proxy._get_current_object()


@pytest.mark.parametrize("storage", ["names", "context_var"])
def test_shared_local(impl: Implementation, storage: str) -> None:
    var: Optional[ContextVar[Dict[str, Any]]] = (
        ContextVar("test_parallel.local") if storage == "context_var" else None
    )
    local = impl.Local(var)
    run_threads(lambda index, barrier: local_workload(impl, local, index, barrier))


def test_shared_local_ident_mode(impl: Implementation) -> None:
    local = impl.Local()
    local.__ident_func__ = threading.get_ident
    run_threads(lambda index, barrier: local_workload(impl, local, index, barrier))
    assert local.__storage__ == {} or all(not slot for slot in local.__storage__.values())


# ------------------------------------------------------------- LocalStack ---


def stack_workload(stack: Any, index: int, barrier: threading.Barrier) -> None:
    """Push and pop on ``stack`` against this thread's model of it."""
    model: List[Any] = []
    top = stack()
    top_step = stack("step")
    barrier.wait()
    for step in range(ITERATIONS):
        if step % 3 == 2 and model:
            expect(stack.pop(), model.pop(), "pop")
        else:
            value = Mine(index, step)
            view = stack.push(value)
            model.append(value)
            assert len(view) == len(model) and view[-1] is value
            assert list(view) == model, f"view {list(view)!r}, model {model!r}"
        if model:
            expect(stack.top, model[-1], "stack.top")
            expect(top._get_current_object(), model[-1], "stack proxy")
            assert top_step == model[-1].step
        else:
            assert stack.top is None
            assert not top
    while model:
        expect(stack.pop(), model.pop(), "pop")
    assert stack.pop() is None


def test_shared_stack(impl: Implementation) -> None:
    stack = impl.LocalStack()
    run_threads(lambda index, barrier: stack_workload(stack, index, barrier))


def test_shared_stack_ident_mode(impl: Implementation) -> None:
    stack = impl.LocalStack()
    stack.__ident_func__ = threading.get_ident
    run_threads(lambda index, barrier: stack_workload(stack, index, barrier))


def test_shared_stack_view(impl: Implementation) -> None:
    """One StackView read by every thread at once: its list is made once."""
    stack = impl.LocalStack()
    for round_ in range(ITERATIONS // 10):
        items = [Mine(-1, i) for i in range(round_ % 5 + 1)]
        for item in items:
            view = stack.push(item)
        views = [view]

        def read(index: int, barrier: threading.Barrier) -> None:
            barrier.wait()
            assert list(views[0]) == items
            assert views[0] == items and len(views[0]) == len(items)

        run_threads(read)
        for _ in items:
            stack.pop()


# ------------------------------------------------------------- LocalProxy ---


def test_proxies_made_and_read_together(impl: Implementation) -> None:
    """Fresh proxies of every kind, and one shared proxy first read by all at once."""
    var: ContextVar[Any] = ContextVar("test_parallel.var")
    local = impl.Local()
    stack = impl.LocalStack()
    current: Dict[int, Any] = {}

    def work(index: int, barrier: threading.Barrier) -> None:
        for step in range(ITERATIONS // 3):
            value = Mine(index, step)
            var.set(value)
            local.obj = value
            stack.push(value)
            current[threading.get_ident()] = value
            if index == 0:
                shared.append(impl.LocalProxy(var))
            barrier.wait()  # every thread reads the new shared proxy first at once
            proxies = [
                shared[-1],
                impl.LocalProxy(var),
                local("obj"),
                stack(),
                impl.LocalProxy(lambda: current[threading.get_ident()]),
            ]
            for proxy in proxies:
                expect(proxy._get_current_object(), value, repr(type(proxy)))
                assert proxy.step == step and proxy.thread == index
            getter = shared[-1]._get_current_object
            assert getter is shared[-1]._get_current_object  # made once
            stack.pop()
            barrier.wait()

    shared: List[Any] = []
    run_threads(work)


# ------------------------------------------- objects changed while in use ---


def test_ident_func_switched_while_in_use(impl: Implementation) -> None:
    """One thread switches ``__ident_func__`` (each switch starts empty storage)
    while the others write and read: a read finds this thread's last value
    or nothing, never another's."""
    local = impl.Local()
    stack = impl.LocalStack()
    funcs = [threading.get_ident, lambda: threading.get_ident()]
    done = threading.Event()

    def work(index: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        if index == 0:
            for step in range(ITERATIONS):
                local.__ident_func__ = funcs[step % 2]
                stack.__ident_func__ = funcs[step % 2]
            done.set()
            return
        step = 0
        while not done.is_set() or step < ITERATIONS // 3:
            value = Mine(index, step)
            local.value = value
            try:
                expect(local.value, value, "local.value")
            except AttributeError:
                pass  # the storage was switched since the write
            stack.push(value)
            top = stack.top
            assert top is None or top is value, f"stack.top {top!r}, pushed {value!r}"
            popped = stack.pop()
            assert popped is None or popped is value, f"pop {popped!r}, pushed {value!r}"
            step += 1

    run_threads(work)


def test_init_called_again_while_in_use(impl: Implementation) -> None:
    """One thread calls ``__init__`` again on a shared LocalStack, proxy and
    (compiled module) Local, switching their storage and the proxy's kind of
    target, while the others use them: no crash, and no value another thread
    wrote."""
    local = impl.Local()
    stack = impl.LocalStack()
    var: ContextVar[Any] = ContextVar("test_parallel.init")
    proxy = impl.LocalProxy(var)
    done = threading.Event()

    def retarget(step: int) -> None:
        kind = step % 3
        if kind == 0:
            impl.LocalProxy.__init__(proxy, var)
        elif kind == 1:
            impl.LocalProxy.__init__(proxy, stack)
        else:
            impl.LocalProxy.__init__(proxy, lambda: var.get())

    # Free-threaded only: a read or write that overlaps __init__ in another
    # thread may find some of the object's fields new and others old (the
    # compiled module writes them one by one, without a lock for readers),
    # and fail with one of these, but never crash or read another thread's
    # value. With a GIL each __init__ happens at once: no failure allowed.
    torn = () if gil_enabled() else (AttributeError, TypeError)

    def work(index: int, barrier: threading.Barrier) -> None:
        barrier.wait()
        if index == 0:
            for step in range(ITERATIONS):
                # The Local only on the compiled module, with new storage each
                # time (a ContextVar used again would still hold this thread's
                # older values). The pure Local's __init__ sets three
                # attributes in turn: a thread that runs between two of them
                # writes to the new storage and reads the old (a stale value
                # of its own, seen on PyPy) or fails with an AttributeError
                # from inside the module. Its stack and proxy swap one
                # attribute each.
                if impl.name == "cython":
                    storage = ContextVar(f"test_parallel.local-{step}") if step % 2 else None
                    impl.Local.__init__(local, storage)
                impl.LocalStack.__init__(stack)
                retarget(step)
            done.set()
            return
        step = 0
        while not done.is_set() or step < ITERATIONS // 3:
            value = Mine(index, step)
            var.set(value)
            try:
                local.value = value
            except torn:
                pass
            try:
                expect(local.value, value, "local.value")
            except AttributeError:
                pass  # __init__ gave it new storage since the write
            stack.push(value)
            try:
                target = proxy._get_current_object()
            except RuntimeError:
                pass  # a stack proxy, after __init__ gave the stack new storage
            except torn:
                pass
            else:
                expect(target, value, "proxy")
            stack.pop()
            step += 1

    run_threads(work)


# ---------------------------------------------------------- debug builds ---


@pytest.mark.skipif(
    not hasattr(sys, "gettotalrefcount") and os.environ.get("CTXLOCAL_REQUIRE_DEBUG") != "1",
    reason="needs a debug build of CPython (run ci/refcount-dbg.sh)",
)
def test_refcounts_flat(impl: Implementation) -> None:
    """The shared Local, stack and proxies in threads: no reference leaked."""
    assert hasattr(sys, "gettotalrefcount"), "CTXLOCAL_REQUIRE_DEBUG=1 needs a debug build"
    total: Callable[[], int] = getattr(sys, "gettotalrefcount")

    def workload() -> None:
        local = impl.Local()
        ident_local = impl.Local()
        ident_local.__ident_func__ = threading.get_ident
        stack = impl.LocalStack()

        def work(index: int, barrier: threading.Barrier) -> None:
            local_workload(impl, local, index, barrier)
            local_workload(impl, ident_local, index, barrier)
            stack_workload(stack, index, barrier)

        run_threads(work)
        impl.release_local(ident_local)

    workload()
    deltas = []
    for _ in range(4):
        gc.collect()
        before = total()
        workload()
        gc.collect()
        deltas.append(total() - before)
    # A leak of one reference per operation would add thousands per round.
    assert min(deltas[1:]) < ITERATIONS // 3, deltas


def test_expect_fails_on_an_equal_copy() -> None:
    """The checks above compare identity: a value equal to this thread's but
    written by another would fail them."""
    with pytest.raises(AssertionError, match="this thread wrote"):
        expect(Mine(1, 0), Mine(1, 0), "a copy")
