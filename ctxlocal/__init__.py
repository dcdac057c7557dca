"""Context-local objects: a fast, drop-in replacement for ``werkzeug.local``.

``Local``, ``LocalStack``, ``LocalProxy``, ``LocalManager`` and ``release_local``
behave as Werkzeug 3.1's, plus Werkzeug <= 1.0's ident API. The classes come
from the compiled module when it is available (``IMPLEMENTATION == "cython"``)
and from the pure-Python module otherwise (``"python"``).

``CTXLOCAL_NO_EXTENSIONS`` (read in ``ctxlocal._implementations``, the registry
of the two implementations; any case, surrounding spaces ignored):

* unset or empty: the compiled module if it imports, else the pure module;
* ``0``, ``false``, ``no``, ``off``: the compiled module, required: where it
  cannot be used, ``import ctxlocal`` raises ``ImportError`` saying why
  (never built for this interpreter, not built in this source tree, installed
  from the pure wheel, or present but failing to import) and what fixes it;
* ``1``, ``true``, ``yes``, ``on``: the pure module;
* anything else: ``import ctxlocal`` raises ``ValueError`` naming the value
  and the accepted ones.

Interpreters other than CPython use the pure module. Free-threaded CPython
gets the compiled one, which declares that it does not need the GIL: the GIL
stays off. ``python -m ctxlocal`` tells which module is in use and why.
"""

from __future__ import annotations

from ._implementations import CYTHON, PYTHON, Name, compiled_supported, requested
from ._install import Installation, InstallWarning, install, uninstall
from ._manager import LocalManager, release_local

__all__ = [
    "IMPLEMENTATION",
    "InstallWarning",
    "Installation",
    "Local",
    "LocalManager",
    "LocalProxy",
    "LocalStack",
    "StackView",
    "install",
    "release_local",
    "uninstall",
]
__version__ = "0.2.0.dev0"


def _choose() -> Name:
    wanted = requested()
    if wanted == PYTHON:
        return PYTHON
    error: ImportError | None = None  # a local's annotation is never evaluated
    if compiled_supported():
        try:
            from . import _local_c  # noqa: F401
        except ImportError as exc:
            error = exc
        else:
            return CYTHON
    if wanted == CYTHON:
        from ._compiled_absence import required_but_absent

        raise required_but_absent(error) from error
    return PYTHON


IMPLEMENTATION = _choose()

if IMPLEMENTATION == CYTHON:
    from ._local_c import Local, LocalProxy, LocalStack, StackView
else:
    from ._local_py import Local, LocalProxy, LocalStack, StackView
