"""``python -m bench.flask_bench --json`` on one round of direct WSGI calls, and the
Markdown the docs render from the file it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .flask_bench import VIEWS, available_variants, main, markdown


def test_json_run_renders_its_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("flask")
    path = tmp_path / "flask.json"
    assert main(["--rounds", "1", "--json", str(path)]) == 0
    capsys.readouterr()
    text = markdown(json.loads(path.read_text(encoding="utf-8")))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    variants = available_variants()
    # A header, then one row per view and variant, stock first in each view.
    assert len(rows) == 1 + len(VIEWS) * len(variants)
    for index, view in enumerate(VIEWS):
        block = rows[1 + index * len(variants) : 1 + (index + 1) * len(variants)]
        assert [row.split(" | ")[:2] for row in block] == [
            [f"| {view}", "stock" if variant == "stock" else f"install(), {variant}"]
            for variant in variants
        ]
        assert block[0].endswith("| 1.00x |")
    assert all(row.endswith("x |") for row in rows[1:])
    assert "Through a real server" not in text
