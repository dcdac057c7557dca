"""The proxy's forwarded data model, as one table.

Every special name a ``LocalProxy`` forwards to its target is one row of
:data:`TABLE`: how the proxy's method forwards it (in Python, for
``ctxlocal._local_py``, and through the C API, for ``ctxlocal._local_c``), what
reading the name off a proxy gives (``proxy.__add__``), and what an unbound
proxy answers instead of raising. From the rows come:

* the forwarding methods of both implementations' ``LocalProxy`` and of the
  type stub ``ctxlocal/__init__.pyi``: each file holds them between
  ``BEGIN``/``END GENERATED`` markers, written by ``python ci/datamodel.py
  --write`` and checked by ``tests/test_datamodel.py`` (generated code, not
  code built at import time, so that the methods are as fast as hand-written
  ones and type checkers see them);
* :func:`read_special`, what both implementations return for an explicit read
  of a forwarded name, and :data:`FORWARDED_NAMES`.

**Explicit reads.** The interpreter never reads the name for an operation:
``proxy + 1`` goes straight to the type's slot. ``proxy.__add__`` (or
``getattr(proxy, "__eq__")``) is for code that spells the name out. Werkzeug
3.1 answers such a read with the target's operation bound to the target *at
read time*, so an unbound proxy raises ``RuntimeError`` right there unless
the name has an unbound fallback; in-place operators bind a function that
applies the operator to the target and returns the proxy; a few names read
the target's own attribute.

Adding a forwarded name is one row here and one run of the generator.
"""

from __future__ import annotations

import copy
import math
import operator
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, List, Optional, Tuple

__all__ = [
    "BINARY_OPERATORS",
    "FORWARDED_NAMES",
    "IN_PLACE_OPERATORS",
    "READERS",
    "TABLE",
    "Special",
    "read_special",
]

# The target, in a row's code; the generator writes each implementation's
# expression for it (``_GET(self)()`` in Python, ``self._get()`` in Cython).
T = "{T}"


@dataclass(frozen=True)
class Special:
    """One forwarded special name.

    :param name: the special name.
    :param params: the method's parameters after ``self``, annotated as in the
        pure module and the stub (``""`` for none).
    :param returns: the return annotation (``{proxy}`` stands for the proxy
        type).
    :param pure: the body of the pure method, ``{T}`` standing for the target
        (``None``: the name has no generated method).
    :param compiled: the same for the compiled method, in Cython.
    :param read: what reading the name binds to the target: ``op`` gives
        ``partial(op, target)``; see :data:`ATTRIBUTE` and :func:`inplace_op`.
    :param unbound: an expression in ``self`` (the proxy) and ``wrapped`` (what
        it wraps) for what an unbound proxy answers: the method's result, or
        for an attribute its value. ``None``: unbound raises RuntimeError.
    :param pure_def_comment: a comment for the pure ``def`` line (type
        checker notes).
    """

    name: str
    params: str = ""
    returns: str = "Any"
    pure: Optional[str] = None
    compiled: Optional[str] = None
    read: Any = None
    unbound: Optional[str] = None
    pure_def_comment: str = ""


# read: the target's own attribute of that name.
ATTRIBUTE = "attribute"


@dataclass(frozen=True)
class _InPlace:
    op: Callable[[Any, Any], Any]


def inplace_op(op: Callable[[Any, Any], Any]) -> _InPlace:
    """read: a function applying ``op`` to the target that returns the proxy."""
    return _InPlace(op)


