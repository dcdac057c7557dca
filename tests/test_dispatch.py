"""How ``import ctxlocal`` picks an implementation, run in fresh interpreters.

``CTXLOCAL_NO_EXTENSIONS`` (any case, surrounding whitespace ignored): unset or
empty, the compiled module if it imports (CPython, either build), else the
pure one; ``0``, ``false``, ``no``, ``off``: the compiled module, or an
``ImportError`` that says why it cannot be used and what fixes it; ``1``,
``true``, ``yes``, ``on``: the pure module; anything else: a ``ValueError``
naming the value and the accepted ones, at import and from ``setup.py``.
Free-threaded CPython picks as a GIL build does (the compiled module declares
that it does not need the GIL); no such interpreter can be installed here, so
its build configuration is faked, and so is another interpreter than CPython
where the suite runs on CPython. The causes of a missing
compiled module are made for real: copies of the package without it, with a
broken one, and a pure wheel built from the source tree and installed.
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType
from typing import Dict, Optional

import pytest

import ctxlocal
from _impls import default_choice
from ctxlocal._implementations import (
    CYTHON,
    ENV_VALUE,
    ENV_VAR,
    FALSE_WORDS,
    MODULES,
    NAMES,
    PYTHON,
    TRUE_WORDS,
    SettingError,
    compiled_supported,
    env_flag,
    environ_for,
    free_threaded,
    requested,
)

PACKAGE_DIR = Path(ctxlocal.__file__).resolve().parent
PACKAGE_ROOT = PACKAGE_DIR.parent
PYTHON_CMD = shlex.quote(sys.executable)
# This interpreter's file name for the compiled module (the first suffix the
# import system tries).
COMPILED_NAME = "_local_c" + EXTENSION_SUFFIXES[0]

# The spellings of each answer, with case and whitespace variants.
COMPILED_SPELLINGS = ["0", "false", "no", "off", "FALSE", "No", "oFF", " 0 ", "\tno\n"]
PURE_SPELLINGS = ["1", "true", "yes", "on", "TRUE", "Yes", "oN", " 1 ", "\ttrue\n"]
EMPTY_SPELLINGS = ["", " ", "\t\n"]
UNKNOWN_SPELLINGS = ["2", "00", "maybe", "y", "n", "ture", "none", "1 0", "cython"]

# Skipped where the suite runs against an installed ctxlocal (the wheel runs
# copy only tests/): these tests need setup.py and the sources.
needs_source = pytest.mark.skipif(
    not (PACKAGE_ROOT / "setup.py").is_file(),
    reason="needs the source tree (setup.py); this run tests an installed ctxlocal",
)

# The causes below are told apart only where the compiled module can exist at
# all; elsewhere the interpreter is the cause, whatever the files say
# (test_required_on_an_interpreter_it_is_never_built_for).
needs_compiled_support = pytest.mark.skipif(
    not compiled_supported(), reason="the compiled module is never built for this interpreter"
)

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

# Reports what the import raised: its kind, message and cause.
TRY_IMPORT = """
try:
    import ctxlocal
except ImportError as exc:
    print("ImportError", exc.name, type(exc.__cause__).__name__)
    print(exc)
except ValueError as exc:
    print("ValueError", type(exc).__name__)
    print(exc)
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

# Makes this interpreter read as one that is not CPython.
FAKE_OTHER_INTERPRETER = """
import sys
sys.implementation.name = "otherpython"
"""


