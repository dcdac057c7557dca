"""Every operation a LocalProxy forwards, checked against the target and Werkzeug 3.1.

Each test builds our proxy through each kind of local (``source`` fixture)
and, where the result is a plain value, a ``werkzeug.local.LocalProxy`` over
the same target, and expects the same answer from both.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import math
import operator
import types
from typing import Any, Callable, Dict, List, Tuple

import pytest
import werkzeug.local

from _impls import Implementation
from ctxlocal._datamodel import BINARY_OPERATORS, IN_PLACE_OPERATORS

Make = Callable[[Any], Any]


@pytest.fixture(params=["callable", "context_var", "local", "stack"])
def make(request: pytest.FixtureRequest, impl: Implementation) -> Make:
    """Return a function that builds our proxy to a target, via one kind of local."""

    def via_callable(target: Any) -> Any:
        return impl.LocalProxy(lambda: target)

    def via_context_var(target: Any) -> Any:
        var: contextvars.ContextVar[Any] = contextvars.ContextVar("target")
        var.set(target)
        return impl.LocalProxy(var)

    def via_local(target: Any) -> Any:
        local = impl.Local()
        local.target = target
        return local("target")

    def via_stack(target: Any) -> Any:
        stack = impl.LocalStack()
        stack.push(target)
        return stack()

    return {  # type: ignore[no-any-return]
        "callable": via_callable,
        "context_var": via_context_var,
        "local": via_local,
        "stack": via_stack,
    }[request.param]


def theirs(target: Any) -> Any:
    """Werkzeug's proxy to ``target``: the reference behaviour."""
    return werkzeug.local.LocalProxy(lambda: target)


def outcome(func: Callable[[], Any]) -> Tuple[Any, ...]:
    """What ``func()`` does: ("ok", value) or ("raise", type, message)."""
    try:
        return ("ok", func())
    except Exception as error:  # noqa: BLE001 - the exception is the result here
        return ("raise", type(error), str(error))


class Recorder:
    """Answers each binary operator with (method name, operands), to show which one ran."""

    def __repr__(self) -> str:
        return "<Recorder>"


BINARY = BINARY_OPERATORS
INPLACE = IN_PLACE_OPERATORS


def _recording(method: str) -> Callable[..., Any]:
    def record(self: Any, *operands: Any) -> Any:
        return (method, operands)

    return record


for _name in BINARY:
    setattr(Recorder, f"__{_name}__", _recording(f"__{_name}__"))
    setattr(Recorder, f"__r{_name}__", _recording(f"__r{_name}__"))


class InPlace:
    """Logs in-place operators and returns a different object, which the proxy must drop."""

    def __init__(self) -> None:
        self.log: List[Tuple[str, Any]] = []


def _logging(method: str) -> Callable[[Any, Any], Any]:
    def log(self: InPlace, other: Any) -> Any:
        self.log.append((method, other))
        return "result of " + method

    return log


for _name in INPLACE:
    setattr(InPlace, f"__{_name}__", _logging(f"__{_name}__"))


# Attributes ----------------------------------------------------------------


def test_attribute_get_set_delete(impl: Implementation, make: Make) -> None:
    target = types.SimpleNamespace(a=1)
    proxy = make(target)
    assert proxy.a == 1
    proxy.b = 2
    assert target.b == 2
    assert proxy.b == 2
    del proxy.a
    assert not hasattr(target, "a")
    with pytest.raises(AttributeError):
        proxy.a
    with pytest.raises(AttributeError):
        del proxy.missing
    assert getattr(proxy, "missing", "default") == "default"
    assert hasattr(proxy, "b")
    assert not hasattr(proxy, "a")
    setattr(proxy, "c", 3)
    delattr(proxy, "b")
    assert vars(target) == {"c": 3}
    assert proxy.__dict__ is target.__dict__


def test_method_calls_reach_the_target(impl: Implementation, make: Make) -> None:
    target: List[int] = []
    proxy = make(target)
    proxy.append(1)
    proxy.extend([2, 3])
    assert target == [1, 2, 3]
    assert proxy.pop() == 3
    assert proxy.__len__() == 2


