/* C helpers of ctxlocal's compiled module (_ctxlocal/_local_c.pyx).

   The hottest reads, in C so that the object read is handed on with the one
   reference PyContextVar_Get (or the call) made. Cython would store it in a
   variable and return it with an INCREF/DECREF pair, and from CPython 3.12 on,
   whose Py_INCREF writes half of the reference count and Py_DECREF reads all
   of it, each such pair on one object stalls the CPU's store forwarding: a few
   of them made every proxy read a third slower on 3.13.

   Every function returns a new reference, or NULL with an exception set. */

#ifndef CTXLOCAL_HELPERS_H
#define CTXLOCAL_HELPERS_H

#include <Python.h>

typedef PyObject *(*ctxlocal_fn)(PyObject *);

/* Dictionary reads that hand on a strong reference.

   With a GIL, a borrowed reference from PyDict_GetItemWithError stays valid
   until this thread runs Python code or releases the GIL, and taking a
   reference then costs what Cython's own conversion would. On free-threaded
   CPython (Py_GIL_DISABLED, 3.13 and later) another thread may remove the
   entry and free the value at any moment, so the reference is taken inside
   the lookup by PyDict_GetItemRef (CPython 3.13+, which every free-threaded
   build is). Each build compiles only its own branch: the GIL build's code
   is what it was. (Py_NewRef appears only in the free-threaded branches:
   the GIL build supports 3.9, which lacks it.) */

/* d[key] (a new reference), or dflt (a new reference) if d has no key. */
static inline PyObject *
ctxlocal_dict_get(PyObject *d, PyObject *key, PyObject *dflt)
{
    PyObject *value;
#ifdef Py_GIL_DISABLED
    int found = PyDict_GetItemRef(d, key, &value);
    if (found < 0)
        return NULL;
    if (found == 0)
        value = Py_NewRef(dflt);
    return value;
#else
    value = PyDict_GetItemWithError(d, key);
    if (value == NULL) {
        if (PyErr_Occurred())
            return NULL;
        value = dflt;
    }
    Py_INCREF(value);
    return value;
#endif
}

/* RuntimeError(message) raised, as `raise RuntimeError(message)` does. */
static PyObject *
ctxlocal_unbound(PyObject *message)
{
    PyObject *exc = PyObject_CallOneArg(PyExc_RuntimeError, message);
    if (exc != NULL) {
        PyErr_SetObject(PyExc_RuntimeError, exc);
        Py_DECREF(exc);
    }
    return NULL;
}

/* Whether obj is a proxy. A subtype's instances are never smaller than
   its base's, so most objects are told apart without walking an MRO. */
static inline int
ctxlocal_is_proxy(PyObject *obj, PyTypeObject *proxy_type)
{
    return Py_TYPE(obj)->tp_basicsize >= proxy_type->tp_basicsize
        && PyObject_TypeCheck(obj, proxy_type);
}

/* obj (a new reference, or NULL) consumed; a proxy handed to
   innermost() when resolve is set. */
static inline PyObject *
ctxlocal_resolved(PyObject *obj, int resolve, PyTypeObject *proxy_type,
                  void *innermost)
{
    PyObject *result;
    if (!resolve || obj == NULL || !ctxlocal_is_proxy(obj, proxy_type))
        return obj;
    result = ((ctxlocal_fn)innermost)(obj);
    Py_DECREF(obj);
    return result;
}

/* The value of var in the current context (its default applies), or
   missing if it has none. */
static inline PyObject *
ctxlocal_var_value(PyObject *var, PyObject *missing)
{
    PyObject *value;
    if (PyContextVar_Get(var, NULL, &value) < 0)
        return NULL;
    if (value == NULL) {
        Py_INCREF(missing);
        return missing;
    }
    return value;
}

/* A Local's attribute: the value, in the current context, of the
   ContextVar that vars (a dict, name -> ContextVar) holds for name; missing
   if vars has none for it or that one has no value. */
