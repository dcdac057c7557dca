# cython: language_level=3, auto_pickle=False, freethreading_compatible=True
"""The compiled implementation of Local, LocalStack and LocalProxy.

Name for name the same API and behaviour as ``ctxlocal._local_py``; the suite
runs on both. What is compiled is the hot path: the ContextVar lookup
(``PyContextVar_Get``), the stack top, the proxy's dispatch on the kind of local
it wraps (fixed at construction), and the forwarding of attributes and of every
special method as a real type slot, with no Python frame on the way.

Three CPython details shape this file:

* ``LocalProxy.__getattribute__`` asks the type (``_PyType_Lookup``, served by
  the method cache) whether it defines a name; a name it does not define is
  forwarded at once, without first failing a normal lookup and raising. A
  plain ``LocalProxy`` defines only names starting with ``_`` and forwards
  every other name without asking.
* From 3.12 on, an INCREF/DECREF pair on one object in quick succession
  stalls the CPU (see ctxlocal_helpers.h), so the hottest reads are written
  in C, handing on the one reference they obtain.
* ``object.__setattr__(local, "__ident_func__", f)`` must work (Werkzeug 1.0
  code does it, and proxy subclasses with ``__slots__`` set their own slots
  that way), but CPython refuses ``object.__setattr__`` on instances of a C
  type with its own ``tp_setattro``. So ``Local`` and ``LocalProxy`` keep their
  fast setters as ordinary methods and route ``tp_setattro`` through the
  interpreter's generic "call ``__setattr__`` from the type" slot, which
  CPython treats like a Python class's and lets ``object.__setattr__`` bypass.

The module declares that it does not need the GIL (``freethreading_compatible``
above: the ``Py_mod_gil`` slot is ``Py_MOD_GIL_NOT_USED``), so free-threaded
CPython runs it with the GIL off. What makes that true, place by place, is in
the development docs ("Free-threaded CPython: the audit"): reads of a
dictionary or list that another thread could empty take a strong reference
(the C helpers), fields replaced after construction are read under the
object's critical section or stay alive while the object does, and caches are
published once. With a GIL every critical section compiles to nothing.
"""

cimport cython
from cpython.object cimport PyObject, PyTypeObject, Py_TYPE
from cpython.ref cimport Py_DECREF
from cpython.dict cimport PyDict_Copy, PyDict_SetItem, PyDict_Contains
from cpython.weakref cimport PyWeakref_NewRef
from cpython.unicode cimport PyUnicode_CheckExact, PyUnicode_GET_LENGTH, PyUnicode_READ_CHAR
from cpython.number cimport (
    PyNumber_Absolute, PyNumber_Add, PyNumber_And, PyNumber_Divmod, PyNumber_Float,
    PyNumber_FloorDivide, PyNumber_Index, PyNumber_InPlaceAdd, PyNumber_InPlaceAnd,
    PyNumber_InPlaceFloorDivide, PyNumber_InPlaceLshift, PyNumber_InPlaceMultiply,
    PyNumber_InPlaceOr, PyNumber_InPlacePower, PyNumber_InPlaceRemainder,
    PyNumber_InPlaceRshift, PyNumber_InPlaceSubtract, PyNumber_InPlaceTrueDivide,
    PyNumber_InPlaceXor, PyNumber_Invert, PyNumber_Long, PyNumber_Lshift,
    PyNumber_Multiply, PyNumber_Negative, PyNumber_Or, PyNumber_Positive, PyNumber_Power,
    PyNumber_Remainder, PyNumber_Rshift, PyNumber_Subtract, PyNumber_TrueDivide,
    PyNumber_Xor,
)
from cpython.object cimport (
    Py_EQ, Py_GE, Py_GT, Py_LE, Py_LT, Py_NE, PyObject_Call, PyObject_DelItem,
    PyObject_GetItem, PyObject_GetIter, PyObject_Hash, PyObject_IsInstance,
    PyObject_IsSubclass, PyObject_IsTrue, PyObject_Length, PyObject_RichCompare,
    PyObject_SetItem, PyObject_Str,
)
from cpython.sequence cimport PySequence_Contains

import operator
# Builtins called as objects, not as Cython's inlined versions, whose error
# messages differ from the interpreter's in places.
from builtins import (
    bytes as _bytes, complex as _complex, dir as _dir, next as _next,
    reversed as _reversed, round as _round,
)
from contextvars import ContextVar
from copy import copy as _copy, deepcopy as _deepcopy
from math import ceil as _ceil, floor as _floor, trunc as _trunc
from operator import length_hint as _length_hint
from types import GenericAlias

from ctxlocal._datamodel import FORWARDED_NAMES, read_special
from ctxlocal._foreign import adopt
from ctxlocal._ident import SLOT, default_ident_func, ident_store
from ctxlocal._interpreter import ASYNC_WITH_LOOKS_UP_EXIT_FIRST, WITH_LOOKS_UP_EXIT_FIRST
from ctxlocal._werkzeug_storage import LocalStorage, StackStorage, stack_items


cdef extern from "Python.h":
    int PyContextVar_Get(object var, PyObject *default_value, PyObject **value) except -1
    object PyContextVar_Set(object var, object value)
    bint PyContextVar_CheckExact(object obj)
    PyObject *PyDict_GetItemWithError(object mp, object key) except? NULL
    PyObject *_PyType_Lookup(PyTypeObject *type, object name)
    object PyNumber_MatrixMultiply(object o1, object o2)
    object PyNumber_InPlaceMatrixMultiply(object o1, object o2)
    object PyObject_GenericGetAttr(object obj, object name)
    object PyObject_CallNoArgs(object func)
    void PyType_Modified(PyTypeObject *type)
    int Py_GetRecursionLimit()
    void *PyCapsule_Import(const char *name, int no_block) except? NULL
    PyObject *PyThreadState_GetDict()  # borrowed; never NULL with a thread state
    bint _type_check "PyObject_TypeCheck"(PyObject *obj, PyTypeObject *type)
    ctypedef int (*setattrofunc)(PyObject *, PyObject *, PyObject *) except -1
    ctypedef PyObject *(*getattrofunc)(PyObject *, PyObject *)
    ctypedef struct _TypeWithSlots "PyTypeObject":
        getattrofunc tp_getattro
        setattrofunc tp_setattro
        PyObject *tp_dict


