"""``python -m bench.startup`` end to end, one round: both comparisons run and are reported."""

from __future__ import annotations

import pytest

from .startup import GOALS_MS, main


def test_startup_report(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("flask")
    assert main(["--rounds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert set(rows) == set(GOALS_MS)
    for name, row in rows.items():
        baseline, hooked = float(row[1]), float(row[2])
        assert baseline > 0 and hooked > 0
        assert row[-1] == "met"  # "met" or "NOT met": a verdict, not a figure
