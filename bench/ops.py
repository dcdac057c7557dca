"""The benchmarked operations: one catalogue for ``python -m bench`` and for pytest.

An :class:`Op` is one Python statement (``stmt``) that performs the operation
once, plus a ``setup`` that builds, for one implementation, the objects the
statement names (``p`` is a proxy, ``local`` a ``Local``, ``stack`` a
``LocalStack``...). The floor is the same work written by hand without any
library: ``floor_stmt`` over what ``floor_setup`` builds (a raw ``ContextVar``,
a ``threading.local``, a plain function...). Where the library keeps its data
(a ``ContextVar`` per attribute name for ``Local``, a ``ContextVar`` holding
``(item, below)`` pairs for ``LocalStack``), the floor keeps it the same way, so
the ratio to the floor is the price of the library's classes and calls, not of
a different design.

Statements become code with :func:`compile_loop` (a timeit-style loop, used by
``python -m bench``) and :func:`compile_once` (one call, one operation, used
by pytest-benchmark). Both bind the names as fast locals (default arguments),
so neither pays for global lookups.

``setup`` may set context variables: run it, and the statement, in the same
:class:`contextvars.Context` (the runners give each case a fresh, empty one).
"""

from __future__ import annotations

import itertools
import threading
import time
from contextvars import Context, ContextVar
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Callable, Dict, List, Optional, Sequence

from .impls import Impl, module_available

__all__ = [
    "Case",
    "GROUPS",
    "OPS",
    "Op",
    "THREAD_COUNTS",
    "ThreadedRead",
    "compile_loop",
    "compile_once",
    "select",
    "select_thread_counts",
]

Names = Dict[str, Any]

STACK_DEPTHS = (1, 10, 100, 1000)
LOCAL_SIZES = (1, 10, 100)
THREAD_COUNTS = (1, 2, 4, 8)

# Table sections, in display order.
GROUPS = (
    "proxy attribute",
    "proxy operators",
    "Local",
    "LocalStack",
    "ident mode",
    "scaling: stack depth",
    "scaling: Local size",
    "scaling: threads",
)


class Target:
    """What the proxies point to: an ordinary object with an instance dict."""

    def __init__(self) -> None:
        self.value = 1


class RequestContext:
    """What a ``ContextVar`` holds in Flask 3: an object whose attribute is proxied."""

    def __init__(self) -> None:
        self.request = Target()


def get_target() -> Target:
    """A module-level function, as in ``LocalProxy(func)``; always the same target."""
    return _TARGET


_TARGET = Target()


def _noop() -> None:
    """The callable behind ``p()``."""


def _var(value: Any) -> "ContextVar[Any]":
    """A new context variable set to ``value`` (in the current context)."""
    var: ContextVar[Any] = ContextVar("ctxlocal.bench")
    var.set(value)
    return var


def _nodes(depth: int) -> Any:
    """A stack of ``depth`` targets in ctxlocal's format (``(item, below)`` pairs)."""
    node: Any = None
    for _ in range(depth):
        node = (Target(), node)
    return node


@dataclass(frozen=True)
class Case:
    """One operation, ready to compile: a statement and the names it uses."""

    stmt: str
    names: Names


@dataclass(frozen=True)
class Op:
    """One benchmarked operation.

    :param name: a stable key (selection, JSON, pytest ids).
    :param label: what the table and chart show.
    :param group: the table section.
    :param stmt: the operation on a library implementation.
    :param setup: builds ``stmt``'s names for an :class:`Impl`.
    :param floor_stmt: the same work without a library, or ``None`` when
        there is nothing equivalent (e.g. creating a proxy).
    :param floor_setup: builds ``floor_stmt``'s names.
    :param werkzeug: whether Werkzeug 3.1 can do it (it has no ident mode).
    :param needs: a module the operation needs (``"greenlet"``), if any.
    """

    name: str
    label: str
    group: str
    stmt: str
    setup: Callable[[Impl], Names]
    floor_stmt: Optional[str] = None
    floor_setup: Optional[Callable[[], Names]] = None
    werkzeug: bool = True
    needs: Optional[str] = None

    def runs_on(self, impl: Impl) -> bool:
        """Whether this operation has a case for ``impl``."""
        if not module_available(self.needs):
            return False
        if impl.name == "floor":
            return self.floor_stmt is not None
        if impl.name == "werkzeug":
            return self.werkzeug
        return True

    def case(self, impl: Impl) -> Case:
        """Build the case for ``impl`` (in the context it will run in)."""
        if impl.name == "floor":
            assert self.floor_stmt is not None and self.floor_setup is not None
            return Case(self.floor_stmt, self.floor_setup())
        return Case(self.stmt, self.setup(impl))