# The hottest reads, written in C (see the header for why).
cdef extern from "ctxlocal_helpers.h":
    object _var_value "ctxlocal_var_value"(object var, object missing)
    object _var_target "ctxlocal_var_target"(
        object var, object name, object message, int resolve,
        PyTypeObject *proxy_type, void *innermost)
    object _call_target "ctxlocal_call_target"(
        object func, int resolve, PyTypeObject *proxy_type, void *innermost)
    object _top_item "ctxlocal_top_item"(object var, object empty, object stack, void *general)
    object _stack_target "ctxlocal_stack_target"(
        object var, object stack, void *general_top, object message, int resolve,
        PyTypeObject *proxy_type, void *innermost)
    # Dictionary reads that keep a strong reference on free-threaded CPython.
    object _dict_get "ctxlocal_dict_get"(object d, object key, object dflt)
    object _named_value "ctxlocal_named_value"(object vars, object name, object missing)
    object _ident_slot "ctxlocal_ident_slot"(object cells, object key, Py_ssize_t at)


__all__ = ["Local", "LocalProxy", "LocalStack", "StackView"]

cdef int raise_current_error() except -1:
    """Propagate the exception a C call left set."""
    return -1


cdef dict _EMPTY_VALUES = {}  # read-only stand-in; writers copy first
cdef object _MISSING = object()
cdef object _ContextVar = ContextVar
cdef bint _WITH_EXIT_FIRST = WITH_LOOKS_UP_EXIT_FIRST
cdef bint _ASYNC_WITH_EXIT_FIRST = ASYNC_WITH_LOOKS_UP_EXIT_FIRST
cdef Py_ssize_t _SLOT = SLOT  # where an ident store's cell holds the slot


# ---------------------------------------------------------------- storage ---

cdef inline object _var_get(object var):
    """The storage's value, or None if it has none in this context.

    A ``ContextVar`` is read through the C API; anything else given as
    ``context_var`` is used as Werkzeug uses it, through ``get`` and ``set``.
    """
    if not PyContextVar_CheckExact(var):
        return var.get(None)
    return _var_value(var, None)


cdef inline void _var_set(object var, object value) except *:
    if not PyContextVar_CheckExact(var):
        var.set(value)
    else:
        PyContextVar_Set(var, value)  # the returned Token is dropped at once


# greenlet's C API: PyGreenlet_GetCurrent, a new reference (NULL on error).
ctypedef PyObject *(*_GetCurrentGreenlet)() noexcept
cdef int _GREENLET_GETCURRENT_NUM = 4  # its index in the capsule, per greenlet.h


cdef _GetCurrentGreenlet _load_greenlet_getcurrent():
    """greenlet's C-level getcurrent, or NULL if its capsule cannot be had.

    Looked up for each ``_IdentSlots`` (made when ``__ident_func__`` is
    assigned, which is rare) rather than cached in a module global that
    threads would write at once.
    """
    cdef void **api
    try:
        import greenlet  # noqa: F401  (the capsule lives in the loaded module)
        api = <void **>PyCapsule_Import("greenlet._C_API", 0)
    except (ImportError, AttributeError):
        return NULL  # then _IdentSlots.key() calls greenlet.getcurrent as an object
    return <_GetCurrentGreenlet>api[_GREENLET_GETCURRENT_NUM]


cdef class _IdentSlots:
    """A local's ident-mode storage, read in C; written through ``IdentStore``."""

    cdef readonly object store   # a ctxlocal._ident.IdentStore
    cdef object func
    cdef dict data               # the dict that holds the cells ([slot, owner] lists)
    cdef bint weak               # keys of data are weak references to the idents
    cdef _GetCurrentGreenlet getcurrent  # set when func is greenlet.getcurrent

    def __cinit__(self, func):
        self.store = ident_store(func)
        self.func = func
        self.data = self.store.cells
        self.weak = self.store.weak_keys
        if self.weak:  # keyed by greenlets: func is greenlet.getcurrent
            self.getcurrent = _load_greenlet_getcurrent()

    @cython.final
    cdef inline object key(self):
        """The current ident as ``data`` is keyed."""
        cdef PyObject *current
        if self.getcurrent != NULL:
            current = self.getcurrent()
            if current == NULL:
                raise_current_error()
            ident = <object>current
            Py_DECREF(ident)  # PyGreenlet_GetCurrent returned a new reference
        else:
            ident = PyObject_CallNoArgs(self.func)
        if self.weak:
            return PyWeakref_NewRef(ident, None)
        return ident

    @cython.final
    cdef inline object get(self):
        """The current ident's slot, or None."""
        return _ident_slot(self.data, self.key(), _SLOT)

    @cython.final
    cdef inline void set(self, object slot) except *:
        """Set the current ident's slot (IdentStore.set, in C for an existing one)."""
        # A strong reference: another thread's release may drop the cell.
        cell = _dict_get(self.data, self.key(), None)
        if cell is not None:
            (<list>cell)[_SLOT] = slot
        else:
            self.store.set(slot)  # a new cell: the store arranges its release

    @cython.final
    cdef inline void discard(self) except *:
        self.store.discard()


# ------------------------------------------------------------------ Local ---