def test_names_of_a_function_target(impl: Implementation, make: Make) -> None:
    def documented() -> None:
        """Function docs."""

    proxy = make(documented)
    assert proxy.__name__ == "documented"
    assert proxy.__qualname__ == documented.__qualname__
    assert proxy.__doc__ == "Function docs."


def test_module_is_the_proxy_class_module(impl: Implementation, make: Make) -> None:
    """``__module__`` is found on the proxy's class, as with Werkzeug's proxy."""
    assert theirs(types).__module__ == "werkzeug.local"
    assert make(types).__module__ == impl.module.__name__
    assert make(types).__module__ == type(make(types)).__module__


def test_class_and_isinstance(impl: Implementation, make: Make) -> None:
    proxy = make(7)
    assert proxy.__class__ is int
    assert isinstance(proxy, int)
    assert isinstance(proxy, (str, int))
    assert not isinstance(proxy, str)
    assert isinstance(proxy, impl.LocalProxy)
    assert type(proxy) is impl.LocalProxy
    assert issubclass(type(proxy), impl.LocalProxy)
    assert not issubclass(type(proxy), int)


def test_doc_of_the_target(impl: Implementation, make: Make) -> None:
    class Documented:
        """Docs of the target class."""

    assert make(Documented()).__doc__ == "Docs of the target class."
    assert make(Documented()).__doc__ == theirs(Documented()).__doc__
    assert make(object()).__doc__ == object.__doc__


def test_wrapped_of_the_target(impl: Implementation, make: Make) -> None:
    def inner() -> None:
        pass

    def outer() -> None:
        pass

    outer.__wrapped__ = inner  # type: ignore[attr-defined]
    assert make(outer).__wrapped__ is inner
    # A bound proxy reads the target's __wrapped__, which an int lacks.
    for proxy in (make(1), theirs(1)):
        with pytest.raises(AttributeError):
            proxy.__wrapped__


# Text ----------------------------------------------------------------------


def test_repr_str_bytes_format(impl: Implementation, make: Make) -> None:
    class Custom:
        def __repr__(self) -> str:
            return "<custom repr>"

        def __str__(self) -> str:
            return "custom str"

        def __bytes__(self) -> bytes:
            return b"custom bytes"

        def __format__(self, spec: str) -> str:
            return f"custom format {spec!r}"

    target = Custom()
    for proxy in (make(target), theirs(target)):
        assert repr(proxy) == "<custom repr>"
        assert str(proxy) == "custom str"
        assert bytes(proxy) == b"custom bytes"
        assert format(proxy, ">5") == "custom format '>5'"
        assert f"{proxy}" == "custom format ''"
        assert f"{proxy!r}" == "<custom repr>"
        assert "%s" % proxy == "custom str"
    number = make(3.14159)
    assert repr(number) == "3.14159"
    assert f"{number:.2f}" == "3.14"
    assert format(number) == "3.14159"
    assert "{:>8}".format(make("ab")) == "      ab"
    assert bytes(make(b"raw")) == b"raw"
    assert bytes(make(3)) == b"\x00\x00\x00"


# Comparisons, hash, bool -----------------------------------------------------

COMPARISONS = {
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
}


@pytest.mark.parametrize("name", COMPARISONS)
@pytest.mark.parametrize("other", [4, 5, 6, 5.0, "5"])
def test_comparisons(impl: Implementation, make: Make, name: str, other: Any) -> None:
    compare = COMPARISONS[name]
    proxy = make(5)
    expected = outcome(lambda: compare(5, other))
    assert outcome(lambda: compare(proxy, other)) == expected
    assert outcome(lambda: compare(theirs(5), other)) == expected
    # Reflected: Python tries the swapped operator on the proxy, so an error
    # names that operator (as Werkzeug's does); results equal the plain ones.
    reflected = outcome(lambda: compare(other, proxy))
    assert reflected == outcome(lambda: compare(other, theirs(5)))
    assert reflected[:2] == outcome(lambda: compare(other, 5))[:2]


