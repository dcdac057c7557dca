"""The pure-Python implementation of Local, LocalStack and LocalProxy.

PyPy and ``CTXLOCAL_NO_EXTENSIONS=1`` use it; the compiled module mirrors it
name for name. Where it departs from the obvious code, it is for speed on
CPython while keeping Werkzeug 3.1's observable behaviour:

* ``LocalProxy`` has one of two shapes, chosen once per interpreter
  (:data:`ctxlocal._interpreter.PROXY_SHAPE`); both behave the same.
  On CPython it defines ``__getattribute__`` and forwards any name its type
  does not define straight to the target (Werkzeug first tries a normal
  lookup on the proxy, fails, builds an ``AttributeError`` and only then
  forwards), with every forwarded operation a plain method. On PyPy it has
  Werkzeug's shape, which PyPy's JIT compiles down to the hand-written
  lookup: the getter in the slot ``_get_current_object``, every forwarded
  special name a :class:`Forwarded` descriptor built from the data model's
  table, ``__getattr__`` among them.
* ``Local`` made without a ``context_var`` keeps one ``ContextVar`` per
  attribute name (:class:`NamedValues`), so a write sets one variable instead
  of copying every value into a new dict as Werkzeug does.
* ``LocalStack`` keeps its items as an immutable linked list of
  ``(item, below)`` pairs, so ``push`` and ``pop`` are O(1) and still
  copy-on-write across copied contexts; Werkzeug copies the whole list.
"""

from __future__ import annotations

import copy
import math
import operator
from contextvars import ContextVar, Token
from keyword import iskeyword
from types import GenericAlias
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, Union, final

from ._datamodel import FORWARDED_NAMES, READERS, read_special
from ._foreign import adopt
from ._ident import IdentStore, default_ident_func, ident_store
from ._interpreter import (
    ASYNC_WITH_LOOKS_UP_EXIT_FIRST,
    DESCRIPTORS,
    PROXY_SHAPE,
    PYPY,
    WITH_LOOKS_UP_EXIT_FIRST,
)
from ._werkzeug_storage import LocalStorage, StackStorage, stack_items
# Reads what a stack's storage holds as the top node, Werkzeug's list (in a
# context_var given by the user) included.
from ._werkzeug_storage import as_nodes as _as_nodes

__all__ = ["Local", "LocalProxy", "LocalStack", "StackView"]

# Read-only stand-ins for "nothing stored yet": writers always copy first.
_EMPTY_VALUES: Dict[str, Any] = {}
_MISSING = object()
# What a token's old_value is when the variable had no value in the context.
_UNSET = Token.MISSING


def _spelled(
    source: Callable[[str], str], name: Optional[str], cache: Dict[Optional[str], Any]
) -> Any:
    """What ``source(attr)`` defines as ``made``, ``attr`` being the attribute
    access ``.name`` (empty for ``None``), compiled once per name and kept in
    ``cache``; ``None`` for a name that is not a dotted string of ASCII
    identifiers (the compiler normalises other identifiers, which getattr
    does not).

    Code that spells a name out reads it as hand-written code does: PyPy's
    JIT knows the name, where a name handed to ``operator.attrgetter`` is
    data it looks up on every read, and CPython's specialised attribute
    lookup skips attrgetter's call.
    """
    made = cache.get(name) if name is None or type(name) is str else None
    if made is not None:
        return made
    if name is not None and (
        type(name) is not str
        or not name.isascii()
        or not all(part.isidentifier() and not iskeyword(part) for part in name.split("."))
    ):
        return None
    namespace: Dict[str, Any] = {}
    exec(source("" if name is None else f".{name}"), namespace)  # noqa: S102 - identifiers, checked
    made = namespace["made"]
    if len(cache) < 1024:  # bounded, in case of generated names
        cache[name] = made
    return made


def _attr_reader(attr: str) -> str:
    """A function reading an attribute, its name spelled out (PyPy's choice)."""
    return f"made = lambda obj: obj{attr}"


# name -> its reader; plain dicts (functools.lru_cache is Python code on
# PyPy, slower than compiling), here and below.
_ATTR_READERS: Dict[Optional[str], Callable[[Any], Any]] = {}


def _spelled_reader(name: str) -> Callable[[Any], Any]:
    """PyPy's ``_attrgetter``: the name spelled out where it can be."""
    reader = _spelled(_attr_reader, name, _ATTR_READERS)
    return operator.attrgetter(name) if reader is None else reader


# A function reading the (dotted) attribute ``name`` of an object, as
# operator.attrgetter(name) does (and its TypeError for a non-string, which
# Werkzeug's proxies raise); on CPython the C attrgetter is the fastest.
_attrgetter: Callable[[str], Callable[[Any], Any]] = (
    _spelled_reader if PYPY else operator.attrgetter
)


