"""Run one program of operations on ``werkzeug.local`` or on ctxlocal, and trace it.

A program is a list of operations (plain tuples of indices, so hypothesis
shrinks them readably). :func:`run_program` builds a fresh :class:`Env` from a
module (``werkzeug.local``, ``ctxlocal._local_py`` or ``ctxlocal._local_c``),
runs every operation and returns the trace: each operation's normalised result
or the type and message of the exception it raised. Two implementations agree
when their traces are equal.

Deliberate differences between ctxlocal and Werkzeug are normalised away here,
each at one marked place (``DELIBERATE``) and listed in the docs'
differences section:

* ``LocalStack.push`` returns a read-only ``StackView``, Werkzeug a ``list``;
  both are traced as their items.
* An unbound proxy's ``__doc__`` is the proxy class's docstring, whose text
  differs; it is traced as a marker.
* Werkzeug binds reflected and in-place operators, ``__call__`` and
  ``__instancecheck__`` wrongly when the target is ``None`` (a Werkzeug bug);
  those operations are skipped for a ``None`` target (``_werkzeug_binds_none``).
* Operations on a proxy that cannot reach its target (unbound, or its name
  lookup raises) are skipped here: CPython swallows some of those errors in
  Werkzeug's proxy (``==`` falls back to identity, ``hash`` says "unhashable"),
  and tests/test_misuse.py compares each such operation with Werkzeug.
* ``__weakref__``, ``__ident_func__``, ``__storage__`` and pickling are not
  generated: ctxlocal supports weak references and the ident API, Werkzeug 3.1
  does not.
"""

from __future__ import annotations

import copy
import math
import operator
import re
import types
from contextvars import ContextVar, copy_context
from typing import Any, Callable, Dict, List, Tuple, Union

from _impls import Implementation
from ctxlocal._datamodel import BINARY_OPERATORS, IN_PLACE_OPERATORS
from ctxlocal._implementations import CYTHON, MODULES


class Boom(Exception):
    """What a :class:`Raiser` raises: its message names the special method."""


def _boom(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any) -> Any:
        raise Boom(name)

    method.__name__ = name
    return method


_RAISING = [
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__",
    "__len__", "__iter__", "__getattr__", "__setattr__", "__delattr__", "__getitem__",
    "__setitem__", "__delitem__", "__contains__", "__add__", "__radd__", "__iadd__",
    "__sub__", "__mul__", "__neg__", "__abs__", "__int__", "__float__", "__index__",
    "__call__", "__str__", "__format__", "__enter__", "__exit__", "__dir__", "__copy__",
    "__deepcopy__", "__round__", "__repr__", "__complex__", "__reversed__", "__next__",
    "__length_hint__", "__floor__", "__ceil__", "__trunc__", "__bytes__", "__or__",
]

Raiser = type("Raiser", (), {name: _boom(name) for name in _RAISING})
Raiser.__doc__ = "Every special method it defines raises Boom(name)."


class Box:
    """A plain object with attributes, a context manager."""

    def __init__(self) -> None:
        self.a = 1
        self.items = {"k": 1}

    def __enter__(self) -> str:
        return "entered"

    def __exit__(self, *exc_info: Any) -> bool:
        return False


def make_echo() -> Callable[..., Any]:
    """A new callable value (a new one per run: programs set attributes on it)."""

    def echo(*args: Any, **kwargs: Any) -> Any:
        return ("echo", args, kwargs)

    return echo


# Values a program stores and uses as operands; fresh objects in each run.
VALUES: List[Callable[[], Any]] = [
    lambda: 0,
    lambda: 1,
    lambda: -3,
    lambda: 2.5,
    lambda: True,
    lambda: None,
    lambda: "s",
    lambda: "",
    lambda: [1, 2],
    lambda: [],
    lambda: {"k": 1},
    lambda: (1, 2),
    lambda: b"xy",
    Box,
    Raiser,
    make_echo,
    lambda: int,
    lambda: 3,
    lambda: iter([1, 2]),
    lambda: frozenset({1}),
    lambda: 1j,
    lambda: {"k": [1]},
]