def test_comparisons_return_the_target_result(impl: Implementation, make: Make) -> None:
    class Loose:
        def __eq__(self, other: object) -> Any:
            return ("eq", other)

        def __lt__(self, other: object) -> Any:
            return ("lt", other)

        __hash__ = object.__hash__

    proxy = make(Loose())
    assert (proxy == 1) == ("eq", 1)
    assert (proxy < 1) == ("lt", 1)
    assert (1 > proxy) == ("lt", 1)


def test_two_proxies_compare_by_their_targets(impl: Implementation, make: Make) -> None:
    assert make(5) == make(5)
    assert make(5) != make(6)
    assert make(5) < make(6)
    assert make([1]) == theirs([1])


def test_hash(impl: Implementation, make: Make) -> None:
    proxy = make("key")
    assert hash(proxy) == hash("key")
    assert {"key": 1}[proxy] == 1
    assert {proxy: 1}["key"] == 1
    assert proxy in {"key"}
    with pytest.raises(TypeError):
        hash(make([]))


@pytest.mark.parametrize("target", [0, 1, "", "x", [], [0], None, 0.0])
def test_bool(impl: Implementation, target: Any) -> None:
    assert bool(impl.LocalProxy(lambda: target)) is bool(target)
    assert (not impl.LocalProxy(lambda: target)) is (not target)


def test_bool_through_each_source(impl: Implementation, make: Make) -> None:
    assert bool(make(1)) is True
    assert bool(make(0)) is False


# Calls and containers -------------------------------------------------------


def test_call(impl: Implementation, make: Make) -> None:
    def func(*args: Any, **kwargs: Any) -> Any:
        return args, kwargs

    proxy = make(func)
    assert proxy() == ((), {})
    assert proxy(1, 2, key="value") == ((1, 2), {"key": "value"})
    assert proxy(*[1], **{"a": 2}) == ((1,), {"a": 2})
    assert make(int)("12") == 12


def test_len_and_length_hint(impl: Implementation, make: Make) -> None:
    assert len(make([1, 2, 3])) == 3
    assert operator.length_hint(make([1, 2])) == 2
    assert operator.length_hint(make(iter([1, 2, 3, 4]))) == 4

    class Hinted:
        def __length_hint__(self) -> int:
            return 7

    assert operator.length_hint(make(Hinted())) == 7
    assert operator.length_hint(theirs(Hinted())) == 7
    # The proxy always has __length_hint__, so the default is never used: the
    # target's own hint (0 for an object without one) comes back, as with Werkzeug.
    assert operator.length_hint(theirs(object()), 9) == 0
    assert operator.length_hint(make(object()), 9) == 0
    with pytest.raises(TypeError):
        len(make(5))


def test_items(impl: Implementation, make: Make) -> None:
    target = {"a": 1}
    proxy = make(target)
    assert proxy["a"] == 1
    proxy["b"] = 2
    del proxy["a"]
    assert target == {"b": 2}
    with pytest.raises(KeyError):
        proxy["a"]
    with pytest.raises(KeyError):
        del proxy["a"]
    items = [0, 1, 2, 3, 4]
    sequence = make(items)
    assert sequence[1:3] == [1, 2]
    assert sequence[-1] == 4
    sequence[0:2] = ["x"]
    del sequence[-1]
    assert items == ["x", 2, 3]


def test_iteration(impl: Implementation, make: Make) -> None:
    assert list(make([1, 2, 3])) == [1, 2, 3]
    assert [x * 2 for x in make((1, 2))] == [2, 4]
    assert list(reversed(make([1, 2, 3]))) == [3, 2, 1]
    assert 2 in make([1, 2, 3])
    assert 4 not in make([1, 2, 3])
    assert "b" in make("abc")
    iterator = iter([1, 2])
    proxy = make(iterator)
    assert next(proxy) == 1
    assert iter(proxy) is iterator
    assert next(proxy) == 2
    with pytest.raises(StopIteration):
        next(proxy)
    assert next(proxy, "done") == "done"