OPS: List[Op] = []


def _op(*args: Any, **kwargs: Any) -> None:
    OPS.append(Op(*args, **kwargs))


# -- proxy attribute read, per kind of proxy ---------------------------------
# Each kind: (its name, how the proxy is made, setup, floor statement, floor setup).


def _proxy_cv(impl: Impl) -> Names:
    return {"p": impl.LocalProxy(_var(Target()))}


def _proxy_cv_name(impl: Impl) -> Names:
    return {"p": impl.LocalProxy(_var(RequestContext()), "request")}


def _proxy_stack(impl: Impl) -> Names:
    stack = impl.LocalStack()
    stack.push(Target())
    return {"p": impl.LocalProxy(stack)}


def _proxy_local_name(impl: Impl) -> Names:
    local = impl.Local()
    local.request = Target()
    return {"p": impl.LocalProxy(local, "request")}


def _proxy_callable(impl: Impl) -> Names:
    return {"p": impl.LocalProxy(get_target)}


_PROXY_KINDS = [
    ("ContextVar", "LocalProxy(var)", _proxy_cv, "var.get().value",
     lambda: {"var": _var(Target())}),
    ("ContextVar+name", "LocalProxy(var, 'request')", _proxy_cv_name,
     "var.get().request.value", lambda: {"var": _var(RequestContext())}),
    ("LocalStack", "LocalProxy(stack)", _proxy_stack, "var.get()[0].value",
     lambda: {"var": _var(_nodes(1))}),
    ("Local+name", "LocalProxy(local, 'request')", _proxy_local_name,
     "var.get()['request'].value", lambda: {"var": _var({"request": Target()})}),
    ("callable", "LocalProxy(func)", _proxy_callable, "func().value",
     lambda: {"func": get_target}),
]

for _kind, _how, _setup, _floor, _floor_setup in _PROXY_KINDS:
    _op(f"read:{_kind}", f"p.value, p = {_how}", "proxy attribute", "p.value", _setup,
        _floor, _floor_setup)

_op("write:ContextVar", "p.value = 1, p = LocalProxy(var)", "proxy attribute",
    "p.value = 1", _proxy_cv, "var.get().value = 1", lambda: {"var": _var(Target())})
_op("get_current_object", "p._get_current_object()", "proxy attribute",
    "p._get_current_object()", _proxy_cv, "var.get()", lambda: {"var": _var(Target())})
_op("create", "LocalProxy(var, 'request')", "proxy attribute",
    "LocalProxy(var, 'request')",
    lambda impl: {"LocalProxy": impl.LocalProxy, "var": _var(RequestContext())})


# -- operators on a proxy (a ContextVar proxy; the floor uses var.get()) -----


def _dunder(name: str, template: str, make_target: Callable[[], Any]) -> None:
    """An operator ``template`` applied to ``{x}``: the proxy, or ``var.get()``."""

    def setup(impl: Impl) -> Names:
        return {"p": impl.LocalProxy(_var(make_target()))}

    stmt = template.format(x="p")
    _op(f"op:{name}", stmt, "proxy operators", stmt, setup,
        template.format(x="var.get()"), lambda: {"var": _var(make_target())})


_dunder("eq", "{x} == 42", lambda: 42)
_dunder("bool", "not {x}", lambda: 42)
_dunder("len", "len({x})", lambda: [1, 2, 3])
_dunder("call", "{x}()", lambda: _noop)
_dunder("getitem", "{x}['k']", lambda: {"k": 1})
_dunder("add", "{x} + 1", lambda: 42)
_dunder("str", "str({x})", lambda: "text")
_dunder("iter", "for _x in {x}: pass", lambda: [1, 2, 3])


