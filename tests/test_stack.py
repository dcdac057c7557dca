"""LocalStack and the StackView its push returns, checked against Werkzeug 3.1."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import types
import weakref
from typing import Any, List

import pytest
import werkzeug.local

from _impls import Implementation


def test_push_returns_what_werkzeug_returns(impl: Implementation) -> None:
    ours = impl.LocalStack()
    theirs: werkzeug.local.LocalStack[Any] = werkzeug.local.LocalStack()
    for item in [1, "two", None, 3.0, [4]]:
        view = ours.push(item)
        expected = theirs.push(item)
        assert type(view) is impl.StackView
        assert view == expected
        assert expected == view
        assert list(view) == expected
        assert len(view) == len(expected)
        assert repr(view) == repr(expected)


def test_pop_and_top(impl: Implementation) -> None:
    stack = impl.LocalStack()
    assert stack.top is None
    assert stack.pop() is None
    stack.push(1)
    stack.push(2)
    assert stack.top == 2
    assert stack.pop() == 2
    assert stack.top == 1
    assert stack.pop() == 1
    assert stack.top is None
    assert stack.pop() is None
    assert stack.pop() is None


def test_pop_returns_the_same_object(impl: Implementation) -> None:
    stack = impl.LocalStack()
    item = object()
    stack.push(item)
    assert stack.top is item
    assert stack.pop() is item


def test_none_items_are_stored(impl: Implementation) -> None:
    stack = impl.LocalStack()
    assert stack.push(None) == [None]
    assert stack.push(1) == [None, 1]
    assert stack.pop() == 1
    assert stack.top is None
    assert stack.pop() is None
    assert stack.push(2) == [2]


def test_earlier_views_are_snapshots(impl: Implementation) -> None:
    stack = impl.LocalStack()
    first = stack.push("a")
    second = stack.push("b")
    stack.pop()
    stack.pop()
    third = stack.push("c")
    assert first == ["a"]
    assert second == ["a", "b"]
    assert third == ["c"]


def test_call_returns_proxies(impl: Implementation) -> None:
    stack = impl.LocalStack()
    top = stack()
    name = stack("name")
    custom = stack(unbound_message="empty stack")
    assert type(top) is impl.LocalProxy
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        top.name
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        name.upper()
    with pytest.raises(RuntimeError, match="^empty stack$"):
        len(custom)
    item = types.SimpleNamespace(name="first")
    stack.push(item)
    assert top._get_current_object() is item
    assert top.name == "first"
    assert name == "first"
    stack.push(types.SimpleNamespace(name="second"))
    assert name == "second"
    stack.pop()
    assert name == "first"


def test_proxy_to_a_none_top_is_unbound(impl: Implementation) -> None:
    stack = impl.LocalStack()
    proxy = stack()
    stack.push(None)
    assert not proxy
    assert repr(proxy) == "<LocalProxy unbound>"
    with pytest.raises(RuntimeError):
        proxy._get_current_object()


def test_proxy_to_a_missing_attribute_of_the_top_raises_attribute_error(
    impl: Implementation,
) -> None:
    stack = impl.LocalStack()
    proxy = stack("missing")
    stack.push(object())
    with pytest.raises(AttributeError):
        proxy._get_current_object()


@pytest.mark.parametrize("how", ["method", "function"])
def test_release_local(impl: Implementation, how: str) -> None:
    stack = impl.LocalStack()
    stack.push(1)
    stack.push(2)
    if how == "method":
        stack.__release_local__()
    else:
        impl.release_local(stack)
    assert stack.top is None
    assert stack.pop() is None
    assert stack.push(3) == [3]


def test_copy_on_write_across_copied_contexts(impl: Implementation) -> None:
    stack = impl.LocalStack()
    stack.push("parent")

    def child() -> List[Any]:
        seen = [stack.top]
        seen.append(list(stack.push("child")))
        seen.append(stack.pop())
        seen.append(stack.pop())
        seen.append(stack.top)
        stack.push("other")
        return seen

    assert contextvars.copy_context().run(child) == [
        "parent",
        ["parent", "child"],
        "child",
        "parent",
        None,
    ]
    assert stack.top == "parent"
    assert stack.pop() == "parent"
    assert stack.pop() is None


def test_release_in_a_child_context_keeps_the_parent_stack(impl: Implementation) -> None:
    stack = impl.LocalStack()
    stack.push(1)
    assert contextvars.copy_context().run(lambda: (impl.release_local(stack), stack.top)) == (
        None,
        None,
    )
    assert stack.top == 1


def test_asyncio_tasks_have_their_own_stacks(impl: Implementation) -> None:
    stack = impl.LocalStack()

    async def child(name: str) -> List[Any]:
        seen = [stack.top]
        stack.push(name)
        await asyncio.sleep(0)
        seen.append(list(stack.push(name + "!")))
        await asyncio.sleep(0)
        seen.append(stack.pop())
        return seen

    async def main() -> Any:
        stack.push("parent")
        results = await asyncio.gather(child("a"), child("b"))
        return results, stack.top, stack.pop(), stack.top

    assert asyncio.run(main()) == (
        [
            ["parent", ["parent", "a", "a!"], "a!"],
            ["parent", ["parent", "b", "b!"], "b!"],
        ],
        "parent",
        "parent",
        None,
    )


def test_user_context_var_with_a_plain_list(impl: Implementation) -> None:
    """A ContextVar already holding Werkzeug's format (a list) is read as the stack."""

    def run() -> None:
        var: contextvars.ContextVar[List[Any]] = contextvars.ContextVar("stack")
        original = [1, 2]
        var.set(original)
        stack = impl.LocalStack(var)
        assert stack.top == 2
        assert stack().real == 2
        assert stack.push(3) == [1, 2, 3]
        assert stack.pop() == 3
        assert stack.pop() == 2
        assert stack.top == 1
        # Copy-on-write: the list the user stored is never mutated.
        assert original == [1, 2]
        var.set(["x"])
        assert stack.top == "x"
        assert stack.push("y") == ["x", "y"]
        var.set([])
        assert stack.top is None
        assert stack.pop() is None

    contextvars.copy_context().run(run)