# Arithmetic -------------------------------------------------------------------


@pytest.mark.parametrize("name", [n for n in BINARY if n != "matmul"])
@pytest.mark.parametrize("left, right", [(7, 3), (3, 7), (-7, 2), (2.5, 2)])
def test_binary_operators_on_numbers(
    impl: Implementation, make: Make, name: str, left: Any, right: Any
) -> None:
    op = BINARY[name]
    expected = outcome(lambda: op(left, right))
    assert outcome(lambda: op(make(left), right)) == expected
    assert outcome(lambda: op(theirs(left), right)) == expected
    # Reflected: the proxy on the right.
    assert outcome(lambda: op(right, make(left))) == outcome(lambda: op(right, left))
    assert outcome(lambda: op(make(right), make(left))) == outcome(lambda: op(right, left))


@pytest.mark.parametrize("name", BINARY)
def test_binary_and_reflected_methods_are_the_right_ones(
    impl: Implementation, make: Make, name: str
) -> None:
    op = BINARY[name]
    target = Recorder()
    assert op(make(target), 3) == (f"__{name}__", (3,))
    assert op(3, make(target)) == (f"__r{name}__", (3,))
    assert op(theirs(target), 3) == op(make(target), 3)
    assert op(3, theirs(target)) == op(3, make(target))


def test_sequence_operators(impl: Implementation, make: Make) -> None:
    assert make([1]) + [2] == [1, 2]
    assert [0] + make([1]) == [0, 1]
    assert make("ab") * 2 == "abab"
    assert 2 * make("ab") == "abab"
    assert make("%s!") % "hi" == "hi!"
    assert make({1, 2}) | {3} == {1, 2, 3}
    assert {3} | make({1, 2}) == {1, 2, 3}
    assert make({1, 2}) & {2} == {2}
    assert make({"a": 1}) | {"b": 2} == {"a": 1, "b": 2}


def test_three_argument_pow(impl: Implementation, make: Make) -> None:
    assert pow(make(2), 10, 1000) == 24
    assert pow(theirs(2), 10, 1000) == 24
    assert pow(make(3), 2) == 9
    assert make(2) ** 3 == 8
    assert 2 ** make(3) == 8
    assert pow(make(Recorder()), 2, 5) == ("__pow__", (2, 5))


@pytest.mark.parametrize("name", INPLACE)
def test_inplace_operators_apply_to_the_target(
    impl: Implementation, make: Make, name: str
) -> None:
    op = INPLACE[name]
    target = InPlace()
    proxy = make(target)
    result = op(proxy, 5)
    # The statement ``proxy += 5`` rebinds the name to the proxy, not to the
    # target's return value (Werkzeug's rule).
    assert result is proxy
    assert target.log == [(f"__{name}__", 5)]
    reference = InPlace()
    assert op(theirs(reference), 5) is not reference
    assert reference.log == target.log


def test_inplace_statements(impl: Implementation, make: Make) -> None:
    items = [1]
    proxy = make(items)
    original = proxy
    proxy += [2]
    assert proxy is original
    proxy *= 2
    assert proxy is original
    assert items == [1, 2, 1, 2]
    assert type(proxy) is impl.LocalProxy

    members = {1, 2, 3}
    sets = make(members)
    sets |= {4}
    sets &= {2, 3, 4}
    sets -= {2}
    sets ^= {5}
    assert members == {3, 4, 5}
    assert type(sets) is impl.LocalProxy

    mapping = {"a": 1}
    dicts = make(mapping)
    dicts |= {"b": 2}
    assert mapping == {"a": 1, "b": 2}
    assert type(dicts) is impl.LocalProxy


