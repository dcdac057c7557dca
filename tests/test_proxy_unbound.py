"""An unbound LocalProxy: Werkzeug's fallbacks, and RuntimeError for everything else."""

from __future__ import annotations

import asyncio
import contextvars
import copy
import math
import operator
from typing import Any, Callable, Dict, Tuple

import pytest
import werkzeug.local

from _impls import Implementation


def _outside() -> Any:
    raise RuntimeError("outside of context")


def _unbound(module: Any, kind: str) -> Tuple[Any, Any, str]:
    """An unbound proxy from ``module``, the local it wraps, and its message."""
    if kind == "local":
        local = module.Local()
        return local("missing"), local, "object is not bound"
    if kind == "local_message":
        local = module.Local()
        return local("missing", unbound_message="no value"), local, "no value"
    if kind == "empty_stack":
        stack = module.LocalStack()
        return stack(), stack, "object is not bound"
    if kind == "none_on_stack":
        stack = module.LocalStack()
        stack.push(None)
        return stack(unbound_message="top is None"), stack, "top is None"
    if kind == "context_var":
        var: contextvars.ContextVar[Any] = contextvars.ContextVar("unset")
        return module.LocalProxy(var, unbound_message="no var"), var, "no var"
    assert kind == "callable"
    return module.LocalProxy(_outside), _outside, "outside of context"