def _var_getter(attr: str) -> str:
    """A function making the getter of a proxy of a ContextVar (``var.get()``
    with no argument, so that the var's own default applies), or of its
    attribute, the name spelled out. CPython calls a bound method kept in the
    closure faster than it looks ``var.get`` up; PyPy's JIT the other way
    round. (CPython 3.14 also runs ``return get()`` in the ``try`` faster.)"""
    get = "var.get()" if PYPY else "get()"
    if attr:  # the attribute is read outside the try, as Werkzeug's proxy does
        read, after = f"obj = {get}", f"        return obj{attr}\n"
    else:
        read, after = f"return {get}", ""
    return (
        "def made(var, message):\n"
        + ("" if PYPY else "    get = var.get\n")
        + "    def get_current():\n"
        + "        try:\n"
        + f"            {read}\n"
        + "        except LookupError:\n"
        + "            raise RuntimeError(message) from None\n"
        + after
        + "    return get_current\n"
    )


_VAR_GETTERS: Dict[Optional[str], Callable[[ContextVar[Any], str], Callable[[], Any]]] = {}


@final
class NamedValues:
    """A ``Local``'s own storage: one ``ContextVar`` per attribute name.

    Writing an attribute sets that name's variable alone, so a write costs the
    same however many attributes the local holds, and copied contexts stay
    isolated as with any ``ContextVar``. A deleted name's variable holds
    ``_MISSING``.

    One more variable, ``names``, keeps the order Werkzeug's dict would have:
    every name present, in insertion order, among names deleted since (which
    iteration skips). Deleting leaves ``names`` alone; adding a name appends
    it, or moves it to the end unless only absent names follow it. So writes
    and deletes of one name in turn set one variable each, as Werkzeug's do,
    without copying a dict.

    A name's variable lives as long as the ``Local``: a local used with an
    unbounded set of distinct names keeps one small variable per name.
    """

    __slots__ = ("vars", "names", "_prefix")

    def __init__(self, prefix: str) -> None:
        self.vars: Dict[str, ContextVar[Any]] = {}
        self.names: ContextVar[Tuple[str, ...]] = ContextVar(f"{prefix}.names", default=())
        self._prefix = prefix

    # Local's __getattr__, __setattr__ and __delattr__ use vars and names
    # themselves: a method call would cost more than Werkzeug's dict.

    def new_var(self, name: str) -> ContextVar[Any]:
        """The variable for a name that has none yet."""
        # setdefault: two threads adding one name must share one variable.
        return self.vars.setdefault(name, ContextVar(f"{self._prefix}.{name}"))

    def note_added(self, name: str) -> None:
        """Put ``name``, absent until now, last in the order."""
        names = self.names.get()
        if name in names:
            at = names.index(name)
            vars = self.vars
            if all(vars[later].get(_MISSING) is _MISSING for later in names[at + 1 :]):
                return  # last among the names present already
            names = names[:at] + names[at + 1 :]
        self.names.set(names + (name,))

    def snapshot(self) -> Dict[str, Any]:
        """A new dict of the values, as Werkzeug's storage would hold them."""
        vars = self.vars
        values = {}
        for name in self.names.get():
            value = vars[name].get(_MISSING)
            if value is not _MISSING:
                values[name] = value
        return values

    def clear(self) -> None:
        vars = self.vars
        for name in self.names.get():
            var = vars[name]
            if var.get(_MISSING) is not _MISSING:
                var.set(_MISSING)
        self.names.set(())


