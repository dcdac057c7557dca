"""The committed chart (docs/_static/proxy-read.svg) is what bench/results makes.

The chart is drawn by docs/bench_chart.py from the benchmark's JSON files; a
new run written to bench/results without redrawing it fails here, and so does
a chart edited by hand. Repository-only (ci/run_installed_tests.py leaves it
out): it needs docs/ and bench/.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent


def _chart_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_chart", REPO / "docs" / "bench_chart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_chart", module)
    spec.loader.exec_module(module)
    return module


def test_the_committed_svg_is_what_the_results_make() -> None:
    chart = _chart_module()
    expected = chart.render(chart.load_series(chart.RESULTS))
    committed = chart.OUTPUT.read_text(encoding="utf-8")
    assert committed == expected, "run: python docs/bench_chart.py, and commit the SVG"


def test_every_results_file_is_drawn_with_its_own_medians() -> None:
    chart = _chart_module()
    series = dict(chart.load_series(chart.RESULTS))
    files = sorted(chart.RESULTS.glob("results-*.json"))
    assert len(series) == len(files) >= 2
    svg = chart.OUTPUT.read_text(encoding="utf-8")
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        env = data["environment"]
        interpreter = f"{env['python_implementation']} {env['python']}"
        werkzeug = [r for r in data["results"] if r["op"] == chart.OP and r["impl"] == "werkzeug"]
        assert len(werkzeug) == 1
        # The bar's tooltip carries the median as the JSON holds it.
        assert series[interpreter]["werkzeug"] == werkzeug[0]["median_ns"]
        assert f"werkzeug: {chart._ns(werkzeug[0]['median_ns'])} ns</title>" in svg
