"""Werkzeug <= 1.0's ident API: ``__ident_func__``, ``__storage__`` and automatic release."""

from __future__ import annotations

import contextvars
import gc
import subprocess
import sys
import threading
import types
from typing import Any, Callable, Dict, List

import greenlet
import pytest

from _impls import Implementation
from ctxlocal._ident import ident_store


class Ident:
    """An ident function the test controls: it returns ``self.value``."""

    def __init__(self, value: Any = "a") -> None:
        self.value = value

    def __call__(self) -> Any:
        return self.value


def _run_threads(count: int, target: Callable[[int], Any]) -> List[Any]:
    results: List[Any] = [None] * count

    def run(index: int) -> None:
        results[index] = target(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# __ident_func__ -----------------------------------------------------------------


def test_default_ident_func_is_greenlet_getcurrent(impl: Implementation) -> None:
    assert impl.Local().__ident_func__ is greenlet.getcurrent
    assert impl.LocalStack().__ident_func__ is greenlet.getcurrent


def test_default_ident_func_without_greenlet(impl: Implementation) -> None:
    """Without greenlet, the default is threading.get_ident (a fresh interpreter)."""
    code = (
        "import sys, threading\n"
        "sys.modules['greenlet'] = None\n"
        f"import {impl.module.__name__} as m\n"
        "assert m.Local().__ident_func__ is threading.get_ident\n"
        "assert m.LocalStack().__ident_func__ is threading.get_ident\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


@pytest.mark.parametrize("how", ["assign", "object_setattr"])
def test_assign_ident_func_to_a_local(impl: Implementation, how: str) -> None:
    local = impl.Local()
    ident = Ident()
    if how == "assign":
        local.__ident_func__ = ident
    else:
        object.__setattr__(local, "__ident_func__", ident)
    assert local.__ident_func__ is ident
    # It is the ident function, not a stored value.
    assert list(local) == []


@pytest.mark.parametrize("how", ["assign", "object_setattr"])
def test_assign_ident_func_to_a_stack(impl: Implementation, how: str) -> None:
    stack = impl.LocalStack()
    ident = Ident()
    if how == "assign":
        stack.__ident_func__ = ident
    else:
        object.__setattr__(stack, "__ident_func__", ident)
    assert stack.__ident_func__ is ident


@pytest.mark.parametrize("bad", [None, 1, "ident"])
def test_non_callable_ident_func_is_refused(impl: Implementation, bad: Any) -> None:
    local = impl.Local()
    stack = impl.LocalStack()
    with pytest.raises(TypeError):
        local.__ident_func__ = bad
    with pytest.raises(TypeError):
        object.__setattr__(local, "__ident_func__", bad)
    with pytest.raises(TypeError):
        stack.__ident_func__ = bad
    assert local.__ident_func__ is greenlet.getcurrent
    assert stack.__ident_func__ is greenlet.getcurrent


def test_values_are_keyed_by_the_ident(impl: Implementation) -> None:
    local = impl.Local()
    ident = Ident("a")
    local.__ident_func__ = ident
    proxy = local("value")
    local.value = 1
    local.other = "x"
    ident.value = "b"
    assert list(local) == []
    assert not proxy
    with pytest.raises(AttributeError):
        local.value
    local.value = 2
    assert proxy == 2
    ident.value = "a"
    assert dict(local) == {"value": 1, "other": "x"}
    assert proxy == 1
    del local.value
    with pytest.raises(AttributeError) as info:
        del local.value
    assert str(info.value) == "value"
    ident.value = "b"
    assert local.value == 2


def test_stack_is_keyed_by_the_ident(impl: Implementation) -> None:
    stack = impl.LocalStack()
    ident = Ident("a")
    stack.__ident_func__ = ident
    top = stack()
    assert stack.push(1) == [1]
    assert stack.push(2) == [1, 2]
    ident.value = "b"
    assert stack.top is None
    assert not top
    assert stack.push(3) == [3]
    assert top == 3
    ident.value = "a"
    assert stack.top == 2
    assert top == 2
    assert stack.pop() == 2
    assert stack.pop() == 1
    assert stack.pop() is None


def test_proxies_made_before_the_switch_read_the_ident_storage(impl: Implementation) -> None:
    local = impl.Local()
    proxy = local("value")
    dotted = local("obj.attr")
    local.value = "context"
    assert proxy == "context"
    local.__ident_func__ = Ident()
    assert not proxy
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        dotted._get_current_object()
    local.value = "ident"
    local.obj = types.SimpleNamespace(attr=1)
    assert proxy == "ident"
    assert dotted == 1


def test_switching_to_ident_mode_starts_empty(impl: Implementation) -> None:
    local = impl.Local()
    stack = impl.LocalStack()
    local.value = "context"
    stack.push("context")
    local.__ident_func__ = Ident()
    stack.__ident_func__ = Ident()
    assert list(local) == []
    assert stack.top is None


def test_ident_mode_ignores_contexts(impl: Implementation) -> None:
    """Keyed by the ident alone, as in Werkzeug 1.0: a copied context shares the values."""
    local = impl.Local()
    stack = impl.LocalStack()
    local.__ident_func__ = Ident()
    stack.__ident_func__ = Ident()

    def child() -> None:
        local.value = "from child"
        stack.push("from child")

    contextvars.copy_context().run(child)
    assert local.value == "from child"
    assert stack.top == "from child"


def test_release_in_ident_mode(impl: Implementation) -> None:
    local = impl.Local()
    stack = impl.LocalStack()
    ident = Ident("a")
    local.__ident_func__ = ident
    stack.__ident_func__ = ident
    local.value = 1
    stack.push(1)
    ident.value = "b"
    local.value = 2
    stack.push(2)
    impl.release_local(local)
    stack.__release_local__()
    assert list(local) == []
    assert stack.top is None
    assert local.__storage__ == {"a": {"value": 1}}
    ident.value = "a"
    assert local.value == 1
    assert stack.top == 1


# __storage__ --------------------------------------------------------------------


def test_storage_in_ident_mode_is_live(impl: Implementation) -> None:
    local = impl.Local()
    ident = Ident("a")
    local.__ident_func__ = ident
    assert local.__storage__ == {}
    local.x = 1
    storage = local.__storage__
    assert storage == {"a": {"x": 1}}
    ident.value = "b"
    local.x = 2
    local.y = 3
    assert storage == {"a": {"x": 1}, "b": {"x": 2, "y": 3}}
    storage["c"] = {"x": "planted"}
    ident.value = "c"
    assert local.x == "planted"


def test_storage_in_context_mode(impl: Implementation) -> None:
    local = impl.Local()
    assert local.__storage__ == {greenlet.getcurrent(): {}}
    local.a = 1
    local.b = 2
    assert local.__storage__ == {greenlet.getcurrent(): {"a": 1, "b": 2}}
    # A snapshot: changing it does not write to the local.
    local.__storage__[greenlet.getcurrent()]["c"] = 3
    assert not hasattr(local, "c")

    def child() -> Any:
        local.a = "child"
        return local.__storage__

    assert contextvars.copy_context().run(child) == {
        greenlet.getcurrent(): {"a": "child", "b": 2}
    }
    assert local.__storage__ == {greenlet.getcurrent(): {"a": 1, "b": 2}}


def test_stack_storage(impl: Implementation) -> None:
    stack = impl.LocalStack()
    assert stack.__storage__ == {}
    stack.push(1)
    stack.push(2)
    assert stack.__storage__ == {greenlet.getcurrent(): {"stack": [1, 2]}}
    ident = Ident("a")
    stack.__ident_func__ = ident
    stack.push("x")
    ident.value = "b"
    stack.push("y")
    stack.push("z")
    assert stack.__storage__ == {"a": {"stack": ["x"]}, "b": {"stack": ["y", "z"]}}
    stack.pop()
    stack.pop()
    # As in Werkzeug 1.0, popping the last item releases the ident's entry.
    assert stack.__storage__ == {"a": {"stack": ["x"]}}


# scoped_session-style use ----------------------------------------------------------


def test_scoped_registry_keyed_by_the_stack_ident(impl: Implementation) -> None:
    """Flask-SQLAlchemy 2.x passed ``stack.__ident_func__`` as scopefunc: one session each."""
    stack = impl.LocalStack()
    sessions: Dict[Any, object] = {}
    lock = threading.Lock()

    def session() -> object:
        with lock:
            return sessions.setdefault(stack.__ident_func__(), object())

    main = session()
    assert session() is main
    in_threads = _run_threads(4, lambda i: (session(), session()))
    for first, second in in_threads:
        assert first is second
        assert first is not main
    assert len({id(first) for first, _ in in_threads}) == 4

    in_greenlets = [greenlet.greenlet(lambda: (session(), session())).switch() for _ in range(3)]
    for first, second in in_greenlets:
        assert first is second
        assert first is not main
    assert len({id(first) for first, _ in in_greenlets}) == 3


# Changes through __storage__ reach code that read before -----------------------------
# A thread (or greenlet) keeps its own slot at hand once it has read it: what
# is changed through __storage__ must still be what the next read sees.

IDENT_FUNCS = {"thread": threading.get_ident, "greenlet": greenlet.getcurrent}


@pytest.mark.parametrize("kind", sorted(IDENT_FUNCS))
def test_storage_changes_reach_the_next_read(impl: Implementation, kind: str) -> None:
    func = IDENT_FUNCS[kind]
    local = impl.Local()
    local.__ident_func__ = func
    proxy = local("value")
    local.value = 1
    assert local.value == 1
    assert proxy == 1
    me = func()
    # As Werkzeug 0.x's LocalManager.cleanup released a local.
    assert local.__storage__.pop(me) == {"value": 1}
    with pytest.raises(AttributeError):
        local.value
    assert not proxy
    local.value = 2
    assert local.__storage__ == {me: {"value": 2}}
    local.__storage__[me] = {"value": "planted"}
    assert local.value == "planted"
    local.other = 3
    assert local.__storage__[me] == {"value": "planted", "other": 3}
    local.__storage__.clear()
    assert list(local) == []
    assert not hasattr(local, "other")
    impl.release_local(local)
    local.value = 4
    assert dict(local) == {"value": 4}


@pytest.mark.parametrize("kind", sorted(IDENT_FUNCS))
def test_stack_storage_changes_reach_the_next_read(impl: Implementation, kind: str) -> None:
    stack = impl.LocalStack()
    stack.__ident_func__ = IDENT_FUNCS[kind]
    stack.push(1)
    assert stack.top == 1
    stack.__release_local__()
    assert stack.top is None
    stack.push(2)
    stack._storage.set(["a", "b"])
    assert stack.top == "b"
    assert stack.pop() == "b"
    assert stack.__storage__ == {IDENT_FUNCS[kind](): {"stack": ["a"]}}


def test_storage_cleared_from_another_thread(impl: Implementation) -> None:
    local = impl.Local()
    local.__ident_func__ = threading.get_ident
    wrote, cleared = threading.Event(), threading.Event()
    seen: List[Any] = []

    def worker() -> None:
        local.value = "worker"
        seen.append(local.value)
        wrote.set()
        cleared.wait(10)
        seen.append(getattr(local, "value", "released"))
        local.value = "again"
        seen.append(local.value)

    thread = threading.Thread(target=worker)
    thread.start()
    wrote.wait(10)
    local.value = "main"
    assert local.__storage__.pop(thread.ident) == {"value": "worker"}
    cleared.set()
    thread.join()
    assert seen == ["worker", "released", "again"]
    assert local.value == "main"


def test_a_slot_planted_for_a_thread_is_read_there(impl: Implementation) -> None:
    local = impl.Local()
    local.__ident_func__ = threading.get_ident
    planted = threading.Event()
    seen: List[Any] = []

    def worker() -> None:
        planted.wait(10)
        seen.append(local.value)
        local.value = "written"

    thread = threading.Thread(target=worker)
    thread.start()
    slot = {"value": "planted"}
    local.__storage__[thread.ident] = slot
    planted.set()
    thread.join()
    assert seen == ["planted"]
    # Written in place, as Werkzeug 1.0 did; a planted slot stays until
    # released, as every slot did there.
    assert slot == {"value": "written"}
    assert local.__storage__[thread.ident] is slot


def test_greenlets_of_one_thread_read_their_own_slots(impl: Implementation) -> None:
    local = impl.Local()
    local.__ident_func__ = greenlet.getcurrent
    stack = impl.LocalStack()
    stack.__ident_func__ = greenlet.getcurrent
    local.value = "main"
    stack.push("main")

    def run(name: str) -> List[Any]:
        local.value = name
        stack.push(name)
        seen = [local.value, stack.top]
        greenlet.getcurrent().parent.switch()
        seen += [local.value, stack.pop(), stack.top]
        return seen

    first, second = greenlet.greenlet(run), greenlet.greenlet(run)
    first.switch("first")
    second.switch("second")
    assert (local.value, stack.top) == ("main", "main")
    assert first.switch() == ["first", "first", "first", "first", None]
    assert second.switch() == ["second", "second", "second", "second", None]
    assert (local.value, stack.top) == ("main", "main")


def test_a_thread_does_not_take_a_finished_threads_slot() -> None:
    """PyPy may run a finished thread's reaper after its ident went to a new
    thread: a slot another thread made under this ident is not this one's."""
    store = ident_store(threading.get_ident)
    store.cells[threading.get_ident()] = ["left behind", -1]  # no live reaper has -1
    assert store.get("nothing") == "nothing"
    assert store.data == {}
    store.set("mine")
    assert store.get() == "mine"
    assert dict(store.data) == {threading.get_ident(): "mine"}


# Automatic release -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Local", "LocalStack"])
def test_thread_data_is_released_when_threads_end(impl: Implementation, kind: str) -> None:
    local = getattr(impl, kind)()
    local.__ident_func__ = threading.get_ident

    def write(index: int) -> Any:
        if kind == "Local":
            local.value = index
            return local.value
        local.push(index)
        return local.top

    if kind == "Local":
        local.value = "main"
    else:
        local.push("main")
    assert _run_threads(4, write) == [0, 1, 2, 3]
    # CPython releases at thread exit; PyPy runs the finalizers at collection.
    gc.collect()
    main = threading.get_ident()
    assert list(local.__storage__) == [main]
    impl.release_local(local)
    assert local.__storage__ == {}


@pytest.mark.parametrize("kind", ["Local", "LocalStack"])
def test_greenlet_data_is_released_when_greenlets_die(
    impl: Implementation, kind: str
) -> None:
    local = getattr(impl, kind)()
    local.__ident_func__ = greenlet.getcurrent

    def write(index: int) -> Any:
        if kind == "Local":
            local.value = index
            greenlet.getcurrent().parent.switch()
            return local.value
        local.push(index)
        greenlet.getcurrent().parent.switch()
        return local.top

    greenlets = [greenlet.greenlet(write) for _ in range(3)]
    for index, each in enumerate(greenlets):
        each.switch(index)
    # All three are suspended, each with its own value.
    assert len(local.__storage__) == 3
    assert [each.switch() for each in greenlets] == [0, 1, 2]
    assert all(each.dead for each in greenlets)
    del greenlets, each
    gc.collect()
    assert len(local.__storage__) == 0


def test_other_ident_funcs_keep_data_until_released(impl: Implementation) -> None:
    local = impl.Local()
    stack = impl.LocalStack()
    names = threading.local()

    def ident() -> Any:
        return getattr(names, "name", "main")

    local.__ident_func__ = ident
    stack.__ident_func__ = ident

    def write(index: int) -> None:
        names.name = f"thread {index}"
        local.value = index
        stack.push(index)

    _run_threads(3, write)
    gc.collect()
    assert local.__storage__ == {f"thread {i}": {"value": i} for i in range(3)}
    assert stack.__storage__ == {f"thread {i}": {"stack": [i]} for i in range(3)}

    def release(index: int) -> None:
        names.name = f"thread {index}"
        impl.release_local(local)
        impl.release_local(stack)

    _run_threads(2, release)
    assert local.__storage__ == {"thread 2": {"value": 2}}
    assert stack.__storage__ == {"thread 2": {"stack": [2]}}
