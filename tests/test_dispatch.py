"""How ``import ctxlocal`` picks an implementation, run in fresh interpreters.

``CTXLOCAL_NO_EXTENSIONS`` unset: the compiled module if it imports (CPython),
else the pure one; ``0``: the compiled module or ImportError; anything else:
the pure module. Free-threaded CPython always gets the pure module (``0``:
ImportError); no such interpreter can be installed here, so its build
configuration is faked. The names and modules come from the registry,
``ctxlocal._implementations``; the values of the variable are spelled out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, Optional

import pytest

import ctxlocal
from _impls import default_choice
from ctxlocal._implementations import (
    CYTHON,
    ENV_VALUE,
    ENV_VAR,
    MODULES,
    NAMES,
    PYTHON,
    environ_for,
    requested,
)

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(ctxlocal.__file__)))

# Prints the choice and checks that the public names are the chosen module's.
REPORT = """
import ctxlocal, ctxlocal._manager
from ctxlocal._implementations import MODULES
chosen = MODULES[ctxlocal.IMPLEMENTATION]
module = __import__(chosen, fromlist=["Local"])
for name in ("Local", "LocalStack", "LocalProxy"):
    assert getattr(ctxlocal, name) is getattr(module, name), name
assert ctxlocal.LocalManager is ctxlocal._manager.LocalManager
assert ctxlocal.release_local is ctxlocal._manager.release_local
assert {
    "IMPLEMENTATION", "Local", "LocalManager", "LocalProxy", "LocalStack", "release_local"
} <= set(ctxlocal.__all__)
print(ctxlocal.IMPLEMENTATION)
"""

# Reports an ImportError (ModuleNotFoundError included) raised by the import.
TRY_IMPORT = """
try:
    import ctxlocal
except ImportError:
    print("ImportError")
else:
    print(ctxlocal.IMPLEMENTATION)
"""

# Makes the compiled module unimportable, as on a machine where it was not built.
BLOCK_EXTENSION = f"import sys; sys.modules[{MODULES[CYTHON]!r}] = None\n"

# Makes this interpreter's build configuration read as free-threaded CPython's.
FAKE_FREE_THREADED = """
import sysconfig
_real = sysconfig.get_config_var
sysconfig.get_config_var = lambda name: 1 if name == "Py_GIL_DISABLED" else _real(name)
"""


def _run(setting: Optional[str], code: str) -> subprocess.CompletedProcess[str]:
    env: Dict[str, str] = environ_for(None)
    if setting is not None:
        env[ENV_VAR] = setting
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=PACKAGE_ROOT,
        timeout=60,
    )


def test_default_prefers_the_compiled_module() -> None:
    result = _run(None, REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{default_choice()}\n"


@pytest.mark.parametrize("setting", ["1", "yes", "true", "", "2"])
def test_any_other_value_picks_the_pure_module(setting: str) -> None:
    result = _run(setting, REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON}\n"


def test_zero_requires_the_compiled_module() -> None:
    if default_choice() == CYTHON:
        result = _run("0", REPORT)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{CYTHON}\n"
    else:
        result = _run("0", TRY_IMPORT)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "ImportError\n"


def test_default_falls_back_when_the_compiled_module_is_missing() -> None:
    result = _run(None, BLOCK_EXTENSION + REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON}\n"


def test_zero_without_the_compiled_module_raises_import_error() -> None:
    result = _run("0", BLOCK_EXTENSION + TRY_IMPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ImportError\n"
    # Uncaught, it ends the interpreter with a traceback.
    result = _run("0", BLOCK_EXTENSION + "import ctxlocal")
    assert result.returncode == 1
    assert f"Error: import of {MODULES[CYTHON]} halted" in result.stderr


def test_this_process_uses_the_module_the_setting_asks_for() -> None:
    assert ctxlocal.IMPLEMENTATION == (requested() or default_choice())


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, None), ("0", CYTHON), ("1", PYTHON), ("", PYTHON), ("yes", PYTHON), ("00", PYTHON)],
)
def test_requested_reads_the_setting(setting: Optional[str], expected: Optional[str]) -> None:
    environ = {} if setting is None else {ENV_VAR: setting}
    assert requested(environ) == expected


def test_the_registry_names_each_module_and_a_value_asking_for_it() -> None:
    assert ENV_VAR == "CTXLOCAL_NO_EXTENSIONS"
    assert set(NAMES) == set(MODULES) == set(ENV_VALUE) == {CYTHON, PYTHON}
    assert ctxlocal.IMPLEMENTATION in NAMES
    assert MODULES[ctxlocal.IMPLEMENTATION] == ctxlocal.LocalProxy.__module__
    for name in NAMES:
        assert requested({ENV_VAR: ENV_VALUE[name]}) == name
        assert requested(environ_for(name, {ENV_VAR: "x", "OTHER": "y"})) == name
    assert environ_for(None, {ENV_VAR: "0", "OTHER": "y"}) == {"OTHER": "y"}


@pytest.mark.parametrize("setting", [None, "1"])
def test_free_threaded_cpython_gets_the_pure_module(setting: Optional[str]) -> None:
    result = _run(setting, FAKE_FREE_THREADED + REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON}\n"
    # Nothing imported the compiled module on the way.
    result = _run(setting, FAKE_FREE_THREADED + f"import ctxlocal, sys; print({MODULES[CYTHON]!r} in sys.modules)")
    assert result.stdout == "False\n", result.stderr


def test_free_threaded_cpython_refuses_zero() -> None:
    result = _run("0", FAKE_FREE_THREADED + "import ctxlocal")
    assert result.returncode == 1
    assert "ImportError: CTXLOCAL_NO_EXTENSIONS=0 asks for the compiled module" in result.stderr
    assert "free-threaded" in result.stderr


def test_the_free_threaded_fake_changes_only_that_setting() -> None:
    """The fake above must be what makes the difference: without it, the default."""
    result = _run(None, FAKE_FREE_THREADED.replace("1 if", "None if") + REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{default_choice()}\n"
