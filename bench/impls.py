"""The implementations a benchmark compares, found at run time.

* ``cython``: ``ctxlocal._local_c`` (CPython only, when it was built);
* ``python``: ``ctxlocal._local_py``;
* ``werkzeug``: ``werkzeug.local`` from the installed Werkzeug;
* ``floor``: no library at all; every operation defines by hand the least
  work that gives the same result (see ``Op.floor_stmt`` in :mod:`bench.ops`).

ctxlocal's two are named, and found, as in ctxlocal's registry
(``ctxlocal._implementations``). A missing implementation is reported with a
note, never an error, so the same command runs on PyPy (no compiled module)
and without Werkzeug.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ctxlocal._implementations import (
    CYTHON, ENV_VAR, MODULES, PYTHON, compiled_supported, requested,
)

__all__ = ["ALL", "OURS", "Impl", "discover", "load", "module_available"]

# ctxlocal's implementations, in the order of the tables' columns.
OURS = (CYTHON, PYTHON)
ALL = (*OURS, "werkzeug", "floor")

_MODULES = {**MODULES, "werkzeug": "werkzeug.local"}


@dataclass(frozen=True)
class Impl:
    """One implementation: its classes (``None`` for the floor) and a version string."""

    name: str
    Local: Any = None
    LocalStack: Any = None
    LocalProxy: Any = None
    version: str = ""

    @property
    def has_ident_mode(self) -> bool:
        """Whether ``__ident_func__`` switches to ident-keyed storage (ctxlocal only)."""
        return self.name in OURS


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def load(name: str) -> Impl:
    """Return the named implementation; ``ImportError`` if it is not available."""
    if name == "floor":
        return Impl("floor", version=f"{sys.implementation.name} {sys.version.split()[0]}")
    if name not in _MODULES:
        raise ValueError(f"unknown implementation {name!r}; choose from {', '.join(ALL)}")
    if name == CYTHON and not compiled_supported():
        raise ImportError("the compiled module exists for CPython only")
    module = importlib.import_module(_MODULES[name])
    if name == "werkzeug":
        version = f"Werkzeug {_version('werkzeug')}"
    else:
        import ctxlocal

        version = f"ctxlocal {ctxlocal.__version__} ({module.__name__})"
    return Impl(name, module.Local, module.LocalStack, module.LocalProxy, version)


def discover(names: Iterable[str] = ALL) -> Tuple[List[Impl], Dict[str, str]]:
    """Load the implementations that import, in ``ALL`` order.

    Returns them and ``{name: reason}`` for those that were asked for but are
    missing. ``CTXLOCAL_NO_EXTENSIONS`` as ``import ctxlocal`` reads it
    (``requested()``): a value that requires the compiled module (``0``,
    ``false``, ``no``, ``off``) turns its absence into an ``ImportError``; a
    value that asks for the pure module (``1``, ``true``, ``yes``, ``on``)
    leaves it out.
    """
    wanted = set(names)
    unknown = wanted.difference(ALL)
    if unknown:
        raise ValueError(
            f"unknown implementation(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL)}"
        )
    # The project's switch, as the test suite takes it: asking for cython
    # makes the compiled module mandatory, asking for python leaves it out.
    switch = requested()
    found: List[Impl] = []
    missing: Dict[str, str] = {}
    for name in ALL:
        if name not in wanted:
            continue
        if name == CYTHON and switch == PYTHON:
            missing[name] = f"{ENV_VAR}={os.environ[ENV_VAR]}"
            continue
        try:
            found.append(load(name))
        except ImportError as exc:
            if name == CYTHON and switch == CYTHON:
                raise
            missing[name] = f"{type(exc).__name__}: {exc}"
    return found, missing


def module_available(name: Optional[str]) -> bool:
    """Whether an optional module an operation needs (e.g. greenlet) imports."""
    if name is None:
        return True
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True