# Attribute names (no "__weakref__": ctxlocal proxies support weak references).
NAMES = ["a", "b", "real", "imag", "items", "upper", "missing", "__class__", "__doc__",
         "__wrapped__", "extra", "__dict__"]
LOCAL_NAMES = ["a", "b", "c"]

# The forwarded binary operators, then the other two-operand operations.
_BINARY: Dict[str, Callable[[Any, Any], Any]] = {
    **BINARY_OPERATORS, "lt": operator.lt, "le": operator.le,
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "ge": operator.ge,
    "getitem": operator.getitem, "contains": operator.contains,
    "getattr": getattr, "hasattr": hasattr, "round": round, "call": lambda p, x: p(x),
    "format": format, "isinstance": lambda p, x: isinstance(x, p),
}
BINARY = sorted(_BINARY)

_INPLACE: Dict[str, Callable[[Any, Any], Any]] = dict(IN_PLACE_OPERATORS)
INPLACE = sorted(_INPLACE)
# In-place operators that can grow a stored list or number without bound.
_GROWING = {"imul", "ipow", "ilshift"}

_CLASSES = (int, str, list, dict, Box, Raiser, object)

_UNARY: Dict[str, Callable[[Any], Any]] = {
    "repr": repr, "str": str, "bytes": bytes, "bool": bool, "hash": hash, "len": len,
    "iter": lambda p: list(iter(p)), "reversed": lambda p: list(reversed(p)),
    "next": next, "neg": operator.neg, "pos": operator.pos, "abs": abs,
    "invert": operator.invert, "complex": complex, "int": int, "float": float,
    "index": operator.index, "round": round, "trunc": math.trunc, "floor": math.floor,
    "ceil": math.ceil, "dir": dir, "copy": copy.copy, "deepcopy": copy.deepcopy,
    "call": lambda p: p(), "length_hint": operator.length_hint,
    "current": lambda p: p._get_current_object(), "class": lambda p: p.__class__,
    "wrapped": lambda p: p.__wrapped__,
    "isinstance": lambda p: [isinstance(p, cls) for cls in _CLASSES],
    "with": lambda p: _with(p),
    "format": lambda p: f"{p}|{p!r}|{p:}",
}
UNARY = sorted(_UNARY)

# Special names read off a proxy and then called with this many operands
# (None: an attribute, not called).
SPECIALS: Dict[str, Any] = {
    "__add__": 1, "__radd__": 1, "__iadd__": 1, "__ior__": 1, "__eq__": 1, "__ne__": 1,
    "__lt__": 1, "__len__": 0, "__repr__": 0, "__str__": 0, "__bool__": 0, "__dir__": 0,
    "__getitem__": 1, "__contains__": 1, "__call__": 1, "__hash__": 0, "__format__": "",
    "__getattr__": "name", "__enter__": 0, "__exit__": 3, "__iter__": 0,
    "__setattr__": "name+1", "__delattr__": "name", "__round__": 0,
    "__instancecheck__": 1, "__subclasscheck__": 1, "__copy__": 0, "__deepcopy__": "memo",
    "__int__": 0, "__neg__": 0, "__divmod__": 1, "__rdivmod__": 1, "__ipow__": 1,
    "__class__": None, "__doc__": None, "__wrapped__": None, "__next__": 0,
    "__reversed__": 0, "__index__": 0, "__bytes__": 0, "__setitem__": 2, "__delitem__": 1,
}
SPECIAL_NAMES = sorted(SPECIALS)


def _with(proxy: Any) -> Any:
    with proxy as entered:
        return entered


