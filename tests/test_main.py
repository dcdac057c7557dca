"""``python -m ctxlocal``: the bug-report summary, run in fresh interpreters.

Each value is checked against what the child interpreter itself reports
(``import ctxlocal`` in the same environment) or against this interpreter's
own facts (the child is the same executable), never against a copy of the
text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Dict, List, Optional

import pytest

import ctxlocal
from _impls import Implementation, default_choice
from ctxlocal._implementations import (
    CYTHON,
    ENV_VAR,
    MODULES,
    PYTHON,
    compiled_supported,
    environ_for,
    free_threaded,
)

PACKAGE_DIR = Path(ctxlocal.__file__).resolve().parent
PACKAGE_ROOT = PACKAGE_DIR.parent
KEYS = [
    "ctxlocal",
    "implementation",
    "compiled module",
    "python",
    "interpreter",
    "build",
    "ident function",
    "werkzeug",
    "flask",
    "quart",
]

# Where the compiled module can exist (CPython, either build); elsewhere the
# interpreter is the reason given, whatever the package's files are.
needs_compiled_support = pytest.mark.skipif(
    not compiled_supported(), reason="the compiled module is never built for this interpreter"
)

# What `import ctxlocal` picks in an environment, and the compiled module's file.
PROBE = f"""
import json, sys, ctxlocal
module = sys.modules.get({MODULES[CYTHON]!r})
print(json.dumps([ctxlocal.IMPLEMENTATION, module.__file__ if module else None]))
"""

# Makes this interpreter's build configuration read as free-threaded CPython's
# (as in test_dispatch.py), then runs the package as `python -m` does.
FAKE_FREE_THREADED_MAIN = """
import runpy, sysconfig
_real = sysconfig.get_config_var
sysconfig.get_config_var = lambda name: 1 if name == "Py_GIL_DISABLED" else _real(name)
runpy.run_module("ctxlocal", run_name="__main__", alter_sys=True)
"""


def _env(setting: Optional[str], root: Path) -> Dict[str, str]:
    env = environ_for(None)
    if setting is not None:
        env[ENV_VAR] = setting
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def _python(args: List[str], setting: Optional[str], root: Path = PACKAGE_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        env=_env(setting, root),
        cwd=root.parent if root != PACKAGE_ROOT else root,
        timeout=60,
    )


def _report(setting: Optional[str], root: Path = PACKAGE_ROOT, code: Optional[str] = None) -> Dict[str, str]:
    """Run ``python -m ctxlocal`` (or ``code``) and parse its lines."""
    result = _python(["-c", code] if code else ["-m", "ctxlocal"], setting, root)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    keys = [line.partition(":")[0] for line in lines]
    assert keys == KEYS, result.stdout
    # Aligned: every value starts in the same column.
    columns = {len(line) - len(line.partition(":")[2].lstrip()) for line in lines}
    assert len(columns) == 1, result.stdout
    return {key: line.partition(":")[2].strip() for key, line in zip(keys, lines)}


def _picked(setting: Optional[str], root: Path = PACKAGE_ROOT) -> List[Optional[str]]:
    result = _python(["-c", PROBE], setting, root)
    assert result.returncode == 0, result.stderr
    picked: List[Optional[str]] = json.loads(result.stdout)
    return picked


def _check_common(report: Dict[str, str], package_dir: Path = PACKAGE_DIR) -> None:
    """The lines that do not depend on the implementation."""
    assert report["ctxlocal"] == f"{ctxlocal.__version__} ({package_dir})"
    assert report["python"] == sys.version.replace("\n", " ")
    assert report["interpreter"].endswith(f", {sys.executable}")
    if free_threaded():
        assert report["build"].startswith("free-threaded (the GIL is ")
    else:
        assert report["build"] == "GIL"
    for name in ("werkzeug", "flask", "quart"):
        try:
            expected = metadata.version(name)
        except metadata.PackageNotFoundError:
            expected = "not installed"
        assert report[name] == expected, name


def test_each_implementation_as_the_variable_asks(impl: Implementation) -> None:
    setting = environ_for(impl.name)[ENV_VAR]
    report = _report(setting)
    _check_common(report)
    implementation, compiled_file = _picked(setting)
    assert implementation == impl.name
    asks = "requires the compiled module" if impl.name == CYTHON else "asks for the pure module"
    assert report["implementation"] == f"{implementation}: {ENV_VAR}={setting!r} {asks}"
    if impl.name == CYTHON:
        assert compiled_file is not None and Path(compiled_file).is_file()
        assert report["compiled module"] == compiled_file
    else:
        present = [PACKAGE_DIR / f"_local_c{suffix}" for suffix in EXTENSION_SUFFIXES]
        built = [path for path in present if path.is_file()]
        absent = "not built" if (PACKAGE_ROOT / "setup.py").is_file() else "not installed"
        assert report["compiled module"] == (f"{built[0]} (not in use)" if built else absent)
    func = impl.Local().__ident_func__
    assert report["ident function"] == (
        f"{func.__module__}.{func.__qualname__} (what Local().__ident_func__ reads until one is assigned)"
    )


@pytest.mark.parametrize("setting", [None, ""])
def test_no_preference(setting: Optional[str]) -> None:
    report = _report(setting)
    _check_common(report)
    implementation, compiled_file = _picked(setting)
    assert implementation == default_choice()
    told = f"{ENV_VAR} unset" if setting is None else f"{ENV_VAR}='' (no preference)"
    if implementation == CYTHON:
        assert report["implementation"] == f"cython: {told}, and the compiled module imports"
        assert report["compiled module"] == compiled_file
    else:
        assert report["implementation"].startswith(f"python: {told}, and the compiled module cannot be used: ")


@needs_compiled_support
def test_a_compiled_module_that_does_not_import(tmp_path: Path) -> None:
    """Unset, the pure module is used, and the report quotes the loader's error."""
    site = tmp_path / "site"
    shutil.copytree(PACKAGE_DIR, site / "ctxlocal", ignore=shutil.ignore_patterns("_local_c.*", "__pycache__"))
    broken = site / "ctxlocal" / f"_local_c{EXTENSION_SUFFIXES[0]}"
    broken.write_bytes(b"not a shared library")
    report = _report(None, site)
    _check_common(report, site / "ctxlocal")
    assert _picked(None, site)[0] == PYTHON
    assert report["implementation"].startswith(
        f"python: {ENV_VAR} unset, and the compiled module cannot be used: {broken} does not import: ImportError: "
    ), report["implementation"]
    assert report["compiled module"] == f"{broken} (not in use)"