class Local:
    """A namespace of context-local attributes.

    Each attribute's value lives in a :class:`~contextvars.ContextVar`, so a
    copied context (``copy_context()``, an asyncio task) sees its parent's
    values but never leaks writes back.

    :param context_var: a ``ContextVar`` to use as storage instead, holding a
        ``dict`` of values as Werkzeug's ``Local`` keeps it (it may hold one
        already); every write then stores a new dict. By default the local
        keeps one variable per attribute name, and a write sets that one only.

    Werkzeug <= 1.0's ident API is available: assigning a callable to
    ``__ident_func__`` switches the local to storage keyed by what that
    function returns (see the ident API in the docs), and ``__storage__`` reads
    as ``{ident: {name: value}}``.
    """

    # _ctxlocal_named: the NamedValues a Local keeps by default, else None;
    # _ctxlocal_vars: its vars, which reads use (or None).
    # _ctxlocal_storage: the same NamedValues; or a ContextVar holding a dict
    # (given as context_var); or, in ident mode, the IdentStore that
    # replaces either (and the two above are None).
    __slots__ = ("_ctxlocal_named", "_ctxlocal_vars", "_ctxlocal_storage", "__weakref__")

    _ctxlocal_named: Optional[NamedValues]
    _ctxlocal_vars: Optional[Dict[str, ContextVar[Any]]]
    _ctxlocal_storage: Any  # the union above; each use tests which

    def __init__(self, context_var: Optional[ContextVar[Dict[str, Any]]] = None) -> None:
        named = NamedValues(f"ctxlocal.Local<{id(self)}>") if context_var is None else None
        object.__setattr__(self, "_ctxlocal_named", named)
        object.__setattr__(self, "_ctxlocal_vars", None if named is None else named.vars)
        object.__setattr__(self, "_ctxlocal_storage", context_var if named is None else named)

    def _values(self) -> Dict[str, Any]:
        """The current values; a dict not to be changed."""
        named = self._ctxlocal_named
        if named is not None:
            return named.snapshot()
        values: Dict[str, Any] = self._ctxlocal_storage.get(_EMPTY_VALUES)
        return values

    def __iter__(self) -> Iterator[Tuple[str, Any]]:
        return iter(self._values().items())

    def __call__(self, name: str, *, unbound_message: Optional[str] = None) -> "LocalProxy":
        """Return a proxy to the attribute ``name`` of this local."""
        return LocalProxy(self, name, unbound_message=unbound_message)

    def __release_local__(self) -> None:
        storage = self._ctxlocal_storage
        if type(storage) is NamedValues:
            storage.clear()
        elif isinstance(storage, IdentStore):
            storage.discard()
        else:
            storage.set({})

    def __getattr__(self, name: str) -> Any:
        vars = self._ctxlocal_vars
        if vars is not None:
            try:
                value = vars[name].get(_MISSING)
            except KeyError:  # no context has set the name
                value = _MISSING
        else:
            value = self._ctxlocal_storage.get(_EMPTY_VALUES).get(name, _MISSING)
        if value is _MISSING:
            raise AttributeError(name)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # The two properties go to the class. (Two comparisons: PyPy's JIT
        # folds them for a name it knows, where it would look a set up.)
        if name == "__ident_func__" or name == "__storage__":
            object.__setattr__(self, name, value)
            return
        named = self._ctxlocal_named
        if named is not None:
            try:
                var = named.vars[name]
            except KeyError:
                var = named.new_var(name)
            # What the token says the name held costs no lookup of its own
            # (PyPy walks its context map for each).
            old = var.set(value).old_value
            if old is _MISSING or old is _UNSET:
                names = named.names.get()
                if not names or names[-1] != name:  # else last already
                    named.note_added(name)
            return
        storage = self._ctxlocal_storage
        if isinstance(storage, IdentStore):
            # Ident mode knows no copied contexts: change the slot in place.
            slot = storage.get(None)
            if slot is None:
                slot = _new_values()
                storage.set(slot)
            slot[name] = value
            return
        values = storage.get(_EMPTY_VALUES).copy()
        values[name] = value
        storage.set(values)

    def __delattr__(self, name: str) -> None:
        vars = self._ctxlocal_vars
        if vars is not None:
            var = vars.get(name)
            if var is not None:
                token = var.set(_MISSING)  # names keeps it, absent, until it comes back
                old = token.old_value
                if old is not _MISSING and old is not _UNSET:
                    return
                var.reset(token)  # it was absent: leave it as it was
            raise AttributeError(name)
        storage = self._ctxlocal_storage
        values = storage.get(_EMPTY_VALUES)
        if name not in values:
            raise AttributeError(name)
        if isinstance(storage, IdentStore):
            del values[name]
            return
        values = values.copy()
        del values[name]
        storage.set(values)

    @property
    def __ident_func__(self) -> Callable[[], Any]:
        """The ident function (Werkzeug <= 1.0 API).

        Reads as the default ident function (``greenlet.getcurrent`` or
        ``threading.get_ident``) until one is assigned; assigning one switches
        this local to ident-keyed storage, starting empty (assigning the
        function already in use changes nothing).
        """
        return _ident_func(self._ctxlocal_storage)

    @__ident_func__.setter
    def __ident_func__(self, func: Callable[[], Any]) -> None:
        storage = _ident_storage(self._ctxlocal_storage, func)
        # The storage first: a thread that reads the other two as None (the
        # test before each use of the storage) must find the IdentStore.
        object.__setattr__(self, "_ctxlocal_storage", storage)
        object.__setattr__(self, "_ctxlocal_vars", None)
        object.__setattr__(self, "_ctxlocal_named", None)

    @property
    def __storage__(self) -> Any:
        """``{ident: {name: value}}`` (Werkzeug <= 1.0 API).

        In ident mode, the live storage. In the default context mode, a new
        dict holding the current context's values under the current ident.
        """
        storage = self._ctxlocal_storage
        if isinstance(storage, IdentStore):
            return storage.data
        return {default_ident_func()(): dict(self._values())}

    @property
    def _Local__storage(self) -> LocalStorage:
        """Werkzeug's private storage variable, as a view: see
        :mod:`ctxlocal._werkzeug_storage`."""
        return LocalStorage(self)


# What a normal lookup finds on a plain Local.
_LOCAL_OWN = frozenset(vars(object)) | frozenset(vars(Local))


# getattr(local, name) for a name Local does not define, without first
# failing the normal lookup.
_stored = Local.__getattr__


def _ident_func(storage: Any) -> Callable[[], Any]:
    if isinstance(storage, IdentStore):
        return storage.func
    return default_ident_func()


def _ident_storage(storage: Any, func: Callable[[], Any]) -> IdentStore:
    """The storage after assigning ``func`` as the ident function."""
    if isinstance(storage, IdentStore) and storage.func is func:
        return storage
    return ident_store(func)


class _Values:
    """What a ``Local``'s ident-mode slot is on PyPy: an instance's ``__dict__``."""


# A new, empty ident-mode slot for a Local. PyPy's JIT reads an instance's
# __dict__ as it reads attributes, for next to nothing, where each lookup in a
# plain dict costs it several ns; on CPython a plain dict is the fastest.
_new_values: Callable[[], Dict[str, Any]] = (lambda: _Values().__dict__) if PYPY else dict