class Env:
    """One run's locals, stacks, context variables and proxies.

    ``module`` is ``werkzeug.local`` or an ``impl`` fixture's
    :class:`_impls.Implementation`: anything with ``Local``, ``LocalStack``,
    ``LocalProxy`` and ``release_local``.
    """

    def __init__(self, module: Union[types.ModuleType, Implementation], skip_unresolvable: bool = True) -> None:
        self.module = module
        self.skip_unresolvable = skip_unresolvable
        self.local_var: ContextVar[Any] = ContextVar("user-local")
        self.stack_var: ContextVar[Any] = ContextVar("user-stack")
        self.var: ContextVar[Any] = ContextVar("proxied")
        self.locals = [module.Local(), module.Local(self.local_var)]
        self.stacks = [module.LocalStack(), module.LocalStack(self.stack_var)]
        self.holder: List[Any] = [None]
        holder = self.holder
        proxy_cls = module.LocalProxy
        self.sub_proxy = type(
            "SubProxy", (proxy_cls,), {"extra": "sub"}
        )

        def held() -> Any:
            return holder[0]

        self.proxies = [
            self.locals[0]("a"),
            proxy_cls(self.locals[0], "b", unbound_message="b is unbound"),
            proxy_cls(self.locals[1], "a.real"),
            self.stacks[0](),
            self.stacks[0]("real"),
            self.stacks[1](unbound_message="empty stack"),
            proxy_cls(self.var),
            proxy_cls(self.var, "items"),
            proxy_cls(held),
            proxy_cls(held, "imag"),
            self.sub_proxy(self.locals[0], "a"),
            proxy_cls(self.locals[0]("b")),
        ]
        self.labels: Dict[int, Tuple[str, Any]] = {}
        for kind, objs in (("local", self.locals), ("stack", self.stacks),
                           ("proxy", self.proxies)):
            for index, obj in enumerate(objs):
                self.labels[id(obj)] = (f"{kind}{index}", obj)
        self.classes = {proxy_cls: "<class LocalProxy>", self.sub_proxy: "<class SubProxy>",
                        module.Local: "<class Local>", module.LocalStack: "<class LocalStack>"}
        # DELIBERATE: ctxlocal's push returns a StackView; Werkzeug's, a list.
        self.stack_view = getattr(module, "StackView", list)

    def value(self, spec: Any) -> Any:
        """An operand: ``("proxy", i)`` is a proxy of this env, an int a fresh value."""
        if isinstance(spec, tuple):
            return self.proxies[spec[1]]
        return VALUES[spec]()


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_MODULES = re.compile("|".join(map(re.escape, ["werkzeug.local", *MODULES.values()])))


# DELIBERATE: a compiled class's type name includes its module, so messages
# naming the proxy type say "ctxlocal._local_c.LocalProxy" where Werkzeug's
# (a Python class) say "LocalProxy".
_COMPILED_TYPE_NAME = re.compile(rf"\b{re.escape(MODULES[CYTHON])}\.(?=LocalProxy\b)")


def _text(env: Env, text: str) -> str:
    text = _COMPILED_TYPE_NAME.sub("", text)
    return _MODULES.sub("MODULE", _ADDRESS.sub("0x?", text))


def norm(env: Env, obj: Any, depth: int = 0) -> Any:
    """A comparable stand-in for ``obj``: structure kept, addresses and module names dropped."""
    if depth > 6:
        return "..."
    found = env.labels.get(id(obj))
    if found is not None and found[1] is obj:
        return found[0]
    kind = type(obj)  # never isinstance: a proxy passes isinstance for its target's class
    if kind is type and obj in env.classes:
        return env.classes[obj]
    if kind is list or kind is env.stack_view:
        return ("list", [norm(env, item, depth + 1) for item in obj])
    if kind is tuple:
        return ("tuple", [norm(env, item, depth + 1) for item in obj])
    if kind is dict:
        return ("dict", [(norm(env, k, depth + 1), norm(env, v, depth + 1))
                         for k, v in obj.items()])
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return obj.__name__
    if kind in env.classes:
        return ("anonymous proxy", kind.__name__)
    try:
        text = repr(obj)
    except Exception as exc:  # a Raiser: its repr raises
        return ("repr raised", type(exc).__name__, str(exc))
    return _text(env, text)