# -- Local ---------------------------------------------------------------------


def _local(names: Sequence[str] = ("x",)) -> Callable[[Impl], Names]:
    def setup(impl: Impl) -> Names:
        local = impl.Local()
        for name in names:
            setattr(local, name, 1)
        return {"local": local}

    return setup


# Local keeps a ContextVar per attribute name: so does the floor (a dict of
# them). Writes store two values in turn: storing the value a name holds
# already is skipped, and would measure nothing.
def _named_vars(names: Sequence[str] = ("x",)) -> Callable[[], Names]:
    return lambda: {"vars": {name: _var(1) for name in names}, "gone": object()}


_op("Local.get", "local.x", "Local", "local.x", _local(), "vars['x'].get()", _named_vars())
_op("Local.set", "local.x = 1; local.x = 2", "Local", "local.x = 1; local.x = 2", _local(),
    "vars['x'].set(1); vars['x'].set(2)", _named_vars())
_op("Local.set+del", "local.x = 1; del local.x", "Local", "local.x = 1; del local.x",
    _local(()), "vars['x'].set(1); vars['x'].set(gone)", _named_vars())

for _size in LOCAL_SIZES:
    _names = [f"a{i}" for i in range(_size)]
    _op(f"size-{_size}:Local.set", f"local.a0 = 1; local.a0 = 2, {_size} attribute(s) present",
        "scaling: Local size", "local.a0 = 1; local.a0 = 2", _local(_names),
        "vars['a0'].set(1); vars['a0'].set(2)", _named_vars(_names))


# -- LocalStack ----------------------------------------------------------------


def _stack(depth: int) -> Callable[[Impl], Names]:
    def setup(impl: Impl) -> Names:
        stack = impl.LocalStack()
        for _ in range(depth):
            stack.push(Target())
        return {"stack": stack, "o": Target()}

    return setup


# LocalStack keeps (item, below) pairs in a ContextVar: so does the floor.
_NODE_PUSH_POP = "var.set((o, var.get())); var.set(var.get()[1])"
_NODE_TOP = "var.get()[0]"


def _node_floor(depth: int) -> Callable[[], Names]:
    return lambda: {"var": _var(_nodes(depth)), "o": Target()}


_op("LocalStack.push+pop", "stack.push(o); stack.pop(), empty stack", "LocalStack",
    "stack.push(o); stack.pop()", _stack(0), _NODE_PUSH_POP, _node_floor(0))
_op("LocalStack.top", "stack.top, 1 item", "LocalStack", "stack.top", _stack(1),
    _NODE_TOP, _node_floor(1))

for _depth in STACK_DEPTHS:
    _op(f"depth-{_depth}:push+pop", f"stack.push(o); stack.pop(), depth {_depth}",
        "scaling: stack depth", "stack.push(o); stack.pop()", _stack(_depth),
        _NODE_PUSH_POP, _node_floor(_depth))
for _depth in STACK_DEPTHS:
    _op(f"depth-{_depth}:top", f"stack.top, depth {_depth}", "scaling: stack depth",
        "stack.top", _stack(_depth), _NODE_TOP, _node_floor(_depth))


# -- ident mode (Werkzeug <= 1.0 API; ctxlocal only) ---------------------------
# The floors are Werkzeug 1.0's storage without its method calls: a
# threading.local for thread idents, a dict keyed by greenlet.getcurrent().


def _ident_func(kind: str) -> Callable[[], Any]:
    if kind == "thread":
        return threading.get_ident
    from greenlet import getcurrent

    return getcurrent  # type: ignore[no-any-return]


def _ident_local(kind: str) -> Callable[[Impl], Names]:
    def setup(impl: Impl) -> Names:
        local = impl.Local()
        local.__ident_func__ = _ident_func(kind)
        local.x = 1
        local.request = Target()
        return {"local": local, "p": impl.LocalProxy(local, "request")}

    return setup


