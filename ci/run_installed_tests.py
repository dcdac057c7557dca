"""Run the test suite against an *installed* ctxlocal, away from the source tree.

Used by ``ci/build-wheels.sh``, ``ci/test-pypy.sh`` and cibuildwheel's
``test-command`` (so it is plain Python: it must run on Windows too).

The tests and ``pyproject.toml`` (for the pytest settings: strict markers,
``filterwarnings = error``) are copied to a temporary directory and pytest
runs there, so ``import ctxlocal`` can only find the installed package. That is
checked before pytest starts, together with the implementation the caller
expects. The outcome (pytest's summary line parsed into counts) is printed and,
with ``--report``, written as JSON for the summary table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import runpy
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent
# The registry of implementations, read from its file: this process must not
# import ctxlocal from the source tree.
REGISTRY: Dict[str, Any] = runpy.run_path(str(REPO / "ctxlocal" / "_implementations.py"))
# Checks of the repository's CI files and generated code (need ci/,
# .github/): not tests of the installed package, and absent from the sdist.
REPO_ONLY_TESTS = ["test_packaging.py", "test_datamodel.py"]

# Run in the interpreter under test, from the temporary directory, so the
# import sees the same sys.path as pytest's process will.
PROBE = (
    "import json, ctxlocal; "
    "print(json.dumps({'file': ctxlocal.__file__, "
    "'implementation': ctxlocal.IMPLEMENTATION, "
    "'version': ctxlocal.__version__}))"
)

SUMMARY = re.compile(r"^=+ (?P<body>.*\d+ \w+.*) in [\d.]+s.* =+$")
COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?)")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--expect",
        choices=REGISTRY["NAMES"],
        required=True,
        help="implementation that ctxlocal.IMPLEMENTATION must report",
    )
    parser.add_argument("--tests", type=Path, default=REPO / "tests", help="tests directory to copy")
    parser.add_argument(
        "--config", type=Path, default=REPO / "pyproject.toml", help="file holding the pytest settings"
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


def summarize(output: str) -> Dict[str, int]:
    """Counts from pytest's final ``=== ... in 1.23s ===`` line."""
    for line in reversed(output.splitlines()):
        match = SUMMARY.match(line.strip())
        if match:
            counts: Dict[str, int] = {}
            for number, word in COUNT.findall(match.group("body")):
                key = {"error": "errors", "warning": "warnings"}.get(word, word)
                counts[key] = counts.get(key, 0) + int(number)
            return counts
    return {}


def run_pytest(workdir: Path, quick: bool) -> "tuple[int, str]":
    """Run pytest in ``workdir``, echoing its output as it comes."""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests"]
    if quick:
        command += ["-m", "not slow"]
    print("+", " ".join(command), flush=True)
    proc = subprocess.Popen(
        command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        lines.append(line)
    return proc.wait(), "".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ctxlocal-tests-") as tmp:
        workdir = Path(tmp)
        shutil.copytree(
            args.tests,
            workdir / "tests",
            ignore=shutil.ignore_patterns("__pycache__", *REPO_ONLY_TESTS),
        )
        # Same name as the original so pytest picks it as the rootdir config.
        shutil.copy(args.config, workdir / args.config.name)
        info = probe(workdir, args.expect)
        if args.probe_only:
            status, counts = 0, {}
        else:
            status, output = run_pytest(workdir, args.quick)
            counts = summarize(output)
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