class StackView:
    """The stack ``LocalStack.push`` returns: a read-only sequence, bottom first.

    Werkzeug returns a fresh list; building one costs O(depth) per push, so the
    view materialises the list only when it is read. It compares equal to the
    list Werkzeug would return.

    >>> from ctxlocal import LocalStack
    >>> stack = LocalStack()
    >>> _ = stack.push("app")
    >>> view = stack.push("request")
    >>> view == ["app", "request"], len(view), view[-1]
    (True, 2, 'request')
    >>> stack.pop(); list(view)
    'request'
    ['app', 'request']
    """

    __slots__ = ("_top", "_items")

    _top: Optional[Tuple[Any, Any]]
    _items: List[Any]  # set once the list is built

    def __init__(self, top: Optional[Tuple[Any, Any]]) -> None:
        self._top = top

    def _list(self) -> List[Any]:
        try:
            return self._items
        except AttributeError:
            pass
        items = self._items = stack_items(self._top)
        return items

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index: Any) -> Any:
        return self._list()[index]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._list())

    def __reversed__(self) -> Iterator[Any]:
        # mypy 2 types reversed() of a List[Any] as Any (typeshed's overloads);
        # mypy 1 needs no ignore here.
        return reversed(self._list())  # type: ignore[no-any-return, unused-ignore]

    def __contains__(self, item: Any) -> bool:
        return item in self._list()

    def __eq__(self, other: object) -> Any:
        if isinstance(other, StackView):
            return self._list() == other._list()
        if isinstance(other, list):
            return self._list() == other
        return NotImplemented

    def __ne__(self, other: object) -> Any:
        result = self.__eq__(other)
        if result is NotImplemented:
            return result
        return not result

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._list())

    def index(self, value: Any, *args: Any) -> int:
        return self._list().index(value, *args)

    def count(self, value: Any) -> int:
        return self._list().count(value)


# push() makes its view without running __init__ (a Python frame).
_new_view = object.__new__


class LocalStack:
    """A context-local stack.

    Its storage is a :class:`~contextvars.ContextVar` holding the top of an
    immutable linked list, so ``push``, ``pop`` and ``top`` cost the same at
    any depth and a copied context never sees its child's pushes.

    :param context_var: a ``ContextVar`` to use as storage instead of a new
        one. It may already hold a ``list`` (Werkzeug's format), read as the
        stack, bottom first; after a ``push`` or ``pop`` it holds ctxlocal's
        linked nodes.

    Calling the stack makes a proxy of its top item (``stack()``) or of an
    attribute of it (``stack("name")``); the proxy is unbound while the
    stack is empty or its top is ``None``.

    >>> from ctxlocal import LocalStack
    >>> stack = LocalStack()
    >>> current = stack()
    >>> _ = stack.push({"user": "alice"})
    >>> current["user"], stack.top is current._get_current_object()
    ('alice', True)
    >>> stack.pop() == {"user": "alice"}, bool(current)
    (True, False)
    """

    # The ContextVar, or the IdentStore that replaces it in ident mode.
    __slots__ = ("_ctxlocal_storage", "__weakref__")

    _ctxlocal_storage: Union[ContextVar[Any], IdentStore]

    __class_getitem__ = classmethod(GenericAlias)  # type: ignore[var-annotated]

    def __init__(self, context_var: Optional[ContextVar[Any]] = None) -> None:
        if context_var is None:
            context_var = ContextVar(f"ctxlocal.LocalStack<{id(self)}>.storage")
        self._ctxlocal_storage = context_var

    def __release_local__(self) -> None:
        storage = self._ctxlocal_storage
        if isinstance(storage, IdentStore):
            storage.discard()
        else:
            storage.set(None)

    def push(self, obj: Any) -> StackView:
        """Add ``obj`` on top of the stack and return the stack, bottom first."""
        storage = self._ctxlocal_storage
        below = storage.get(None)
        if below is not None and type(below) is not tuple:
            below = _as_nodes(below)
        node = (obj, below)
        storage.set(node)
        view = _new_view(StackView)
        view._top = node
        return view

    def pop(self) -> Any:
        """Remove the top item and return it; ``None`` if the stack is empty."""
        storage = self._ctxlocal_storage
        node = storage.get(None)
        if node is None:
            return None
        if type(node) is not tuple:
            node = _as_nodes(node)
            if node is None:
                return None
        storage.set(node[1])
        return node[0]

    @property
    def top(self) -> Any:
        """The top item, or ``None`` if the stack is empty."""
        node = self._ctxlocal_storage.get(None)
        if node is None:
            return None
        if type(node) is tuple:
            return node[0]
        return node[-1] if node else None

    def __call__(
        self, name: Optional[str] = None, *, unbound_message: Optional[str] = None
    ) -> "LocalProxy":
        """Return a proxy to the top item, or to its attribute ``name``."""
        return LocalProxy(self, name, unbound_message=unbound_message)

    @property
    def __ident_func__(self) -> Callable[[], Any]:
        """The ident function (Werkzeug <= 1.0 API); see ``Local.__ident_func__``."""
        return _ident_func(self._ctxlocal_storage)

    @__ident_func__.setter
    def __ident_func__(self, func: Callable[[], Any]) -> None:
        self._ctxlocal_storage = _ident_storage(self._ctxlocal_storage, func)

    @property
    def _storage(self) -> StackStorage:
        """Werkzeug's private storage variable, as a view: see
        :mod:`ctxlocal._werkzeug_storage`."""
        return StackStorage(self._ctxlocal_storage)

    @property
    def __storage__(self) -> Dict[Any, Dict[str, List[Any]]]:
        """``{ident: {"stack": [items]}}``, a snapshot (Werkzeug <= 1.0 layout)."""
        storage = self._ctxlocal_storage
        if isinstance(storage, IdentStore):
            items = [(ident, top) for ident, top in list(storage.data.items()) if top]
        else:
            node = storage.get(None)
            items = [] if not node else [(default_ident_func()(), node)]
        return {
            ident: {"stack": stack_items(stored)} for ident, stored in items
        }


