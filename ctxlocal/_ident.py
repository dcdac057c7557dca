"""Ident-keyed storage: the Werkzeug <= 1.0 design, shared by both implementations.

In this mode a local keeps one slot per *ident*, the value an ident function
returns for the running thread or greenlet (``threading.get_ident`` or
``greenlet.getcurrent``), instead of one value per ``contextvars`` context.
Werkzeug 1.0 never freed the slot of a finished thread or greenlet unless a
``LocalManager`` released it; here the slot goes away on its own when the
ident function is one of those two:

* ``greenlet.getcurrent``: the slots live in a :class:`weakref.WeakKeyDictionary`
  keyed by the greenlet, so storage never keeps a greenlet alive and the slot
  disappears when the greenlet is collected.
* ``threading.get_ident``: a per-thread reaper object (held in a
  ``threading.local``) is destroyed while the thread shuts down, and it pops
  that thread's slot from every store the thread wrote to.

Any other ident function keeps Werkzeug 1.0's behaviour: slots stay until
``release_local`` or ``LocalManager.cleanup`` removes them.
"""

from __future__ import annotations

import itertools
import sys
import threading
import weakref
from typing import Any, Callable, Dict, MutableMapping, Optional

__all__ = ["IdentStore", "default_ident_func"]

_default_ident_func: Optional[Callable[[], Any]] = None


def _greenlet_getcurrent() -> Optional[Callable[[], Any]]:
    try:
        from greenlet import getcurrent  # type: ignore[import-untyped]
    except ImportError:
        return None
    return getcurrent  # type: ignore[no-any-return]


def default_ident_func() -> Callable[[], Any]:
    """Return the ident function Werkzeug 1.0 used by default.

    ``greenlet.getcurrent`` when greenlet is importable, else
    ``threading.get_ident``. Resolved once, on first use, so that importing
    ctxlocal does not import greenlet.
    """
    global _default_ident_func
    if _default_ident_func is None:
        _default_ident_func = _greenlet_getcurrent() or threading.get_ident
    return _default_ident_func


class _ThreadReaper:
    """Lives in one thread's ``threading.local`` slot; dies with the thread.

    CPython drops a thread's ``threading.local`` data while the thread shuts
    down, before its ident can go to a new thread. Interpreters that collect
    it later (PyPy) may run this after the ident was reused, so a store records
    which reaper owns each slot and only the owner's death drops it. It does
    so by the reaper's ``serial``, unique for the process's life: an ``id()``
    can come back once its object is gone, and costs PyPy a lookup of its own
    on every read.
    """

    __slots__ = ("ident", "serial", "stores", "__weakref__")

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.serial = _next_serial()
        # id(store) -> weak reference, so that a thread never keeps a local alive
        # and registering the same store twice costs nothing.
        self.stores: Dict[int, "weakref.ReferenceType[IdentStore]"] = {}

    def __del__(self) -> None:
        for store_ref in self.stores.values():
            store = store_ref()
            if store is not None:
                store.release_thread(self)


_reapers = threading.local()
_next_serial = itertools.count().__next__
# Whether a finished thread's threading.local data may outlive the reuse of
# its ident (not on CPython, which drops it during the thread's shutdown).
_LATE_THREAD_CLEANUP = sys.implementation.name != "cpython"


def _thread_reaper() -> _ThreadReaper:
    try:
        return _reapers.reaper  # type: ignore[no-any-return]
    except AttributeError:
        reaper = _reapers.reaper = _ThreadReaper(threading.get_ident())
        return reaper


class IdentStore:
    """One local's slots, keyed by ``func()``.

    ``get(default)`` and ``set(slot)`` read and write the running ident's slot
    with a ContextVar's signatures. A ``Local``'s slot is the dict of its values,
    changed in place as Werkzeug 1.0 did; a ``LocalStack``'s is the top of its
    stack (``None`` once popped empty; the slot itself goes when its thread or
    greenlet ends, or on :meth:`discard`). ``data`` is the live mapping
    ``{ident: slot}`` behind ``__storage__``.
    """

    __slots__ = ("func", "data", "cells", "_weak", "_reaped_by_thread", "_owners", "__weakref__")

    func: Callable[[], Any]
    data: MutableMapping[Any, Any]
    # The dict that holds the slots: ``data`` itself, or for greenlets the
    # WeakKeyDictionary's own dict, keyed by weak references to them, which
    # _weak (weakref.ref, else None) makes: reading cells directly saves the
    # WeakKeyDictionary's Python-level get.
    cells: Dict[Any, Any]
    _weak: Optional[Callable[[Any], Any]]

    def __init__(self, func: Callable[[], Any]) -> None:
        if not callable(func):
            raise TypeError(
                f"the ident function must be callable, not {type(func).__name__!r}"
            )
        self.func = func
        self._reaped_by_thread = func is threading.get_ident
        # thread ident -> serial of the _ThreadReaper of the thread that made the slot
        self._owners: Dict[Any, int] = {}
        if func is _greenlet_getcurrent() and func is not None:
            greenlets: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
            self.data = greenlets
            self.cells = greenlets.data  # type: ignore[attr-defined]  # its own dict
            self._weak = weakref.ref
        else:
            self.data = self.cells = {}
            self._weak = None

    def get(self, default: Any = None) -> Any:
        """Return the current ident's slot, or ``default`` if it has none."""
        ident = self.func()
        weak = self._weak
        slot = self.cells.get(ident if weak is None else weak(ident))
        if slot is None:
            return default
        if _LATE_THREAD_CLEANUP and self._reaped_by_thread and self._stale(ident):
            return default
        return slot

    def _stale(self, ident: Any) -> bool:
        """Drop and report a slot left under ``ident`` by a finished thread."""
        if self._owners.get(ident) == _thread_reaper().serial:
            return False
        self.data.pop(ident, None)
        self._owners.pop(ident, None)
        return True

    def release_thread(self, reaper: _ThreadReaper) -> None:
        """Drop the slot of the thread ``reaper`` belonged to, unless reused."""
        if self._owners.get(reaper.ident) == reaper.serial:
            self.data.pop(reaper.ident, None)
            del self._owners[reaper.ident]

    def set(self, slot: Any) -> None:
        """Set the current ident's slot."""
        ident = self.func()
        cells = self.cells
        weak = self._weak
        key = ident if weak is None else weak(ident)
        if _LATE_THREAD_CLEANUP and self._reaped_by_thread and key in cells:
            self._stale(ident)
        if key in cells:
            # An existing slot keeps its key, and with it the weak reference
            # whose callback drops the slot when the greenlet goes.
            cells[key] = slot
            return
        if self._reaped_by_thread:
            reaper = _thread_reaper()
            reaper.stores[id(self)] = weakref.ref(self)
            self._owners[ident] = reaper.serial
        self.data[ident] = slot

    def discard(self) -> None:
        """Drop the current ident's slot, if any."""
        self.data.pop(self.func(), None)