def test_inplace_on_an_immutable_target_matches_werkzeug(
    impl: Implementation, make: Make
) -> None:
    """An int has no in-place method: the result is dropped and the target stays."""
    ours = make(1)
    reference = theirs(1)
    ours += 10
    reference += 10
    assert type(reference) is werkzeug.local.LocalProxy
    assert reference == 1
    assert type(ours) is impl.LocalProxy
    assert ours == 1


@pytest.mark.parametrize(
    "op, value",
    [
        (operator.neg, 5),
        (operator.neg, -2.5),
        (operator.pos, -5),
        (abs, -5),
        (abs, -2.5),
        (operator.invert, 5),
        (operator.invert, -1),
    ],
)
def test_unary_operators(impl: Implementation, make: Make, op: Any, value: Any) -> None:
    assert op(make(value)) == op(value)
    assert type(op(make(value))) is type(op(value))
    assert op(theirs(value)) == op(value)


def test_unary_operators_errors(impl: Implementation, make: Make) -> None:
    for op in (operator.neg, operator.pos, abs, operator.invert):
        assert outcome(lambda: op(make("s"))) == outcome(lambda: op("s"))


# Numbers ------------------------------------------------------------------------


def test_int_float_complex(impl: Implementation, make: Make) -> None:
    assert int(make(3.7)) == 3
    assert type(int(make(3.7))) is int
    assert int(make("12")) == 12
    assert float(make(3)) == 3.0
    assert type(float(make(3))) is float
    assert float(make("1.5")) == 1.5
    assert complex(make(2)) == complex(2)
    assert complex(make(1 + 2j)) == 1 + 2j
    with pytest.raises(TypeError):
        int(make(object()))


def test_index(impl: Implementation, make: Make) -> None:
    proxy = make(1)
    assert [10, 20, 30][proxy] == 20
    assert "abc"[proxy:] == "bc"
    assert operator.index(proxy) == 1
    assert bin(make(5)) == "0b101"
    assert hex(make(255)) == "0xff"
    assert range(10)[make(3)] == 3
    with pytest.raises(TypeError):
        [1, 2][make(1.0)]


@pytest.mark.parametrize("value", [2.567, -2.5, 2.5, 7, -3.2])
def test_rounding(impl: Implementation, make: Make, value: Any) -> None:
    proxy = make(value)
    assert round(proxy) == round(value)
    assert type(round(proxy)) is type(round(value))
    assert round(proxy, 1) == round(value, 1)
    assert round(proxy, None) == round(value, None)
    assert math.trunc(proxy) == math.trunc(value)
    assert math.floor(proxy) == math.floor(value)
    assert math.ceil(proxy) == math.ceil(value)
    reference = theirs(value)
    assert (round(reference), round(reference, 1), math.floor(reference)) == (
        round(proxy),
        round(proxy, 1),
        math.floor(proxy),
    )


# Context managers and async ----------------------------------------------------------


class Managed:
    """Records how it was entered and exited."""

    def __init__(self, suppress: bool = False) -> None:
        self.calls: List[Any] = []
        self.suppress = suppress

    def __enter__(self) -> str:
        self.calls.append("enter")
        return "entered value"

    def __exit__(self, *exc_info: Any) -> bool:
        self.calls.append(exc_info)
        return self.suppress

    async def __aenter__(self) -> str:
        self.calls.append("aenter")
        return "async entered value"

    async def __aexit__(self, *exc_info: Any) -> bool:
        self.calls.append(exc_info)
        return self.suppress


def test_with(impl: Implementation, make: Make) -> None:
    target = Managed()
    with make(target) as value:
        assert value == "entered value"
    assert target.calls == ["enter", (None, None, None)]


def test_with_passes_exception_info_to_exit(impl: Implementation, make: Make) -> None:
    target = Managed()
    error = ValueError("inside")
    with pytest.raises(ValueError, match="^inside$"):
        with make(target):
            raise error
    assert target.calls[0] == "enter"
    exc_type, exc_value, traceback = target.calls[1]
    assert exc_type is ValueError
    assert exc_value is error
    assert isinstance(traceback, types.TracebackType)

    suppressing = Managed(suppress=True)
    with make(suppressing):
        raise KeyError("swallowed")
    assert suppressing.calls[1][0] is KeyError


