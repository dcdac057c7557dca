"""Werkzeug's own Local and LocalStack, seen through ctxlocal's classes.

After ``ctxlocal.install()``, ``werkzeug.local.LocalProxy`` is ctxlocal's, but a
``Local`` or ``LocalStack`` that Werkzeug built before the install is still
Werkzeug's. Proxying one (``old_local("x")``, ``LocalProxy(old_stack)``) must
keep working, so the proxy reads it through a ctxlocal object over the same
``ContextVar``: both use Werkzeug's storage formats (a dict, a list) for what
they read.
"""

from __future__ import annotations

from typing import Any, Callable, Optional


def adopt(obj: Any, local_type: Callable[[Any], Any], stack_type: Callable[[Any], Any]) -> Optional[Any]:
    """A ``local_type``/``stack_type`` over ``obj``'s storage if ``obj`` is Werkzeug's, else None."""
    cls = type(obj)
    if cls.__module__ != "werkzeug.local":  # also ctxlocal's own classes
        return None
    if cls.__name__ == "Local":
        return local_type(object.__getattribute__(obj, "_Local__storage"))
    if cls.__name__ == "LocalStack":
        return stack_type(object.__getattribute__(obj, "_storage"))
    return None
