"""Why the compiled module cannot be used here, and the command that fixes it.

Imported only when that question is asked: by ``import ctxlocal`` when
``CTXLOCAL_NO_EXTENSIONS`` requires the compiled module and it does not
import (:func:`required_but_absent`), and by ``python -m ctxlocal``
(:func:`explain`). It reads the installation's metadata
(``importlib.metadata``), which the normal import never pays for.

The causes told apart, first match wins:

* an interpreter the module is never built for (PyPy and every other one
  but CPython);
* the module's file is there but does not import (the original error is
  chained by the caller and quoted);
* a source tree (``setup.py`` beside the package) where it was not built for
  this interpreter;
* an installation from a pure-Python wheel (``Tag: py3-none-any`` in the
  ``WHEEL`` file of the ``ctxlocal`` distribution that owns this package);
* otherwise the likely causes, listed.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from typing import List, Optional, Tuple

from ._implementations import CYTHON, ENV_VAR, MODULES, compiled_unsupported_reason

__all__ = ["Absence", "compiled_files", "explain", "required_but_absent"]

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(PACKAGE_DIR)
_STEM = MODULES[CYTHON].rpartition(".")[2]  # "_local_c"
_PYTHON = shlex.quote(sys.executable)

ACCEPT_PURE = f"or accept the slower pure-Python module: unset {ENV_VAR}"
BUILD_IN_PLACE = f"{ENV_VAR}=0 {_PYTHON} setup.py build_ext --inplace"
REINSTALL_BINARY = f"{_PYTHON} -m pip install --force-reinstall --no-cache-dir ctxlocal"
REINSTALL_FROM_SOURCE = (
    f"{ENV_VAR}=0 {_PYTHON} -m pip install --force-reinstall --no-cache-dir --no-binary ctxlocal ctxlocal"
)


@dataclass(frozen=True)
class Absence:
    """Why the compiled module is not in use (``reason``, a clause that
    follows "but"), and the commands that would fix it (``fixes``)."""

    reason: str
    fixes: Tuple[str, ...]


def compiled_files() -> List[str]:
    """The compiled module's files in the package that this interpreter can
    load (its own extension suffixes), in the import system's order."""
    names = (os.path.join(PACKAGE_DIR, _STEM + suffix) for suffix in EXTENSION_SUFFIXES)
    return [name for name in names if os.path.isfile(name)]


def _other_builds() -> List[str]:
    """Files of the compiled module built for other interpreters."""
    own = {_STEM + suffix for suffix in EXTENSION_SUFFIXES}
    return sorted(
        name
        for name in os.listdir(PACKAGE_DIR)
        if name.startswith(_STEM + ".") and name.endswith((".so", ".pyd")) and name not in own
    )


def _pure_wheel() -> Optional[str]:
    """The ``WHEEL`` file of the installed ``ctxlocal`` distribution that owns
    this package, if its tags say pure Python (``py3-none-any``); ``None``
    otherwise, or if no installed distribution owns this package (a copy on
    ``sys.path`` may shadow an installed one)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("ctxlocal")
    except metadata.PackageNotFoundError:
        return None
    owned = os.path.realpath(str(dist.locate_file("ctxlocal/__init__.py")))
    if owned != os.path.realpath(os.path.join(PACKAGE_DIR, "__init__.py")):
        return None
    text = dist.read_text("WHEEL") or ""
    tags = [line.partition(":")[2].strip() for line in text.splitlines() if line.startswith("Tag:")]
    if not tags or not all(tag.endswith("-none-any") for tag in tags):
        return None
    where = [str(entry.locate()) for entry in dist.files or () if entry.name == "WHEEL"]
    return f"Tag: {', '.join(tags)} in {where[0] if where else 'its WHEEL file'}"


def explain(error: Optional[BaseException]) -> Absence:
    """Why the compiled module is not in use here.

    ``error`` is what importing it raised, or ``None`` if it was not tried
    (on an interpreter it is never built for).
    """
    unsupported = compiled_unsupported_reason()
    if unsupported is not None:
        return Absence(
            f"it is never built for {unsupported}",
            (f"unset {ENV_VAR} (the pure module is this interpreter's)", "or run CPython"),
        )
    source_tree = os.path.isfile(os.path.join(SOURCE_ROOT, "setup.py"))
    build_here = f"cd {shlex.quote(SOURCE_ROOT)} && {BUILD_IN_PLACE}"
    present = compiled_files()
    if present:
        return Absence(
            f"{present[0]} does not import: {type(error).__name__}: {error}",
            (f"rebuild it: {build_here}" if source_tree else f"reinstall ctxlocal: {REINSTALL_BINARY}", ACCEPT_PURE),
        )
    expected = f"ctxlocal/{_STEM}{EXTENSION_SUFFIXES[0]}"
    if source_tree:
        others = _other_builds()
        built_elsewhere = f"; it is built for other interpreters: {', '.join(others)}" if others else ""
        return Absence(
            f"it is not built for this interpreter in the source tree {SOURCE_ROOT}"
            f" (no {expected}){built_elsewhere}",
            (build_here, ACCEPT_PURE),
        )
    from_source = f"or compile it from source (needs a C compiler and Python's headers): {REINSTALL_FROM_SOURCE}"
    pure_wheel = _pure_wheel()
    if pure_wheel is not None:
        return Absence(
            f"ctxlocal was installed from a pure-Python wheel ({pure_wheel}), which has no"
            f" compiled module: pip takes that wheel where no binary wheel fits this interpreter"
            f" and platform, and a wheel built from source with {ENV_VAR} set to a true value"
            f" is one too",
            (f"where a binary wheel exists for this platform: {REINSTALL_BINARY}", from_source, ACCEPT_PURE),
        )
    return Absence(
        f"it is not in {PACKAGE_DIR} (no {expected}). Likely causes: ctxlocal was installed"
        f" from the pure-Python py3-none-any wheel, or built from source with {ENV_VAR} set,"
        f" or the file was removed since",
        (
            f"where a binary wheel exists for this platform: {REINSTALL_BINARY}",
            from_source,
            ACCEPT_PURE,
        ),
    )


def required_but_absent(error: Optional[BaseException]) -> ImportError:
    """The ``ImportError`` for a ``CTXLOCAL_NO_EXTENSIONS`` that requires the
    compiled module where it cannot be used; the caller raises it ``from
    error``, what importing the module raised (``None`` if not tried)."""
    setting = os.environ.get(ENV_VAR)
    absence = explain(error)
    present = compiled_files()
    message = "\n".join(
        [
            f"{ENV_VAR}={setting!r} requires ctxlocal's compiled module, {MODULES[CYTHON]},"
            f" but {absence.reason}.",
            "To fix it:",
            *(f"  {fix}" for fix in absence.fixes),
        ]
    )
    return ImportError(message, name=MODULES[CYTHON], path=present[0] if present else None)