# How a proxy reaches its object; fixed at construction. The getters carry
# type comments, not annotations: CPython 3.14 builds a nested function's
# annotations every time it makes the function, which cost a sixth of making
# a proxy.
def _from_local(local: Local, name: str, message: str) -> Callable[[], Any]:
    first, dot, rest = name.partition(".")
    # A name a plain Local does not define itself is one of its values.
    stored = type(local) is Local and first not in _LOCAL_OWN
    named = local._ctxlocal_named if stored else None
    get_rest = _attrgetter(rest) if dot else None

    if named is not None:
        # The name's variable, found once: the proxy reads it directly for as
        # long as the local keeps its named storage (until an ident function
        # is assigned, which replaces it for good).
        var = named.vars.get(first) or named.new_var(first)

        def get_named():  # type: () -> Any
            if local._ctxlocal_named is not named:
                return _storage_reader(local, first, get_rest, message)()
            obj = var.get(_MISSING)
            if obj is _MISSING:
                raise RuntimeError(message) from None
            if get_rest is None:
                return obj
            try:
                return get_rest(obj)
            except AttributeError:
                raise RuntimeError(message) from None

        return get_named

    if stored and not PYPY:
        # getattr(local, first) would fail a normal lookup (raising, on
        # CPython 3.11) before it read the storage: read the storage. (PyPy
        # is better off with the getter below, which hands the local's
        # __getattr__ a name its JIT knows.)
        return _storage_reader(local, first, get_rest, message)

    get_name = _attrgetter(name)

    def get_current():  # type: () -> Any
        try:
            return get_name(local)
        except AttributeError:
            raise RuntimeError(message) from None

    return get_current


def _storage_reader(
    local: Local, first: str, get_rest: Optional[Callable[[Any], Any]], message: str
) -> Callable[[], Any]:
    """The getter that reads ``first`` from a plain Local's storage, then ``get_rest``."""

    def get_stored():  # type: () -> Any
        try:
            obj = _stored(local, first)
            return obj if get_rest is None else get_rest(obj)
        except AttributeError:
            raise RuntimeError(message) from None

    return get_stored


def _from_stack(
    stack: LocalStack, get_name: Optional[Callable[[Any], Any]], message: str
) -> Callable[[], Any]:
    def get_current():  # type: () -> Any
        # The top node, read here rather than through a method (a call).
        node = stack._ctxlocal_storage.get(None)
        if node is not None and type(node) is not tuple:
            node = _as_nodes(node)
        if node is None:
            raise RuntimeError(message)
        obj = node[0]
        if obj is None:
            raise RuntimeError(message)
        if get_name is None:
            return obj
        return get_name(obj)

    return get_current


def _from_var(var: ContextVar[Any], name: Optional[str], message: str) -> Callable[[], Any]:
    make = _spelled(_var_getter, name, _VAR_GETTERS)
    if make is not None:
        return make(var, message)  # type: ignore[no-any-return]
    # A name that cannot be spelled out (or not a string: TypeError).
    get_name = _attrgetter(name)  # type: ignore[arg-type]

    def get_named():  # type: () -> Any
        try:
            obj = var.get()
        except LookupError:
            raise RuntimeError(message) from None
        return get_name(obj)

    return get_named


def _from_callable(
    func: Callable[[], Any], get_name: Optional[Callable[[Any], Any]]
) -> Callable[[], Any]:
    if get_name is None:
        return func
    return lambda: get_name(func())


def _target(
    local: Any, name: Optional[str], unbound_message: Optional[str]
) -> Tuple[Any, Callable[[], Any]]:
    """What a proxy of ``local`` wraps, and the function that returns its object."""
    if unbound_message is None:
        unbound_message = "object is not bound"
    if isinstance(local, ContextVar):
        return local, _from_var(local, name, unbound_message)
    get_name = None if name is None else _attrgetter(name)
    local = adopt(local, Local, LocalStack) or local
    if isinstance(local, Local):
        if name is None:
            raise TypeError("'name' is required when proxying a 'Local' object.")
        return local, _from_local(local, name, unbound_message)
    if isinstance(local, LocalStack):
        return local, _from_stack(local, get_name, unbound_message)
    if callable(local):
        return local, _from_callable(local, get_name)
    raise TypeError(f"Don't know how to proxy '{type(local)}'.")


