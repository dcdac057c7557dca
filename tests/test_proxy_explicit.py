"""Special names read off a proxy by name (``proxy.__add__``), as Werkzeug 3.1 answers them.

Werkzeug binds the target's operation to the target at read time: calling the
result gives the operation's value (``operator.add`` semantics, so a type
mismatch raises instead of returning NotImplemented), and an unbound proxy
raises RuntimeError at the read unless the name has an unbound fallback.
"""

from __future__ import annotations

import contextvars
import types
from typing import Any, Callable, List, Tuple

import pytest
import werkzeug.local

from _impls import Implementation
from ctxlocal._datamodel import BINARY_OPERATORS

# Every special name Werkzeug's proxy forwards (its _ProxyLookup descriptors).
FORWARDED = sorted(
    name
    for name, value in vars(werkzeug.local.LocalProxy).items()
    if isinstance(value, werkzeug.local._ProxyLookup)
)
FALLBACKS = {"__repr__", "__bool__", "__dir__", "__class__", "__doc__", "__wrapped__"}

PROXY = "<the proxy itself>"


class Recorder:
    """Answers each binary operator with (method name, operands)."""


class InPlace:
    """Logs in-place operators; returns a different object, which the proxy drops."""

    def __init__(self) -> None:
        self.log: List[Tuple[str, Any]] = []


BINARY_NAMES = list(BINARY_OPERATORS)


def _recording(method: str) -> Callable[..., Any]:
    def record(self: Any, *operands: Any) -> Any:
        return (method, operands)

    return record


def _logging(method: str) -> Callable[[Any, Any], Any]:
    def log(self: InPlace, other: Any) -> Any:
        self.log.append((method, other))
        return "ignored result"

    return log


for _name in BINARY_NAMES:
    setattr(Recorder, f"__{_name}__", _recording(f"__{_name}__"))
    setattr(Recorder, f"__r{_name}__", _recording(f"__r{_name}__"))
    if _name != "divmod":
        setattr(InPlace, f"__i{_name}__", _logging(f"__i{_name}__"))


class Managed:
    """A context manager whose methods' results show they ran."""

    def __enter__(self) -> str:
        return "entered"

    def __exit__(self, *exc_info: Any) -> str:
        return f"exited with {exc_info!r}"


def _function(*args: Any, **kwargs: Any) -> Any:
    return args, kwargs


