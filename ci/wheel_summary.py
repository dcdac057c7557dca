"""The closing table of ci/build-wheels.sh: every artifact and how its tests went.

Usage: python ci/wheel_summary.py OUT_DIR REPORTS_DIR

One row per ``ctxlocal-*`` file in OUT_DIR, in the order sdist, binary wheels
by CPython version, pure wheel: its size, and from the JSON report that
``ci/run_installed_tests.py --report`` wrote for it into REPORTS_DIR (matched
by its ``label``, the artifact's file name) the interpreter, the
implementation in use and the test counts. An artifact without a report is
marked "not tested here". Runs in build-wheels.sh's tools venv, which has
packaging (file names) and tabulate (the table).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

from packaging.utils import parse_wheel_filename
from tabulate import tabulate


def order(artifact: Path) -> Tuple[int, int, str]:
    """sdist, then binary wheels by Python version, then the pure wheel."""
    if artifact.suffix != ".whl":
        return (0, 0, "")
    _, _, _, tags = parse_wheel_filename(artifact.name)
    interpreter = min(tag.interpreter for tag in tags)
    if interpreter.startswith("cp"):
        return (1, int(interpreter[3:]), interpreter)
    return (2, 0, interpreter)


def tests_cell(data: Dict[str, Any]) -> str:
    if data["probe_only"]:
        cell = "import check only"
    else:
        cell = ", ".join(f"{n} {kind}" for kind, n in data["counts"].items()) or "no test counts"
    if data["status"]:
        cell = f"FAILED (exit {data['status']}): {cell}"
    return cell


def main(out: Path, reports: Path) -> None:
    results = {}
    for report in sorted(reports.glob("*.json")):
        data = json.loads(report.read_text())
        results[data["label"]] = data
    rows: List[List[str]] = []
    for artifact in sorted(out.glob("ctxlocal-*"), key=order):
        size = f"{artifact.stat().st_size / 1024:.0f} KiB"
        data = results.get(artifact.name)
        if data is None:
            rows.append([artifact.name, size, "-", "-", "not tested here"])
        else:
            rows.append([artifact.name, size, data["python"], data["implementation"], tests_cell(data)])
    headers = ["artifact", "size", "python", "implementation", "tests"]
    print(tabulate(rows, headers, tablefmt="plain", disable_numparse=True))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    main(Path(sys.argv[1]), Path(sys.argv[2]))
