"""``python -m ctxlocal``: what a bug report needs to say about this installation.

Prints aligned ``key: value`` lines and exits 0: ctxlocal's version and
folder, the implementation in use and why (``CTXLOCAL_NO_EXTENSIONS``, the
interpreter, or why the compiled module did not import), the compiled
module's file, the interpreter and its build (GIL or free-threaded), the
function ``Local().__ident_func__`` reads as by default, and the versions of
Werkzeug, Flask and Quart (read from their metadata: nothing is imported).

``python -m ctxlocal`` imports the package first, so when ``import ctxlocal``
fails (an invalid ``CTXLOCAL_NO_EXTENSIONS``, or one that requires the
compiled module where it cannot be used) this never runs: Python prints that
error, which names the cause and the fix, and exits 1.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from importlib import metadata
from typing import List, Optional, Tuple

import ctxlocal

from ._compiled_absence import SOURCE_ROOT, compiled_files, explain
from ._implementations import CYTHON, ENV_VAR, MODULES, compiled_supported, free_threaded, requested

__all__ = ["main", "report"]

# The distributions whose versions a report gives, by their display names.
RELATED = ("Werkzeug", "Flask", "Quart")


def _why() -> str:
    """Why ``import ctxlocal`` picked ``ctxlocal.IMPLEMENTATION``."""
    setting = os.environ.get(ENV_VAR)
    wanted = requested()
    if wanted is not None:
        asks = "requires the compiled module" if wanted == CYTHON else "asks for the pure module"
        return f"{ENV_VAR}={setting!r} {asks}"
    told = f"{ENV_VAR} unset" if setting is None else f"{ENV_VAR}={setting!r} (no preference)"
    if ctxlocal.IMPLEMENTATION == CYTHON:
        return f"{told}, and the compiled module imports"
    error: Optional[BaseException] = None
    if compiled_supported():
        # Only where the module can exist (CPython): elsewhere there is no
        # import error to quote, only the interpreter.
        try:
            importlib.import_module(MODULES[CYTHON])
        except ImportError as exc:
            error = exc
    return f"{told}, and the compiled module cannot be used: {explain(error).reason}"


def _compiled_file() -> str:
    if ctxlocal.IMPLEMENTATION == CYTHON:
        return str(sys.modules[MODULES[CYTHON]].__file__)
    present = compiled_files()
    if present:
        return f"{present[0]} (not in use)"
    return "not built" if os.path.isfile(os.path.join(SOURCE_ROOT, "setup.py")) else "not installed"


def _build() -> str:
    if not free_threaded():
        return "GIL"
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: False)()
    return f"free-threaded (the GIL is {'on' if gil_enabled else 'off'} in this process)"


def _ident_function() -> str:
    func = ctxlocal.Local().__ident_func__
    name = f"{getattr(func, '__module__', None) or '?'}.{getattr(func, '__qualname__', func)}"
    return f"{name} (what Local().__ident_func__ reads until one is assigned)"


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def report() -> List[Tuple[str, str]]:
    """The report's ``(key, value)`` lines, in order."""
    version = ".".join(map(str, sys.implementation.version[:3]))
    return [
        ("ctxlocal", f"{ctxlocal.__version__} ({os.path.dirname(os.path.abspath(ctxlocal.__file__))})"),
        ("implementation", f"{ctxlocal.IMPLEMENTATION}: {_why()}"),
        ("compiled module", _compiled_file()),
        ("python", sys.version.replace("\n", " ")),
        ("interpreter", f"{platform.python_implementation()} {version}, {sys.executable}"),
        ("build", _build()),
        ("ident function", _ident_function()),
        *((name.lower(), _version(name)) for name in RELATED),
    ]


def main() -> int:
    """Print the report; the exit status (0)."""
    lines = report()
    width = max(len(key) for key, _ in lines) + 2
    for key, value in lines:
        print(f"{key + ':':<{width}}{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
