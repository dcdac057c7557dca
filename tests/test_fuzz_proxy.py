"""Fuzz the proxy: any target, any operation, the same outcome as on the target itself.

The oracle is the target: an operation through ``LocalProxy(lambda: target)``
must give what the same operation gives on an identical target (value, or
exception type and message), and in-place operators must leave the target in
the same state and return the proxy. Targets include objects whose special
methods (``__eq__``, ``__hash__``, ``__bool__``, ``__len__``, ``__getattr__``,
``__del__`` ...) raise. A crash of the interpreter fails the run; ci/valgrind.sh
runs this module under memcheck.
"""

from __future__ import annotations

import copy
import gc
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _differential import _BINARY, _INPLACE, _UNARY, VALUES, norm, Env
from _hypothesis_ci import ci_settings
from _impls import Implementation
from ctxlocal._interpreter import WITH_LOOKS_UP_EXIT_FIRST

ROOT = Path(__file__).resolve().parent.parent

# Ops whose meaning involves the proxy object itself, not only its target.
_PROXY_ONLY = {"current", "wrapped"}
UNARY = sorted(set(_UNARY) - _PROXY_ONLY)
BINARY = sorted(_BINARY)
INPLACE = sorted(_INPLACE)
# Operators that dispatch to the right operand's method; the others (format,
# getattr, ...) take the proxy as a plain argument and name its type in errors.
REFLECTED = ["add", "sub", "mul", "matmul", "truediv", "floordiv", "divmod", "pow",
             "lshift", "rshift", "and", "xor", "or", "eq", "ne"]
# Not "mod": ``"s" % proxy`` formats with the proxy itself (a mapping, as it has
# __getitem__) before __rmod__ is tried. Not "<": ``x < proxy`` runs
# ``target > x``, so an error names ``>`` (as in Werkzeug).

_EXCEPTIONS = [ValueError, KeyError, TypeError, AttributeError, RuntimeError, ZeroDivisionError,
               LookupError]
_RAISABLE = [
    "__eq__", "__ne__", "__lt__", "__hash__", "__bool__", "__len__", "__iter__", "__getattr__",
    "__getattribute__", "__setattr__", "__delattr__", "__getitem__", "__setitem__",
    "__delitem__", "__contains__", "__add__", "__radd__", "__iadd__", "__mul__", "__neg__",
    "__int__", "__float__", "__index__", "__call__", "__str__", "__repr__", "__format__",
    "__enter__", "__exit__", "__dir__", "__copy__", "__deepcopy__", "__round__", "__del__",
    "__reversed__", "__next__", "__bytes__", "__complex__", "__floor__", "__instancecheck__",
]


class Unraisable(list):  # type: ignore[type-arg]
    """Collects what ``sys.unraisablehook`` receives (exceptions from ``__del__``)."""

    def __call__(self, info: Any) -> None:
        self.append(info.exc_type)


def _raiser_class(names: Tuple[str, ...], exc_type: type) -> type:
    def raiser(name: str) -> Callable[..., Any]:
        def method(self: Any, *args: Any) -> Any:
            raise exc_type(name)

        return method

    namespace: Dict[str, Any] = {name: raiser(name) for name in names}
    if "__eq__" in names and "__hash__" not in names:
        namespace["__hash__"] = object.__hash__
    cls = type("Target", (), namespace)
    return cls


_plain = st.one_of(
    st.integers(-5, 5),
    st.floats(allow_nan=False, width=32),
    st.text(max_size=3),
    st.binary(max_size=3),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(-3, 3), max_size=2),
    st.none(),
    st.booleans(),
    st.tuples(st.integers(0, 3)),
    st.frozensets(st.integers(0, 3), max_size=2),
    st.complex_numbers(max_magnitude=4, allow_nan=False, allow_infinity=False),
)
_raising = st.builds(
    _raiser_class, st.lists(st.sampled_from(_RAISABLE), unique=True).map(tuple),
    st.sampled_from(_EXCEPTIONS),
)
# A target spec: ("plain", value) is deep-copied per use, ("class", cls) instantiated.
targets = st.one_of(
    _plain.map(lambda value: ("plain", value)),
    _raising.map(lambda cls: ("class", cls)),
)
operands = st.integers(0, len(VALUES) - 1)
operations = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(UNARY), st.just(0)),
    st.tuples(st.just("binary"), st.sampled_from(BINARY), operands),
    st.tuples(st.just("reflected"), st.sampled_from(REFLECTED), operands),
    st.tuples(st.just("inplace"), st.sampled_from(INPLACE), operands),
)


def _make(spec: Tuple[str, Any]) -> Any:
    kind, value = spec
    if kind == "class":
        return value()
    return copy.deepcopy(value)


def _with_by_name(target: Any) -> Any:
    # Werkzeug forwards __enter__/__exit__ with getattr: a target without them
    # gives AttributeError, where a ``with`` on the target gives TypeError. The
    # names are fetched in the order the interpreter's ``with`` looks them up.
    if WITH_LOOKS_UP_EXIT_FIRST:
        exit = getattr(target, "__exit__")
        enter = getattr(target, "__enter__")
    else:
        enter = getattr(target, "__enter__")
        exit = getattr(target, "__exit__")
    entered = enter()
    exit(None, None, None)
    return entered