def test_user_context_var_keyword(impl: Implementation) -> None:
    var: contextvars.ContextVar[List[Any]] = contextvars.ContextVar("stack")
    first = impl.LocalStack(context_var=var)
    second = impl.LocalStack(var)
    first.push("shared")
    assert second.top == "shared"


def test_stacks_are_independent(impl: Implementation) -> None:
    one = impl.LocalStack()
    two = impl.LocalStack()
    one.push(1)
    assert two.top is None


def test_very_deep_stack(impl: Implementation) -> None:
    depth = 100_000

    def run() -> None:
        stack = impl.LocalStack()
        for i in range(depth):
            view = stack.push(i)
        assert len(view) == depth
        assert view[0] == 0
        assert view[-1] == depth - 1
        assert stack.top == depth - 1
        for i in reversed(range(depth)):
            assert stack.pop() == i
        assert stack.pop() is None
        # A deep stack dropped at once must not overflow the C stack.
        for i in range(depth):
            stack.push(i)
        impl.release_local(stack)
        assert stack.top is None
        for i in range(depth):
            stack.push(i)

    # The context, and with it the last deep stack, is dropped on return.
    contextvars.copy_context().run(run)
    gc.collect()


def test_weak_reference(impl: Implementation) -> None:
    stack = impl.LocalStack()
    ref = weakref.ref(stack)
    assert ref() is stack
    del stack
    gc.collect()
    assert ref() is None


def test_generic_alias(impl: Implementation) -> None:
    """``LocalStack[int]`` works at run time, as Werkzeug's Generic class does."""
    alias = impl.LocalStack[int]
    stack = alias()
    assert isinstance(stack, impl.LocalStack)
    assert stack.push(1) == [1]


# StackView ---------------------------------------------------------------


def _view(impl: Implementation, items: List[Any]) -> Any:
    stack = impl.LocalStack()
    view = None
    for item in items:
        view = stack.push(item)
    return view


def test_view_sequence_operations(impl: Implementation) -> None:
    items = ["a", "b", "c", "b"]
    view = _view(impl, items)
    assert len(view) == 4
    assert [view[i] for i in range(4)] == items
    assert view[-1] == "b"
    assert view[-4] == "a"
    with pytest.raises(IndexError):
        view[4]
    with pytest.raises(IndexError):
        view[-5]
    with pytest.raises(TypeError):
        view["0"]
    assert view[1:3] == ["b", "c"]
    assert view[::-1] == items[::-1]
    assert view[:] == items
    assert list(view) == items
    assert list(iter(view)) == items
    assert list(reversed(view)) == items[::-1]
    assert "c" in view
    assert "z" not in view
    assert view.index("b") == 1
    assert view.index("b", 2) == 3
    with pytest.raises(ValueError):
        view.index("z")
    assert view.count("b") == 2
    assert view.count("z") == 0
    assert bool(view)


def test_view_equality(impl: Implementation) -> None:
    view = _view(impl, [1, 2])
    assert view == [1, 2]
    assert [1, 2] == view
    assert not (view != [1, 2])
    assert not ([1, 2] != view)
    assert view != [1, 2, 3]
    assert view != [2, 1]
    assert [1] != view
    assert view == _view(impl, [1, 2])
    assert not (view != _view(impl, [1, 2]))
    assert view != _view(impl, [1])
    # Like a list, it is not equal to other sequence types.
    assert view != (1, 2)
    assert not (view == (1, 2))
    assert view != "12"
    assert view != None  # noqa: E711
    assert view.__eq__((1, 2)) is NotImplemented


def test_view_repr_and_str_like_a_list(impl: Implementation) -> None:
    items = [1, "two", None, [3]]
    view = _view(impl, items)
    assert repr(view) == repr(items)
    assert str(view) == str(items)


def test_view_is_unhashable(impl: Implementation) -> None:
    view = _view(impl, [1])
    with pytest.raises(TypeError):
        hash(view)
    with pytest.raises(TypeError):
        {view}


def test_view_is_read_only(impl: Implementation) -> None:
    view = _view(impl, [1, 2])
    with pytest.raises(TypeError):
        view[0] = 5
    with pytest.raises(TypeError):
        del view[0]
    assert view == [1, 2]