@needs_compiled_support
def test_no_compiled_module_outside_a_source_tree(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(PACKAGE_DIR, site / "ctxlocal", ignore=shutil.ignore_patterns("_local_c.*", "__pycache__"))
    report = _report(None, site)
    assert report["compiled module"] == "not installed"
    assert f"the compiled module cannot be used: it is not in {site / 'ctxlocal'}" in report["implementation"]


@needs_compiled_support
def test_free_threaded_cpython_says_so() -> None:
    """The build line says so; the choice is a GIL build's (the compiled
    module declares that it does not need the GIL)."""
    report = _report(None, code=FAKE_FREE_THREADED_MAIN)
    assert report["build"].startswith("free-threaded (the GIL is ")
    assert report["implementation"] == _report(None)["implementation"]


def test_an_invalid_setting_is_the_error_it_prints() -> None:
    result = _python(["-m", "ctxlocal"], "perhaps")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.rstrip().splitlines()[-1] == (
        f"ctxlocal._implementations.SettingError: {ENV_VAR}='perhaps' is not a value ctxlocal"
        " accepts. Use 1, true, yes or on (the pure-Python module), 0, false, no or off (the"
        " compiled module, required), or leave it unset or empty (the compiled module when it is"
        " available); any case."
    )


def test_importing_the_module_prints_nothing() -> None:
    """Tools that import every submodule (mypy.stubtest) must not run the report."""
    result = _python(["-c", "import ctxlocal.__main__"], None)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
