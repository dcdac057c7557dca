"""Local: per-context attributes, stored copy-on-write as Werkzeug 3.1 does."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import weakref
from typing import Any, Dict, List

import pytest

from _impls import Implementation


def test_set_get_delete(impl: Implementation) -> None:
    local = impl.Local()
    local.user = "alice"
    local.count = 3
    assert local.user == "alice"
    assert local.count == 3
    local.user = "bob"
    assert local.user == "bob"
    del local.user
    with pytest.raises(AttributeError):
        local.user
    assert local.count == 3


def test_missing_attribute_error_is_the_name(impl: Implementation) -> None:
    local = impl.Local()
    with pytest.raises(AttributeError) as info:
        local.missing
    assert str(info.value) == "missing"
    assert info.value.args == ("missing",)
    with pytest.raises(AttributeError) as info:
        del local.gone
    assert str(info.value) == "gone"
    assert getattr(local, "missing", "default") == "default"
    assert not hasattr(local, "missing")


def test_values_are_per_context(impl: Implementation) -> None:
    local = impl.Local()

    def child() -> List[Any]:
        seen = [getattr(local, "value", None)]
        local.value = "child"
        seen.append(local.value)
        return seen

    assert contextvars.copy_context().run(child) == [None, "child"]
    assert not hasattr(local, "value")


def test_child_context_sees_parent_values_but_never_leaks(impl: Implementation) -> None:
    local = impl.Local()
    local.a = 1
    local.b = 2

    def child() -> Dict[str, Any]:
        before = dict(local)
        local.a = "changed"
        local.c = 3
        del local.b
        return {"before": before, "after": dict(local)}

    seen = contextvars.copy_context().run(child)
    assert seen == {"before": {"a": 1, "b": 2}, "after": {"a": "changed", "c": 3}}
    assert dict(local) == {"a": 1, "b": 2}


def test_parent_writes_after_copy_are_not_seen_by_child(impl: Implementation) -> None:
    local = impl.Local()
    local.a = 1
    ctx = contextvars.copy_context()
    local.a = 2
    assert ctx.run(lambda: local.a) == 1
    assert local.a == 2


def test_asyncio_child_tasks_are_isolated(impl: Implementation) -> None:
    local = impl.Local()

    async def child(name: str) -> Dict[str, Any]:
        inherited = dict(local)
        local.name = name
        await asyncio.sleep(0)
        local.extra = name * 2
        await asyncio.sleep(0)
        return {"inherited": inherited, "own": dict(local)}

    async def main() -> Any:
        local.name = "parent"
        results = await asyncio.gather(child("x"), child("y"))
        return results, dict(local)

    results, parent = asyncio.run(main())
    assert results == [
        {"inherited": {"name": "parent"}, "own": {"name": "x", "extra": "xx"}},
        {"inherited": {"name": "parent"}, "own": {"name": "y", "extra": "yy"}},
    ]
    assert parent == {"name": "parent"}


def test_iter_yields_name_value_pairs(impl: Implementation) -> None:
    local = impl.Local()
    assert list(local) == []
    local.a = 1
    local.b = [2]
    pairs = list(local)
    assert sorted(pairs) == [("a", 1), ("b", [2])]
    assert all(type(pair) is tuple for pair in pairs)
    assert dict(local) == {"a": 1, "b": [2]}


def test_call_returns_a_proxy_to_the_attribute(impl: Implementation) -> None:
    local = impl.Local()
    proxy = local("user")
    assert type(proxy) is impl.LocalProxy
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        proxy.upper()
    local.user = "alice"
    assert proxy.upper() == "ALICE"
    assert proxy == "alice"
    local.user = "bob"
    assert proxy == "bob"


def test_call_with_unbound_message(impl: Implementation) -> None:
    local = impl.Local()
    proxy = local("user", unbound_message="no user")
    with pytest.raises(RuntimeError) as info:
        str(proxy)
    assert str(info.value) == "no user"
    with pytest.raises(TypeError):
        local("user", "positional message")  # type: ignore[misc]


@pytest.mark.parametrize("how", ["method", "function"])
def test_release_local(impl: Implementation, how: str) -> None:
    local = impl.Local()
    local.a = 1
    local.b = 2
    if how == "method":
        local.__release_local__()
    else:
        impl.release_local(local)
    assert list(local) == []
    with pytest.raises(AttributeError):
        local.a
    local.a = 3
    assert dict(local) == {"a": 3}


def test_release_in_a_child_context_keeps_the_parent_values(impl: Implementation) -> None:
    local = impl.Local()
    local.a = 1

    def child() -> List[Any]:
        impl.release_local(local)
        return list(local)

    assert contextvars.copy_context().run(child) == []
    assert local.a == 1


def test_user_context_var_with_a_plain_dict(impl: Implementation) -> None:
    """A ContextVar already holding Werkzeug's format (a dict) is the storage."""

    def run() -> None:
        var: contextvars.ContextVar[Dict[str, Any]] = contextvars.ContextVar("storage")
        original = {"a": 1}
        var.set(original)
        local = impl.Local(var)
        assert local.a == 1
        assert dict(local) == {"a": 1}
        local.b = 2
        assert var.get() == {"a": 1, "b": 2}
        del local.a
        assert var.get() == {"b": 2}
        # Copy-on-write: the dict the user stored is never mutated.
        assert original == {"a": 1}
        var.set({"c": 3})
        assert dict(local) == {"c": 3}
        local.__release_local__()
        assert var.get() == {}

    contextvars.copy_context().run(run)