@cython.final
cdef class _NamedValues:
    """A ``Local``'s own storage: one ``ContextVar`` per attribute name.

    As ``ctxlocal._local_py.NamedValues``: a write sets that name's variable
    alone (a deleted name's holds ``_MISSING``); ``names`` holds the names
    present in Werkzeug's dict order, among absent ones that iteration skips.
    """

    cdef dict vars
    cdef object names
    cdef str prefix

    def __cinit__(self, str prefix):
        self.vars = {}
        self.names = _ContextVar(f"{prefix}.names", default=())
        self.prefix = prefix

    cdef inline object read(self, object name):
        """The value of ``name``, or ``_MISSING``."""
        return _named_value(self.vars, name, _MISSING)

    cdef inline void write(self, object name, object value) except *:
        var = _dict_get(self.vars, name, None)
        if var is None:
            # setdefault: two threads adding one name must share one variable.
            var = self.vars.setdefault(name, _ContextVar(f"{self.prefix}.{name}"))
        old = _var_value(var, _MISSING)
        if old is value:
            return  # setting it again would change nothing
        if old is _MISSING:
            self._note_added(name)
        PyContextVar_Set(var, value)

    cdef void _note_added(self, object name) except *:
        """Put ``name``, absent until now, last in the order."""
        cdef tuple names = <tuple>_var_value(self.names, None)
        cdef Py_ssize_t at
        if name in names:
            at = names.index(name)
            for later in names[at + 1:]:
                if self.read(later) is not _MISSING:
                    break
            else:
                return  # last among the names present already
            names = names[:at] + names[at + 1:]
        PyContextVar_Set(self.names, names + (name,))

    cdef bint delete(self, object name) except -1:
        """Delete ``name``; False if it is not set."""
        var = _dict_get(self.vars, name, None)
        if var is None:
            return False
        if _var_value(var, _MISSING) is _MISSING:
            return False
        PyContextVar_Set(var, _MISSING)  # names keeps it, absent, until it comes back
        return True

    cdef dict snapshot(self):
        """A new dict of the values, as Werkzeug's storage would hold them."""
        cdef dict values = {}
        for name in <tuple>_var_value(self.names, None):
            value = self.read(name)
            if value is not _MISSING:
                values[name] = value
        return values

    cdef void clear(self) except *:
        for name in <tuple>_var_value(self.names, None):
            if self.read(name) is not _MISSING:
                PyContextVar_Set(self.vars[name], _MISSING)
        PyContextVar_Set(self.names, ())


cdef class Local:
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

    # The storage: _names, or else the dict-holding _var given as context_var;
    # in ident mode, _idents replaces either. Threads read _names and _var
    # without a lock (see __init__) and _idents through _ident_slots().
    cdef _NamedValues _names
    cdef object _var
    cdef _IdentSlots _idents
    cdef object _retired  # what __init__ called again replaced: see there
    cdef object __weakref__

    def __init__(self, context_var=None):
        names = None
        if context_var is None:
            names = _NamedValues(f"ctxlocal.Local<{id(self)}>")
        with cython.critical_section(self):
            if self._names is not None or self._var is not None:
                # __init__ called again, on a Local that other threads may be
                # reading without a lock: they may hold the storage replaced
                # here, so it lives as long as this Local.
                self._retired = (self._names, self._var, self._retired)
            self._names = names
            self._var = context_var
            old_idents = self._idents  # dropped after the lock: see _ident_slots
            self._idents = None

    @cython.final
    cdef inline _IdentSlots _ident_slots(self):
        """``_idents`` as a strong reference; None outside ident mode.

        Assigning ``__ident_func__`` replaces ``_idents`` and drops the one
        it replaces: a thread reading through the field at that moment would
        use freed memory on free-threaded CPython. So the field is read and
        written under this object's lock (a critical section; nothing with
        a GIL), except the lock-free test for the usual mode.
        """
        cdef _IdentSlots idents
        if self._idents is None:
            return None
        with cython.critical_section(self):
            idents = self._idents
        return idents

    @cython.final
    cdef inline object _values(self):
        """The current values; a dict (or mapping) not to be changed."""
        cdef _IdentSlots idents
        cdef PyObject *names = <PyObject *>self._names  # see __getattribute__
        # The lock of _ident_slots() only in ident mode (its None: __init__
        # called again in another thread ended that mode meanwhile).
        if self._idents is not None:
            idents = self._ident_slots()
            if idents is not None:
                values = idents.get()
                return _EMPTY_VALUES if values is None else values
        if names != <PyObject *>None:
            return (<_NamedValues>names).snapshot()
        values = _var_get(self._var)
        return _EMPTY_VALUES if values is None else values

    def __iter__(self):
        return iter(self._values().items())

    def __call__(self, name, *, unbound_message=None):
        """Return a proxy to the attribute ``name`` of this local."""
        return LocalProxy(self, name, unbound_message=unbound_message)

    def __release_local__(self):
        cdef _IdentSlots idents = self._ident_slots()
        cdef _NamedValues names = self._names
        if idents is not None:
            idents.discard()
        elif names is not None:
            names.clear()
        else:
            _var_set(self._var, {})

    def __getattribute__(self, name):
        # Kept small, so that the C compiler inlines the name's read into it:
        # everything but a plain Local's own storage goes to _read().
        # _names is read once, borrowed: what __init__ replaces stays alive
        # (see there), and a second read could see None.
        cdef PyObject *names
        if _PyType_Lookup(<PyTypeObject *>Py_TYPE(self), name) != NULL:
            return PyObject_GenericGetAttr(self, name)
        names = <PyObject *>self._names
        if self._idents is None and names != <PyObject *>None and (
            Py_TYPE(self) is <PyTypeObject *>Local
        ):
            found = _named_value((<_NamedValues>names).vars, name, _MISSING)
            if found is not _MISSING:
                return found
            raise AttributeError(name)
        return self._read(name, True)

    @cython.final
    cdef object _read(self, object name, bint lookup_first):
        """The stored value of ``name``; AttributeError if it has none.

        ``lookup_first``: first a normal lookup, for a subclass instance, whose
        ``__dict__`` a normal lookup reads before the storage: Werkzeug's Local
        (and the pure one) read the storage in ``__getattr__``, once that
        lookup fails.
        """
        cdef PyObject *names = <PyObject *>self._names  # as in __getattribute__
        if lookup_first and Py_TYPE(self) is not <PyTypeObject *>Local:
            try:
                return PyObject_GenericGetAttr(self, name)
            except AttributeError:
                if (<_TypeWithSlots *>Py_TYPE(self)).tp_getattro != (
                    <_TypeWithSlots *>Local
                ).tp_getattro:
                    # A Python subclass: its slot calls __getattr__ next (ours,
                    # or the subclass's own), as for any Python class.
                    raise
        if self._idents is None and names != <PyObject *>None:
            found = _named_value((<_NamedValues>names).vars, name, _MISSING)
            if found is not _MISSING:
                return found
            raise AttributeError(name)
        values = self._values()
        if type(values) is dict:
            found = _dict_get(values, name, _MISSING)
            if found is not _MISSING:
                return found
        else:
            found = values.get(name, _MISSING)
            if found is not _MISSING:
                return found
        raise AttributeError(name)

    # Installed as __getattr__ by _route_setattr() below, so that it exists as
    # on Werkzeug's Local (a subclass's __getattr__ may call super()'s); reads
    # never reach it on Local itself, whose __getattribute__ reads the storage.
    @cython.binding(False)
    def _ctxlocal_getattr(self, name):
        return self._read(name, False)

    # Installed as __setattr__ and __delattr__ by _route_setattr() below;
    # plain method descriptors, which the interpreter's slot calls unbound.
    @cython.binding(False)
    def _ctxlocal_setattr(self, name, value):
        if _dunder(name) and (name == "__ident_func__" or name == "__storage__"):
            object.__setattr__(self, name, value)
            return
        cdef _IdentSlots idents
        cdef PyObject *names = <PyObject *>self._names  # see __getattribute__
        if self._idents is not None:  # as in _values
            idents = self._ident_slots()
            if idents is not None:
                # Ident mode knows no copied contexts: change the slot in place.
                slot = idents.get()
                if slot is None:
                    idents.set({name: value})
                else:
                    slot[name] = value
                return
        if names != <PyObject *>None:
            (<_NamedValues>names).write(name, value)
            return
        values = _var_get(self._var)
        if values is None:
            values = {name: value}
        else:
            values = PyDict_Copy(values) if type(values) is dict else values.copy()
            values[name] = value
        _var_set(self._var, values)

    @cython.binding(False)
    def _ctxlocal_delattr(self, name):
        cdef _IdentSlots idents
        cdef PyObject *names = <PyObject *>self._names  # see __getattribute__
        if self._idents is not None:  # as in _values
            idents = self._ident_slots()
            if idents is not None:
                values = idents.get()
                if values is None or name not in values:
                    raise AttributeError(name)
                del values[name]
                return
        if names != <PyObject *>None:
            if not (<_NamedValues>names).delete(name):
                raise AttributeError(name)
            return
        values = self._values()
        if name not in values:
            raise AttributeError(name)
        values = values.copy()
        del values[name]
        _var_set(self._var, values)

    @property
    def __ident_func__(self):
        """The ident function (Werkzeug <= 1.0 API).

        Reads as the default ident function (``greenlet.getcurrent`` or
        ``threading.get_ident``) until one is assigned; assigning one switches
        this local to ident-keyed storage, starting empty (assigning the
        function already in use changes nothing).
        """
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None:
            return default_ident_func()
        return idents.func

    @__ident_func__.setter
    def __ident_func__(self, func):
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None or idents.func is not func:
            idents = _IdentSlots(func)
            with cython.critical_section(self):
                old_idents = self._idents  # dropped after the lock: see _ident_slots
                self._idents = idents

    @property
    def __storage__(self):
        """``{ident: {name: value}}`` (Werkzeug <= 1.0 API).

        In ident mode, the live storage. In the default context mode, a new
        dict holding the current context's values under the current ident.
        """
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None:
            return {default_ident_func()(): dict(self._values())}
        return idents.store.data

    @property
    def _Local__storage(self):
        """Werkzeug's private storage variable, as a view: see
        :mod:`ctxlocal._werkzeug_storage`."""
        return LocalStorage(self)


