"""Context-local objects: a fast, drop-in replacement for ``werkzeug.local``.

``Local``, ``LocalStack``, ``LocalProxy``, ``LocalManager`` and ``release_local``
behave as Werkzeug 3.1's, plus Werkzeug <= 1.0's ident API. The classes come
from the compiled module when it is available (``IMPLEMENTATION == "cython"``)
and from the pure-Python module otherwise (``"python"``).

``CTXLOCAL_NO_EXTENSIONS`` (read in ``ctxlocal._implementations``, the registry
of the two implementations): unset picks the compiled module if it imports;
``0`` requires it (an ``ImportError`` propagates); any other value picks the
pure module. Interpreters other than CPython use the pure module, and so does
free-threaded CPython: the compiled module relies on the GIL, and importing it
would turn the GIL back on for the whole process (``0`` raises ``ImportError``
there).
"""

from __future__ import annotations

from ._implementations import CYTHON, PYTHON, Name, compiled_supported, free_threaded, requested
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
__version__ = "0.1.0"


def _choose() -> Name:
    wanted = requested()
    if wanted == PYTHON:
        return PYTHON
    if free_threaded():
        if wanted == CYTHON:
            raise ImportError(
                "CTXLOCAL_NO_EXTENSIONS=0 asks for the compiled module, which"
                " free-threaded CPython never uses (it relies on the GIL)"
            )
        return PYTHON
    if wanted == CYTHON:
        return CYTHON
    if not compiled_supported():
        return PYTHON
    try:
        from . import _local_c  # noqa: F401
    except ImportError:
        return PYTHON
    return CYTHON


IMPLEMENTATION = _choose()

if IMPLEMENTATION == CYTHON:
    from ._local_c import Local, LocalProxy, LocalStack, StackView
else:
    from ._local_py import Local, LocalProxy, LocalStack, StackView