def test_user_context_var_shared_by_two_locals(impl: Implementation) -> None:
    var: contextvars.ContextVar[Dict[str, Any]] = contextvars.ContextVar("shared")
    first = impl.Local(var)
    second = impl.Local(context_var=var)
    first.x = 1
    assert second.x == 1


def test_locals_are_independent(impl: Implementation) -> None:
    one = impl.Local()
    two = impl.Local()
    one.a = 1
    assert not hasattr(two, "a")


def test_arbitrary_attribute_names(impl: Implementation) -> None:
    local = impl.Local()
    for name in ("push", "top", "storage", "_private", "__dunder_like__", "with space"):
        setattr(local, name, name.upper())
    for name in ("push", "top", "storage", "_private", "__dunder_like__", "with space"):
        assert getattr(local, name) == name.upper()


def test_weak_reference(impl: Implementation) -> None:
    local = impl.Local()
    ref = weakref.ref(local)
    assert ref() is local
    del local
    gc.collect()
    assert ref() is None


def test_writes_while_iterating(impl: Implementation) -> None:
    """Iteration sees the values of when it started; writes store a new dict."""
    local = impl.Local()
    local.a = 1
    local.b = 2
    seen = []
    for name, value in local:
        seen.append((name, value))
        local.c = 3
        if hasattr(local, "a"):
            del local.a
    assert sorted(seen) == [("a", 1), ("b", 2)]
    assert dict(local) == {"b": 2, "c": 3}


def _werkzeug_local() -> Any:
    from werkzeug.local import Local

    return Local()


def _order_program(local: Any) -> List[List[Any]]:
    """Sets, deletes and re-sets names, in a context and in a copy of it."""
    seen = []
    local.a = 1
    local.b = 2
    local.c = 3
    del local.a
    local.a = 4
    local.b = 5  # an existing name keeps its place
    seen.append(list(local))

    def child() -> None:
        del local.b
        local.d = 6
        local.b = 7
        seen.append(list(local))

    contextvars.copy_context().run(child)
    seen.append(list(local))
    local.d = 6
    del local.d
    del local.a
    local.a = 7  # only absent names follow it
    local.d = 8
    seen.append(list(local))
    local.__release_local__()
    local.c = 9
    seen.append(list(local))
    return seen


def test_iteration_order_is_werkzeugs(impl: Implementation) -> None:
    """A write sets one name's variable, yet iteration keeps Werkzeug's dict order."""
    expected = contextvars.copy_context().run(_order_program, _werkzeug_local())
    assert expected[0] == [("b", 5), ("c", 3), ("a", 4)]  # the program tests something
    assert contextvars.copy_context().run(_order_program, impl.Local()) == expected


def test_writing_the_held_value_again(impl: Implementation) -> None:
    """Storing the object a name holds changes nothing, in any context."""
    local = impl.Local()
    held, other = object(), object()
    local.x = held
    child = contextvars.copy_context()
    child.run(setattr, local, "x", held)
    local.x = other
    assert child.run(getattr, local, "x") is held
    assert local.x is other
    local.x = other
    assert list(local) == [("x", other)]


def test_many_names(impl: Implementation) -> None:
    local = impl.Local()
    names = [f"name{i}" for i in range(500)]
    for i, name in enumerate(names):
        setattr(local, name, i)
    for name in names[::2]:
        delattr(local, name)
    assert list(local) == [(name, int(name[4:])) for name in names[1::2]]
    with pytest.raises(AttributeError):
        local.name0
    with pytest.raises(AttributeError):
        del local.name0

