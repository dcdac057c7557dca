"""ctxlocal's two implementations, and the one reader of ``CTXLOCAL_NO_EXTENSIONS``.

The same classes exist twice, and everything that names the two builds (the
public ``ctxlocal.IMPLEMENTATION``, ``Installation.implementation``, the test
ids, the benchmark's ``--impl`` values and table columns, the CI scripts) uses
the two words of this registry:

* ``"cython"``: ``ctxlocal._local_c``, compiled by Cython from
  ``_ctxlocal/_local_c.pyx``; CPython with a GIL only;
* ``"python"``: ``ctxlocal._local_py``, pure Python; every interpreter.

``CTXLOCAL_NO_EXTENSIONS`` says which one is wanted, and :func:`requested` is
the only code that reads it: unset, no preference (``None``; the dispatcher
then takes the compiled module if it imports); ``"0"``, ``"cython"`` and
nothing else; any other value, ``"python"``. What follows from the answer is
each caller's business: ``ctxlocal._choose`` falls back or raises
``ImportError`` (and refuses the compiled module on free-threaded CPython),
``setup.py`` skips or forces the build, the test suite and the benchmarks
decide which implementations they run.

Which interpreters can have the compiled module at all (CPython with a GIL)
is said here once too, by :func:`compiled_supported` and :func:`free_threaded`.

This module imports only the standard library (``os``, ``sys``, ``sysconfig``,
``typing``) and nothing from the package: ``import ctxlocal`` stays fast, and a script that
must not import ctxlocal (``setup.py`` before the extension exists, a script
whose job is to check which implementation a child interpreter picks) can
load it from its file with ``runpy.run_path``.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from typing import Dict, Final, Literal, Mapping, Optional, Tuple

__all__ = [
    "CYTHON",
    "ENV_VALUE",
    "ENV_VAR",
    "MODULES",
    "NAMES",
    "PYTHON",
    "Name",
    "compiled_supported",
    "environ_for",
    "free_threaded",
    "requested",
]

Name = Literal["cython", "python"]

CYTHON: Final = "cython"
PYTHON: Final = "python"
NAMES: Final[Tuple[Name, ...]] = (CYTHON, PYTHON)

# The module each implementation's classes live in.
MODULES: Final[Mapping[Name, str]] = {
    CYTHON: "ctxlocal._local_c",
    PYTHON: "ctxlocal._local_py",
}

ENV_VAR: Final = "CTXLOCAL_NO_EXTENSIONS"
# A value of ENV_VAR that asks for each implementation.
ENV_VALUE: Final[Mapping[Name, str]] = {CYTHON: "0", PYTHON: "1"}


def requested(environ: Optional[Mapping[str, str]] = None) -> Optional[Name]:
    """The implementation ``CTXLOCAL_NO_EXTENSIONS`` asks for, ``None`` if unset.

    ``"0"`` asks for ``"cython"`` (required, no fallback); any other value,
    the empty string included, for ``"python"``. ``environ`` defaults to
    ``os.environ``.
    """
    setting = (os.environ if environ is None else environ).get(ENV_VAR)
    if setting is None:
        return None
    return CYTHON if setting == "0" else PYTHON


def environ_for(name: Optional[Name], environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """A copy of ``environ`` (default ``os.environ``) for a child interpreter
    that must pick ``name``, or make its default choice if ``name`` is ``None``."""
    env = dict(os.environ if environ is None else environ)
    env.pop(ENV_VAR, None)
    if name is not None:
        env[ENV_VAR] = ENV_VALUE[name]
    return env


def free_threaded() -> bool:
    """Whether this is a free-threaded CPython build (``Py_GIL_DISABLED``).

    It never gets the compiled module, which relies on the GIL: importing it
    would turn the GIL back on for the whole process.
    """
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def compiled_supported() -> bool:
    """Whether this interpreter can have the compiled module: CPython with a GIL."""
    return sys.implementation.name == "cpython" and not free_threaded()
