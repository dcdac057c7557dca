"""No reference leaks: ``sys.gettotalrefcount()`` stays flat over rounds of each operation.

Needs a debug build of CPython (``sys.gettotalrefcount``); ci/refcount-dbg.sh
builds the compiled module for Debian's ``python3.11-dbg`` and runs this module
with ``CTXLOCAL_REQUIRE_DEBUG=1``, which turns the skip into a failure. On a
release build the tests skip.

Each family of operations runs ``ROUNDS`` rounds of ``N`` operations after a
warm-up; a leak of one reference per operation would add ``N`` references per
round, so the last rounds must each add fewer than ``N // 10``.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from contextvars import ContextVar
from typing import Any, Callable, Dict, List

import pytest

from _differential import _BINARY, _INPLACE, _UNARY, Box, Raiser, make_echo
from _impls import Implementation

N = 200
ROUNDS = 5

if not hasattr(sys, "gettotalrefcount"):
    if os.environ.get("CTXLOCAL_REQUIRE_DEBUG") == "1":
        raise RuntimeError("CTXLOCAL_REQUIRE_DEBUG=1 but this is not a debug build of CPython")
    pytest.skip("needs a debug build of CPython (run ci/refcount-dbg.sh)", allow_module_level=True)


def _deltas(operation: Callable[[], Any]) -> List[int]:
    def many() -> None:
        for _ in range(N):
            try:
                operation()
            except Exception:
                pass

    many()
    many()
    deltas = []
    for _ in range(ROUNDS):
        gc.collect()
        before = sys.gettotalrefcount()  # type: ignore[attr-defined]
        many()
        gc.collect()
        deltas.append(sys.gettotalrefcount() - before)  # type: ignore[attr-defined]
    return deltas


# Fresh targets for each round: in-place operators grow a list target, and a
# growing list holds one more reference per operation.
_TARGETS: List[Callable[[], Any]] = [
    lambda: 3, lambda: 2.5, lambda: "s", lambda: [1, 2], lambda: {"k": 1}, lambda: None,
    Box, Raiser, make_echo, lambda: iter([1, 2]),
]


def _every_dunder(impl: Implementation) -> Callable[[], Any]:
    """Each operation of the differential harness on proxies to varied targets."""
    holder: List[Any] = [None]
    proxy = impl.LocalProxy(lambda: holder[0])
    operations: List[Callable[[Any], Any]] = list(_UNARY.values())
    operations += [lambda p, op=op: op(p, 2) for op in _BINARY.values()]
    operations += [lambda p, op=op: op([1], p) for op in _BINARY.values()]
    operations += [lambda p, op=op: op(p, [3]) for op in _INPLACE.values()]

    def run() -> None:
        for make in _TARGETS:
            holder[0] = make()
            for operation in operations:
                try:
                    operation(proxy)
                except Exception:
                    pass

    return run


def _special_reads(impl: Implementation) -> Callable[[], Any]:
    proxy = impl.LocalProxy(lambda: [1, 2])
    names = ["__add__", "__radd__", "__iadd__", "__eq__", "__len__", "__repr__", "__class__",
             "__doc__", "__wrapped__", "__getitem__", "__enter__", "__iter__", "__missing__"]

    def run() -> None:
        for name in names:
            try:
                attr = getattr(proxy, name)
                if callable(attr):
                    attr(*([1] if name not in ("__len__", "__repr__", "__iter__") else []))
            except Exception:
                pass

    return run


def _unbound(impl: Implementation) -> Callable[[], Any]:
    proxies = [impl.Local()("x"), impl.LocalStack()(), impl.LocalProxy(ContextVar("unset")),
               impl.LocalProxy(impl.Local(), "y", unbound_message="custom")]

    def run() -> None:
        for proxy in proxies:
            repr(proxy)
            bool(proxy)
            dir(proxy)
            proxy.__class__  # noqa: B018
            proxy.__doc__  # noqa: B018
            proxy.__wrapped__  # noqa: B018
            for operation in (lambda p: p.attr, lambda p: p + 1, len, str, lambda p: p()):
                try:
                    operation(proxy)
                except RuntimeError:
                    pass

    return run


def _local_ops(impl: Implementation, ident: bool) -> Callable[[], Any]:
    local = impl.Local()
    if ident:
        local.__ident_func__ = threading.get_ident
    value = object()

    def run() -> None:
        local.a = value
        local.a = value  # the value it holds: skipped
        local.b = value
        local.a  # noqa: B018
        list(local)
        del local.a
        local.a = value  # back after b: moved last in the order
        del local.b
        del local.a
        try:
            local.a  # noqa: B018
        except AttributeError:
            pass
        try:
            del local.a
        except AttributeError:
            pass
        local.__storage__  # noqa: B018
        impl.release_local(local)

    return run


def _stack_ops(impl: Implementation, ident: bool) -> Callable[[], Any]:
    stack = impl.LocalStack()
    if ident:
        stack.__ident_func__ = threading.get_ident
    value = object()

    def run() -> None:
        view = stack.push(value)
        list(view)
        view == [value]  # noqa: B015
        stack.push(value)
        stack.top  # noqa: B018
        stack.pop()
        stack.pop()
        stack.pop()
        stack.top  # noqa: B018
        stack.__storage__  # noqa: B018

    return run


def _proxy_creation(impl: Implementation) -> Callable[[], Any]:
    local, stack, var = impl.Local(), impl.LocalStack(), ContextVar("v")

    def run() -> None:
        local("a")
        impl.LocalProxy(local, "a.b", unbound_message="m")
        stack()
        stack("name")
        impl.LocalProxy(var)
        impl.LocalProxy(lambda: 1, "real")
        for bad in (42, None):
            try:
                impl.LocalProxy(bad)
            except TypeError:
                pass
        try:
            impl.LocalProxy(local)
        except TypeError:
            pass

    return run


def _attributes(impl: Implementation) -> Callable[[], Any]:
    local = impl.Local()
    local.box = Box()
    proxy = local("box")
    raising = impl.LocalProxy(Raiser)
    value = object()

    def run() -> None:
        proxy.attr = value
        proxy.attr  # noqa: B018
        del proxy.attr
        for operation in (lambda: proxy.attr, lambda: delattr(proxy, "attr"),
                          lambda: raising.attr, lambda: setattr(raising, "attr", 1)):
            try:
                operation()
            except Exception:
                pass

    return run


def _target_kinds(impl: Implementation) -> Callable[[], Any]:
    """Each way a proxy fetches its object, bound, unbound and through other proxies."""
    var: ContextVar[Any] = ContextVar("kinds")
    stack = impl.LocalStack()
    box = Box()
    box.attr = box
    box.b = 2
    inner = impl.LocalProxy(lambda: box)
    proxies = [impl.LocalProxy(var), impl.LocalProxy(var, "attr"), impl.LocalProxy(var, "attr.b"),
               stack(), stack("attr"), impl.LocalProxy(lambda: inner),
               impl.LocalProxy(lambda: inner, "attr")]

    def run() -> None:
        for held in (box, inner, None):
            token = var.set(held)
            stack.push(held)
            for proxy in proxies:
                for operation in (lambda p: p.attr, lambda p: p._get_current_object(), repr):
                    try:
                        operation(proxy)
                    except (RuntimeError, AttributeError):
                        pass
            stack.top  # noqa: B018
            stack.pop()
            var.reset(token)
        for proxy in proxies:  # var unset, stack empty
            try:
                proxy.attr  # noqa: B018
            except (RuntimeError, AttributeError):
                pass

    return run


FAMILIES: Dict[str, Callable[[Implementation], Callable[[], Any]]] = {
    "how proxies fetch their object": _target_kinds,
    "local get/set/del": lambda impl: _local_ops(impl, ident=False),
    "local get/set/del, ident mode": lambda impl: _local_ops(impl, ident=True),
    "stack push/pop/top": lambda impl: _stack_ops(impl, ident=False),
    "stack push/pop/top, ident mode": lambda impl: _stack_ops(impl, ident=True),
    "proxy creation": _proxy_creation,
    "attribute reads and writes": _attributes,
    "every dunder, raising targets included": _every_dunder,
    "special names read off the proxy": _special_reads,
    "unbound fallbacks and errors": _unbound,
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_no_reference_leak(impl: Implementation, family: str) -> None:
    deltas = _deltas(FAMILIES[family](impl))
    assert max(deltas[-3:]) < N // 10, deltas
