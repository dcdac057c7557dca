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

**Cells.** A store keeps each ident's slot in a *cell*, a two-item list
``[slot, owner]`` that its registry maps the ident to. A cell that leaves the
registry (``release_local``, ``del local.__storage__[ident]``, the end of its
thread) gets :data:`GONE` for a slot, so that whoever still holds it looks the
ident up again. That is what lets the stores of the two ident functions above
keep the running thread's cell at hand in a ``threading.local`` (checked
against the running greenlet for greenlet idents), which PyPy's JIT reads for
nothing, where a dict lookup by ident cost more than all the rest of a read.
The compiled module looks the ident up in :attr:`IdentStore.cells` in C and
reads the cell there.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Any, Callable, Dict, Iterator, List, MutableMapping, Optional

__all__ = ["GONE", "SLOT", "IdentSlots", "IdentStore", "default_ident_func", "ident_store"]

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


class _Gone:
    def __repr__(self) -> str:
        return "<slot gone>"


GONE: Any = _Gone()
"""The slot of a cell that has left its store."""

# A cell: [slot, owner]. The owner ties it to its ident: the serial of the
# _ThreadReaper of the thread that made it (thread idents; a slot planted
# through __storage__ has none, and stays until released, as any slot did in
# Werkzeug 1.0), a weak reference to its greenlet (greenlet idents), or None
# (any other ident function).
Cell = List[Any]
SLOT = 0
_OWNER = 1


class _ThreadReaper:
    """Lives in one thread's ``threading.local`` slot; dies with the thread.

    CPython drops a thread's ``threading.local`` data while the thread shuts
    down, before its ident can go to a new thread. Interpreters that collect
    it later (PyPy) may run this after the ident was reused, so a cell records
    which reaper owns it and only the owner's death drops it. It does so by
    the reaper's ``serial``, unique for the process's life: an ``id()`` can
    come back once its object is gone.
    """

    __slots__ = ("ident", "serial", "stores", "__weakref__")

    def __init__(self, ident: int) -> None:
        self.ident = ident
        self.serial = _next_serial()
        # id(store) -> weak reference, so that a thread never keeps a local alive
        # and registering the same store twice costs nothing.
        self.stores: Dict[int, "weakref.ReferenceType[_ThreadStore]"] = {}

    def __del__(self) -> None:
        for store_ref in self.stores.values():
            store = store_ref()
            if store is not None:
                store.release_thread(self)


_reapers = threading.local()
_next_serial = itertools.count().__next__


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

    Make one with :func:`ident_store`, which picks the subclass of the ident
    function; this class serves any other function, looking the ident up on
    every use (it may return a new ident at any time).
    """

    __slots__ = ("func", "data", "cells", "_registry", "__weakref__")

    weak_keys = False
    """Whether :attr:`cells` is keyed by weak references to the idents."""

    func: Callable[[], Any]
    data: "IdentSlots"
    # The dict of the cells: the registry itself, or for greenlets the
    # WeakKeyDictionary's own dict, keyed by weak references to them.
    cells: Dict[Any, Cell]
    # ident -> cell, as the mapping __storage__ shows (a WeakKeyDictionary
    # for greenlets).
    _registry: MutableMapping[Any, Cell]

    def __init__(self, func: Callable[[], Any]) -> None:
        if not callable(func):
            raise TypeError(
                f"the ident function must be callable, not {type(func).__name__!r}"
            )
        self.func = func
        self.cells = {}
        self._registry = self.cells
        self.data = IdentSlots(self)

    def get(self, default: Any = None) -> Any:
        """Return the current ident's slot, or ``default`` if it has none."""
        cell = self._cell()
        return default if cell is None else cell[SLOT]

    def set(self, slot: Any) -> None:
        """Set the current ident's slot."""
        cell = self._cell()
        if cell is None:
            self._add(slot)
        else:
            cell[SLOT] = slot

    def discard(self) -> None:
        """Drop the current ident's slot, if any."""
        ident = self.func()
        cell = self._registry.get(ident)
        if cell is not None:
            self.drop(ident, cell)

    def plant(self, ident: Any, slot: Any) -> None:
        """Set ``ident``'s slot from outside (``__storage__[ident] = slot``)."""
        cell = self._registry.get(ident)
        if cell is None:
            self._registry[ident] = [slot, None]
        else:
            cell[SLOT] = slot

    def drop(self, ident: Any, cell: Optional[Cell] = None) -> None:
        """Remove ``ident``'s cell (only if it is ``cell``, when given).

        :raises KeyError: ``ident`` has no cell and none was given.
        """
        if cell is None:
            cell = self._registry.pop(ident)
        elif self._registry.get(ident) is cell:
            self._registry.pop(ident, None)
        cell[SLOT] = GONE

    def _cell(self) -> Optional[Cell]:
        """The running ident's cell, or ``None``."""
        return self.cells.get(self.func())

    def _add(self, slot: Any) -> None:
        self.cells[self.func()] = [slot, None]


