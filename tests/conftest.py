"""Run every test against each available implementation.

The session-scoped ``impl`` fixture gives one :class:`_impls.Implementation`
(a frozen dataclass: the implementation's ``name`` and ``module``, its
``Local``, ``LocalStack``, ``LocalProxy`` and ``StackView``, and the shared
``LocalManager`` and ``release_local``) per implementation that
:func:`_impls.available` lists: the pure one always, the compiled one when it
is what ``import ctxlocal`` picked (``CTXLOCAL_NO_EXTENSIONS=0`` makes it
mandatory, ``1`` leaves it out; see ``tests/_impls.py``). Test ids end in the
implementation's name: ``test_x[python]``, ``test_x[cython]``.
"""

from __future__ import annotations

import sys
from typing import Callable, Dict, Iterator, List, Optional

import pytest

from _impls import Implementation, available, load

IMPLEMENTATIONS = available()

# Tests that pytest-run-parallel (pyproject.toml's parallel group; the
# free-threaded wheels' test step and ci/test-all.sh run the suite under it)
# must not run in several threads at once, with the reason: its
# ``thread_unsafe`` marker, put here on a whole module ("file.py") or a test
# ("file.py::name", every parametrization). The plugin finds most others by
# itself (gc.collect, warnings.catch_warnings, hypothesis...).
THREAD_UNSAFE: Dict[str, str] = {
    "test_sqlalchemy_scoping.py::test_one_session_per_thread": (
        "counts the rows that all its sessions wrote to one shared database"
    ),
    "test_servers.py": "starts servers and waits on their ports and output, one at a time",
    "test_launcher.py": "runs programs through ctxlocal-run and reads their output files",
    "test_readme.py::test_block_runs": (
        "parses code with the ast module, whose recursion check CPython 3.11 keeps"
        " for all threads (SystemError: AST constructor recursion depth mismatch)"
    ),
    "test_differential.py::test_random_programs_match_werkzeug": (
        "its programs may build cycles of Werkzeug's proxies, whose RecursionError a"
        " CPython 3.11 thread can turn into a fatal 'Cannot recover from stack overflow'"
    ),
    "test_dispatch.py::test_required_after_installing_the_pure_wheel": (
        "has pip build a wheel from one source tree, where it writes its build files"
    ),
}


@pytest.fixture(scope="session", params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> Implementation:
    return load(request.param)


@pytest.fixture
def fast_switching() -> Iterator[None]:
    """With a GIL, make the interpreter switch threads as often as it can
    (1 µs, restored after); without one, threads run at once anyway."""
    is_enabled: Optional[Callable[[], bool]] = getattr(sys, "_is_gil_enabled", None)
    if is_enabled is not None and not is_enabled():
        yield
        return
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.partition("::")[0].rpartition("/")[2]
        name = getattr(item, "originalname", item.name)
        reason = THREAD_UNSAFE.get(f"{module}::{name}") or THREAD_UNSAFE.get(module)
        if reason is not None:
            item.add_marker(pytest.mark.thread_unsafe(reason=reason))