def _run(
    setting: Optional[str], code: str, root: Path = PACKAGE_ROOT, cwd: Optional[Path] = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with ``CTXLOCAL_NO_EXTENSIONS`` set to ``setting`` (unset
    if ``None``) and the ctxlocal package found in ``root``."""
    env: Dict[str, str] = environ_for(None)
    if setting is not None:
        env[ENV_VAR] = setting
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or root,
        timeout=60,
    )


def _copy_package(root: Path) -> Path:
    """A copy of the package under test in ``root``, without the compiled module."""
    target = root / "ctxlocal"
    shutil.copytree(PACKAGE_DIR, target, ignore=shutil.ignore_patterns("_local_c.*", "__pycache__"))
    return target


def _required_but_absent(setting: str, root: Path, cwd: Path) -> str:
    """The message of the ImportError ``import ctxlocal`` raises from ``root``."""
    result = _run(setting, TRY_IMPORT, root=root, cwd=cwd)
    assert result.returncode == 0, result.stderr
    first, _, message = result.stdout.partition("\n")
    assert first.startswith(f"ImportError {MODULES[CYTHON]} "), result.stdout
    assert message.startswith(
        f"{ENV_VAR}={setting!r} requires ctxlocal's compiled module, {MODULES[CYTHON]}, but "
    ), message
    if compiled_supported():
        assert message.rstrip().endswith(f"or accept the slower pure-Python module: unset {ENV_VAR}")
    else:  # the interpreter is the cause (test_required_on_an_interpreter_it_is_never_built_for)
        assert message.rstrip().endswith("\n  or run CPython"), message
    return message


# ---------------------------------------------------------------- the choice


def test_default_prefers_the_compiled_module() -> None:
    result = _run(None, REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{default_choice()}\n"


@pytest.mark.parametrize("setting", EMPTY_SPELLINGS)
def test_an_empty_value_is_no_preference(setting: str) -> None:
    result = _run(setting, REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{default_choice()}\n"


@pytest.mark.parametrize("setting", PURE_SPELLINGS)
def test_a_true_value_picks_the_pure_module(setting: str) -> None:
    result = _run(setting, REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON}\n"


@pytest.mark.parametrize("setting", COMPILED_SPELLINGS)
def test_a_false_value_requires_the_compiled_module(setting: str) -> None:
    if default_choice() == CYTHON:
        result = _run(setting, REPORT)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{CYTHON}\n"
    else:
        _required_but_absent(setting, PACKAGE_ROOT, PACKAGE_ROOT)


@pytest.mark.parametrize("setting", UNKNOWN_SPELLINGS)
def test_an_unknown_value_is_an_error_at_import(setting: str) -> None:
    result = _run(setting, TRY_IMPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"ValueError SettingError\n{ENV_VAR}={setting!r} is not a value ctxlocal accepts. Use"
        " 1, true, yes or on (the pure-Python module), 0, false, no or off (the compiled module,"
        " required), or leave it unset or empty (the compiled module when it is available); any case.\n"
    )
    # Uncaught, it ends the interpreter with that message last.
    result = _run(setting, "import ctxlocal")
    assert result.returncode == 1
    assert result.stderr.rstrip().splitlines()[-1].startswith(
        f"ctxlocal._implementations.SettingError: {ENV_VAR}={setting!r} is not a value"
    )


def test_default_falls_back_when_the_compiled_module_is_missing() -> None:
    result = _run(None, BLOCK_EXTENSION + REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON}\n"


def test_this_process_uses_the_module_the_setting_asks_for() -> None:
    assert ctxlocal.IMPLEMENTATION == (requested() or default_choice())


@pytest.mark.parametrize("setting", [None, "1"])
def test_free_threaded_cpython_picks_as_a_gil_build(setting: Optional[str]) -> None:
    """The compiled module where it imports, unless the pure one is asked for."""
    result = _run(setting, FAKE_FREE_THREADED + REPORT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PYTHON if setting == '1' else default_choice()}\n"


@needs_compiled_support
def test_the_free_threaded_fake_takes_effect() -> None:
    """The fake above is what the package reads, so the equal choice is meaningful."""
    code = FAKE_FREE_THREADED + "import ctxlocal._implementations as i; print(i.free_threaded())"
    result = _run(None, code)
    assert result.stdout == "True\n", result.stderr
    assert _run(None, code.replace("1 if", "None if")).stdout == "False\n"


@pytest.mark.skipif(not free_threaded(), reason="needs free-threaded CPython (the wheel workflow's cp314t and cp315t)")
@pytest.mark.parametrize("setting", [None, "0"])
def test_the_gil_stays_off(setting: Optional[str]) -> None:
    """On a real free-threaded interpreter: importing ctxlocal (the compiled
    module), installing it and importing Flask leave the GIL off."""
    code = (
        "import sys, ctxlocal; print(ctxlocal.IMPLEMENTATION, sys._is_gil_enabled());"
        " ctxlocal.install(); import flask; print(sys._is_gil_enabled())"
    )
    result = _run(setting, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{CYTHON} False\nFalse\n", result.stderr
    assert "GIL" not in result.stderr, result.stderr


# ------------------------------------------- the compiled module required but absent


def test_required_on_an_interpreter_it_is_never_built_for() -> None:
    """PyPy for real where the suite runs on it; another interpreter faked on CPython."""
    fake = FAKE_OTHER_INTERPRETER if compiled_supported() else ""
    if fake:
        interpreter = "otherpython"
    else:
        interpreter = "PyPy" if sys.implementation.name == "pypy" else sys.implementation.name
    result = _run("off", fake + TRY_IMPORT)
    assert result.returncode == 0, result.stderr
    first, _, message = result.stdout.partition("\n")
    # Nothing was imported, so nothing is chained.
    assert first == f"ImportError {MODULES[CYTHON]} NoneType"
    assert message.startswith(
        f"{ENV_VAR}='off' requires ctxlocal's compiled module, {MODULES[CYTHON]}, but it is"
        f" never built for {interpreter}"
    ), message
    assert f"  unset {ENV_VAR} (the pure module is this interpreter's)\n" in message


@needs_compiled_support
def test_required_in_a_source_tree_without_a_build(tmp_path: Path) -> None:
    package = _copy_package(tmp_path)
    (tmp_path / "setup.py").write_text("# what marks a source tree\n")
    # A build for another interpreter, named as one (a copy of this one's or any file).
    (package / "_local_c.cpython-399-x86_64-linux-gnu.so").write_bytes(b"")
    message = _required_but_absent("0", tmp_path, tmp_path)
    assert message == (
        f"{ENV_VAR}='0' requires ctxlocal's compiled module, {MODULES[CYTHON]}, but it is not"
        f" built for this interpreter in the source tree {tmp_path} (no ctxlocal/{COMPILED_NAME});"
        " it is built for other interpreters: _local_c.cpython-399-x86_64-linux-gnu.so.\n"
        "To fix it:\n"
        f"  cd {shlex.quote(str(tmp_path))} && {ENV_VAR}=0 {PYTHON_CMD} setup.py build_ext --inplace\n"
        f"  or accept the slower pure-Python module: unset {ENV_VAR}\n"
    )


@needs_compiled_support
def test_required_without_a_source_tree_or_metadata(tmp_path: Path) -> None:
    package = _copy_package(tmp_path / "site")
    message = _required_but_absent("no", tmp_path / "site", tmp_path)
    assert f"but it is not in {package} (no ctxlocal/{COMPILED_NAME}). Likely causes:" in message
    assert "installed from the pure-Python py3-none-any wheel" in message
    assert f"built from source with {ENV_VAR} set" in message
    assert f"  where a binary wheel exists for this platform: {PYTHON_CMD} -m pip install --force-reinstall" in message
    assert f"--no-binary ctxlocal ctxlocal\n" in message


@needs_compiled_support
def test_required_but_broken(tmp_path: Path) -> None:
    """A compiled module that is there and fails to load: its error is chained."""
    package = _copy_package(tmp_path / "site")
    (package / COMPILED_NAME).write_bytes(b"not a shared library")
    result = _run("FALSE", TRY_IMPORT, root=tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    first, _, message = result.stdout.partition("\n")
    assert first == f"ImportError {MODULES[CYTHON]} ImportError"
    assert message.startswith(
        f"{ENV_VAR}='FALSE' requires ctxlocal's compiled module, {MODULES[CYTHON]}, but"
        f" {package / COMPILED_NAME} does not import: ImportError: "
    ), message
    assert f"  reinstall ctxlocal: {PYTHON_CMD} -m pip install --force-reinstall" in message
    # Uncaught: the loader's own error, then ours.
    result = _run("FALSE", "import ctxlocal", root=tmp_path / "site", cwd=tmp_path)
    assert result.returncode == 1
    assert "The above exception was the direct cause of the following exception" in result.stderr


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the source tree, without builds, caches or the venv."""
    target = tmp_path_factory.mktemp("source") / "ctxlocal-src"
    shutil.copytree(
        PACKAGE_ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "venv", "build", "dist", "*.egg-info", ".mypy_cache", ".hypothesis",
            ".benchmarks", "__pycache__", "_local_c.*.so", "_local_c.*.pyd",
        ),
    )
    return target