def _ident_stack(kind: str, depth: int) -> Callable[[Impl], Names]:
    def setup(impl: Impl) -> Names:
        stack = impl.LocalStack()
        stack.__ident_func__ = _ident_func(kind)
        for _ in range(depth):
            stack.push(Target())
        return {"stack": stack, "o": Target()}

    return setup


def _thread_floor() -> Names:
    tl = threading.local()
    tl.x = 1
    tl.request = Target()
    tl.stack = [Target()]
    return {"tl": tl, "o": Target()}


def _greenlet_floor() -> Names:
    getcurrent = _ident_func("greenlet")
    slot = {"x": 1, "request": Target(), "stack": [Target()]}
    return {"storage": {getcurrent(): slot}, "getcurrent": getcurrent, "o": Target()}


_IDENT_FLOORS = {
    "thread": (_thread_floor, {
        "Local.get": "tl.x",
        "Local.set": "tl.x = 1",
        "read": "tl.request.value",
        "push+pop": "st = tl.stack; st.append(o); st.pop()",
        "top": "tl.stack[-1]",
    }),
    "greenlet": (_greenlet_floor, {
        "Local.get": "storage[getcurrent()]['x']",
        "Local.set": "storage[getcurrent()]['x'] = 1",
        "read": "storage[getcurrent()]['request'].value",
        "push+pop": "st = storage[getcurrent()]['stack']; st.append(o); st.pop()",
        "top": "storage[getcurrent()]['stack'][-1]",
    }),
}

for _kind, (_floor_setup, _floors) in _IDENT_FLOORS.items():
    _needs = "greenlet" if _kind == "greenlet" else None
    _common = dict(group="ident mode", werkzeug=False, needs=_needs, floor_setup=_floor_setup)
    _op(f"ident-{_kind}:Local.get", f"local.x, {_kind} ident", stmt="local.x",
        setup=_ident_local(_kind), floor_stmt=_floors["Local.get"], **_common)
    _op(f"ident-{_kind}:Local.set", f"local.x = 1, {_kind} ident", stmt="local.x = 1",
        setup=_ident_local(_kind), floor_stmt=_floors["Local.set"], **_common)
    _op(f"ident-{_kind}:read", f"p.value, p = LocalProxy(local, 'request'), {_kind} ident",
        stmt="p.value", setup=_ident_local(_kind), floor_stmt=_floors["read"], **_common)
    _op(f"ident-{_kind}:push+pop", f"stack.push(o); stack.pop(), empty, {_kind} ident",
        stmt="stack.push(o); stack.pop()", setup=_ident_stack(_kind, 0),
        floor_stmt=_floors["push+pop"], **_common)
    _op(f"ident-{_kind}:top", f"stack.top, 1 item, {_kind} ident", stmt="stack.top",
        setup=_ident_stack(_kind, 1), floor_stmt=_floors["top"], **_common)


# Display order: by section, then in the order defined.
OPS.sort(key=lambda op: GROUPS.index(op.group))


def _matches(fields: Sequence[str], pattern: str) -> bool:
    if any(c in pattern for c in "*?["):
        return any(fnmatchcase(field, pattern) for field in fields)
    return any(pattern.lower() in field.lower() for field in fields)


def select(patterns: Sequence[str]) -> List[Op]:
    """The operations matching any pattern (all of them if there is none).

    A pattern with ``*``, ``?`` or ``[`` is a glob on the name, label or group;
    any other pattern is a case-insensitive substring of one of them.
    """
    if not patterns:
        return list(OPS)
    return [
        op for op in OPS if any(_matches((op.name, op.label, op.group), p) for p in patterns)
    ]


def select_thread_counts(patterns: Sequence[str]) -> List[int]:
    """The thread counts whose ``threads-N:read`` case matches, as :func:`select` does."""
    if not patterns:
        return list(THREAD_COUNTS)
    return [
        count
        for count in THREAD_COUNTS
        if any(
            _matches((f"threads-{count}:read", ThreadedRead.label, ThreadedRead.group), p)
            for p in patterns
        )
    ]


# -- compiling a case ----------------------------------------------------------


