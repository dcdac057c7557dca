"""``python3 -m bench.venv [--chart] [--dry-run] [ARGS...]``: the full table from a fresh clone.

Run it from the repository root with the interpreter to measure. It

1. makes a virtual environment for that interpreter at the repository root,
   ``.venv-bench-<python>`` (``.venv-bench-3.11``, ``.venv-bench-pypy3.9``,
   ``.venv-bench-3.14t``; git-ignored), or reuses it;
2. installs pyproject.toml's ``bench`` dependency group into it (Werkzeug,
   greenlet, Cython, setuptools, pytest-benchmark; pip is upgraded first, as
   ``--group`` needs pip 25.1) and, with ``--chart``, matplotlib;
3. on CPython (either build), builds the compiled module into the checkout
   (``CTXLOCAL_NO_EXTENSIONS=0 python setup.py build_ext --inplace``: a failed
   compile stops here). From the repository root ``import ctxlocal`` finds the
   checkout's ``ctxlocal/`` before any installed copy, so that folder is the
   one that needs the extension. PyPy never gets it;
4. runs ``python -m bench ARGS`` with the venv's interpreter: every argument
   this command does not know goes there (``--quick``, ``--ops``,
   ``--output-dir``..., see ``python -m bench --help``).

Later runs reuse the venv, install nothing that is already there and rebuild
the extension only if its source changed. The venv also runs the
pytest-benchmark suite: ``.venv-bench-3.11/bin/python -m pytest bench``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from typing import Dict, List, NamedTuple, Optional, Sequence

from ctxlocal._implementations import free_threaded

from .__main__ import ROOT, compiled_expected
from .report import python_tag

# pip's --group: the bench dependency group of the checkout's pyproject.toml.
GROUP = f"{os.path.join(ROOT, 'pyproject.toml')}:bench"

# What must match for a venv to be reused: implementation, version, GIL.
_IDENTITY = (
    "import sys, sysconfig;"
    " print(sys.implementation.name, sys.version_info[:2], sysconfig.get_config_var('Py_GIL_DISABLED'))"
)


class Step(NamedTuple):
    title: str
    argv: List[str]
    # Variables to set, or to remove (None), for this step only.
    env: Dict[str, Optional[str]] = {}
    # What to tell when the step fails.
    hint: str = ""


def venv_dir() -> str:
    """``.venv-bench-3.11`` (CPython), ``.venv-bench-pypy3.9``, ``.venv-bench-3.14t``."""
    return f".venv-bench-{python_tag()}{'t' if free_threaded() else ''}"


def venv_python(venv: str) -> str:
    if os.name == "nt":
        return os.path.join(venv, "Scripts", "python.exe")
    return os.path.join(venv, "bin", "python")


def _identity(python: str) -> Optional[str]:
    try:
        done = subprocess.run([python, "-c", _IDENTITY], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout


def reusable(venv: str) -> bool:
    """Whether ``venv`` exists and runs the same interpreter as this one."""
    python = os.path.join(ROOT, venv_python(venv))
    return os.path.exists(python) and _identity(python) == _identity(sys.executable)


def plan(venv: str, exists: bool, chart: bool, bench_args: Sequence[str]) -> List[Step]:
    """The commands to run from the repository root, in order."""
    python = os.path.join(ROOT, venv_python(venv))
    steps = []
    if not exists:
        steps.append(Step(
            "virtual environment", [sys.executable, "-m", "venv", "--clear", os.path.join(ROOT, venv)],
            hint="Debian and Ubuntu: apt-get install python3-venv (pypy3-venv for PyPy)",
        ))
    start_over = f"to start over: rm -rf {shlex.quote(os.path.join(ROOT, venv))}"
    steps.append(Step(
        "pip (--group needs 25.1)",
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip"],
        hint=start_over,
    ))
    steps.append(Step(
        "requirements",
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--group", GROUP,
         *(["matplotlib"] if chart else [])],
        hint=start_over,
    ))
    if compiled_expected():
        steps.append(Step(
            "compiled module, built into the checkout",
            [python, "setup.py", "-q", "build_ext", "--inplace"],
            {"CTXLOCAL_NO_EXTENSIONS": "0"},
            hint="it needs a C compiler and this Python's headers (python3-dev on Debian)",
        ))
    # Unset: the benchmark measures the compiled module whenever it imports.
    steps.append(Step("benchmark", [python, "-m", "bench", *bench_args],
                      {"CTXLOCAL_NO_EXTENSIONS": None}))
    return steps


def _show(step: Step) -> str:
    settings = [f"{name}={value}" for name, value in step.env.items() if value is not None]
    unset = [f"-u {name}" for name, value in step.env.items() if value is None]
    prefix = " ".join(["env", *unset, *settings]) + " " if step.env else ""
    return prefix + " ".join(shlex.quote(arg) for arg in step.argv)


def _run(step: Step) -> int:
    env = dict(os.environ)
    for name, value in step.env.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.call(step.argv, cwd=ROOT, env=env)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m bench.venv",
        description="Make or reuse a venv with what the full table needs (.venv-bench-<python>),"
                    " build the compiled module into the checkout (CPython), then run"
                    " python -m bench there with the other arguments.",
        epilog="Every other argument goes to python -m bench (python -m bench --help).",
        allow_abbrev=False,
    )
    parser.add_argument("--chart", action="store_true",
                        help="also install matplotlib, for the chart-<python>.png")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the commands, run nothing")
    args, bench_args = parser.parse_known_args(argv)
    venv = venv_dir()
    steps = plan(venv, reusable(venv), args.chart, bench_args)
    for step in steps:
        print(f"==== bench.venv: {step.title}: {_show(step)}", file=sys.stderr, flush=True)
        if args.dry_run:
            continue
        status = _run(step)
        if status and step.hint:
            print(f"bench.venv: {step.title} failed (exit status {status}); {step.hint}",
                  file=sys.stderr)
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