def _error(env: Env, exc: BaseException) -> Any:
    if isinstance(exc, RecursionError):
        # CPython words the message after where the limit was hit.
        return ("raised", "RecursionError")
    return ("raised", type(exc).__module__, type(exc).__qualname__, _text(env, str(exc)))


def _too_big(proxy: Any) -> bool:
    """Whether a growing in-place operator should be skipped (keeps runs small)."""
    try:
        return len(repr(proxy._get_current_object())) > 200
    except Exception:
        return False


# Werkzeug 3.1 binds these operations to the target with ``function.__get__``,
# which returns the bare function when the target is None: ``0 + proxy``
# then raises "r_op() missing 1 required positional argument", ``proxy(f)``
# calls ``f()``. ctxlocal applies the operation to None, as for any other
# target; tests/test_fuzz_proxy.py checks that against the target itself.
# copy.copy and copy.deepcopy are Python functions too. An operand that is a
# proxy to None triggers the same (``None >> proxy`` calls its ``__rrshift__``).
_ARITHMETIC = {"add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "divmod",
               "pow", "lshift", "rshift", "and", "xor", "or"}
_NONE_BINDING_SPECIALS = {"__add__", "__divmod__", "__radd__", "__rdivmod__", "__iadd__",
                          "__ior__", "__ipow__",
                          "__call__", "__instancecheck__", "__subclasscheck__", "__copy__",
                          "__deepcopy__"}


def _werkzeug_binds_none(op: Tuple[Any, ...]) -> bool:
    """Whether Werkzeug would misbehave on ``op`` if the proxy's target were None."""
    kind = op[0]
    return (
        kind == "inplace"
        or (kind in ("binary", "reflected") and op[2] in _ARITHMETIC)
        or (kind in ("binary", "reflected") and op[2] in ("call", "isinstance"))
        or (kind == "unary" and op[2] in ("call", "copy", "deepcopy"))
        or (kind == "special" and op[2] in _NONE_BINDING_SPECIALS)
    )


def _is_proxy_spec(spec: Any) -> bool:
    return isinstance(spec, tuple) and spec[:1] == ("proxy",)


_UNRESOLVABLE = object()


def _final_target(env: Env, proxy: Any) -> Any:
    """The object at the end of a chain of proxies, or ``_UNRESOLVABLE``.

    Unresolvable: a proxy in the chain raises, or the chain loops.
    """
    obj = proxy
    for _ in range(10):
        if type(obj) not in env.classes:
            return obj
        try:
            obj = obj._get_current_object()
        except Exception:
            return _UNRESOLVABLE
    return _UNRESOLVABLE


def _special(env: Env, proxy: Any, name: str, operands: List[Any]) -> Any:
    attr = getattr(proxy, name)
    arity = SPECIALS[name]
    if arity is None:
        # DELIBERATE: an unbound proxy's __doc__ is the proxy class's docstring.
        if name == "__doc__" and attr is not None and attr == type(proxy).__doc__:
            return "<the proxy class's docstring>"
        return attr
    if arity == "":
        return attr("")
    if arity == "name":
        return attr(NAMES[operands[0] % len(NAMES)])
    if arity == "name+1":
        return attr(NAMES[operands[0] % len(NAMES)], env.value(operands[1]))
    if arity == "memo":
        return attr({})
    if arity == 3:
        return attr(None, None, None)
    return attr(*(env.value(spec) for spec in operands[:arity]))


