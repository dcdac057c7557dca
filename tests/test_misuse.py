"""Every misuse raises a clear exception of Werkzeug's type (and message).

``CASES`` is a table of misuses Werkzeug 3.1 also defines: each runs on
``werkzeug.local`` and on the implementation, and the outcomes (value, or
exception type and message) must be equal. ``CTXLOCAL_ONLY`` covers the ident
API, which Werkzeug 3.1 no longer has. ``test_unresolvable_proxy_matches_werkzeug``
runs every operation of the differential harness on every kind of proxy that
cannot reach its target.
"""

from __future__ import annotations

import asyncio
import pickle
import re
import sys
import threading
from contextvars import ContextVar
from typing import Any, Callable, Dict, List, Tuple

import pytest
import werkzeug.local

from _differential import BINARY, INPLACE, NAMES, SPECIAL_NAMES, UNARY, run_program
from _impls import Implementation

Case = Callable[[Any], Any]


def _outcome(case: Case, module: Any) -> Tuple[str, str]:
    """What running ``case`` gives: ("value", repr) or (exception type, message)."""
    try:
        result = case(module)
    except Exception as exc:
        return (type(exc).__name__, re.sub(r"werkzeug\.local|ctxlocal\._local_\w+", "M", str(exc)))
    return ("value", repr(result))


def _del_missing(m: Any) -> Any:
    local = m.Local()
    del local.missing


def _on(target: Any, op: Callable[[Any], Any]) -> Case:
    return lambda m: op(m.LocalProxy(lambda: target))


def _with(proxy: Any) -> Any:
    with proxy:
        return None


def _async_with(proxy: Any) -> Any:
    async def use() -> None:
        async with proxy:
            pass

    return asyncio.run(use())


def _stack_with_none(m: Any) -> Any:
    stack = m.LocalStack()
    stack.push(None)
    return stack()._get_current_object()


def _var_proxy_unset(m: Any) -> Any:
    return m.LocalProxy(ContextVar("unset")).anything


def _custom_message(m: Any) -> Any:
    return m.LocalProxy(m.Local(), "x", unbound_message="no request").anything


def _setattr_unbound(m: Any) -> Any:
    m.LocalStack()().attr = 1