# (name, target factory, call arguments, expected result); an exception class
# as the expected result means calling raises it.
CASES: List[Tuple[str, Callable[[], Any], Tuple[Any, ...], Any]] = [
    ("__repr__", lambda: [1], (), "[1]"),
    ("__str__", lambda: 5, (), "5"),
    ("__bytes__", lambda: b"ab", (), b"ab"),
    ("__format__", lambda: 5, (">3",), "  5"),
    ("__lt__", lambda: 5, (6,), True),
    ("__le__", lambda: 5, (4,), False),
    ("__eq__", lambda: 5, (5,), True),
    ("__eq__", lambda: 5, ("5",), False),
    ("__ne__", lambda: 5, ("5",), True),
    ("__gt__", lambda: 5, (4,), True),
    ("__ge__", lambda: 5, (6,), False),
    ("__lt__", lambda: 5, ("x",), TypeError),
    ("__hash__", lambda: "key", (), hash("key")),
    ("__bool__", lambda: [], (), False),
    ("__bool__", lambda: [0], (), True),
    ("__dir__", lambda: 5, (), dir(5)),
    ("__instancecheck__", lambda: int, (True,), True),
    ("__instancecheck__", lambda: int, ("1",), False),
    ("__subclasscheck__", lambda: int, (bool,), True),
    ("__subclasscheck__", lambda: int, (str,), False),
    ("__call__", lambda: _function, (1, 2), ((1, 2), {})),
    ("__len__", lambda: [1, 2], (), 2),
    ("__length_hint__", lambda: iter([1, 2, 3]), (), 3),
    ("__getitem__", lambda: [1, 2], (-1,), 2),
    ("__getitem__", lambda: [1, 2], (5,), IndexError),
    ("__iter__", lambda: (1, 2), (), [1, 2]),
    ("__next__", lambda: iter([7, 8]), (), 7),
    ("__reversed__", lambda: [1, 2], (), [2, 1]),
    ("__contains__", lambda: [1, 2], (2,), True),
    ("__contains__", lambda: [1, 2], (3,), False),
    ("__add__", lambda: 7, (3,), 10),
    ("__add__", lambda: 7, ("x",), TypeError),
    ("__radd__", lambda: 7, (3,), 10),
    ("__sub__", lambda: 7, (3,), 4),
    ("__rsub__", lambda: 7, (3,), -4),
    ("__mul__", lambda: "ab", (2,), "abab"),
    ("__rmul__", lambda: "ab", (2,), "abab"),
    ("__truediv__", lambda: 7, (2,), 3.5),
    ("__rtruediv__", lambda: 2, (7,), 3.5),
    ("__floordiv__", lambda: 7, (2,), 3),
    ("__rfloordiv__", lambda: 2, (7,), 3),
    ("__mod__", lambda: 7, (4,), 3),
    ("__rmod__", lambda: 4, (7,), 3),
    ("__divmod__", lambda: 7, (3,), (2, 1)),
    ("__rdivmod__", lambda: 7, (30,), (4, 2)),
    ("__pow__", lambda: 2, (10,), 1024),
    ("__pow__", lambda: 2, (10, 1000), 24),
    ("__rpow__", lambda: 2, (3,), 9),
    ("__lshift__", lambda: 1, (4,), 16),
    ("__rlshift__", lambda: 4, (1,), 16),
    ("__rshift__", lambda: 16, (4,), 1),
    ("__rrshift__", lambda: 4, (16,), 1),
    ("__and__", lambda: 6, (3,), 2),
    ("__rand__", lambda: 6, (3,), 2),
    ("__xor__", lambda: 6, (3,), 5),
    ("__rxor__", lambda: 6, (3,), 5),
    ("__or__", lambda: 6, (3,), 7),
    ("__ror__", lambda: 6, (3,), 7),
    ("__neg__", lambda: 5, (), -5),
    ("__pos__", lambda: -5, (), -5),
    ("__abs__", lambda: -5, (), 5),
    ("__invert__", lambda: 5, (), -6),
    ("__complex__", lambda: 2, (), 2 + 0j),
    ("__int__", lambda: 2.5, (), 2),
    ("__float__", lambda: 2, (), 2.0),
    ("__index__", lambda: 5, (), 5),
    ("__index__", lambda: 5.0, (), TypeError),
    ("__round__", lambda: 2.567, (), 3),
    ("__round__", lambda: 2.567, (1,), 2.6),
    ("__trunc__", lambda: -2.5, (), -2),
    ("__floor__", lambda: -2.5, (), -3),
    ("__ceil__", lambda: -2.5, (), -2),
    ("__copy__", lambda: [1], (), [1]),
    ("__deepcopy__", lambda: [[1]], ({},), [[1]]),
    ("__enter__", Managed, (), "entered"),
    ("__exit__", Managed, (None, None, None), "exited with (None, None, None)"),
]
for _name in BINARY_NAMES:
    CASES.append((f"__{_name}__", Recorder, (3,), (f"__{_name}__", (3,))))
    CASES.append((f"__r{_name}__", Recorder, (3,), (f"__r{_name}__", (3,))))
    if _name != "divmod":
        CASES.append((f"__i{_name}__", InPlace, (5,), PROXY))


def _call(proxy: Any, target: Any, name: str, args: Tuple[Any, ...]) -> Any:
    """Read ``name`` off ``proxy``, call it, and describe the result."""
    try:
        result = getattr(proxy, name)(*args)
    except Exception as error:  # noqa: BLE001 - the exception is the result here
        return type(error)
    if result is proxy:
        return PROXY
    if hasattr(result, "__next__") and result is not target:
        return list(result)
    return result


@pytest.mark.parametrize(
    "name, factory, args, expected",
    CASES,
    ids=[f"{case[0]}{case[2]!r}" for case in CASES],
)
def test_bound_reads(
    impl: Implementation,
    name: str,
    factory: Callable[[], Any],
    args: Tuple[Any, ...],
    expected: Any,
) -> None:
    target = factory()
    proxy = impl.LocalProxy(lambda: target)
    reference_target = factory()
    reference = werkzeug.local.LocalProxy(lambda: reference_target)
    assert _call(reference, reference_target, name, args) == expected
    assert _call(proxy, target, name, args) == expected
    if isinstance(target, InPlace):
        assert target.log == reference_target.log == [(name, 5)]