static inline PyObject *
ctxlocal_named_value(PyObject *vars, PyObject *name, PyObject *missing)
{
    PyObject *var;
#ifdef Py_GIL_DISABLED
    PyObject *value;
    int found = PyDict_GetItemRef(vars, name, &var);
    if (found <= 0)
        return found < 0 ? NULL : Py_NewRef(missing);
    value = ctxlocal_var_value(var, missing);
    Py_DECREF(var);
    return value;
#else
    var = PyDict_GetItemWithError(vars, name);
    if (var == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_INCREF(missing);
        return missing;
    }
    return ctxlocal_var_value(var, missing);
#endif
}

/* What an ident store's cells dict (ident key -> [slot, owner] list) holds
   in the slot at index `at` of key's cell; None if key has no cell. */
static inline PyObject *
ctxlocal_ident_slot(PyObject *cells, PyObject *key, Py_ssize_t at)
{
    PyObject *cell, *slot;
#ifdef Py_GIL_DISABLED
    int found = PyDict_GetItemRef(cells, key, &cell);
    if (found <= 0)
        return found < 0 ? NULL : Py_NewRef(Py_None);
    /* The list's own lock orders this read with another thread's write. */
    slot = PyList_GetItemRef(cell, at);
    Py_DECREF(cell);
    return slot;
#else
    cell = PyDict_GetItemWithError(cells, key);
    if (cell == NULL) {
        if (PyErr_Occurred())
            return NULL;
        Py_RETURN_NONE;
    }
    slot = PyList_GetItem(cell, at);
    Py_XINCREF(slot);
    return slot;
#endif
}

/* The target of a proxy to a ContextVar, with an optional plain
   attribute name (None for none). */
static inline PyObject *
ctxlocal_var_target(PyObject *var, PyObject *name, PyObject *message,
                    int resolve, PyTypeObject *proxy_type, void *innermost)
{
    PyObject *obj, *attr;
    if (PyContextVar_Get(var, NULL, &obj) < 0)
        return NULL;
    if (obj == NULL)
        return ctxlocal_unbound(message);
    if (name == Py_None)
        return ctxlocal_resolved(obj, resolve, proxy_type, innermost);
    /* The name is looked up past any proxy, as LocalProxy._named does. */
    obj = ctxlocal_resolved(obj, 1, proxy_type, innermost);
    if (obj == NULL)
        return NULL;
    attr = PyObject_GetAttr(obj, name);
    Py_DECREF(obj);
    return ctxlocal_resolved(attr, resolve, proxy_type, innermost);
}

/* The target of a proxy to a callable, without a name. */
static inline PyObject *
ctxlocal_call_target(PyObject *func, int resolve, PyTypeObject *proxy_type,
                     void *innermost)
{
    return ctxlocal_resolved(PyObject_CallNoArgs(func), resolve, proxy_type,
                             innermost);
}

/* The top item of a LocalStack whose storage is the ContextVar var, or
   empty when the stack is: the top node is a 2-tuple (item, below).
   Other storage (a list in Werkzeug's format, a duck-typed var) goes to
   general(stack). */
static inline PyObject *
ctxlocal_top_item(PyObject *var, PyObject *empty, PyObject *stack,
                  void *general)
{
    PyObject *node, *item;
    if (!PyContextVar_CheckExact(var))
        return ((ctxlocal_fn)general)(stack);
    if (PyContextVar_Get(var, NULL, &node) < 0)
        return NULL;
    if (node == NULL || node == Py_None) {
        Py_XDECREF(node);
        Py_INCREF(empty);
        return empty;
    }
    if (!PyTuple_CheckExact(node) || PyTuple_GET_SIZE(node) != 2) {
        Py_DECREF(node);
        return ((ctxlocal_fn)general)(stack);
    }
    item = PyTuple_GET_ITEM(node, 0);
    Py_INCREF(item);
    Py_DECREF(node);
    return item;
}

/* The target of a proxy to a LocalStack (no name): its top item;
   unbound when the stack is empty or the top is None. */
static inline PyObject *
ctxlocal_stack_target(PyObject *var, PyObject *stack, void *general_top,
                      PyObject *message, int resolve,
                      PyTypeObject *proxy_type, void *innermost)
{
    PyObject *obj = ctxlocal_top_item(var, Py_None, stack, general_top);
    if (obj == Py_None) {
        Py_DECREF(obj);
        return ctxlocal_unbound(message);
    }
    return ctxlocal_resolved(obj, resolve, proxy_type, innermost);
}

#endif /* CTXLOCAL_HELPERS_H */
