"""Werkzeug's private storage variables, as views over ctxlocal's storage.

Werkzeug 3.1 keeps a ``LocalStack`` in one ``ContextVar`` holding a list,
``stack._storage``, and a ``Local`` in one holding a dict,
``local._Local__storage`` (its ``__storage`` slot, name-mangled). Both are
private, yet code outside Werkzeug reads them (Werkzeug's own test suite does:
``len(stack._storage.get())``). ctxlocal stores otherwise (a stack as linked
``(item, below)`` nodes, a local as one variable per name), so both
implementations answer these names with the views below: ``get`` reads in
Werkzeug's format, ``set`` writes from it. Nothing on the hot path uses them.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any, Dict, Iterable, List, Optional, Tuple

__all__ = ["LocalStorage", "StackStorage", "as_nodes", "stack_items"]

_MISSING: Any = object()


def as_nodes(stored: Any) -> Optional[Tuple[Any, Any]]:
    """The top node of a stack's storage: already one (or ``None``), or built
    from an iterable of items, bottom first (Werkzeug's list)."""
    if stored is None or type(stored) is tuple:
        return stored
    node: Optional[Tuple[Any, Any]] = None
    for item in stored:
        node = (item, node)
    return node


def stack_items(stored: Any) -> List[Any]:
    """A new list of the items of what a stack's storage holds (a top node,
    ``None`` or Werkzeug's list), bottom first."""
    if type(stored) is not tuple:
        return [] if stored is None else list(stored)
    items = []
    node = stored
    while node is not None:
        items.append(node[0])
        node = node[1]
    items.reverse()
    return items


class StackStorage:
    """``LocalStack._storage``: the stack's variable as Werkzeug's, a list.

    ``get()`` returns a new list of the items, bottom first; like
    ``ContextVar.get`` it returns ``default`` (or raises ``LookupError``)
    when the stack was never written in this context. ``set(items)`` replaces
    the stack and returns the variable's ``Token`` for ``reset``.
    """

    __slots__ = ("_storage",)

    def __init__(self, storage: Any) -> None:
        # The stack's ContextVar (or the user's), or its ident-mode store.
        self._storage = storage

    @property
    def name(self) -> str:
        """The underlying variable's name."""
        return self._storage.name  # type: ignore[no-any-return]

    def get(self, default: Any = _MISSING) -> Any:
        stored = self._storage.get(_MISSING)
        if stored is _MISSING:
            if default is not _MISSING:
                return default
            stored = self._storage.get()  # LookupError, or the variable's default
        return stack_items(stored)

    def set(self, value: Iterable[Any]) -> "Optional[Token[Any]]":
        return self._storage.set(as_nodes(list(value)))  # type: ignore[no-any-return]

    def reset(self, token: "Token[Any]") -> None:
        self._storage.reset(token)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._storage!r}>"


class LocalStorage:
    """``Local._Local__storage``: the local's values as Werkzeug's dict.

    ``get()`` returns a new dict of the current context's values, in
    Werkzeug's order (empty when none are set: the local's storage always
    has a value, so ``default`` is never returned); ``set(values)`` replaces
    them all, as assigning each name after ``release_local`` would.
    """

    __slots__ = ("_local",)

    def __init__(self, local: Any) -> None:
        self._local = local

    def get(self, default: Any = None) -> Dict[str, Any]:
        return dict(iter(self._local))

    def set(self, values: Dict[str, Any]) -> None:
        items = list(dict(values).items())
        local = self._local
        local.__release_local__()
        for name, value in items:
            setattr(local, name, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._local!r}>"
