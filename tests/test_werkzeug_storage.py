"""Werkzeug's private storage variables read and written as on Werkzeug.

``LocalStack._storage`` and ``Local._Local__storage`` are Werkzeug's
``ContextVar``s (a list, a dict); code outside Werkzeug reads them. Each test
runs the same steps on ``werkzeug.local`` and on the implementation and
compares what the variable gives.
"""

from __future__ import annotations

import asyncio
import threading
from contextvars import ContextVar, copy_context
from typing import Any, Callable, List

import pytest
import werkzeug.local

from _impls import Implementation


def _both(impl: Implementation, steps: Callable[[Any], Any]) -> None:
    expected = copy_context().run(steps, werkzeug.local)
    assert copy_context().run(steps, impl) == expected


def _outcome(call: Callable[[], Any]) -> Any:
    try:
        return ("value", call())
    except LookupError as exc:
        return ("LookupError", type(exc).__name__)


def test_stack_storage_follows_pushes_and_pops(impl: Implementation) -> None:
    def steps(m: Any) -> List[Any]:
        stack = m.LocalStack()
        seen = [_outcome(stack._storage.get), stack._storage.get("default")]
        for op in ["push 1", "push 2", "push None", "pop", "pop", "pop", "pop", "push 3"]:
            if op == "pop":
                stack.pop()
            else:
                stack.push(eval(op.split()[1]))
            seen.append(stack._storage.get())
        return seen

    _both(impl, steps)


def test_stack_storage_in_asyncio_tasks(impl: Implementation) -> None:
    """Werkzeug's own test: each task sees its parent's item plus its own."""

    def steps(m: Any) -> List[Any]:
        stack = m.LocalStack()
        stack.push(1)

        async def task(n: int) -> Any:
            stack.push(n)
            return stack._storage.get()

        async def main() -> Any:
            return await asyncio.gather(*(task(n) for n in range(3)))

        return [asyncio.run(main()), stack._storage.get()]

    _both(impl, steps)


def test_stack_storage_of_a_user_variable_holding_a_list(impl: Implementation) -> None:
    def steps(m: Any) -> List[Any]:
        var: ContextVar[Any] = ContextVar("user-stack")
        var.set([1, 2])
        stack = m.LocalStack(var)
        seen = [stack._storage.get(), stack._storage.name]
        stack.push(3)
        seen.append(stack._storage.get())
        return seen

    _both(impl, steps)


def test_stack_storage_set_and_reset(impl: Implementation) -> None:
    def steps(m: Any) -> List[Any]:
        stack = m.LocalStack()
        stack.push("a")
        token = stack._storage.set(["x", "y"])
        seen = [stack.top, stack._storage.get(), stack.pop(), stack.top]
        stack._storage.reset(token)
        seen += [stack.top, stack._storage.get()]
        stack._storage.set([])
        seen += [stack.top, stack.pop(), stack._storage.get()]
        return seen

    _both(impl, steps)


def test_stack_storage_in_ident_mode(impl: Implementation) -> None:
    stack = impl.LocalStack()
    stack.__ident_func__ = threading.get_ident
    assert stack._storage.get() == []
    stack.push(1)
    stack.push(2)
    assert stack._storage.get() == [1, 2]
    seen: List[Any] = []
    thread = threading.Thread(target=lambda: seen.append(stack._storage.get()))
    thread.start()
    thread.join()
    assert seen == [[]]


def test_local_storage_reads_the_values_in_werkzeugs_order(impl: Implementation) -> None:
    def steps(m: Any) -> List[Any]:
        local = m.Local()
        seen = [local._Local__storage.get({})]
        local.b = 1
        local.a = 2
        seen.append(local._Local__storage.get({}))
        del local.b
        local.c = 3
        local.b = 4
        seen.append(local._Local__storage.get({}))
        m.release_local(local)
        seen.append(local._Local__storage.get({}))
        return seen

    _both(impl, steps)


@pytest.mark.parametrize("user_var", [False, True])
def test_local_storage_set(impl: Implementation, user_var: bool) -> None:
    def steps(m: Any) -> List[Any]:
        local = m.Local(ContextVar("user-local")) if user_var else m.Local()
        local.old = 0
        local._Local__storage.set({"x": 1, "y": 2})
        return [dict(iter(local)), local.x, getattr(local, "old", "gone")]

    _both(impl, steps)


def test_storage_names_read_on_subclasses(impl: Implementation) -> None:
    class MyLocal(impl.Local):  # type: ignore[name-defined, misc]
        pass

    class MyStack(impl.LocalStack):  # type: ignore[name-defined, misc]
        pass

    local, stack = MyLocal(), MyStack()
    local.a = 1
    stack.push(2)
    assert local._Local__storage.get() == {"a": 1}
    assert stack._storage.get() == [2]
