"""What reading a special name off a proxy returns, e.g. ``proxy.__add__``.

The interpreter never takes this path: ``proxy + 1`` goes straight to the type's
slot. It only serves code that spells the name out (``proxy.__len__``,
``getattr(proxy, "__eq__")``). Werkzeug 3.1 answers such reads with the
target's operation bound to the target *at read time*: an unbound proxy raises
``RuntimeError`` right there unless the name has an unbound fallback. Both
implementations call :func:`read_special` so they agree with Werkzeug and with
each other.
"""

from __future__ import annotations

import copy
import math
import operator
from functools import partial
from typing import Any, Callable, Dict, Optional

__all__ = ["FORWARDED_NAMES", "read_special"]


def _reflected(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def reflected(obj: Any, other: Any) -> Any:
        return op(other, obj)

    return reflected


def _instancecheck(obj: Any, other: Any) -> bool:
    return isinstance(other, obj)


def _subclasscheck(obj: Any, other: Any) -> bool:
    return issubclass(other, obj)


def _call(obj: Any, *args: Any, **kwargs: Any) -> Any:
    return obj(*args, **kwargs)


# name -> the operation that reading the name binds to the target.
_BOUND_OPS: Dict[str, Callable[..., Any]] = {
    "__repr__": repr,
    "__str__": str,
    "__bytes__": bytes,
    "__lt__": operator.lt,
    "__le__": operator.le,
    "__eq__": operator.eq,
    "__ne__": operator.ne,
    "__gt__": operator.gt,
    "__ge__": operator.ge,
    "__hash__": hash,
    "__bool__": bool,
    "__getattr__": getattr,
    "__setattr__": setattr,
    "__delattr__": delattr,
    "__dir__": dir,
    "__instancecheck__": _instancecheck,
    "__subclasscheck__": _subclasscheck,
    "__call__": _call,
    "__len__": len,
    "__length_hint__": operator.length_hint,
    "__getitem__": operator.getitem,
    "__setitem__": operator.setitem,
    "__delitem__": operator.delitem,
    "__iter__": iter,
    "__next__": next,
    "__reversed__": reversed,
    "__contains__": operator.contains,
    "__neg__": operator.neg,
    "__pos__": operator.pos,
    "__abs__": abs,
    "__invert__": operator.invert,
    "__complex__": complex,
    "__int__": int,
    "__float__": float,
    "__index__": operator.index,
    "__round__": round,
    "__trunc__": math.trunc,
    "__floor__": math.floor,
    "__ceil__": math.ceil,
    "__copy__": copy.copy,
    "__deepcopy__": copy.deepcopy,
}

_BINARY_OPS: Dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "matmul": operator.matmul,
    "truediv": operator.truediv,
    "floordiv": operator.floordiv,
    "mod": operator.mod,
    "divmod": divmod,
    "pow": pow,
    "lshift": operator.lshift,
    "rshift": operator.rshift,
    "and": operator.and_,
    "xor": operator.xor,
    "or": operator.or_,
}
for _name, _op in _BINARY_OPS.items():
    _BOUND_OPS[f"__{_name}__"] = _op
    _BOUND_OPS[f"__r{_name}__"] = _reflected(_op)

# In-place operators: applied to the target, the statement then rebinds the
# name to the proxy (Werkzeug's rule), so the bound method returns the proxy.
_INPLACE_OPS: Dict[str, Callable[[Any, Any], Any]] = {
    f"__i{name}__": getattr(operator, f"i{name.rstrip('_')}")
    for name in _BINARY_OPS
    if name != "divmod"
}

# Names whose read is the target's own attribute of that name.
_TARGET_ATTRS = frozenset(
    {
        "__format__",
        "__enter__",
        "__exit__",
        "__await__",
        "__aiter__",
        "__anext__",
        "__aenter__",
        "__aexit__",
        "__class__",
        "__doc__",
        "__wrapped__",
    }
)


def _unbound_repr(proxy: Any) -> Callable[[], str]:
    return lambda: f"<{type(proxy).__name__} unbound>"


# Unbound proxies answer these instead of raising RuntimeError. The first three
# are attributes (the fallback is the value), the rest are methods.
_FALLBACKS: Dict[str, Callable[[Any, Any], Any]] = {
    "__class__": lambda proxy, wrapped: type(proxy),
    "__doc__": lambda proxy, wrapped: type(proxy).__doc__,
    "__wrapped__": lambda proxy, wrapped: wrapped,
    "__repr__": lambda proxy, wrapped: _unbound_repr(proxy),
    "__bool__": lambda proxy, wrapped: lambda: False,
    "__dir__": lambda proxy, wrapped: lambda: [],
}

FORWARDED_NAMES = frozenset(_BOUND_OPS) | frozenset(_INPLACE_OPS) | _TARGET_ATTRS
"""Every special name whose read goes to the target."""


def _inplace(proxy: Any, obj: Any, op: Callable[[Any, Any], Any]) -> Callable[[Any], Any]:
    def inplace(other: Any) -> Any:
        op(obj, other)
        return proxy

    return inplace


def read_special(
    proxy: Any, name: str, get_current: Callable[[], Any], wrapped: Any
) -> Any:
    """Return what ``getattr(proxy, name)`` gives for ``name`` in FORWARDED_NAMES."""
    try:
        obj = get_current()
    except RuntimeError:
        fallback: Optional[Callable[[Any, Any], Any]] = _FALLBACKS.get(name)
        if fallback is None:
            raise
        return fallback(proxy, wrapped)
    op = _BOUND_OPS.get(name)
    if op is not None:
        return partial(op, obj)
    inplace_op = _INPLACE_OPS.get(name)
    if inplace_op is not None:
        return _inplace(proxy, obj, inplace_op)
    return getattr(obj, name)
