"""Run the test suite against an *installed* ctxlocal, never the source tree.

cibuildwheel's ``test-command`` (so it is plain Python: it runs on Windows
too), and the installed-wheel runs of ``ci/build-wheels.sh`` and
``ci/test-pypy.sh``.

pytest runs ``tests/`` in the current directory, with the settings of the
``pyproject.toml`` there (strict markers, ``filterwarnings = error``):
cibuildwheel's ``test-sources`` copies both into its test directory. Run from
a checkout or an unpacked sdist, ``--copy-from DIR`` first copies the same two
from DIR into a temporary directory and runs there.

The guarantees:

* the directory holds no ``ctxlocal`` package (tests' subprocesses put the
  tests' parent directory on ``PYTHONPATH``), and ``import ctxlocal`` from
  there, as pytest will import it, resolves to site-packages;
* ``ctxlocal.IMPLEMENTATION`` is the one the caller expects (``--expect``): a
  compiled wheel never passes by testing the pure module;
* the installed hooks of ``ctxlocal-run`` (the console script and
  ``ctxlocal-install.pth``) are there: ``CTXLOCAL_REQUIRE_INSTALLED_HOOKS=1``
  turns their tests' skips into failures;
* pytest exits 0 and at least one test passed (counted from its
  ``--junitxml`` report), so a run that executed nothing fails;
* on free-threaded CPython (the wheel workflow's cp314t and cp315t: the only
  real free-threaded runs), also: the GIL is off after ``import ctxlocal`` and
  after ``ctxlocal.install(); import flask`` (:data:`GIL_PROBE`), and the
  suite passes again under pytest-run-parallel, each thread-safe test run by
  ``PARALLEL_THREADS`` threads at once (:func:`parallel_command`; the others
  are marked in ``tests/conftest.py`` and skipped there).

``tests/test_packaging.py`` (checks of the repository's CI files, absent from
the sdist) is left out. With ``--report`` the outcome is also written as JSON,
for ``ci/wheel_summary.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

# The registry of implementations, read from its file: this process must not
# import ctxlocal from the source tree.
REGISTRY: Dict[str, Any] = runpy.run_path(
    str(Path(__file__).resolve().parent.parent / "ctxlocal" / "_implementations.py")
)
# What cibuildwheel's test-sources copies (pyproject.toml; tests/test_packaging.py
# checks the two lists agree).
SOURCES = ["tests", "pyproject.toml"]
# Checks of the repository (ci/, .github/, README.md, docs/, bench/results) and
# of its generated code, not of the installed package.
REPO_ONLY_TESTS = [
    "tests/test_packaging.py",
    "tests/test_datamodel.py",
    "tests/test_readme.py",
    "tests/test_docs_chart.py",
    "tests/test_docs_typing.py",
]

# Whether this interpreter is free-threaded CPython.
FREE_THREADED = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
PARALLEL_THREADS = 4

# On free-threaded CPython: sys._is_gil_enabled() after importing ctxlocal, and
# after installing it and importing Flask (both must be False).
GIL_PROBE = (
    "import json, sys, ctxlocal; after_import = sys._is_gil_enabled(); "
    "ctxlocal.install(); import flask; "
    "print(json.dumps([after_import, sys._is_gil_enabled()]))"
)

# Run in the interpreter under test, from the test directory, so the import
# sees the same sys.path as pytest's process will.
PROBE = (
    "import json, ctxlocal; "
    "print(json.dumps({'file': ctxlocal.__file__, "
    "'implementation': ctxlocal.IMPLEMENTATION, "
    "'version': ctxlocal.__version__}))"
)


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--expect",
        choices=REGISTRY["NAMES"],
        required=True,
        help="implementation that ctxlocal.IMPLEMENTATION must report",
    )
    parser.add_argument(
        "--copy-from",
        type=Path,
        metavar="DIR",
        help="copy DIR's tests/ and pyproject.toml to a temporary directory and run there "
        "(default: run in the current directory, as cibuildwheel's test-sources lays it out)",
    )
    parser.add_argument("--quick", action="store_true", help="deselect tests marked slow")
    parser.add_argument(
        "--probe-only", action="store_true", help="check the import and implementation, run no test"
    )
    parser.add_argument("--report", type=Path, help="write the outcome as JSON to this file")
    parser.add_argument("--label", default="", help="name of the artifact under test, for the report")
    return parser.parse_args(argv)


def probe(workdir: Path, expect: str) -> Dict[str, str]:
    """Import ctxlocal as pytest will and check where it came from."""
    if (workdir / "ctxlocal").exists():
        raise SystemExit(f"{workdir} holds a ctxlocal package: run from a copy of the tests")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=workdir, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    info: Dict[str, str] = json.loads(out.strip().splitlines()[-1])
    location = Path(info["file"]).resolve()
    site_dirs = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    if not any(site in location.parents for site in site_dirs):
        raise SystemExit(f"ctxlocal imported from {location}, not from site-packages {sorted(site_dirs)}")
    if info["implementation"] != expect:
        raise SystemExit(
            f"ctxlocal.IMPLEMENTATION is {info['implementation']!r}, expected {expect!r} "
            f"({REGISTRY['ENV_VAR']}={os.environ.get(REGISTRY['ENV_VAR'])!r})"
        )
    print(f"ctxlocal {info['version']} from {location}: IMPLEMENTATION={info['implementation']}")
    return info


def check_gil_stays_off(workdir: Path) -> None:
    """On free-threaded CPython: SystemExit unless the GIL stays off."""
    out = subprocess.run(
        [sys.executable, "-c", GIL_PROBE], cwd=workdir, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    after_import, after_flask = json.loads(out.strip().splitlines()[-1])
    if after_import or after_flask:
        raise SystemExit(
            f"the GIL is on: after import ctxlocal {after_import}, after install() and import flask"
            f" {after_flask}"
        )
    print("free-threaded: the GIL stays off after import ctxlocal and after install(); import flask")


def parallel_command() -> List[str]:
    """pytest's arguments for the suite under pytest-run-parallel: each test
    run by PARALLEL_THREADS threads at once, the ones marked thread-unsafe
    (tests/conftest.py says why, test by test) left out: the run before
    this one ran them."""
    return [f"--parallel-threads={PARALLEL_THREADS}", "--skip-thread-unsafe=True"]


def run_pytest(
    workdir: Path, quick: bool, junit: Path, extra: Sequence[str] = ()
) -> "tuple[int, Dict[str, int]]":
    """pytest's exit status and its counts (from the JUnit XML report)."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={junit}", *extra]
    command += [f"--ignore={path}" for path in REPO_ONLY_TESTS]
    if quick:
        command += ["-m", "not slow"]
    command.append("tests")
    print("+", " ".join(command), flush=True)
    # An installed ctxlocal has its console script ctxlocal-run and its
    # ctxlocal-install.pth: the tests of the two fail here if they are missing.
    env = dict(os.environ, CTXLOCAL_REQUIRE_INSTALLED_HOOKS="1")
    status = subprocess.run(command, cwd=workdir, env=env).returncode
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if junit.exists():
        for suite in ET.parse(junit).iter("testsuite"):
            for key in total:
                total[key] += int(suite.get(key, 0))
    tests = total.pop("tests")
    # JUnit counts xfailed tests as skipped.
    counts = {"passed": tests - sum(total.values()), "failed": total["failures"],
              "errors": total["errors"], "skipped": total["skipped"]}
    return status, {key: n for key, n in counts.items() if n}


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ctxlocal-tests-") as tmp:
        workdir = Path.cwd()
        if args.copy_from:
            workdir = Path(tmp) / "run"
            workdir.mkdir()
            for name in SOURCES:
                source = args.copy_from / name
                if source.is_dir():
                    shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy(source, workdir / name)
        info = probe(workdir, args.expect)
        if FREE_THREADED:
            check_gil_stays_off(workdir)
        if args.probe_only:
            status, counts = 0, {}
        else:
            status, counts = run_pytest(workdir, args.quick, Path(tmp) / "junit.xml")
            if FREE_THREADED and status == 0:
                status, parallel_counts = run_pytest(
                    workdir, args.quick, Path(tmp) / "junit-parallel.xml", parallel_command()
                )
                if not parallel_counts.get("passed"):
                    print("pytest-run-parallel passed no test", file=sys.stderr)
                    status = status or 1
    report = {
        "label": args.label,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "implementation": info["implementation"],
        "status": status,
        "counts": counts,
        "probe_only": args.probe_only,
    }
    print("result:", json.dumps(report))
    if args.report:
        args.report.write_text(json.dumps(report) + "\n")
    if not args.probe_only and status == 0 and not counts.get("passed"):
        print("pytest passed no test", file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