def _step(env: Env, op: Tuple[Any, ...]) -> Any:
    kind = op[0]
    if kind == "set":
        setattr(env.locals[op[1]], LOCAL_NAMES[op[2]], env.value(op[3]))
        return None
    if kind == "get":
        return getattr(env.locals[op[1]], LOCAL_NAMES[op[2]])
    if kind == "del":
        delattr(env.locals[op[1]], LOCAL_NAMES[op[2]])
        return None
    if kind == "items":
        return list(env.locals[op[1]])
    if kind == "user_dict":  # the user ContextVar holds Werkzeug's dict format
        return env.local_var.get("unset")
    if kind == "release":
        target = (env.locals + env.stacks)[op[1]]
        return env.module.release_local(target)
    if kind == "push":
        return env.stacks[op[1]].push(env.value(op[2]))
    if kind == "pop":
        return env.stacks[op[1]].pop()
    if kind == "top":
        return env.stacks[op[1]].top
    if kind == "user_list":  # Werkzeug's stack format, set from outside
        env.stack_var.set([env.value(spec) for spec in op[1]])
        return None
    if kind == "var":
        env.var.set(env.value(op[1]))
        return None
    if kind == "hold":
        env.holder[0] = env.value(op[1])
        return None
    proxy = env.proxies[op[1]]
    operands = [*op[2:], *(op[3] if kind == "special" else ())]
    involved = [proxy, *(env.proxies[spec[1]] for spec in operands if _is_proxy_spec(spec))]
    targets = [_final_target(env, each) for each in involved]
    if env.skip_unresolvable and any(target is _UNRESOLVABLE for target in targets):
        return "skipped: unresolvable proxy"
    if any(target is None for target in targets) and _werkzeug_binds_none(op):
        return "skipped: Werkzeug binds None wrongly"
    if kind == "unary":
        if op[2] == "hash":
            # Most objects hash by identity, which differs between the two
            # runs: compare the proxy's hash with its target's instead.
            return hash(proxy) == hash(proxy._get_current_object())
        return _UNARY[op[2]](proxy)
    if kind == "binary":
        return _BINARY[op[2]](proxy, env.value(op[3]))
    if kind == "reflected":
        return _BINARY[op[2]](env.value(op[3]), proxy)
    if kind == "inplace":
        if op[2] in _GROWING and _too_big(proxy):
            return "skipped"
        result = proxy
        result = _INPLACE[op[2]](result, env.value(op[3]))
        return (result is proxy, norm(env, result))
    if kind == "setattr":
        setattr(proxy, NAMES[op[2]], env.value(op[3]))
        return None
    if kind == "delattr":
        delattr(proxy, NAMES[op[2]])
        return None
    if kind == "setitem":
        proxy[env.value(op[2])] = env.value(op[3])
        return None
    if kind == "delitem":
        del proxy[env.value(op[2])]
        return None
    if kind == "special":
        return _special(env, proxy, op[2], list(op[3]))
    if kind == "construct":
        wrapped = [*env.locals, *env.stacks, env.var, *(f() for f in VALUES)][op[2]]
        made = env.module.LocalProxy(wrapped, None if op[3] is None else NAMES[op[3]])
        return repr(made)
    raise AssertionError(f"unknown operation {op!r}")


def _run(env: Env, program: List[Tuple[Any, ...]]) -> List[Any]:
    trace: List[Any] = []
    for op in program:
        if op[0] == "ctx":
            # Writes inside a copied context must not show outside it.
            trace.append(("ctx", copy_context().run(_run, env, op[1])))
            continue
        try:
            result = _step(env, op)
        except Exception as exc:
            trace.append(_error(env, exc))
        else:
            trace.append(norm(env, result))
    return trace


def run_program(
    module: Union[types.ModuleType, Implementation], program: List[Tuple[Any, ...]], skip_unresolvable: bool = True
) -> List[Any]:
    """Run ``program`` in a fresh copied context on a fresh env of ``module``.

    ``skip_unresolvable=False`` runs operations on proxies that cannot reach
    their target too (tests/test_misuse.py compares those one by one).
    """
    return copy_context().run(_run, Env(module, skip_unresolvable), program)
