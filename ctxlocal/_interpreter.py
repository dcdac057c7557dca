"""Facts about the running interpreter that the proxy's behaviour follows.

A ``with`` (or ``async with``) statement looks both of its special methods up
on the type before calling either. Werkzeug's proxy fetches the target's
method at lookup time, so on a target that lacks them, the error names the
method the interpreter looks up first: ``__enter__`` on CPython up to 3.13,
``__exit__`` on CPython 3.14+ and on PyPy. ctxlocal's proxy defines both as
real methods, so its ``__enter__``/``__aenter__`` fetch the target's methods
in that same order.

The order is observed once, at import, with descriptors that record their
lookup, rather than inferred from version numbers.

:data:`PROXY_SHAPE` is the other fact: how the pure module's ``LocalProxy``
is built on this interpreter (see ``ctxlocal._local_py``), chosen for speed.
Both shapes behave the same; the test suite runs on each.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, List, Mapping, Optional

__all__ = [
    "ASYNC_WITH_LOOKS_UP_EXIT_FIRST",
    "DESCRIPTORS",
    "GETATTRIBUTE",
    "PROXY_SHAPE",
    "PYPY",
    "SHAPE_ENV_VAR",
    "WITH_LOOKS_UP_EXIT_FIRST",
    "proxy_shape",
]


class _Recorded:
    """A descriptor that notes in ``seen`` each lookup of the name it holds."""

    def __init__(self, seen: List[str], method: Callable[..., Any]) -> None:
        self.seen = seen
        self.method = method

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        self.seen.append(self.name)
        return self.method.__get__(obj, owner)


class _Done:
    """An awaitable that completes at once."""

    def __await__(self) -> Any:
        return iter(())


def _with_order() -> List[str]:
    seen: List[str] = []

    class Probe:
        __enter__ = _Recorded(seen, lambda self: None)
        __exit__ = _Recorded(seen, lambda self, *exc: None)

    with Probe():
        pass
    return seen


def _async_with_order() -> List[str]:
    seen: List[str] = []

    class Probe:
        __aenter__ = _Recorded(seen, lambda self: _Done())
        __aexit__ = _Recorded(seen, lambda self, *exc: _Done())

    async def use() -> None:
        async with Probe():
            pass

    coroutine = use()
    try:
        coroutine.send(None)
    except StopIteration:
        pass
    else:  # pragma: no cover - _Done never suspends
        coroutine.close()
        raise AssertionError("the async with probe suspended")
    return seen


WITH_LOOKS_UP_EXIT_FIRST: bool = _with_order()[0] == "__exit__"
"""Whether ``with`` looks ``__exit__`` up before ``__enter__``."""

ASYNC_WITH_LOOKS_UP_EXIT_FIRST: bool = _async_with_order()[0] == "__aexit__"
"""Whether ``async with`` looks ``__aexit__`` up before ``__aenter__``."""


GETATTRIBUTE = "getattribute"
"""The pure proxy forwards from a Python ``__getattribute__``: one call per
attribute read, however the name is found."""

DESCRIPTORS = "descriptors"
"""The pure proxy is shaped as Werkzeug's: a normal lookup first, the getter
in a slot, each forwarded special name a descriptor, ``__getattr__`` for the
rest."""

SHAPE_ENV_VAR = "CTXLOCAL_PURE_PROXY"
"""Asks for a shape (``getattribute`` or ``descriptors``) instead of this
interpreter's, to measure one against the other. ``descriptors`` is refused on
CPython (see :func:`proxy_shape`)."""

PYPY: bool = sys.implementation.name == "pypy"
"""Whether this is PyPy, whose JIT the pure module's proxy is shaped for."""


def proxy_shape(environ: Optional[Mapping[str, str]] = None) -> str:
    """The pure proxy's shape for this interpreter, or the one ``SHAPE_ENV_VAR`` asks for.

    PyPy: ``descriptors``. Its JIT sees through a normal lookup, descriptors
    and ``__getattr__``, as in Werkzeug's proxy, but not through a
    ``__getattribute__`` override, which made the pure proxy up to 8x slower
    than Werkzeug's there. And PyPy lets an error raised by a special
    method's lookup propagate, so the shape keeps ctxlocal's behaviour.

    CPython: ``getattribute``. CPython swallows such errors (an unbound
    proxy's ``==`` would turn into identity, ``hash`` into ``TypeError``: the
    Werkzeug behaviours ctxlocal fixes), so every forwarded operation must be
    a plain method, and only a ``__getattribute__`` can still give explicit
    reads (``proxy.__eq__``) their Werkzeug meaning.
    """
    setting = (os.environ if environ is None else environ).get(SHAPE_ENV_VAR)
    if not setting:
        return DESCRIPTORS if PYPY else GETATTRIBUTE
    if setting == DESCRIPTORS and not PYPY:
        raise ValueError(
            f"{SHAPE_ENV_VAR}={DESCRIPTORS}: only PyPy can use that shape (CPython"
            " swallows the errors of special-method lookups)"
        )
    if setting not in (GETATTRIBUTE, DESCRIPTORS):
        raise ValueError(
            f"{SHAPE_ENV_VAR} must be {GETATTRIBUTE!r} or {DESCRIPTORS!r}, not {setting!r}"
        )
    return setting


PROXY_SHAPE: str = proxy_shape()
"""The shape ``ctxlocal._local_py.LocalProxy`` has in this process."""