@needs_source
@needs_compiled_support
def test_required_after_installing_the_pure_wheel(source_copy: Path, tmp_path: Path) -> None:
    """pip installs a wheel built with CTXLOCAL_NO_EXTENSIONS=1: the pure one."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(site), str(source_copy)],
        check=True,
        env={**environ_for(PYTHON), "PIP_NO_CACHE_DIR": "1"},
        cwd=tmp_path,
        timeout=300,
    )
    (dist_info,) = site.glob("ctxlocal-*.dist-info")
    assert not list(site.glob("ctxlocal/_local_c*")), "the pure wheel holds a compiled module"
    message = _required_but_absent("0", site, tmp_path)
    assert message == (
        f"{ENV_VAR}='0' requires ctxlocal's compiled module, {MODULES[CYTHON]}, but ctxlocal was"
        f" installed from a pure-Python wheel (Tag: py3-none-any in {dist_info / 'WHEEL'}), which"
        " has no compiled module: pip takes that wheel where no binary wheel fits this interpreter"
        f" and platform, and a wheel built from source with {ENV_VAR} set to a true value is one too.\n"
        "To fix it:\n"
        f"  where a binary wheel exists for this platform: {PYTHON_CMD} -m pip install"
        " --force-reinstall --no-cache-dir ctxlocal\n"
        "  or compile it from source (needs a C compiler and Python's headers):"
        f" {ENV_VAR}=0 {PYTHON_CMD} -m pip install --force-reinstall --no-cache-dir --no-binary"
        " ctxlocal ctxlocal\n"
        f"  or accept the slower pure-Python module: unset {ENV_VAR}\n"
    )


@needs_source
@needs_compiled_support
def test_required_in_a_real_source_tree_without_a_build(source_copy: Path, tmp_path: Path) -> None:
    message = _required_but_absent("No", source_copy, tmp_path)
    assert f"but it is not built for this interpreter in the source tree {source_copy}" in message
    assert f"  cd {shlex.quote(str(source_copy))} && {ENV_VAR}=0 {PYTHON_CMD} setup.py build_ext --inplace\n" in message


# ------------------------------------------------------------------- setup.py


def _setup_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ctxlocal_setup", PACKAGE_ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_source
def test_setup_reads_every_spelling() -> None:
    setup = _setup_module()
    builds = compiled_supported()
    assert setup.build_extension({}) is builds
    for setting in EMPTY_SPELLINGS:
        assert setup.build_extension({ENV_VAR: setting}) is builds, repr(setting)
    for setting in PURE_SPELLINGS:
        assert setup.build_extension({ENV_VAR: setting}) is False, repr(setting)
    for setting in COMPILED_SPELLINGS:
        if builds:
            assert setup.build_extension({ENV_VAR: setting}) is True, repr(setting)
        else:
            with pytest.raises(SystemExit, match="requires the compiled module, which is never built for"):
                setup.build_extension({ENV_VAR: setting})
    for setting in UNKNOWN_SPELLINGS:
        with pytest.raises(SystemExit, match=f"^setup.py: {ENV_VAR}={setting!r} is not a value ctxlocal accepts"):
            setup.build_extension({ENV_VAR: setting})


@needs_source
def test_setup_stops_on_an_unknown_value() -> None:
    result = subprocess.run(
        [sys.executable, "setup.py", "--name"],
        capture_output=True,
        text=True,
        env={**environ_for(None), ENV_VAR: "fasle"},
        cwd=PACKAGE_ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"setup.py: {ENV_VAR}='fasle' is not a value ctxlocal accepts. Use 1, true, yes or on"
        " (the pure-Python module), 0, false, no or off (the compiled module, required), or leave"
        " it unset or empty (the compiled module when it is available); any case.\n"
    )


# ------------------------------------------------------------ the registry


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, None),
        *((setting, None) for setting in EMPTY_SPELLINGS),
        *((setting, CYTHON) for setting in COMPILED_SPELLINGS),
        *((setting, PYTHON) for setting in PURE_SPELLINGS),
    ],
)
def test_requested_reads_every_spelling(setting: Optional[str], expected: Optional[str]) -> None:
    environ = {} if setting is None else {ENV_VAR: setting}
    assert requested(environ) == expected


@pytest.mark.parametrize("setting", UNKNOWN_SPELLINGS)
def test_requested_refuses_an_unknown_value(setting: str) -> None:
    with pytest.raises(SettingError) as caught:
        requested({ENV_VAR: setting})
    assert isinstance(caught.value, ValueError)
    assert not isinstance(caught.value, ImportError)
    assert str(caught.value).startswith(f"{ENV_VAR}={setting!r} is not a value ctxlocal accepts.")


def test_env_flag_is_the_vocabulary_for_any_variable() -> None:
    assert env_flag("X", None) is None
    for setting in EMPTY_SPELLINGS:
        assert env_flag("X", setting) is None
    for setting in PURE_SPELLINGS:
        assert env_flag("X", setting) is True
    for setting in COMPILED_SPELLINGS:
        assert env_flag("X", setting) is False
    with pytest.raises(SettingError) as caught:
        env_flag("CTXLOCAL_SOMETHING", " Maybe ", true="do it", false="don't", unset="ask")
    assert str(caught.value) == (
        "CTXLOCAL_SOMETHING=' Maybe ' is not a value ctxlocal accepts. Use 1, true, yes or on"
        " (do it), 0, false, no or off (don't), or leave it unset or empty (ask); any case."
    )


def test_the_registry_names_each_module_and_a_value_asking_for_it() -> None:
    assert ENV_VAR == "CTXLOCAL_NO_EXTENSIONS"
    assert TRUE_WORDS == ("1", "true", "yes", "on")
    assert FALSE_WORDS == ("0", "false", "no", "off")
    assert set(NAMES) == set(MODULES) == set(ENV_VALUE) == {CYTHON, PYTHON}
    assert ctxlocal.IMPLEMENTATION in NAMES
    assert MODULES[ctxlocal.IMPLEMENTATION] == ctxlocal.LocalProxy.__module__
    for name in NAMES:
        assert requested({ENV_VAR: ENV_VALUE[name]}) == name
        assert requested(environ_for(name, {ENV_VAR: "x", "OTHER": "y"})) == name
    assert environ_for(None, {ENV_VAR: "0", "OTHER": "y"}) == {"OTHER": "y"}
