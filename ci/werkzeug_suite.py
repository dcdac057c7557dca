"""Run Werkzeug's own tests of ``werkzeug.local`` against ctxlocal.

Downloads the sdist of the Werkzeug release installed in this interpreter
(``pip download --no-binary``), takes its ``tests/test_local.py``, changes
only its ``from werkzeug import local`` into ``import ctxlocal as local``, and
runs it with pytest from a temporary folder, once per implementation asked
for. Before each run it checks that ``import ctxlocal`` binds that
implementation under the run's environment, so a missing compiled module
cannot pass as a compiled run. Every test must pass: no failure, no error,
no skip (counted from pytest's ``--junitxml`` report), and at least one ran.

Usage: python ci/werkzeug_suite.py [--impl cython,python] [--src DIR]
  --impl  implementations to run: "cython" (CTXLOCAL_NO_EXTENSIONS=0) and/or
          "python" (CTXLOCAL_NO_EXTENSIONS=1); default both
  --src   folder put first on PYTHONPATH (a checkout with the extension built
          in place); default: none, ctxlocal as installed
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import runpy
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Dict, List

# The registry of implementations (names, the CTXLOCAL_NO_EXTENSIONS value
# asking for each), read from its file: this process does not import the
# ctxlocal it tests, which the children find under --src or installed.
REGISTRY: Dict[str, Any] = runpy.run_path(
    str(Path(__file__).resolve().parent.parent / "ctxlocal" / "_implementations.py")
)
IMPORT_LINE = "from werkzeug import local\n"


def fetch_tests(work: Path) -> Path:
    """Werkzeug's tests/test_local.py from the installed release's sdist."""
    version = importlib.metadata.version("werkzeug")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
         "--no-binary", ":all:", "-d", str(work), f"werkzeug=={version}"],
        check=True,
    )
    (sdist,) = work.glob("werkzeug-*.tar.gz")
    with tarfile.open(sdist) as archive:
        member = archive.getmember(f"werkzeug-{version}/tests/test_local.py")
        source = archive.extractfile(member)
        assert source is not None
        text = source.read().decode()
    if text.count(IMPORT_LINE) != 1:
        raise SystemExit(f"werkzeug {version}: expected one {IMPORT_LINE!r} in tests/test_local.py")
    tests = work / "tests"
    tests.mkdir()
    (tests / "test_local.py").write_text(text.replace(IMPORT_LINE, "import ctxlocal as local\n"))
    # An empty configuration: none of this checkout's pytest settings apply.
    (tests / "pytest.ini").write_text("[pytest]\n")
    print(f"werkzeug-suite: tests/test_local.py of werkzeug {version}")
    return tests


def run(tests: Path, impl: str, src: str) -> None:
    env: Dict[str, str] = REGISTRY["environ_for"](impl)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    picked = subprocess.run(
        [sys.executable, "-c", "import ctxlocal; print(ctxlocal.IMPLEMENTATION)"],
        cwd=tests, env=env, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.strip()
    if picked != impl:
        raise SystemExit(f"werkzeug-suite: import ctxlocal picked {picked!r}, not {impl!r}")
    junit = tests.parent / f"junit-{impl}.xml"
    status = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", f"--junitxml={junit}"],
        cwd=tests, env=env,
    ).returncode
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if junit.exists():
        for suite in ET.parse(junit).iter("testsuite"):
            for key in counts:
                counts[key] += int(suite.get(key, 0))
    if status != 0 or not counts["tests"] or any(counts[k] for k in ("failures", "errors", "skipped")):
        summary = ", ".join(f"{n} {key}" for key, n in counts.items())
        raise SystemExit(f"werkzeug-suite: {impl}: Werkzeug's tests did not all pass ({summary}; exit {status})")
    print(f"werkzeug-suite: {impl}: {counts['tests']} passed")


def main(argv: List[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--impl", default=",".join(REGISTRY["NAMES"]))
    parser.add_argument("--src", default="")
    args = parser.parse_args(argv)
    impls = args.impl.split(",")
    unknown = set(impls) - set(REGISTRY["NAMES"])
    if unknown:
        parser.error(f"unknown implementation(s): {', '.join(sorted(unknown))}")
    src = str(Path(args.src).resolve()) if args.src else ""
    with tempfile.TemporaryDirectory(prefix="ctxlocal-werkzeug-") as work:
        tests = fetch_tests(Path(work))
        for impl in impls:
            run(tests, impl, src)


if __name__ == "__main__":
    main(sys.argv[1:])