CASES: Dict[str, Case] = {
    "proxy an int": lambda m: m.LocalProxy(42),
    "proxy None": lambda m: m.LocalProxy(None),
    "proxy a Local without name": lambda m: m.LocalProxy(m.Local()),
    "name that is not a string": lambda m: m.LocalProxy(m.Local(), 42),
    "read a missing attribute": lambda m: m.Local().missing,
    "delete a missing attribute": _del_missing,
    "pop an empty stack": lambda m: m.LocalStack().pop(),
    "top of an empty stack": lambda m: m.LocalStack().top,
    "unbound Local proxy": lambda m: m.Local()("x").anything,
    "unbound with a custom message": _custom_message,
    "unbound ContextVar proxy": _var_proxy_unset,
    "unbound stack proxy": lambda m: m.LocalStack()()._get_current_object(),
    "stack proxy to None": _stack_with_none,
    "write through an unbound proxy": _setattr_unbound,
    "len of an int": _on(1, len),
    "index an int": _on(1, lambda p: p[0]),
    "iterate an int": _on(1, iter),
    "call an int": _on(1, lambda p: p()),
    "next of a list": _on([1], next),
    "with an int": _on(1, _with),
    "async with an int": _on(1, _async_with),
    "negate a str": _on("s", lambda p: -p),
    "str plus int": _on("s", lambda p: p + 1),
    "int plus str (reflected)": _on("s", lambda p: 1 + p),
    "float times str (reflected)": _on("", lambda p: 2.5 * p),
    "attribute of None": _on(None, lambda p: p.x),
    "invert a float": _on(1.5, lambda p: ~p),
    "int of a list": _on([], int),
    "hash of a list": _on([], hash),
    "round a str": _on("s", round),
    "set an attribute of an int": _on(1, lambda p: setattr(p, "x", 1)),
    "delete an item of a tuple": _on((1,), lambda p: p.__delitem__(0)),
    "in-place add to a tuple with a str": _on((1,), lambda p: p.__iadd__("s")),
    "LocalManager of an int": lambda m: m.LocalManager(42),
    "release_local of an int": lambda m: m.release_local(42),
    "Local on something not a ContextVar": lambda m: m.Local(42).x,
    "LocalStack on something not a ContextVar": lambda m: m.LocalStack(42).push(1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_misuse_matches_werkzeug(impl: Implementation, name: str) -> None:
    case = CASES[name]
    expected = _outcome(case, werkzeug.local)
    assert _outcome(case, impl) == expected


# Unreachable targets in tests/_differential.Env: 0 and 1 proxy unset Local
# attributes (1 with its own message), 2 a dotted name under an unset
# attribute, 3 and 5 empty stacks, 6 an unset ContextVar, 9 an attribute
# missing from the target (AttributeError, not RuntimeError).
_UNRESOLVABLE = [0, 1, 2, 3, 5, 6, 9]
_OPERATIONS: List[Tuple[Any, ...]] = (
    [("unary", name) for name in UNARY]
    + [(kind, name, 1) for name in BINARY for kind in ("binary", "reflected")]
    + [("inplace", name, 1) for name in INPLACE]
    + [("special", name, (1, 1, 1)) for name in SPECIAL_NAMES]
    + [("setattr", index, 1) for index in range(len(NAMES))]
    + [("delattr", index) for index in range(len(NAMES))]
    + [("setitem", 1, 1), ("delitem", 1)]
)


def _pickling_difference(expected: Any, got: Any) -> bool:
    """DELIBERATE: copying a proxy whose name lookup raises AttributeError.

    ``copy`` then falls back to ``__reduce_ex__``: Werkzeug's proxy recurses
    until RecursionError, ctxlocal's refuses to be pickled (see the docs'
    differences).
    """
    return expected == ("raised", "RecursionError") and got == (
        "raised", "builtins", "TypeError", "cannot pickle 'LocalProxy' object")


# DELIBERATE (docs/differences.md): for these operations
# CPython swallows the error Werkzeug's descriptor raises while the
# interpreter looks the special method up, so Werkzeug answers with identity
# equality or a TypeError; ctxlocal raises the proxy's own error, as for
# every other operation.
_SWALLOWED_BY_WERKZEUG = {("unary", "hash"), ("unary", "iter"), ("unary", "repr")} | {
    (kind, name) for kind in ("binary", "reflected") for name in ("eq", "ne", "lt", "le", "gt", "ge")
}


def _swallowed_difference(operation: Tuple[Any, ...], got: Any) -> bool:
    """ctxlocal raised the unbound proxy's error where Werkzeug's was swallowed."""
    return (
        tuple(operation[:2]) in _SWALLOWED_BY_WERKZEUG
        and isinstance(got, tuple)
        and got[:1] == ("raised",)
        and got[2] in ("RuntimeError", "AttributeError")
    )


def _special_lookup_swallows_attribute_error() -> bool:
    """Whether the interpreter takes an AttributeError raised while it looks a
    special method up for the method missing (CPython 3.14 on)."""

    class Failing:
        def __get__(self, obj: Any, owner: Any = None) -> Any:
            raise AttributeError("lookup failed")

    class Probe:
        __add__ = Failing()

    try:
        Probe() + 1
    except TypeError:
        return True
    except AttributeError:
        return False
    raise AssertionError("Probe() + 1 gave a value")


SPECIAL_LOOKUP_SWALLOWS_ATTRIBUTE_ERROR = _special_lookup_swallows_attribute_error()


def _attribute_error_difference(operation: Tuple[Any, ...], expected: Any, got: Any) -> bool:
    """DELIBERATE: an operator on a proxy whose name lookup raises AttributeError.

    Where the interpreter takes an AttributeError from a special method's
    lookup for "no such method", Werkzeug's proxy (whose descriptors fetch the
    target's method at lookup) answers as if the method were missing: the
    operator's TypeError ("unsupported operand type(s)", "doesn't define
    __round__"), and ``bool()`` is True (no ``__bool__``, no ``__len__``).
    ctxlocal's methods are real ones, so the lookup's own AttributeError comes
    out, as on every other interpreter (see docs/differences.md).
    """
    missing_method = (
        expected[:1] == ("raised",) and expected[2] == "TypeError"
    ) or (tuple(operation) == ("unary", "bool") and expected == "True")
    return (
        SPECIAL_LOOKUP_SWALLOWS_ATTRIBUTE_ERROR
        and missing_method
        and isinstance(got, tuple)
        and got[:1] == ("raised",)
        and got[2] == "AttributeError"
    )


@pytest.mark.parametrize(
    "proxy",
    [
        pytest.param(
            index,
            marks=pytest.mark.skipif(
                index == 9 and sys.implementation.name == "pypy",
                reason="on PyPy, Werkzeug's own run of this program raises out of the "
                "harness (its AttributeError escapes a special-method lookup)",
            ),
        )
        for index in _UNRESOLVABLE
    ],
)
def test_unresolvable_proxy_matches_werkzeug(impl: Implementation, proxy: int) -> None:
    """Every operation on a proxy that cannot reach its target, as Werkzeug."""
    differences = []
    for operation in _OPERATIONS:
        program = [("hold", 5), (operation[0], proxy, *operation[1:])]
        expected = run_program(werkzeug.local, program, skip_unresolvable=False)
        got = run_program(impl, program, skip_unresolvable=False)
        if (
            got != expected
            and not _pickling_difference(expected[-1], got[-1])
            and not _swallowed_difference(operation, got[-1])
            and not (proxy == 9 and _attribute_error_difference(operation, expected[-1], got[-1]))
        ):
            differences.append(f"{operation}: werkzeug {expected[-1]!r}, ctxlocal {got[-1]!r}")
    assert not differences, "\n".join(differences)


def _set_ident(target: Any, func: Any) -> None:
    target.__ident_func__ = func


def _raising_ident() -> Any:
    raise LookupError("no ident here")


def _ident_local(func: Any) -> Case:
    def case(m: Any) -> Any:
        local = m.Local()
        local.__ident_func__ = func
        local.value = 1
        return local.value

    return case


# The ident API exists only in ctxlocal (Werkzeug <= 1.0 had it).
CTXLOCAL_ONLY: Dict[str, Tuple[Case, Tuple[str, str]]] = {
    "non-callable ident function on a Local": (
        lambda m: _set_ident(m.Local(), 42),
        ("TypeError", "the ident function must be callable, not 'int'"),
    ),
    "non-callable ident function on a LocalStack": (
        lambda m: _set_ident(m.LocalStack(), "get_ident"),
        ("TypeError", "the ident function must be callable, not 'str'"),
    ),
    "non-callable ident function on a LocalManager": (
        lambda m: m.LocalManager([m.Local()], ident_func=42),
        ("TypeError", "the ident function must be callable, not 'int'"),
    ),
    "ident function that raises": (
        _ident_local(_raising_ident),
        ("LookupError", "no ident here"),
    ),
    # A dict's own message for an unhashable key, which changed in 3.14.
    "ident function returning something unhashable": (
        _ident_local(lambda: []),
        _outcome(lambda m: {}[[]], None),
    ),
    "pickle a proxy": (
        lambda m: pickle.dumps(m.LocalProxy(lambda: 1)),
        ("TypeError", "cannot pickle 'LocalProxy' object"),
    ),
    "ident function of a thread, read from another thread": (
        lambda m: _other_thread_reads(m),
        ("value", "'missing'"),
    ),
}


def _other_thread_reads(m: Any) -> Any:
    local = m.Local()
    local.__ident_func__ = threading.get_ident
    local.value = "main"
    seen: List[Any] = []
    thread = threading.Thread(target=lambda: seen.append(getattr(local, "value", "missing")))
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.parametrize("name", sorted(CTXLOCAL_ONLY))
def test_ctxlocal_only_misuse(impl: Implementation, name: str) -> None:
    case, expected = CTXLOCAL_ONLY[name]
    assert _outcome(case, impl) == expected