def test_with_explicit_calls(impl: Implementation, make: Make) -> None:
    target = Managed()
    proxy = make(target)
    assert proxy.__enter__() == "entered value"
    assert proxy.__exit__(None, None, None) is False
    assert target.calls == ["enter", (None, None, None)]


def test_await(impl: Implementation, make: Make) -> None:
    class Awaitable:
        def __await__(self) -> Any:
            yield from asyncio.sleep(0).__await__()
            return "awaited"

    async def main() -> Any:
        async def coroutine() -> str:
            return "from coroutine"

        return (await make(Awaitable()), await make(coroutine()))

    assert asyncio.run(main()) == ("awaited", "from coroutine")


def test_async_iteration(impl: Implementation, make: Make) -> None:
    async def numbers() -> Any:
        for i in range(3):
            await asyncio.sleep(0)
            yield i

    class ThroughProxy:
        """Its __aiter__ hands out the proxy, so each step calls the proxy's __anext__."""

        def __init__(self, proxy: Any) -> None:
            self.proxy = proxy

        def __aiter__(self) -> Any:
            return self.proxy

    async def main() -> Any:
        direct = [i async for i in make(numbers())]
        stepped = [i async for i in ThroughProxy(make(numbers()))]
        generator = numbers()
        proxy = make(generator)
        first = await proxy.__anext__()
        return direct, stepped, first, proxy.__aiter__() is generator

    assert asyncio.run(main()) == ([0, 1, 2], [0, 1, 2], 0, True)


def test_async_with(impl: Implementation, make: Make) -> None:
    target = Managed()
    failing = Managed(suppress=True)
    error = ValueError("async inside")

    async def main() -> Any:
        async with make(target) as value:
            pass
        async with make(failing):
            raise error
        return value

    assert asyncio.run(main()) == "async entered value"
    assert target.calls == ["aenter", (None, None, None)]
    assert failing.calls[0] == "aenter"
    assert failing.calls[1][:2] == (ValueError, error)


# Copying, introspection, class checks ------------------------------------------------


def test_copy_and_deepcopy_copy_the_target(impl: Implementation, make: Make) -> None:
    inner = [1]
    target = [inner, 2]
    proxy = make(target)
    shallow = copy.copy(proxy)
    assert type(shallow) is list
    assert shallow == target
    assert shallow is not target
    assert shallow[0] is inner
    deep = copy.deepcopy(proxy)
    assert type(deep) is list
    assert deep == target
    assert deep[0] is not inner
    assert copy.copy(theirs(target)) == shallow


def test_copy_uses_the_target_copy_methods(impl: Implementation, make: Make) -> None:
    class Copyable:
        def __copy__(self) -> str:
            return "copied"

        def __deepcopy__(self, memo: Dict[int, Any]) -> str:
            return "deep copied"

    proxy = make(Copyable())
    assert copy.copy(proxy) == "copied"
    assert copy.deepcopy(proxy) == "deep copied"
    assert copy.deepcopy([proxy]) == ["deep copied"]


def test_dir(impl: Implementation, make: Make) -> None:
    target = types.SimpleNamespace(alpha=1, beta=2)
    assert dir(make(target)) == dir(target)
    assert dir(make(5)) == dir(5)


def test_isinstance_and_issubclass_against_a_proxied_class(
    impl: Implementation, make: Make
) -> None:
    proxy = make(int)
    assert isinstance(3, proxy)
    assert not isinstance("3", proxy)
    assert issubclass(bool, proxy)
    assert not issubclass(str, proxy)
    assert isinstance(True, theirs(int))
    abstract = make(Exception)
    assert isinstance(ValueError(), abstract)
    try:
        raise KeyError("k")
    except Exception as error:  # noqa: BLE001
        assert isinstance(error, make(LookupError))
