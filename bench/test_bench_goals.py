"""``python -m bench.goals`` on a tiny run: every goal measured and judged."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from .goals import GOALS, from_json, main


@pytest.mark.skipif(
    sys.version_info < (3, 11) or importlib.util.find_spec("ctxlocal._local_c") is None,
    reason="the goals concern the compiled module (built) on CPython 3.11+",
)
def test_every_goal_gets_a_ratio_and_a_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rounds", "2", "--number", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| operation")]
    assert [row.split(" | ")[0][2:] for row in rows] == [goal.label for goal in GOALS]
    for row, goal in zip(rows, GOALS):
        ratio = re.search(r"\| ([0-9.]+)× \| (.*) \|$", row)
        assert ratio is not None and float(ratio.group(1)) > 0
        assert (ratio.group(2) == "") == (goal.limit is None)


@pytest.mark.skipif(
    sys.version_info < (3, 11) or importlib.util.find_spec("ctxlocal._local_c") is None,
    reason="the goals concern the compiled module (built) on CPython 3.11+",
)
def test_json_gives_back_the_printed_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "goals.json"
    assert main(["--rounds", "1", "--number", "20", "--json", str(path)]) == 0
    printed = capsys.readouterr().out.splitlines()
    rendered = from_json(json.loads(path.read_text(encoding="utf-8"))).splitlines()
    # The same table; only the heading says more (machine, date, rounds).
    assert rendered[1:] == printed[1:]
    assert rendered[0].startswith(f"CPython {sys.version.split()[0]} (")
    assert "medians of 1 rounds of 20 runs" in rendered[0]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        main(["--rounds", "0"])
