"""The docs' and README's chart, an SVG drawn from bench/results/*.json.

Usage, from the repository root: ``python docs/bench_chart.py`` writes
``docs/_static/proxy-read.svg``; ``--check`` only compares, and exits 1 when
the committed file is not what the results make (tests/test_docs_chart.py
runs that comparison).

One chart: ``request.value`` through ``LocalProxy(var, "request")`` (the
shape of Flask's ``request``), nanoseconds per read for each implementation
measured (``cython``, ``python``, ``werkzeug``, ``floor``), one group of bars
per interpreter, on a log scale (the figures span 1 to 1,000 ns). Plain SVG
written here: no plotting library, and the same bytes for the same results.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
OUTPUT = REPO / "docs" / "_static" / "proxy-read.svg"

OP = "read:ContextVar+name"
ORDER = ("cython", "python", "werkzeug", "floor")
COLORS = {"cython": "#1f77b4", "python": "#ff7f0e", "werkzeug": "#2ca02c", "floor": "#7f7f7f"}

# Layout, in SVG user units (pixels).
WIDTH = 760
LEFT = 150  # interpreter names
RIGHT = 70  # room for the value after the longest bar
TOP = 56
BAR = 14
GAP = 14  # between interpreters
AXIS_MIN, AXIS_MAX = 0.5, 2000.0  # ns, log scale

Series = Tuple[str, Dict[str, float]]  # (interpreter, {implementation: median ns})


def load_series(results_dir: Path) -> List[Series]:
    """``[(interpreter, {impl: ns})]`` for :data:`OP`, CPython first, then by version."""
    sys.path.insert(0, str(REPO))
    from bench.report import load_json

    found = []
    for path in sorted(results_dir.glob("results-*.json")):
        env, results = load_json(str(path))
        medians = {r.impl: r.median_ns for r in results if r.op == OP and r.samples_ns}
        if not medians:
            continue
        version = tuple(int(part) for part in env["python"].split(".")[:3])
        key = (env["python_implementation"] != "CPython", version)
        found.append((key, (f"{env['python_implementation']} {env['python']}", medians)))
    return [series for _, series in sorted(found)]


def _x(ns: float) -> float:
    span = math.log10(AXIS_MAX) - math.log10(AXIS_MIN)
    return LEFT + (WIDTH - LEFT - RIGHT) * (math.log10(ns) - math.log10(AXIS_MIN)) / span


def _ns(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def render(series: Sequence[Series]) -> str:
    """The SVG text of the chart."""
    rows = sum(len(medians) for _, medians in series)
    plot_bottom = TOP + rows * BAR + len(series) * GAP
    height = plot_bottom + 44
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"'
        f' viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">',
        "<title>request.value through a proxy, ns per read: ctxlocal (compiled, pure),"
        " Werkzeug and the floor</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="14" font-weight="bold">'
        "request.value through LocalProxy(var, &quot;request&quot;): ns per read</text>",
    ]
    legend_x = 10
    for name in ORDER:
        out.append(f'<rect x="{legend_x}" y="32" width="12" height="12" fill="{COLORS[name]}"/>')
        out.append(f'<text x="{legend_x + 16}" y="42">{name}</text>')
        legend_x += 90
    out.append('<text x="{:.1f}" y="42" fill="#555">shorter is faster; log scale</text>'.format(legend_x + 10))
    # Grid lines and their labels at each power of ten.
    for exponent in range(0, 4):
        ns = 10.0**exponent
        x = _x(ns)
        out.append(f'<line x1="{x:.1f}" y1="{TOP - 4}" x2="{x:.1f}" y2="{plot_bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{plot_bottom + 16}" text-anchor="middle">{ns:g} ns</text>')
    y = TOP
    for interpreter, medians in series:
        names = [name for name in ORDER if name in medians]
        middle = y + len(names) * BAR / 2
        out.append(
            f'<text x="{LEFT - 8}" y="{middle + 4:.1f}" text-anchor="end">{escape(interpreter)}</text>'
        )
        for name in names:
            ns = medians[name]
            end = _x(ns)
            out.append(
                f'<rect x="{LEFT}" y="{y + 1}" width="{end - LEFT:.1f}" height="{BAR - 2}"'
                f' fill="{COLORS[name]}"><title>{name}: {_ns(ns)} ns</title></rect>'
            )
            out.append(f'<text x="{end + 4:.1f}" y="{y + BAR - 3}" font-size="11">{_ns(ns)}</text>')
            y += BAR
        y += GAP
    out.append(
        f'<text x="10" y="{height - 8}" font-size="10" fill="#555">'
        "Median of 15 interleaved samples per cell, from bench/results/results-*.json"
        " (python -m bench; PyPy with --isolate).</text>"
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed SVG only")
    args = parser.parse_args(argv)
    svg = render(load_series(RESULTS))
    if args.check:
        if OUTPUT.read_text(encoding="utf-8") != svg:
            print(f"{OUTPUT} differs from what bench/results makes: run python docs/bench_chart.py",
                  file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(svg, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
