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
