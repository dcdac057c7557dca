"""The implementations the suite runs against, as the ``impl`` fixture gives them.

Names and modules come from the registry, ``ctxlocal._implementations``:
``"python"`` (``ctxlocal._local_py``) always runs; ``"cython"``
(``ctxlocal._local_c``) runs when it imports, and ``CTXLOCAL_NO_EXTENSIONS=0``
makes it mandatory (its ``ImportError`` propagates, so a failed build cannot
pass as a green run); any other value of the variable runs the pure
implementation only, as on PyPy.

Tests annotate the fixture with :class:`Implementation` and import it from
here (importing from a conftest is discouraged).
"""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass
from typing import Any, Callable, List, Type

import ctxlocal
from ctxlocal._implementations import CYTHON, MODULES, PYTHON, Name, requested

__all__ = ["Implementation", "available", "default_choice", "load"]


@dataclass(frozen=True)
class Implementation:
    """One implementation's classes, plus the ``LocalManager`` and
    ``release_local`` both share.

    Frozen, and shared by every test of the session: the classes hold no
    per-test state. A test that needs a variant makes one with
    ``dataclasses.replace``.
    """

    name: Name
    module: types.ModuleType
    # The two modules' classes are distinct types with the same API (the one
    # ctxlocal/__init__.pyi describes); tests also misuse them on purpose.
    Local: Type[Any]
    LocalStack: Type[Any]
    LocalProxy: Type[Any]
    StackView: Type[Any]
    LocalManager: Type[ctxlocal.LocalManager]
    release_local: Callable[[Any], None]


def load(name: Name) -> Implementation:
    """Import the implementation called ``name``."""
    module = importlib.import_module(MODULES[name])
    return Implementation(
        name=name,
        module=module,
        Local=module.Local,
        LocalStack=module.LocalStack,
        LocalProxy=module.LocalProxy,
        StackView=module.StackView,
        LocalManager=ctxlocal.LocalManager,
        release_local=ctxlocal.release_local,
    )


def available() -> List[Name]:
    """The names of the implementations to test, as ``CTXLOCAL_NO_EXTENSIONS`` says."""
    wanted = requested()
    names: List[Name] = [PYTHON]
    if wanted == PYTHON:
        return names
    try:
        importlib.import_module(MODULES[CYTHON])
    except ImportError:
        if wanted == CYTHON:
            raise
    else:
        names.append(CYTHON)
    return names


def default_choice() -> Name:
    """What ``import ctxlocal`` picks with ``CTXLOCAL_NO_EXTENSIONS`` unset: the
    compiled module on CPython if it imports, else the pure one."""
    if sys.implementation.name != "cpython":
        return PYTHON
    try:
        importlib.import_module(MODULES[CYTHON])
    except ImportError:
        return PYTHON
    return CYTHON