def _format_by_name(target: Any) -> str:
    # The same rule for __format__ (what f"{proxy}" calls).
    formatted = getattr(target, "__format__")("")
    return f"{formatted}|{target!r}|{formatted}"


_BY_NAME = {"with": _with_by_name, "format": _format_by_name}


def _apply(operation: Tuple[str, str, int], subject: Any, direct: bool) -> Any:
    kind, name, operand = operation
    other = VALUES[operand]()
    if kind == "unary":
        if direct and name in _BY_NAME:
            return _BY_NAME[name](subject)
        return _UNARY[name](subject)
    if kind == "binary":
        return _BINARY[name](subject, other)
    if kind == "reflected":
        return _BINARY[name](other, subject)
    return _INPLACE[name](subject, other)


def _outcome(
    operation: Tuple[str, str, int], subject: Any, direct: bool = False
) -> Tuple[Any, Any]:
    try:
        result = _apply(operation, subject, direct)
    except RecursionError:
        return ("raised", "RecursionError"), None
    except Exception as exc:
        return ("raised", type(exc), str(exc)), None
    return ("value",), result


@pytest.fixture
def unraisable() -> Iterator[Unraisable]:
    """Record exceptions raised by ``__del__`` instead of letting pytest fail on them."""
    seen = Unraisable()
    hook = sys.unraisablehook
    sys.unraisablehook = seen
    try:
        yield seen
        gc.collect()
    finally:
        sys.unraisablehook = hook


@ci_settings(examples=400)
@given(spec=targets, operation=operations)
def test_proxy_behaves_as_its_target(
    impl: Implementation, unraisable: Unraisable, spec: Any, operation: Any
) -> None:
    unraisable.clear()
    env = Env(impl)
    through_proxy = _make(spec)
    # hash() of most objects is their identity: compare it on the same object.
    direct = through_proxy if operation[1] == "hash" else _make(spec)
    proxy = impl.LocalProxy(lambda: through_proxy)

    got, got_result = _outcome(operation, proxy)
    expected, expected_result = _outcome(operation, direct, direct=True)
    assert got == expected
    if got[0] != "value":
        return
    if operation[0] == "inplace":
        # Werkzeug's rule: the statement rebinds the name to the proxy and the
        # operator ran on the target.
        assert got_result is proxy
        assert norm(env, through_proxy) == norm(env, direct)
    elif got_result is proxy:
        assert expected_result is direct
    else:
        assert norm(env, got_result) == norm(env, expected_result)
    if spec[0] != "class":
        return
    # Nothing here is in a reference cycle: the targets die now, running __del__.
    through_proxy = direct = proxy = got_result = expected_result = None
    for exc_type in unraisable:
        # Only the target's __del__ may have raised, with the target's exception.
        assert issubclass(exc_type, tuple(_EXCEPTIONS))


def _released_local(impl: Implementation) -> Any:
    local = impl.Local()
    local.value = [1, 2]
    proxy = local("value")
    impl.release_local(local)
    return proxy  # the last reference to the Local is the proxy's


def _emptied_stack(impl: Implementation) -> Any:
    stack = impl.LocalStack()
    stack.push([1, 2])
    proxy = stack()
    stack.pop()
    return proxy


def _dead_thread_local(impl: Implementation) -> Any:
    local = impl.Local()
    local.__ident_func__ = threading.get_ident
    proxies: List[Any] = []

    def body() -> None:
        local.value = [1, 2]
        proxies.append(local("value"))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return proxies[0]


@pytest.mark.parametrize("make", [_released_local, _emptied_stack, _dead_thread_local])
def test_proxy_after_its_data_is_gone(impl: Implementation, make: Any) -> None:
    """No crash: each operation raises RuntimeError or gives an unbound fallback."""
    proxy = make(impl)
    gc.collect()
    for name in UNARY:
        outcome, result = _outcome(("unary", name, 0), proxy)
        if outcome[0] == "raised":
            assert outcome[1:] == (RuntimeError, "object is not bound"), name
        else:
            assert name in {"repr", "bool", "dir", "class", "isinstance", "format"}, name
    assert repr(proxy) == "<LocalProxy unbound>"
    assert not proxy


# A proxy that reaches itself: a bound Local attribute, a stack top, a
# ContextVar or a function whose value is the proxy, read through a name.
_SELF_REFERENCE = {
    "local": "local = m.Local(); p = m.LocalProxy(local, 'a.real'); local.a = p",
    "stack": "stack = m.LocalStack(); p = m.LocalProxy(stack, 'real'); stack.push(p)",
    "var": "var = ContextVar('v'); p = m.LocalProxy(var, 'real'); var.set(p)",
    "function": "box = []; p = m.LocalProxy(lambda: box[0], 'real'); box.append(p)",
}


@pytest.mark.parametrize("kind", sorted(_SELF_REFERENCE))
def test_proxy_reaching_itself_raises_recursion_error(
    impl: Implementation, kind: str
) -> None:
    """RecursionError as in Werkzeug, never a crash (run in a child process)."""
    script = "\n".join([
        "import importlib, sys",
        "from contextvars import ContextVar",
        f"m = importlib.import_module({impl.module.__name__!r})",
        _SELF_REFERENCE[kind],
        "try:",
        "    p._get_current_object()",
        "except RecursionError:",
        "    print('RecursionError')",
    ])
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert (result.returncode, result.stdout.strip()) == (0, "RecursionError"), result.stderr
