"""Run every test against each available implementation.

The ``impl`` fixture yields a namespace with one implementation's ``Local``,
``LocalStack``, ``LocalProxy`` and ``StackView`` plus the shared
``LocalManager`` and ``release_local``. The pure implementation always runs.
The compiled one runs when it imports, and ``CTXLOCAL_NO_EXTENSIONS=0``
makes it mandatory, so a failed build cannot pass as a green run; any other
value of the variable runs the pure implementation only, as on PyPy.
"""

from __future__ import annotations

import importlib
import os
import types
from typing import Iterator, List

import pytest

import ctxlocal


def _implementations() -> List[str]:
    setting = os.environ.get("CTXLOCAL_NO_EXTENSIONS")
    names = ["python"]
    if setting is not None and setting != "0":
        return names
    try:
        importlib.import_module("ctxlocal._local_c")
    except ImportError:
        if setting == "0":
            raise
    else:
        names.append("cython")
    return names


IMPLEMENTATIONS = _implementations()
MODULES = {"python": "ctxlocal._local_py", "cython": "ctxlocal._local_c"}


def load(name: str) -> types.SimpleNamespace:
    module = importlib.import_module(MODULES[name])
    return types.SimpleNamespace(
        name=name,
        module=module,
        Local=module.Local,
        LocalStack=module.LocalStack,
        LocalProxy=module.LocalProxy,
        StackView=module.StackView,
        LocalManager=ctxlocal.LocalManager,
        release_local=ctxlocal.release_local,
    )


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> Iterator[types.SimpleNamespace]:
    yield load(request.param)