cdef inline bint _dunder(object name):
    """Whether ``name`` may be a special name: a cheap test before comparing."""
    return (
        not PyUnicode_CheckExact(name)
        or (PyUnicode_GET_LENGTH(name) > 4 and PyUnicode_READ_CHAR(name, 0) == 95)  # "_"
    )


cdef void _route_setattr(type cls) except *:
    """Make ``cls._ctxlocal_setattr``/``_ctxlocal_delattr`` its attribute setters.

    They go in the type's dict as ``__setattr__``/``__delattr__`` (and
    ``_ctxlocal_getattr``, where the class has one, as ``__getattr__``), and
    the setattr slot becomes the interpreter's "look ``__setattr__`` up on the
    type" slot, the one Python classes get. CPython lets ``object.__setattr__`` bypass
    that slot (Werkzeug-style code sets attributes of locals and of proxy
    subclasses with it) while it refuses for a C-level ``tp_setattro``.
    """
    cdef _TypeWithSlots *target = <_TypeWithSlots *>cls
    cdef dict attrs = <dict>target.tp_dict
    attrs["__setattr__"] = attrs.pop("_ctxlocal_setattr")
    attrs["__delattr__"] = attrs.pop("_ctxlocal_delattr")
    if "_ctxlocal_getattr" in attrs:
        # Only in the dict: the type's own tp_getattro slot stays as it is.
        attrs["__getattr__"] = attrs.pop("_ctxlocal_getattr")

    class PythonLevelSetattr:
        def __setattr__(self, name, value):
            pass

    # The interpreter's slot that calls type(self).__setattr__.
    target.tp_setattro = (<_TypeWithSlots *>PythonLevelSetattr).tp_setattro
    PyType_Modified(<PyTypeObject *>cls)


# ------------------------------------------------------------- LocalStack ---

