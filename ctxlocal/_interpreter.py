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
"""

from __future__ import annotations

from typing import Any, Callable, List

__all__ = ["ASYNC_WITH_LOOKS_UP_EXIT_FIRST", "WITH_LOOKS_UP_EXIT_FIRST"]


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