def test_every_forwarded_name_is_covered() -> None:
    covered = {case[0] for case in CASES} | {
        "__getattr__",
        "__setattr__",
        "__delattr__",
        "__setitem__",
        "__delitem__",
        "__class__",
        "__doc__",
        "__wrapped__",
        "__await__",
        "__aiter__",
        "__anext__",
        "__aenter__",
        "__aexit__",
    }
    assert set(FORWARDED) <= covered


def test_getattr_read(impl: Implementation) -> None:
    """``proxy.__getattr__`` is getattr bound to the target, as Werkzeug's."""
    for proxy in (impl.LocalProxy(lambda: 5), werkzeug.local.LocalProxy(lambda: 5)):
        assert proxy.__getattr__("real") == 5
        with pytest.raises(AttributeError):
            proxy.__getattr__("missing")


def test_mutating_reads(impl: Implementation) -> None:
    target = types.SimpleNamespace(a=1)
    proxy = impl.LocalProxy(lambda: target)
    assert proxy.__setattr__("b", 2) is None
    assert proxy.__delattr__("a") is None
    assert vars(target) == {"b": 2}
    items = {"a": 1}
    mapping = impl.LocalProxy(lambda: items)
    assert mapping.__setitem__("b", 2) is None
    assert mapping.__delitem__("a") is None
    assert items == {"b": 2}


def test_attribute_reads(impl: Implementation) -> None:
    def inner() -> None:
        pass

    def outer() -> None:
        """Outer docs."""

    outer.__wrapped__ = inner  # type: ignore[attr-defined]
    proxy = impl.LocalProxy(lambda: outer)
    assert getattr(proxy, "__class__") is types.FunctionType
    assert getattr(proxy, "__doc__") == "Outer docs."
    assert getattr(proxy, "__wrapped__") is inner


def test_async_reads(impl: Implementation) -> None:
    async def numbers() -> Any:
        yield 1

    generator = numbers()
    proxy = impl.LocalProxy(lambda: generator)
    reference = werkzeug.local.LocalProxy(lambda: generator)
    for each in (proxy, reference):
        assert each.__aiter__() is generator
        assert each.__anext__.__self__ is generator
        # Names the target lacks raise AttributeError, as any attribute does.
        with pytest.raises(AttributeError):
            each.__await__
        with pytest.raises(AttributeError):
            each.__aenter__


def test_reads_bind_the_target_of_read_time(impl: Implementation) -> None:
    var: contextvars.ContextVar[Any] = contextvars.ContextVar("target")

    def run(proxy_type: Any) -> Tuple[Any, ...]:
        proxy = proxy_type(var)
        var.set([1, 2])
        length = proxy.__len__
        add = proxy.__add__
        append = proxy.append
        first = var.get()
        var.set([])
        append(3)
        return length(), add([9]), first, len(proxy)

    expected = ([1, 2, 3].__len__(), [1, 2, 3, 9], [1, 2, 3], 0)
    assert contextvars.copy_context().run(run, werkzeug.local.LocalProxy) == expected
    assert contextvars.copy_context().run(run, impl.LocalProxy) == expected


@pytest.mark.parametrize("name", sorted(set(FORWARDED) - FALLBACKS))
def test_unbound_reads_raise_at_read_time(impl: Implementation, name: str) -> None:
    local = impl.Local()
    proxy = local("missing", unbound_message="read too early")
    with pytest.raises(RuntimeError) as info:
        getattr(proxy, name)
    assert str(info.value) == "read too early"
    with pytest.raises(RuntimeError):
        getattr(proxy, name, None)
    reference = werkzeug.local.Local()("missing", unbound_message="read too early")
    with pytest.raises(RuntimeError, match="^read too early$"):
        getattr(reference, name)


def test_unbound_fallback_reads(impl: Implementation) -> None:
    local = impl.Local()
    proxy = local("missing")
    reference_local = werkzeug.local.Local()
    reference = reference_local("missing")
    assert proxy.__repr__() == reference.__repr__() == "<LocalProxy unbound>"
    assert proxy.__bool__() is reference.__bool__() is False
    assert proxy.__dir__() == reference.__dir__() == []
    assert proxy.__class__ is impl.LocalProxy
    assert reference.__class__ is werkzeug.local.LocalProxy
    assert proxy.__doc__ == impl.LocalProxy.__doc__
    assert reference.__doc__ == werkzeug.local.LocalProxy.__doc__
    assert proxy.__wrapped__ is local
    assert reference.__wrapped__ is reference_local