@cython.freelist(8)
cdef class StackView:
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

    cdef object _top
    cdef list _items  # made on the first read, then never replaced

    def __init__(self, top):
        self._top = top
        self._items = None

    @cython.final
    cdef list _list(self):
        cdef list items = self._items
        if items is None:
            items = []
            node = self._top
            while node is not None:
                items.append((<tuple>node)[0])
                node = (<tuple>node)[1]
            items.reverse()
            # Published once: of two threads that made a list, the second
            # takes the first's, so a list once read is never dropped (a
            # thread reads the field without a lock).
            with cython.critical_section(self):
                if self._items is None:
                    self._items = items
                items = self._items
        return items

    def __len__(self):
        return len(self._list())

    def __getitem__(self, index):
        return self._list()[index]

    def __iter__(self):
        return iter(self._list())

    def __reversed__(self):
        return reversed(self._list())

    def __contains__(self, item):
        return item in self._list()

    def __eq__(self, other):
        if isinstance(other, StackView):
            return self._list() == (<StackView>other)._list()
        if isinstance(other, list):
            return self._list() == other
        return NotImplemented

    def __ne__(self, other):
        result = self.__eq__(other)
        if result is NotImplemented:
            return result
        return not result

    __hash__ = None

    def __repr__(self):
        return repr(self._list())

    def index(self, value, *args):
        return self._list().index(value, *args)

    def count(self, value):
        return self._list().count(value)


cdef inline StackView _view(object node):
    cdef StackView view = StackView.__new__(StackView)
    view._top = node
    return view


cdef object _general_top(LocalStack stack):
    """``stack.top`` for any storage (see ctxlocal_top_item)."""
    node = stack._get_top()
    if node is None:
        return None
    return (<tuple>node)[0]


cdef object _as_nodes(object stored):
    """Turn what a stack's storage holds into the top node (or None)."""
    if stored is None or type(stored) is tuple:
        return stored
    # A plain list: Werkzeug's format, in a context_var given by the user.
    cdef object node = None
    for item in stored:
        node = (item, node)
    return node


cdef class LocalStack:
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

    # Threads read _var without a lock (see __init__) and _idents through
    # _ident_slots(), as Local's.
    cdef object _var
    cdef _IdentSlots _idents
    cdef object _retired  # what __init__ called again replaced
    cdef object __weakref__

    __class_getitem__ = classmethod(GenericAlias)

    def __init__(self, context_var=None):
        if context_var is None:
            context_var = _ContextVar(f"ctxlocal.LocalStack<{id(self)}>.storage")
        with cython.critical_section(self):
            if self._var is not None:
                # As in Local.__init__: other threads may still read the old one.
                self._retired = (self._var, self._retired)
            self._var = context_var
            old_idents = self._idents  # dropped after the lock: see _ident_slots
            self._idents = None

    @cython.final
    cdef inline _IdentSlots _ident_slots(self):
        """``_idents`` as a strong reference; None outside ident mode (see Local's)."""
        cdef _IdentSlots idents
        if self._idents is None:
            return None
        with cython.critical_section(self):
            idents = self._idents
        return idents

    @cython.final
    cdef inline object _get_top(self):
        cdef _IdentSlots idents
        if self._idents is None:  # the lock of _ident_slots() only in ident mode
            stored = _var_get(self._var)
        else:
            idents = self._ident_slots()
            # None: __init__ called again in another thread ended ident mode.
            stored = _var_get(self._var) if idents is None else idents.get()
        if stored is None or type(stored) is tuple:
            return stored
        return _as_nodes(stored)

    @cython.final
    cdef inline void _set_top(self, object node) except *:
        cdef _IdentSlots idents
        if self._idents is None:  # as in _get_top
            _var_set(self._var, node)
            return
        idents = self._ident_slots()
        if idents is None:
            _var_set(self._var, node)
        else:
            idents.set(node)

    def __release_local__(self):
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None:
            _var_set(self._var, None)
        else:
            idents.discard()

    def push(self, obj):
        """Add ``obj`` on top of the stack and return the stack, bottom first."""
        cdef object node = (obj, self._get_top())
        self._set_top(node)
        return _view(node)

    def pop(self):
        """Remove the top item and return it; ``None`` if the stack is empty."""
        node = self._get_top()
        if node is None:
            return None
        self._set_top((<tuple>node)[1])
        return (<tuple>node)[0]

    @property
    def top(self):
        """The top item, or ``None`` if the stack is empty."""
        if self._idents is None:  # the pointer only; _general_top reads it properly
            return _top_item(self._var, None, self, <void *>_general_top)
        return _general_top(self)

    def __call__(self, name=None, *, unbound_message=None):
        """Return a proxy to the top item, or to its attribute ``name``."""
        return LocalProxy(self, name, unbound_message=unbound_message)

    @property
    def __ident_func__(self):
        """The ident function (Werkzeug <= 1.0 API); see ``Local.__ident_func__``."""
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None:
            return default_ident_func()
        return idents.func

    @__ident_func__.setter
    def __ident_func__(self, func):
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None or idents.func is not func:
            idents = _IdentSlots(func)
            with cython.critical_section(self):
                old_idents = self._idents  # dropped after the lock: see _ident_slots
                self._idents = idents

    @property
    def _storage(self):
        """Werkzeug's private storage variable, as a view: see
        :mod:`ctxlocal._werkzeug_storage`."""
        cdef _IdentSlots idents = self._ident_slots()
        return StackStorage(self._var if idents is None else idents.store)

    @property
    def __storage__(self):
        """``{ident: {"stack": [items]}}``, a snapshot (Werkzeug <= 1.0 layout)."""
        cdef _IdentSlots idents = self._ident_slots()
        if idents is None:
            node = _var_get(self._var)
            items = [] if not node else [(default_ident_func()(), node)]
        else:
            items = [(ident, top) for ident, top in list(idents.store.data.items()) if top]
        return {ident: {"stack": stack_items(stored)} for ident, stored in items}


# ------------------------------------------------------------- LocalProxy ---

# How a proxy reaches its object; fixed at construction.
cdef enum _Kind:
    KIND_UNSET = 0   # __init__ never ran (a subclass forgot super().__init__)
    KIND_VAR
    KIND_LOCAL
    KIND_STACK
    KIND_CALLABLE

# The kinds whose target the C helpers above fetch; the rest take
# LocalProxy._target_general().
cdef enum _Fast:
    FAST_NONE = 0
    FAST_VAR        # a ContextVar; no name or a plain (undotted) one
    FAST_STACK      # a LocalStack, no name
    FAST_CALLABLE   # a callable, no name

# name -> the descriptor LocalProxy's type lookup finds for a forwarded special
# name; a subclass that overrides the name finds something else.
cdef dict _FORWARDED_DESCRS = {}
cdef object _GETTER_DESCR = None  # LocalProxy.__dict__["_get_current_object"]