def _params(case: Case) -> str:
    """``, name=_names['name']...``: the case's objects as default arguments (fast locals)."""
    for name in case.names:
        if not name.isidentifier() or name.startswith("_"):
            raise ValueError(f"bad name for a benchmark local: {name!r}")
    return "".join(f", {name}=_names[{name!r}]" for name in case.names)


def _indent(stmt: str, prefix: str) -> str:
    return "".join(f"{prefix}{line}\n" for line in stmt.splitlines())


def _define(source: str, case: Case, **extra: Any) -> Any:
    namespace: Dict[str, Any] = {"_names": case.names, **extra}
    exec(compile(source, f"<bench: {case.stmt}>", "exec"), namespace)
    return namespace["_f"]


def compile_loop(
    case: Case, timer: Callable[[], float] = time.perf_counter
) -> Callable[[int], float]:
    """``loop(n)`` runs the statement ``n`` times; returns the seconds taken by ``timer``.

    The same loop as :mod:`timeit`'s: the loop's own cost (a few ns per
    iteration on CPython) is included and subtracted from nothing.
    """
    source = (
        f"def _f(_n, _repeat=_repeat, _timer=_timer{_params(case)}):\n"
        "    _it = _repeat(None, _n)\n"
        "    _t0 = _timer()\n"
        "    for _ in _it:\n"
        f"{_indent(case.stmt, '        ')}"
        "    return _timer() - _t0\n"
    )
    return _define(source, case, _repeat=itertools.repeat, _timer=timer)  # type: ignore[no-any-return]


def compile_once(case: Case) -> Callable[[], None]:
    """A function that runs the statement once (for pytest-benchmark)."""
    source = f"def _f(_unused=None{_params(case)}):\n{_indent(case.stmt, '    ')}"
    return _define(source, case)  # type: ignore[no-any-return]


# -- the same proxy read from several threads at once --------------------------


class ThreadedRead:
    """``nthreads`` threads read ``p.value`` through one shared proxy.

    The proxy is Flask 3's kind (``LocalProxy(var, 'request')``). Each thread
    binds its own ``RequestContext`` in its own context, then all start
    together (a barrier) and ``clock`` runs until the last one finishes:
    ``time.perf_counter`` gives wall time, ``time.process_time`` the CPU time
    of all threads together. The floor reads ``var.get().request.value``.
    """

    name = "threads:read"
    label = "p.value, p = LocalProxy(var, 'request')"
    group = "scaling: threads"
    stmt = "p.value"
    floor_stmt = "var.get().request.value"

    def __init__(self, impl: Impl, clock: Callable[[], float] = time.perf_counter) -> None:
        self.var: ContextVar[Any] = ContextVar("ctxlocal.bench.threads")
        if impl.name == "floor":
            case = Case(self.floor_stmt, {"var": self.var})
        else:
            case = Case(self.stmt, {"p": impl.LocalProxy(self.var, "request")})
        self.clock = clock
        self.loop = compile_loop(case, clock)

    def _thread(self, barrier: threading.Barrier, n: int, errors: List[BaseException]) -> None:
        self.var.set(RequestContext())
        barrier.wait()
        try:
            self.loop(n)
        except BaseException as exc:  # reported by run(), in the calling thread
            errors.append(exc)

    def run_here(self, n: int) -> float:
        """Run ``n`` reads in the calling thread (in a new context); return seconds of ``clock``."""

        def bound_loop() -> float:
            self.var.set(RequestContext())
            return self.loop(n)

        return Context().run(bound_loop)

    def run(self, nthreads: int, n_per_thread: int) -> float:
        """Run ``n_per_thread`` reads in each of ``nthreads`` threads; return seconds of ``clock``."""
        start: List[float] = []
        errors: List[BaseException] = []
        barrier = threading.Barrier(nthreads, action=lambda: start.append(self.clock()))
        threads = [
            threading.Thread(
                target=Context().run, args=(self._thread, barrier, n_per_thread, errors)
            )
            for _ in range(nthreads)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = self.clock() - start[0]
        if errors:
            raise errors[0]
        return elapsed
