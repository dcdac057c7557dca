"""The implementations the suite runs against, as the ``impl`` fixture gives them.

Names and modules come from the registry, ``ctxlocal._implementations``:
``"python"`` (``ctxlocal._local_py``) always runs; ``"cython"``
(``ctxlocal._local_c``) runs when ``import ctxlocal`` picks it. So
``CTXLOCAL_NO_EXTENSIONS`` decides as it does for a user: unset or empty, the
compiled module when it imports; a value that requires it (``0``, ``false``,
``no``, ``off``) makes ``import ctxlocal`` raise its ``ImportError`` when it is
absent, so a failed build cannot pass as a green run; a value that asks for
the pure module (``1``, ``true``, ``yes``, ``on``) runs that one only, as on
PyPy.

Tests annotate the fixture with :class:`Implementation` and import it from
here (importing from a conftest is discouraged).
"""

from __future__ import annotations

import importlib
import types
from dataclasses import dataclass
from typing import Any, Callable, List, Type

import ctxlocal
from ctxlocal._implementations import CYTHON, MODULES, PYTHON, Name, compiled_supported

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
    """The names of the implementations to test: the pure one, and the
    compiled one if ``import ctxlocal`` picked it (which
    ``CTXLOCAL_NO_EXTENSIONS`` decides, see above)."""
    if ctxlocal.IMPLEMENTATION == CYTHON:
        return [PYTHON, CYTHON]
    return [PYTHON]


def default_choice() -> Name:
    """What ``import ctxlocal`` picks with ``CTXLOCAL_NO_EXTENSIONS`` unset: the
    compiled module on CPython with a GIL if it imports, else the pure one."""
    if not compiled_supported():
        return PYTHON
    try:
        importlib.import_module(MODULES[CYTHON])
    except ImportError:
        return PYTHON
    return CYTHON