cdef class LocalProxy:
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

    cdef object _local
    cdef object _name       # None, an attribute name, or a dotted name's parts
    cdef bint _dotted
    cdef object _message
    cdef _Kind _kind
    cdef _Fast _fast
    cdef object _bound_getter  # self._get_current_object, made on first read
    cdef object _retired  # what __init__ called again replaced
    cdef object __weakref__

    __class_getitem__ = classmethod(GenericAlias)
    # Found by a normal lookup, as on Werkzeug's proxy (not forwarded).
    __module__ = "ctxlocal._local_c"

    def __init__(self, local, name=None, *, unbound_message=None):
        cdef bint dotted = False
        cdef _Kind kind
        cdef _Fast fast
        if name is not None:
            operator.attrgetter(name)  # validates the name, as Werkzeug's does
            dotted = "." in name
            parts = tuple(name.split(".")) if dotted else name
        else:
            parts = None
        message = "object is not bound" if unbound_message is None else unbound_message

        if not isinstance(local, (Local, LocalStack)) and not PyContextVar_CheckExact(local):
            local = adopt(local, Local, LocalStack) or local
        if isinstance(local, Local):
            if name is None:
                raise TypeError("'name' is required when proxying a 'Local' object.")
            kind = KIND_LOCAL
        elif isinstance(local, LocalStack):
            kind = KIND_STACK
        elif PyContextVar_CheckExact(local):
            kind = KIND_VAR
        elif callable(local):
            kind = KIND_CALLABLE
        else:
            raise TypeError(f"Don't know how to proxy '{type(local)}'.")
        if kind == KIND_VAR and not dotted:
            fast = FAST_VAR
        elif kind == KIND_STACK and name is None:
            fast = FAST_STACK
        elif kind == KIND_CALLABLE and name is None:
            fast = FAST_CALLABLE
        else:
            fast = FAST_NONE
        with cython.critical_section(self):
            if self._kind != KIND_UNSET:
                # __init__ called again, on a proxy that other threads may be
                # reading without a lock: they may hold what is replaced here,
                # so it lives as long as the proxy. (Those readers check the
                # kind of local before they rely on it: see _fetch.)
                self._retired = (self._local, self._name, self._message, self._retired)
            self._local = local
            self._name = parts
            self._dotted = dotted
            self._message = message
            self._kind = kind
            self._fast = fast

    @cython.final
    cdef inline object _named(self, object obj):
        if self._name is None:
            return obj
        if isinstance(obj, LocalProxy):
            obj = _innermost(obj)
        if not self._dotted:
            return getattr(obj, self._name)
        # attrgetter's walk, but each step's proxy resolved here, where a
        # cycle through it is caught (attrgetter would recurse in C). A
        # checked cast: __init__ called again in another thread may have
        # replaced the tuple with a plain name since _dotted was read.
        for part in <tuple?>self._name:
            if isinstance(obj, LocalProxy):
                obj = _innermost(obj)
            obj = getattr(obj, part)
        return obj

    @cython.final
    cdef inline object _get(self):
        """The object the forwarded operations act on.

        A target that is itself a proxy is resolved here, down to the first
        object that is not a proxy: forwarding through each proxy in turn would
        nest C calls without CPython's recursion check, and a cycle of proxies
        would overflow the C stack instead of raising RecursionError.
        """
        return self._fetch(True)

    @cython.final
    cdef inline object _target(self):
        """The object the proxy is bound to (``_get_current_object()``)."""
        return self._fetch(False)

    @cython.final
    cdef inline object _fetch(self, bint resolve):
        cdef _Fast fast = self._fast
        # Borrowed: what __init__ called again replaces stays alive. Its type
        # is checked before the cast, as __init__ in another thread may have
        # changed it since _fast was read (FAST_VAR's helper checks its own).
        cdef PyObject *local = <PyObject *>self._local
        # Each branch returns the helper's result as it comes: see the C
        # helpers at the top for why no variable holds it.
        if fast == FAST_VAR:
            return _var_target(<object>local, self._name, self._message, resolve,
                               <PyTypeObject *>LocalProxy, <void *>_innermost)
        if (
            fast == FAST_STACK
            and _type_check(local, <PyTypeObject *>LocalStack)
            and (<LocalStack>local)._idents is None
        ):
            return _stack_target((<LocalStack>local)._var, <object>local,
                                 <void *>_general_top, self._message, resolve,
                                 <PyTypeObject *>LocalProxy, <void *>_innermost)
        if fast == FAST_CALLABLE:
            return _call_target(self._local, resolve, <PyTypeObject *>LocalProxy,
                                <void *>_innermost)
        if resolve:
            return _resolve(self._target_general())
        return self._target_general()

    @cython.final
    cdef object _target_general(self):
        cdef _Kind kind = self._kind
        if kind == KIND_VAR:  # a dotted name
            return self._named(_var_target(self._local, None, self._message, False,
                                           <PyTypeObject *>LocalProxy, <void *>_innermost))
        if kind == KIND_LOCAL:
            try:
                return self._named(self._local)
            except AttributeError:
                raise RuntimeError(self._message) from None
        if kind == KIND_STACK:
            node = (<LocalStack?>self._local)._get_top()  # checked: see _fetch
            if node is None:
                raise RuntimeError(self._message)
            obj = (<tuple>node)[0]
            if obj is None:
                raise RuntimeError(self._message)
            return self._named(obj)
        if kind == KIND_CALLABLE:
            return self._named(PyObject_CallNoArgs(self._local))
        raise TypeError(f"{type(self).__name__}.__init__() was not called")

    # A plain method descriptor, not a Cython function: bound, it is a
    # builtin method that the interpreter calls straight into C.
    @cython.binding(False)
    def _get_current_object(self):
        """Return the object this proxy is bound to; ``RuntimeError`` if unbound.

        Use it to hand the real object to code that does not understand
        proxies, or to skip the proxy when using the object many times.
        """
        return self._target()

    @property
    def __wrapped__(self):
        # Only reached through read_special (it is a forwarded name); defined
        # so that the type lookup finds it, as with Werkzeug's descriptor.
        return read_special(self, "__wrapped__", self._get_current_object, self._local)

    def __getattribute__(self, name):
        cdef PyObject *descr
        cdef PyObject *forwarded
        if (
            Py_TYPE(self) is <PyTypeObject *>LocalProxy
            and PyUnicode_CheckExact(name)
            and PyUnicode_GET_LENGTH(name) != 0
            and PyUnicode_READ_CHAR(name, 0) != 95  # "_"
        ):
            # All that LocalProxy and object define starts with "_", so a
            # plain proxy forwards any other name without asking its type.
            return getattr(self._get(), name)
        descr = _PyType_Lookup(<PyTypeObject *>Py_TYPE(self), name)
        if descr == NULL:
            if PyUnicode_GET_LENGTH(name) == 11 and name == "__getattr__":
                # Forwarded like Werkzeug's, though the type has no __getattr__
                # (defining one would turn on CPython's slower lookup hook).
                return read_special(self, name, self._get_current_object, self._local)
            return getattr(self._get(), name)
        if descr == <PyObject *>_GETTER_DESCR:
            # Kept, so that the common `proxy._get_current_object()` does not
            # build a bound method each time (Werkzeug keeps it in a slot).
            if self._bound_getter is None:
                getter = PyObject_GenericGetAttr(self, name)
                # Published once and never replaced, so that a thread reading
                # the field without a lock never sees it dropped.
                with cython.critical_section(self):
                    if self._bound_getter is None:
                        self._bound_getter = getter
            return self._bound_getter
        # Borrowed, and only compared: the dict is filled at import and never
        # changed, and descr (which _PyType_Lookup lends) is never followed.
        forwarded = PyDict_GetItemWithError(_FORWARDED_DESCRS, name)
        if forwarded == descr:
            return read_special(self, name, self._get_current_object, self._local)
        return PyObject_GenericGetAttr(self, name)

    # Installed as __setattr__ and __delattr__ by _route_setattr() below.
    def _ctxlocal_setattr(self, name, value):
        setattr(self._get(), name, value)

    def _ctxlocal_delattr(self, name):
        delattr(self._get(), name)

    def __reduce_ex__(self, protocol):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # BEGIN GENERATED by ci/datamodel.py from ctxlocal/_datamodel.py: edit the table.
    def __repr__(self):
        try:
            obj = self._get()
        except RuntimeError:
            return f"<{type(self).__name__} unbound>"
        return repr(obj)

    def __str__(self):
        return PyObject_Str(self._get())

    def __bytes__(self):
        return _bytes(self._get())

    def __format__(self, format_spec):
        return getattr(self._get(), "__format__")(format_spec)

    def __lt__(self, other):
        return PyObject_RichCompare(self._get(), other, Py_LT)

    def __le__(self, other):
        return PyObject_RichCompare(self._get(), other, Py_LE)

    def __eq__(self, other):
        return PyObject_RichCompare(self._get(), other, Py_EQ)

    def __ne__(self, other):
        return PyObject_RichCompare(self._get(), other, Py_NE)

    def __gt__(self, other):
        return PyObject_RichCompare(self._get(), other, Py_GT)

    def __ge__(self, other):
        return PyObject_RichCompare(self._get(), other, Py_GE)

    def __hash__(self):
        return PyObject_Hash(self._get())

    def __bool__(self):
        try:
            obj = self._get()
        except RuntimeError:
            return False
        return PyObject_IsTrue(obj)

    def __dir__(self):
        try:
            obj = self._get()
        except RuntimeError:
            return []
        return _dir(obj)

    def __instancecheck__(self, instance):
        return PyObject_IsInstance(instance, self._get())

    def __subclasscheck__(self, subclass):
        return PyObject_IsSubclass(subclass, self._get())

    def __call__(self, *args, **kwargs):
        return PyObject_Call(self._get(), args, kwargs)

    def __len__(self):
        return PyObject_Length(self._get())

    def __length_hint__(self):
        return _length_hint(self._get())

    def __getitem__(self, key):
        return PyObject_GetItem(self._get(), key)

    def __setitem__(self, key, value):
        PyObject_SetItem(self._get(), key, value)

    def __delitem__(self, key):
        PyObject_DelItem(self._get(), key)

    def __iter__(self):
        return PyObject_GetIter(self._get())

    def __next__(self):
        return _next(self._get())

    def __reversed__(self):
        return _reversed(self._get())

    def __contains__(self, item):
        return PySequence_Contains(self._get(), item)

    def __add__(self, other):
        return PyNumber_Add(self._get(), other)

    def __sub__(self, other):
        return PyNumber_Subtract(self._get(), other)

    def __mul__(self, other):
        return PyNumber_Multiply(self._get(), other)

    def __matmul__(self, other):
        return PyNumber_MatrixMultiply(self._get(), other)

    def __truediv__(self, other):
        return PyNumber_TrueDivide(self._get(), other)

    def __floordiv__(self, other):
        return PyNumber_FloorDivide(self._get(), other)

    def __mod__(self, other):
        return PyNumber_Remainder(self._get(), other)

    def __divmod__(self, other):
        return PyNumber_Divmod(self._get(), other)

    def __pow__(self, other, mod=None):
        return PyNumber_Power(self._get(), other, mod)

    def __lshift__(self, other):
        return PyNumber_Lshift(self._get(), other)

    def __rshift__(self, other):
        return PyNumber_Rshift(self._get(), other)

    def __and__(self, other):
        return PyNumber_And(self._get(), other)

    def __xor__(self, other):
        return PyNumber_Xor(self._get(), other)

    def __or__(self, other):
        return PyNumber_Or(self._get(), other)

    def __radd__(self, other):
        return PyNumber_Add(other, self._get())

    def __rsub__(self, other):
        return PyNumber_Subtract(other, self._get())

    def __rmul__(self, other):
        return PyNumber_Multiply(other, self._get())

    def __rmatmul__(self, other):
        return PyNumber_MatrixMultiply(other, self._get())

    def __rtruediv__(self, other):
        return PyNumber_TrueDivide(other, self._get())

    def __rfloordiv__(self, other):
        return PyNumber_FloorDivide(other, self._get())

    def __rmod__(self, other):
        return PyNumber_Remainder(other, self._get())

    def __rdivmod__(self, other):
        return PyNumber_Divmod(other, self._get())

    def __rpow__(self, other, mod=None):
        return PyNumber_Power(other, self._get(), None)

    def __rlshift__(self, other):
        return PyNumber_Lshift(other, self._get())

    def __rrshift__(self, other):
        return PyNumber_Rshift(other, self._get())

    def __rand__(self, other):
        return PyNumber_And(other, self._get())

    def __rxor__(self, other):
        return PyNumber_Xor(other, self._get())

    def __ror__(self, other):
        return PyNumber_Or(other, self._get())

    def __iadd__(self, other):
        PyNumber_InPlaceAdd(self._get(), other)
        return self

    def __isub__(self, other):
        PyNumber_InPlaceSubtract(self._get(), other)
        return self

    def __imul__(self, other):
        PyNumber_InPlaceMultiply(self._get(), other)
        return self

    def __imatmul__(self, other):
        PyNumber_InPlaceMatrixMultiply(self._get(), other)
        return self

    def __itruediv__(self, other):
        PyNumber_InPlaceTrueDivide(self._get(), other)
        return self

    def __ifloordiv__(self, other):
        PyNumber_InPlaceFloorDivide(self._get(), other)
        return self

    def __imod__(self, other):
        PyNumber_InPlaceRemainder(self._get(), other)
        return self

    def __ipow__(self, other):
        PyNumber_InPlacePower(self._get(), other, None)
        return self

    def __ilshift__(self, other):
        PyNumber_InPlaceLshift(self._get(), other)
        return self

    def __irshift__(self, other):
        PyNumber_InPlaceRshift(self._get(), other)
        return self

    def __iand__(self, other):
        PyNumber_InPlaceAnd(self._get(), other)
        return self

    def __ixor__(self, other):
        PyNumber_InPlaceXor(self._get(), other)
        return self

    def __ior__(self, other):
        PyNumber_InPlaceOr(self._get(), other)
        return self

    def __neg__(self):
        return PyNumber_Negative(self._get())

    def __pos__(self):
        return PyNumber_Positive(self._get())

    def __abs__(self):
        return PyNumber_Absolute(self._get())

    def __invert__(self):
        return PyNumber_Invert(self._get())

    def __complex__(self):
        return _complex(self._get())

    def __int__(self):
        return PyNumber_Long(self._get())

    def __float__(self):
        return PyNumber_Float(self._get())

    def __index__(self):
        return PyNumber_Index(self._get())

    def __round__(self, *ndigits):
        return _round(self._get(), *ndigits)

    def __trunc__(self):
        return _trunc(self._get())

    def __floor__(self):
        return _floor(self._get())

    def __ceil__(self):
        return _ceil(self._get())

    def __enter__(self):
        obj = self._get()
        if _WITH_EXIT_FIRST:
            # Fail as Werkzeug's proxy fails: on the name looked up first.
            getattr(obj, "__exit__")
        return getattr(obj, "__enter__")()

    def __exit__(self, *exc_info):
        return getattr(self._get(), "__exit__")(*exc_info)

    def __await__(self):
        return getattr(self._get(), "__await__")()

    def __aiter__(self):
        return getattr(self._get(), "__aiter__")()

    def __anext__(self):
        return getattr(self._get(), "__anext__")()

    def __aenter__(self):
        obj = self._get()
        if _ASYNC_WITH_EXIT_FIRST:
            getattr(obj, "__aexit__")
        return getattr(obj, "__aenter__")()

    def __aexit__(self, *exc_info):
        return getattr(self._get(), "__aexit__")(*exc_info)

    def __copy__(self):
        return _copy(self._get())

    def __deepcopy__(self, memo):
        return _deepcopy(self._get(), memo)
    # END GENERATED