def _reflected(op: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    def reflected(obj: Any, other: Any) -> Any:
        return op(other, obj)

    return reflected


def _instancecheck(obj: Any, other: Any) -> bool:
    return isinstance(other, obj)


def _subclasscheck(obj: Any, other: Any) -> bool:
    return issubclass(other, obj)


def _call(obj: Any, *args: Any, **kwargs: Any) -> Any:
    return obj(*args, **kwargs)


def _expr(name: str, pure: str, compiled: str, read: Any, params: str = "",
          returns: str = "Any") -> Special:
    """A method that returns one expression of the target."""
    return Special(name, params, returns, f"return {pure}", f"return {compiled}", read=read)


def _unbound_fallback(name: str, pure: str, compiled: str, read: Any, unbound: str,
                      returns: str = "Any") -> Special:
    """A method whose unbound proxy answers ``unbound`` instead of raising."""

    def body(expr: str) -> str:
        return (f"try:\n    obj = {T}\nexcept RuntimeError:\n    return {unbound}\n"
                f"return {expr}")

    return Special(name, "", returns, body(pure), body(compiled), read=read, unbound=unbound)


def _by_name(name: str, params: str = "", args: str = "") -> Special:
    """A method that calls the target's own attribute of that name (as
    Werkzeug's proxy does, so a target without it raises AttributeError)."""
    call = f'return getattr({T}, "{name}")({args})'
    return Special(name, params, "Any", call, call, read=ATTRIBUTE)


def _entering(name: str, exit_name: str, exit_first: str, compiled_exit_first: str) -> Special:
    """``__enter__``/``__aenter__``: the target's methods fetched in the order
    the interpreter's ``with`` looks them up (see ctxlocal._interpreter)."""

    def body(flag: str, comment: str) -> str:
        return (f"obj = {T}\nif {flag}:{comment}\n    getattr(obj, \"{exit_name}\")\n"
                f'return getattr(obj, "{name}")()')

    comment = "\n    # Fail as Werkzeug's proxy fails: on the name looked up first." if (
        name == "__enter__") else ""
    return Special(name, "", "Any", body(exit_first, comment),
                   body(compiled_exit_first, comment), read=ATTRIBUTE)


_COMPARISONS = [("lt", "<", "Py_LT"), ("le", "<=", "Py_LE"), ("eq", "==", "Py_EQ"),
                ("ne", "!=", "Py_NE"), ("gt", ">", "Py_GT"), ("ge", ">=", "Py_GE")]

# name, operator symbol (None: a builtin), operator function, C API function
_BINARY: List[Tuple[str, Optional[str], Callable[..., Any], str]] = [
    ("add", "+", operator.add, "PyNumber_Add"),
    ("sub", "-", operator.sub, "PyNumber_Subtract"),
    ("mul", "*", operator.mul, "PyNumber_Multiply"),
    ("matmul", "@", operator.matmul, "PyNumber_MatrixMultiply"),
    ("truediv", "/", operator.truediv, "PyNumber_TrueDivide"),
    ("floordiv", "//", operator.floordiv, "PyNumber_FloorDivide"),
    ("mod", "%", operator.mod, "PyNumber_Remainder"),
    ("divmod", None, divmod, "PyNumber_Divmod"),
    ("pow", None, pow, "PyNumber_Power"),
    ("lshift", "<<", operator.lshift, "PyNumber_Lshift"),
    ("rshift", ">>", operator.rshift, "PyNumber_Rshift"),
    ("and", "&", operator.and_, "PyNumber_And"),
    ("xor", "^", operator.xor, "PyNumber_Xor"),
    ("or", "|", operator.or_, "PyNumber_Or"),
]

BINARY_OPERATORS: Dict[str, Callable[..., Any]] = {name: op for name, _, op, _ in _BINARY}
"""``"add"`` -> ``operator.add``...: the binary operators a proxy forwards
(each also reflected, and all but ``divmod`` in place)."""

IN_PLACE_OPERATORS: Dict[str, Callable[[Any, Any], Any]] = {
    f"i{name}": getattr(operator, f"i{name.rstrip('_')}") for name in BINARY_OPERATORS
    if name != "divmod"
}
"""``"iadd"`` -> ``operator.iadd``...: the in-place operators a proxy forwards."""

_IN_PLACE_C = {"add": "Add", "sub": "Subtract", "mul": "Multiply", "matmul": "MatrixMultiply",
               "truediv": "TrueDivide", "floordiv": "FloorDivide", "mod": "Remainder",
               "pow": "Power", "lshift": "Lshift", "rshift": "Rshift", "and": "And",
               "xor": "Xor", "or": "Or"}

# name, pure expression, compiled expression, read op, return annotation
_UNARY: List[Tuple[str, str, str, Callable[..., Any], str]] = [
    ("neg", f"-{T}", f"PyNumber_Negative({T})", operator.neg, "Any"),
    ("pos", f"+{T}", f"PyNumber_Positive({T})", operator.pos, "Any"),
    ("abs", f"abs({T})", f"PyNumber_Absolute({T})", abs, "Any"),
    ("invert", f"~{T}", f"PyNumber_Invert({T})", operator.invert, "Any"),
    ("complex", f"complex({T})", f"_complex({T})", complex, "complex"),
    ("int", f"int({T})", f"PyNumber_Long({T})", int, "int"),
    ("float", f"float({T})", f"PyNumber_Float({T})", float, "float"),
    ("index", f"operator.index({T})", f"PyNumber_Index({T})", operator.index, "int"),
]


def _binary_rows() -> Tuple[Special, ...]:
    rows = []
    for name, symbol, op, c_function in _BINARY:
        if name == "pow":
            # The C slot's signature (pow(proxy, 2, None) is proxy ** 2).
            rows.append(Special("__pow__", "other: Any, mod: Any = None", "Any",
                                f"return pow({T}, other, mod)",
                                f"return PyNumber_Power({T}, other, mod)", read=op))
        else:
            pure = f"{T} {symbol} other" if symbol else f"{name}({T}, other)"
            rows.append(_expr(f"__{name}__", pure, f"{c_function}({T}, other)", op,
                              "other: Any"))
    for name, symbol, op, c_function in _BINARY:
        if name == "pow":
            # Three-argument pow() never reflects: mod is always None here.
            rows.append(Special("__rpow__", "other: Any, mod: Any = None", "Any",
                                f"return pow(other, {T})",
                                f"return PyNumber_Power(other, {T}, None)",
                                read=_reflected(op)))
        else:
            pure = f"other {symbol} {T}" if symbol else f"{name}(other, {T})"
            rows.append(_expr(f"__r{name}__", pure, f"{c_function}(other, {T})",
                              _reflected(op), "other: Any"))
    return tuple(rows)


def _in_place_rows() -> Tuple[Special, ...]:
    # In-place operators run on the target and leave the proxy bound to the
    # name (Werkzeug's rule): the method returns the proxy, not the result.
    rows = []
    for name, symbol, op, _ in _BINARY:
        if name == "divmod":
            continue
        symbol = symbol or "**"
        extra = ", None" if name == "pow" else ""
        rows.append(Special(
            f"__i{name}__", "other: Any", "{proxy}",
            f"target = {T}\ntarget {symbol}= other\nreturn self",
            f"PyNumber_InPlace{_IN_PLACE_C[name]}({T}, other{extra})\nreturn self",
            read=inplace_op(IN_PLACE_OPERATORS[f"i{name}"]),
            pure_def_comment="  # type: ignore[misc]" if name == "pow" else "",
        ))
    return tuple(rows)


TABLE: Tuple[Special, ...] = (
    _unbound_fallback("__repr__", "repr(obj)", "repr(obj)", repr,
                      'f"<{type(self).__name__} unbound>"', returns="str"),
    _expr("__str__", f"str({T})", f"PyObject_Str({T})", str, returns="str"),
    _expr("__bytes__", f"bytes({T})", f"_bytes({T})", bytes, returns="bytes"),
    Special("__format__", "format_spec: str", "str",
            f'return getattr({T}, "__format__")(format_spec)  # type: ignore[no-any-return]',
            f'return getattr({T}, "__format__")(format_spec)', read=ATTRIBUTE),
    *(_expr(f"__{name}__", f"{T} {symbol} other", f"PyObject_RichCompare({T}, other, {c_op})",
            getattr(operator, name), "other: Any") for name, symbol, c_op in _COMPARISONS),
    _expr("__hash__", f"hash({T})", f"PyObject_Hash({T})", hash, returns="int"),
    _unbound_fallback("__bool__", "bool(obj)", "PyObject_IsTrue(obj)", bool, "False",
                      returns="bool"),
    _unbound_fallback("__dir__", "dir(obj)", "_dir(obj)", dir, "[]"),
    _expr("__instancecheck__", f"isinstance(instance, {T})",
          f"PyObject_IsInstance(instance, {T})", _instancecheck, "instance: Any", "bool"),
    _expr("__subclasscheck__", f"issubclass(subclass, {T})",
          f"PyObject_IsSubclass(subclass, {T})", _subclasscheck, "subclass: Any", "bool"),
    _expr("__call__", f"{T}(*args, **kwargs)", f"PyObject_Call({T}, args, kwargs)", _call,
          "*args: Any, **kwargs: Any"),
    _expr("__len__", f"len({T})", f"PyObject_Length({T})", len, returns="int"),
    _expr("__length_hint__", f"operator.length_hint({T})", f"_length_hint({T})",
          operator.length_hint, returns="int"),
    _expr("__getitem__", f"{T}[key]", f"PyObject_GetItem({T}, key)", operator.getitem,
          "key: Any"),
    Special("__setitem__", "key: Any, value: Any", "None", f"{T}[key] = value",
            f"PyObject_SetItem({T}, key, value)", read=operator.setitem),
    Special("__delitem__", "key: Any", "None", f"del {T}[key]", f"PyObject_DelItem({T}, key)",
            read=operator.delitem),
    _expr("__iter__", f"iter({T})", f"PyObject_GetIter({T})", iter, returns="Iterator[Any]"),
    _expr("__next__", f"next({T})", f"_next({T})", next),
    # reversed() returns whatever the target's __reversed__ returns, unchecked.
    _expr("__reversed__", f"reversed({T})", f"_reversed({T})", reversed),
    _expr("__contains__", f"item in {T}", f"PySequence_Contains({T}, item)", operator.contains,
          "item: Any", "bool"),
    *_binary_rows(),
    *_in_place_rows(),
    *(_expr(f"__{name}__", pure, compiled, op, returns=returns)
      for name, pure, compiled, op, returns in _UNARY),
    _expr("__round__", f"round({T}, *ndigits)", f"_round({T}, *ndigits)", round,
          "*ndigits: Any"),
    _expr("__trunc__", f"math.trunc({T})", f"_trunc({T})", math.trunc),
    _expr("__floor__", f"math.floor({T})", f"_floor({T})", math.floor),
    _expr("__ceil__", f"math.ceil({T})", f"_ceil({T})", math.ceil),
    _entering("__enter__", "__exit__", "WITH_LOOKS_UP_EXIT_FIRST", "_WITH_EXIT_FIRST"),
    _by_name("__exit__", "*exc_info: Any", "*exc_info"),
    _by_name("__await__"),
    _by_name("__aiter__"),
    _by_name("__anext__"),
    _entering("__aenter__", "__aexit__", "ASYNC_WITH_LOOKS_UP_EXIT_FIRST",
              "_ASYNC_WITH_EXIT_FIRST"),
    _by_name("__aexit__", "*exc_info: Any", "*exc_info"),
    _expr("__copy__", f"copy.copy({T})", f"_copy({T})", copy.copy),
    _expr("__deepcopy__", f"copy.deepcopy({T}, memo)", f"_deepcopy({T}, memo)", copy.deepcopy,
          "memo: Any"),
    # Names each implementation defines by hand (attribute access is its
    # core), or not at all (the type defines no __getattr__; __class__ and
    # __doc__ are the type's own): only their explicit reads come from here.
    Special("__getattr__", read=getattr),
    Special("__setattr__", read=setattr),
    Special("__delattr__", read=delattr),
    Special("__class__", read=ATTRIBUTE, unbound="type(self)"),
    Special("__doc__", read=ATTRIBUTE, unbound="type(self).__doc__"),
    Special("__wrapped__", read=ATTRIBUTE, unbound="wrapped"),
)
"""Every special name a proxy forwards, in the order the classes define them."""

FORWARDED_NAMES = frozenset(row.name for row in TABLE)
"""Every special name whose read goes to the target."""

# name -> (self, wrapped) -> what an unbound proxy answers, compiled once from
# the rows' expressions (the generated methods inline the same text).
_UNBOUND: Dict[str, Callable[[Any, Any], Any]] = {
    row.name: eval(f"lambda self, wrapped: {row.unbound}")  # noqa: S307 - the table's own text
    for row in TABLE
    if row.unbound is not None
}


def _inplace(proxy: Any, obj: Any, op: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def inplace(other: Any) -> Any:
        op(obj, other)
        return proxy

    return inplace


# How a row's read binds: (proxy, target) -> what the read gives.
Binder = Callable[[Any, Any], Any]
# How a row's read answers for an unbound proxy: (proxy, wrapped) -> the value.
Fallback = Callable[[Any, Any], Any]


def _binder(row: Special) -> Binder:
    read, name = row.read, row.name
    if read is ATTRIBUTE:
        return lambda proxy, obj: getattr(obj, name)
    if type(read) is _InPlace:
        op = read.op
        return lambda proxy, obj: _inplace(proxy, obj, op)
    return lambda proxy, obj: partial(read, obj)


def _fallback(row: Special) -> Optional[Fallback]:
    unbound = _UNBOUND.get(row.name)
    if unbound is None or row.pure is None:  # none, or an attribute's value
        return unbound
    # A method: the read gives the fallback as a function of no more arguments.
    return lambda proxy, wrapped: partial(unbound, proxy, wrapped)


READERS: Dict[str, Tuple[Binder, Optional[Fallback]]] = {
    row.name: (_binder(row), _fallback(row)) for row in TABLE
}
"""name -> (bind, fallback): what a read of the name gives, ``bind(proxy,
target)`` for a bound proxy and ``fallback(proxy, wrapped)`` for an unbound one
(``None``: it raises the ``RuntimeError``). :func:`read_special` and the pure
module's descriptor-shaped proxy both read through these."""


def read_special(
    proxy: Any, name: str, get_current: Callable[[], Any], wrapped: Any
) -> Any:
    """Return what ``getattr(proxy, name)`` gives for ``name`` in FORWARDED_NAMES."""
    bind, fallback = READERS[name]
    try:
        obj = get_current()
    except RuntimeError:
        if fallback is None:
            raise
        return fallback(proxy, wrapped)
    return bind(proxy, obj)