_object_getattribute = object.__getattribute__
_object_setattr = object.__setattr__


class LocalProxy:
    """A proxy to the object a context-local currently holds.

    Every operation on the proxy is forwarded to that object; when nothing is
    bound, ``RuntimeError(unbound_message)`` is raised (default
    ``"object is not bound"``), except that ``repr``, ``bool``, ``dir``,
    ``__class__``, ``__doc__`` and ``__wrapped__`` answer for the proxy itself.

    :param local: a :class:`~contextvars.ContextVar`, a :class:`Local` (then
        ``name`` is required), a :class:`LocalStack` (its top item) or any
        callable returning the object.
    :param name: proxy this attribute of the object (dotted names allowed).
    :param unbound_message: the message of the ``RuntimeError`` raised when
        the proxy is unbound.

    ``isinstance(proxy, cls)`` sees the target's class; ``type(proxy)`` is the
    proxy type, so ``issubclass(type(x), LocalProxy)`` tells a proxy apart.
    """

    __slots__ = ("_ctxlocal_wrapped", "_ctxlocal_get", "__weakref__")

    _ctxlocal_wrapped: Any
    _ctxlocal_get: Callable[[], Any]

    __class_getitem__ = classmethod(GenericAlias)  # type: ignore[var-annotated]

    def __init__(
        self,
        local: Any,
        name: Optional[str] = None,
        *,
        unbound_message: Optional[str] = None,
    ) -> None:
        wrapped, get_current = _target(local, name, unbound_message)
        _SET_WRAPPED(self, wrapped)
        _SET_GET(self, get_current)

    def _get_current_object(self) -> Any:
        """Return the object this proxy is bound to; ``RuntimeError`` if unbound.

        Use it to hand the real object to code that does not understand
        proxies, or to skip the proxy when using the object many times.
        """
        return _GET(self)()

    @property
    def __wrapped__(self) -> Any:
        # Only reached through read_special (it is a forwarded name); defined
        # so that a type lookup finds it, as with Werkzeug's descriptor.
        return read_special(self, "__wrapped__", _GET(self), _WRAPPED(self))

    def __getattribute__(self, name: str) -> Any:
        if type(self) is LocalProxy:
            # The common case first: a plain proxy, a name it forwards.
            if name not in _BASE_LOOKUP:
                return getattr(_GET(self)(), name)
            if name == "_get_current_object":  # the next most common: a string test
                return _GET(self)
            found: Optional[str] = _BASE_LOOKUP[name]
        else:
            found = _lookup(type(self), name)
            if found is None:
                return getattr(_GET(self)(), name)
        if found is _GETTER:
            return _GET(self)
        if found is _FORWARDED:
            return read_special(self, name, _GET(self), _WRAPPED(self))
        return _object_getattribute(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(_GET(self)(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_GET(self)(), name)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # BEGIN GENERATED by ci/datamodel.py from ctxlocal/_datamodel.py: edit the table.
    def __repr__(self) -> str:
        try:
            obj = _GET(self)()
        except RuntimeError:
            return f"<{type(self).__name__} unbound>"
        return repr(obj)

    def __str__(self) -> str:
        return str(_GET(self)())

    def __bytes__(self) -> bytes:
        return bytes(_GET(self)())

    def __format__(self, format_spec: str) -> str:
        return getattr(_GET(self)(), "__format__")(format_spec)  # type: ignore[no-any-return]

    def __lt__(self, other: Any) -> Any:
        return _GET(self)() < other

    def __le__(self, other: Any) -> Any:
        return _GET(self)() <= other

    def __eq__(self, other: Any) -> Any:
        return _GET(self)() == other

    def __ne__(self, other: Any) -> Any:
        return _GET(self)() != other

    def __gt__(self, other: Any) -> Any:
        return _GET(self)() > other

    def __ge__(self, other: Any) -> Any:
        return _GET(self)() >= other

    def __hash__(self) -> int:
        return hash(_GET(self)())

    def __bool__(self) -> bool:
        try:
            obj = _GET(self)()
        except RuntimeError:
            return False
        return bool(obj)

    def __dir__(self) -> Any:
        try:
            obj = _GET(self)()
        except RuntimeError:
            return []
        return dir(obj)

    def __instancecheck__(self, instance: Any) -> bool:
        return isinstance(instance, _GET(self)())

    def __subclasscheck__(self, subclass: Any) -> bool:
        return issubclass(subclass, _GET(self)())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _GET(self)()(*args, **kwargs)

    def __len__(self) -> int:
        return len(_GET(self)())

    def __length_hint__(self) -> int:
        return operator.length_hint(_GET(self)())

    def __getitem__(self, key: Any) -> Any:
        return _GET(self)()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        _GET(self)()[key] = value

    def __delitem__(self, key: Any) -> None:
        del _GET(self)()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(_GET(self)())

    def __next__(self) -> Any:
        return next(_GET(self)())

    def __reversed__(self) -> Any:
        return reversed(_GET(self)())

    def __contains__(self, item: Any) -> bool:
        return item in _GET(self)()

    def __add__(self, other: Any) -> Any:
        return _GET(self)() + other

    def __sub__(self, other: Any) -> Any:
        return _GET(self)() - other

    def __mul__(self, other: Any) -> Any:
        return _GET(self)() * other

    def __matmul__(self, other: Any) -> Any:
        return _GET(self)() @ other

    def __truediv__(self, other: Any) -> Any:
        return _GET(self)() / other

    def __floordiv__(self, other: Any) -> Any:
        return _GET(self)() // other

    def __mod__(self, other: Any) -> Any:
        return _GET(self)() % other

    def __divmod__(self, other: Any) -> Any:
        return divmod(_GET(self)(), other)

    def __pow__(self, other: Any, mod: Any = None) -> Any:
        return pow(_GET(self)(), other, mod)

    def __lshift__(self, other: Any) -> Any:
        return _GET(self)() << other

    def __rshift__(self, other: Any) -> Any:
        return _GET(self)() >> other

    def __and__(self, other: Any) -> Any:
        return _GET(self)() & other

    def __xor__(self, other: Any) -> Any:
        return _GET(self)() ^ other

    def __or__(self, other: Any) -> Any:
        return _GET(self)() | other

    def __radd__(self, other: Any) -> Any:
        return other + _GET(self)()

    def __rsub__(self, other: Any) -> Any:
        return other - _GET(self)()

    def __rmul__(self, other: Any) -> Any:
        return other * _GET(self)()

    def __rmatmul__(self, other: Any) -> Any:
        return other @ _GET(self)()

    def __rtruediv__(self, other: Any) -> Any:
        return other / _GET(self)()

    def __rfloordiv__(self, other: Any) -> Any:
        return other // _GET(self)()

    def __rmod__(self, other: Any) -> Any:
        return other % _GET(self)()

    def __rdivmod__(self, other: Any) -> Any:
        return divmod(other, _GET(self)())

    def __rpow__(self, other: Any, mod: Any = None) -> Any:
        return pow(other, _GET(self)())

    def __rlshift__(self, other: Any) -> Any:
        return other << _GET(self)()

    def __rrshift__(self, other: Any) -> Any:
        return other >> _GET(self)()

    def __rand__(self, other: Any) -> Any:
        return other & _GET(self)()

    def __rxor__(self, other: Any) -> Any:
        return other ^ _GET(self)()

    def __ror__(self, other: Any) -> Any:
        return other | _GET(self)()

    def __iadd__(self, other: Any) -> Any:
        target = _GET(self)()
        target += other
        return self

    def __isub__(self, other: Any) -> Any:
        target = _GET(self)()
        target -= other
        return self

    def __imul__(self, other: Any) -> Any:
        target = _GET(self)()
        target *= other
        return self

    def __imatmul__(self, other: Any) -> Any:
        target = _GET(self)()
        target @= other
        return self

    def __itruediv__(self, other: Any) -> Any:
        target = _GET(self)()
        target /= other
        return self

    def __ifloordiv__(self, other: Any) -> Any:
        target = _GET(self)()
        target //= other
        return self

    def __imod__(self, other: Any) -> Any:
        target = _GET(self)()
        target %= other
        return self

    def __ipow__(self, other: Any) -> Any:  # type: ignore[misc]
        target = _GET(self)()
        target **= other
        return self

    def __ilshift__(self, other: Any) -> Any:
        target = _GET(self)()
        target <<= other
        return self

    def __irshift__(self, other: Any) -> Any:
        target = _GET(self)()
        target >>= other
        return self

    def __iand__(self, other: Any) -> Any:
        target = _GET(self)()
        target &= other
        return self

    def __ixor__(self, other: Any) -> Any:
        target = _GET(self)()
        target ^= other
        return self

    def __ior__(self, other: Any) -> Any:
        target = _GET(self)()
        target |= other
        return self

    def __neg__(self) -> Any:
        return -_GET(self)()

    def __pos__(self) -> Any:
        return +_GET(self)()

    def __abs__(self) -> Any:
        return abs(_GET(self)())

    def __invert__(self) -> Any:
        return ~_GET(self)()

    def __complex__(self) -> complex:
        return complex(_GET(self)())

    def __int__(self) -> int:
        return int(_GET(self)())

    def __float__(self) -> float:
        return float(_GET(self)())

    def __index__(self) -> int:
        return operator.index(_GET(self)())

    def __round__(self, *ndigits: Any) -> Any:
        return round(_GET(self)(), *ndigits)

    def __trunc__(self) -> Any:
        return math.trunc(_GET(self)())

    def __floor__(self) -> Any:
        return math.floor(_GET(self)())

    def __ceil__(self) -> Any:
        return math.ceil(_GET(self)())

    def __enter__(self) -> Any:
        obj = _GET(self)()
        if WITH_LOOKS_UP_EXIT_FIRST:
            # Fail as Werkzeug's proxy fails: on the name looked up first.
            getattr(obj, "__exit__")
        return getattr(obj, "__enter__")()

    def __exit__(self, *exc_info: Any) -> Any:
        return getattr(_GET(self)(), "__exit__")(*exc_info)

    def __await__(self) -> Any:
        return getattr(_GET(self)(), "__await__")()

    def __aiter__(self) -> Any:
        return getattr(_GET(self)(), "__aiter__")()

    def __anext__(self) -> Any:
        return getattr(_GET(self)(), "__anext__")()

    def __aenter__(self) -> Any:
        obj = _GET(self)()
        if ASYNC_WITH_LOOKS_UP_EXIT_FIRST:
            getattr(obj, "__aexit__")
        return getattr(obj, "__aenter__")()

    def __aexit__(self, *exc_info: Any) -> Any:
        return getattr(_GET(self)(), "__aexit__")(*exc_info)

    def __copy__(self) -> Any:
        return copy.copy(_GET(self)())

    def __deepcopy__(self, memo: Any) -> Any:
        return copy.deepcopy(_GET(self)(), memo)
    # END GENERATED


# Slot readers that bypass LocalProxy.__getattribute__, and writers that
# skip the lookup object.__setattr__ makes first.
_GET = LocalProxy.__dict__["_ctxlocal_get"].__get__
_WRAPPED = LocalProxy.__dict__["_ctxlocal_wrapped"].__get__
_SET_GET = LocalProxy.__dict__["_ctxlocal_get"].__set__
_SET_WRAPPED = LocalProxy.__dict__["_ctxlocal_wrapped"].__set__

# How a normal lookup on a proxy resolves a name found on its type: the
# proxy's own attribute, or a special name that goes to the target.
_OWN = "own"
_FORWARDED = "forwarded"
# _get_current_object reads as the getter itself (as Werkzeug's, which keeps
# it in a slot), saving a bound method and a call.
_GETTER = "getter"

# What a plain LocalProxy finds on its type; names not here go to the target.
_BASE_LOOKUP: Dict[str, str] = dict.fromkeys(vars(object), _OWN)
_BASE_LOOKUP.update(dict.fromkeys(vars(LocalProxy), _OWN))
_BASE_LOOKUP.update(dict.fromkeys(FORWARDED_NAMES, _FORWARDED))
_BASE_LOOKUP["_get_current_object"] = _GETTER


def _lookup(cls: type, name: str) -> Optional[str]:
    """``_BASE_LOOKUP`` for a subclass: its own class dicts come first."""
    for klass in cls.__mro__:
        if klass is LocalProxy:
            return _BASE_LOOKUP.get(name)
        if name in klass.__dict__:
            return _OWN
    return None


class Forwarded:
    """A forwarded special name on the descriptor-shaped proxy (PyPy's).

    A read of the name on a proxy gives what :data:`READERS` says (the same
    as an explicit read on the other shape, and on Werkzeug's proxy); the
    interpreter's own use of the name (``proxy + 1`` looks ``__add__`` up on
    the type, then calls what the lookup gives) goes through the same read.
    Called on the class (``LocalProxy.__copy__(proxy)``), it reads from its
    first argument and calls the result.
    """

    __slots__ = ("_bind", "_fallback", "_class_value")

    def __init__(self, name: str, class_value: Any = None) -> None:
        self._bind, self._fallback = READERS[name]
        self._class_value = class_value  # what the class itself answers, if not this

    def __get__(self, proxy: Any, owner: Any = None) -> Any:
        if proxy is None:
            return self if self._class_value is None else self._class_value
        try:
            obj = proxy._get_current_object()
        except RuntimeError:
            fallback = self._fallback
            if fallback is None:
                raise
            return fallback(proxy, proxy._ctxlocal_wrapped)
        return self._bind(proxy, obj)

    def __call__(self, proxy: Any, *args: Any, **kwargs: Any) -> Any:
        return self.__get__(proxy, type(proxy))(*args, **kwargs)


def _descriptor_shaped_proxy() -> Any:
    """``LocalProxy`` as the descriptor shape builds it, from the data model's table.

    The getter sits in the slot ``_get_current_object`` (a normal lookup finds
    it, as on Werkzeug's proxy), every forwarded special name is a
    :class:`Forwarded` and a name the type lacks reaches ``__getattr__``, which
    is one of them. Everything else is the other shape's.
    """
    template = LocalProxy

    def __init__(
        self: Any,
        local: Any,
        name: Optional[str] = None,
        *,
        unbound_message: Optional[str] = None,
    ) -> None:
        wrapped, get_current = _target(local, name, unbound_message)
        _object_setattr(self, "_ctxlocal_wrapped", wrapped)
        _object_setattr(self, "_get_current_object", get_current)

    __init__.__qualname__ = "LocalProxy.__init__"
    namespace: Dict[str, Any] = {name: Forwarded(name) for name in FORWARDED_NAMES}
    namespace.update(
        __module__=__name__,
        __qualname__=template.__qualname__,
        __doc__=Forwarded("__doc__", class_value=template.__doc__),
        __slots__=("_ctxlocal_wrapped", "_get_current_object", "__weakref__"),
        __init__=__init__,
        __reduce_ex__=template.__reduce_ex__,
        __class_getitem__=template.__dict__["__class_getitem__"],
    )
    return type(template.__name__, (), namespace)


if PROXY_SHAPE == DESCRIPTORS:
    LocalProxy = _descriptor_shaped_proxy()  # type: ignore[misc]