# Key, in the thread state's dict, of the nesting depth of _innermost().
cdef str _NESTING_KEY = "ctxlocal._local_c.proxy-nesting"


cdef object _resolve(object obj):
    """``obj``, or if it is a proxy, what its chain of proxies ends at."""
    if isinstance(obj, LocalProxy):
        return _innermost(obj)
    return obj


cdef object _innermost(object obj):
    """Follow proxies to the first object that is not one.

    Bounded twice: the loop by the recursion limit (a cycle of proxies), and
    the nesting (a named proxy looks its name up on a target that may be a
    proxy, which resolves its own target...) by a per-thread depth counter.
    CPython's own recursion counter is no guard here: from 3.12 on it counts
    C calls against a limit the C stack may not hold at this depth.
    """
    cdef int steps = 0
    cdef int limit = Py_GetRecursionLimit()
    cdef dict thread_state = <dict>PyThreadState_GetDict()
    nesting = thread_state.get(_NESTING_KEY, 0)
    if nesting >= limit // 4:
        raise RecursionError(
            "maximum recursion depth exceeded while resolving a chain of proxies"
        )
    thread_state[_NESTING_KEY] = nesting + 1
    try:
        while isinstance(obj, LocalProxy):
            steps += 1
            if steps > limit:
                raise RecursionError(
                    "maximum recursion depth exceeded while resolving a chain of proxies"
                )
            obj = (<LocalProxy>obj)._target()
    finally:
        thread_state[_NESTING_KEY] = nesting
    return obj


# ----------------------------------------------------------- module setup ---

_route_setattr(Local)
_route_setattr(LocalProxy)


def _record_forwarded_descriptors():
    global _GETTER_DESCR
    _GETTER_DESCR = LocalProxy.__dict__["_get_current_object"]
    cdef PyObject *descr
    for name in FORWARDED_NAMES - {"__getattr__"}:
        descr = _PyType_Lookup(<PyTypeObject *>LocalProxy, name)
        if descr == NULL:
            raise ImportError(f"LocalProxy does not define the forwarded name {name!r}")
        _FORWARDED_DESCRS[name] = <object>descr


_record_forwarded_descriptors()
