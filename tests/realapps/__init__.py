"""Small real applications run in fresh interpreters, with and without install().

Flask and Quart build their globals when they are imported, so each run needs
its own interpreter. Every script here takes a mode argument and prints one
JSON object with ``results`` (must not depend on the mode) and ``meta`` (what
ran: proxy types, warnings):

* ``none``: stock Werkzeug, ctxlocal is not installed;
* ``before``: ``ctxlocal.install()`` before the framework is imported;
* ``after``: the framework and ``from <framework> import request`` first,
  then ``install()`` (which must rebuild the globals and warn).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Dict, List, Optional

import ctxlocal
from ctxlocal._implementations import MODULES, PYTHON, Name, environ_for

HERE = Path(__file__).resolve().parent
# The ctxlocal under test, so that the child imports the same package.
PACKAGE_ROOT = str(Path(ctxlocal.__file__).resolve().parent.parent)

# The proxy class each implementation's install() puts in place, and Werkzeug's.
PROXY_TYPE: Dict[str, str] = {name: f"{module}.LocalProxy" for name, module in MODULES.items()}
PROXY_TYPE["werkzeug"] = "werkzeug.local.LocalProxy"


def _child_env(implementation: Optional[Name]) -> Dict[str, str]:
    # implementation None: CTXLOCAL_NO_EXTENSIONS unset, ctxlocal's default choice.
    env = environ_for(implementation)
    env["PYTHONPATH"] = os.pathsep.join(
        [PACKAGE_ROOT] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def _run(argv: List[str], implementation: Optional[Name]) -> Dict[str, Any]:
    # Warnings are errors in the child as in the test run; a script that
    # expects a warning catches it itself.
    completed = subprocess.run(
        [sys.executable, "-W", "error", *argv],
        env=_child_env(implementation),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if completed.returncode != 0:
        raise AssertionError(
            f"child failed with exit code {completed.returncode}:\n{completed.stderr}"
        )
    return json.loads(completed.stdout)  # type: ignore[no-any-return]


def run_script(script: str, *args: str, implementation: Name = PYTHON) -> Dict[str, Any]:
    """Run ``realapps/<script>`` in a fresh interpreter; return its JSON output."""
    return _run([str(HERE / script), *args], implementation)


def run_code(code: str, implementation: Optional[Name] = PYTHON) -> Any:
    """Run ``code`` in a fresh interpreter; it must print one JSON value."""
    return _run(["-c", textwrap.dedent(code)], implementation)