class _ThreadStore(IdentStore):
    """The store for ``threading.get_ident``: the running thread's cell is kept
    in a ``threading.local``, and its reaper drops the cell when it ends."""

    __slots__ = ("_here",)

    def __init__(self, func: Callable[[], Any]) -> None:
        super().__init__(func)
        self._here = threading.local()

    # get and set read the cell at hand themselves, rather than through
    # _cell: a call costs CPython more than the rest of a read.

    def get(self, default: Any = None) -> Any:
        try:
            slot = self._here.cell[SLOT]
        except AttributeError:  # this thread has not found its cell yet
            slot = GONE
        if slot is GONE:
            cell = self._find()
            return default if cell is None else cell[SLOT]
        return slot

    def set(self, slot: Any) -> None:
        try:
            cell = self._here.cell
        except AttributeError:
            cell = None
        if cell is None or cell[SLOT] is GONE:
            cell = self._find()
            if cell is None:
                self._add(slot)
                return
        cell[SLOT] = slot

    def _find(self) -> Optional[Cell]:
        """Look the running thread's cell up, and keep it at hand."""
        ident = threading.get_ident()
        cell = self.cells.get(ident)
        if cell is None:
            return None
        owner = cell[_OWNER]
        if owner is not None and owner != _thread_reaper().serial:
            # Left by a finished thread whose ident this one reuses, before
            # its reaper ran (PyPy collects it late).
            self.drop(ident, cell)
            return None
        self._here.cell = cell
        return cell

    def _add(self, slot: Any) -> None:
        reaper = _thread_reaper()
        reaper.stores[id(self)] = weakref.ref(self)
        cell = [slot, reaper.serial]
        self.cells[reaper.ident] = cell
        self._here.cell = cell

    def release_thread(self, reaper: _ThreadReaper) -> None:
        """Drop the cell of the thread ``reaper`` belonged to, unless reused."""
        cell = self.cells.get(reaper.ident)
        if cell is not None and cell[_OWNER] == reaper.serial:
            self.drop(reaper.ident, cell)


class _GreenletStore(IdentStore):
    """The store for ``greenlet.getcurrent``: weakly keyed by the greenlet,
    with the running greenlet's cell kept at hand in a ``threading.local``
    (greenlets never change threads)."""

    __slots__ = ("_here",)

    weak_keys = True

    def __init__(self, func: Callable[[], Any]) -> None:
        super().__init__(func)
        greenlets: weakref.WeakKeyDictionary[Any, Cell] = weakref.WeakKeyDictionary()
        self._registry = greenlets
        self.cells = greenlets.data  # type: ignore[attr-defined]  # its own dict
        self._here = threading.local()

    def _cell(self) -> Optional[Cell]:
        current = self.func()
        try:
            cell: Cell = self._here.cell
        except AttributeError:
            return self._find(current)
        if cell[_OWNER]() is current and cell[SLOT] is not GONE:
            return cell
        return self._find(current)

    def _find(self, current: Any) -> Optional[Cell]:
        """Look the running greenlet's cell up, and keep it at hand."""
        cell = self.cells.get(weakref.ref(current))
        if cell is not None:
            if cell[_OWNER] is None:  # planted through __storage__
                cell[_OWNER] = weakref.ref(current)  # what the check above needs
            self._here.cell = cell
        return cell

    def _add(self, slot: Any) -> None:
        current = self.func()
        cell = [slot, weakref.ref(current)]
        self._registry[current] = cell
        self._here.cell = cell


def ident_store(func: Callable[[], Any]) -> IdentStore:
    """A new store for the ident function ``func``.

    :raises TypeError: ``func`` is not callable.
    """
    if func is threading.get_ident:
        return _ThreadStore(func)
    if func is _greenlet_getcurrent() and func is not None:
        return _GreenletStore(func)
    return IdentStore(func)


class IdentSlots(MutableMapping[Any, Any]):
    """``__storage__`` of a local in ident mode: ``{ident: slot}``, live.

    Werkzeug 1.0 handed out its storage dict itself, and code written for it
    changes it (``local.__storage__.pop(ident, None)`` to release a thread's
    values): this mapping reads and writes the store's cells, so such a change
    is seen by the next read in every thread.
    """

    __slots__ = ("_store",)

    def __init__(self, store: IdentStore) -> None:
        self._store = store

    def __getitem__(self, ident: Any) -> Any:
        return self._store._registry[ident][SLOT]

    def __setitem__(self, ident: Any, slot: Any) -> None:
        self._store.plant(ident, slot)

    def __delitem__(self, ident: Any) -> None:
        self._store.drop(ident)

    def __iter__(self) -> Iterator[Any]:
        # A copy: other threads add and drop their cells meanwhile.
        return iter(list(self._store._registry))

    def __len__(self) -> int:
        return len(self._store._registry)

    def __repr__(self) -> str:
        return repr(dict(self.items()))