KINDS = ["local", "local_message", "empty_stack", "none_on_stack", "context_var", "callable"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def test_fallbacks(impl: Implementation, kind: str) -> None:
    proxy, local, _ = _unbound(impl, kind)
    reference, _, _ = _unbound(werkzeug.local, kind)
    assert repr(proxy) == "<LocalProxy unbound>"
    assert repr(reference) == "<LocalProxy unbound>"
    assert str([proxy]) == "[<LocalProxy unbound>]"
    assert bool(proxy) is False
    assert not proxy
    assert dir(proxy) == []
    assert proxy.__class__ is impl.LocalProxy
    assert reference.__class__ is werkzeug.local.LocalProxy
    assert proxy.__doc__ == impl.LocalProxy.__doc__
    assert isinstance(proxy.__doc__, str) and proxy.__doc__
    assert proxy.__wrapped__ is local
    assert isinstance(proxy, impl.LocalProxy)
    assert not isinstance(proxy, int)


def test_fallback_methods_read_explicitly(impl: Implementation, kind: str) -> None:
    proxy, _, _ = _unbound(impl, kind)
    assert proxy.__repr__() == "<LocalProxy unbound>"
    assert proxy.__bool__() is False
    assert proxy.__dir__() == []
    assert getattr(proxy, "__class__") is impl.LocalProxy


def _ops() -> Dict[str, Callable[[Any], Any]]:
    """Every operation that an unbound proxy refuses, by name."""
    ops: Dict[str, Callable[[Any], Any]] = {
        "getattr": lambda p: p.attribute,
        "getattr_default": lambda p: getattr(p, "attribute", None),
        "hasattr": lambda p: hasattr(p, "attribute"),
        "setattr": lambda p: setattr(p, "attribute", 1),
        "delattr": lambda p: delattr(p, "attribute"),
        "str": str,
        "bytes": bytes,
        "format": lambda p: format(p, ""),
        "fstring": lambda p: f"{p}",
        "hash": hash,
        "call": lambda p: p(1, key=2),
        "len": len,
        "length_hint": operator.length_hint,
        "getitem": lambda p: p[0],
        "setitem": lambda p: operator.setitem(p, 0, 1),
        "delitem": lambda p: operator.delitem(p, 0),
        "iter": iter,
        "next": next,
        "reversed": reversed,
        "contains": lambda p: 1 in p,
        "neg": operator.neg,
        "pos": operator.pos,
        "abs": abs,
        "invert": operator.invert,
        "complex": complex,
        "int": int,
        "float": float,
        "index": operator.index,
        "list_index": lambda p: [1, 2][p],
        "round": round,
        "round_ndigits": lambda p: round(p, 1),
        "trunc": math.trunc,
        "floor": math.floor,
        "ceil": math.ceil,
        "pow3": lambda p: pow(p, 2, 3),
        "copy": copy.copy,
        "deepcopy": copy.deepcopy,
        "instancecheck": lambda p: isinstance(1, p),
        "subclasscheck": lambda p: issubclass(int, p),
        "with": _use_with,
        "await": lambda p: asyncio.run(_await(p)),
        "async_with": lambda p: asyncio.run(_async_with(p)),
        "async_for": lambda p: asyncio.run(_async_for(p)),
        "get_current_object": lambda p: p._get_current_object(),
    }
    for name, compare in [
        ("lt", operator.lt),
        ("le", operator.le),
        ("eq", operator.eq),
        ("ne", operator.ne),
        ("gt", operator.gt),
        ("ge", operator.ge),
    ]:
        ops[name] = lambda p, compare=compare: compare(p, 1)
        ops["reflected_" + name] = lambda p, compare=compare: compare(1, p)
    for name in [
        "add",
        "sub",
        "mul",
        "matmul",
        "truediv",
        "floordiv",
        "mod",
        "pow",
        "lshift",
        "rshift",
        "and_",
        "xor",
        "or_",
    ]:
        op = getattr(operator, name)
        ops[name] = lambda p, op=op: op(p, 1)
        ops["r" + name] = lambda p, op=op: op(1, p)
        inplace = getattr(operator, "i" + name.rstrip("_"))
        ops["i" + name] = lambda p, inplace=inplace: inplace(p, 1)
    ops["divmod"] = lambda p: divmod(p, 1)
    ops["rdivmod"] = lambda p: divmod(1, p)
    return ops


def _use_with(proxy: Any) -> None:
    with proxy:
        pass


async def _await(proxy: Any) -> Any:
    return await proxy


async def _async_with(proxy: Any) -> None:
    async with proxy:
        pass


async def _async_for(proxy: Any) -> None:
    async for _ in proxy:
        pass


OPS = _ops()

# Werkzeug's proxy raises RuntimeError for these too, but CPython's slot
# wrappers for them discard an error raised while looking the method up, so
# Werkzeug ends up with NotImplemented (== and != then compare identities,
# < etc. raise TypeError), "unhashable", "not iterable" or "does not have
# __await__/__aiter__". ctxlocal raises the RuntimeError: the documented
# contract ("everything else raises RuntimeError") rather than that accident.
WERKZEUG_LOSES_THE_ERROR = {
    "hash",
    "iter",
    "await",
    "async_for",
    *(
        prefix + name
        for prefix in ("", "reflected_")
        for name in ("lt", "le", "eq", "ne", "gt", "ge")
    ),
}


@pytest.mark.parametrize("op", OPS)
def test_other_operations_raise_runtime_error(
    impl: Implementation, kind: str, op: str
) -> None:
    proxy, _, message = _unbound(impl, kind)
    reference, _, _ = _unbound(werkzeug.local, kind)
    with pytest.raises(RuntimeError) as info:
        OPS[op](proxy)
    assert str(info.value) == message
    if op not in WERKZEUG_LOSES_THE_ERROR:
        with pytest.raises(RuntimeError) as expected:
            OPS[op](reference)
        assert str(expected.value) == message


def test_subclass_fallbacks(impl: Implementation) -> None:
    class AppProxy(impl.LocalProxy):  # type: ignore[misc,name-defined]
        """The current application."""

    stack = impl.LocalStack()
    proxy = AppProxy(stack)
    assert repr(proxy) == "<AppProxy unbound>"
    assert proxy.__class__ is AppProxy
    assert proxy.__doc__ == "The current application."
    assert proxy.__wrapped__ is stack
    assert not proxy
    assert dir(proxy) == []
    with pytest.raises(RuntimeError):
        len(proxy)


def test_becomes_bound_and_unbound_again(impl: Implementation) -> None:
    local = impl.Local()
    proxy = local("value")
    assert repr(proxy) == "<LocalProxy unbound>"
    local.value = [1]
    assert repr(proxy) == "[1]"
    assert proxy.__class__ is list
    assert proxy
    impl.release_local(local)
    assert repr(proxy) == "<LocalProxy unbound>"
    assert proxy.__class__ is impl.LocalProxy
