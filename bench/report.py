"""Presenting results: a text or Markdown table, JSON, and a matplotlib chart."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ctxlocal._implementations import CYTHON, PYTHON

from .impls import ALL, OURS, Impl
from .ops import GROUPS
from .runner import Result, Settings

__all__ = [
    "environment",
    "format_table",
    "load_json",
    "paired_ratio",
    "python_tag",
    "write_chart",
    "write_json",
]

_THREADS = "scaling: threads"
_COLORS = {CYTHON: "#1f77b4", PYTHON: "#ff7f0e", "werkzeug": "#2ca02c", "floor": "#7f7f7f"}
# ctxlocal's implementations in results files written before the bench took
# the project's names for them: load_json reads them under today's names.
_OLD_NAMES = {"compiled": CYTHON, "pure": PYTHON}


def python_tag() -> str:
    """``3.11`` on CPython, ``pypy3.10`` on PyPy: the suffix of the output files."""
    major, minor = sys.version_info[:2]
    prefix = "" if sys.implementation.name == "cpython" else sys.implementation.name
    return f"{prefix}{major}.{minor}"


def environment(
    impls: Sequence[Impl],
    missing: Dict[str, str],
    settings: Settings,
    quick: bool,
    loop_ns: float,
) -> Dict[str, Any]:
    """What the results were measured on and how."""
    try:
        import greenlet

        greenlet_version = greenlet.__version__
    except ImportError:
        greenlet_version = None
    return {
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "python_tag": python_tag(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "implementations": {impl.name: impl.version for impl in impls},
        "missing": missing,
        "greenlet": greenlet_version,
        "rounds": settings.rounds,
        "sample_seconds": settings.sample_s,
        "timer": settings.timer,
        "empty_loop_ns": loop_ns,
        "quick": quick,
        "command": " ".join(["python -m bench", *sys.argv[1:]]),
    }


# -- JSON ------------------------------------------------------------------------


def write_json(path: str, env: Dict[str, Any], results: Sequence[Result]) -> None:
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"environment": env, "results": [r.to_json() for r in results]}, file, indent=1)
        file.write("\n")


def _renamed(by_name: Dict[str, Any]) -> Dict[str, Any]:
    return {_OLD_NAMES.get(name, name): value for name, value in by_name.items()}


def load_json(path: str) -> Tuple[Dict[str, Any], List[Result]]:
    """Read what :func:`write_json` wrote, old names (``compiled``, ``pure``) as today's."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    results = []
    for item in data["results"]:
        result = Result.from_json(item)
        result.impl = _OLD_NAMES.get(result.impl, result.impl)
        results.append(result)
    env = dict(data["environment"])
    env["implementations"] = _renamed(env["implementations"])
    env["missing"] = _renamed(env["missing"])
    return env, results


# -- tables ------------------------------------------------------------------------


def _ns(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def _cell(result: Optional[Result], throughput: bool) -> str:
    """Median with half the interquartile range, in ns/op (Mops/s for throughput)."""
    if result is None:
        return "—"
    if not result.samples_ns:
        return "error"
    summary = result.summary()
    median = summary["median_ns"]
    spread = 50 * (summary["q3_ns"] - summary["q1_ns"]) / median
    value = f"{1e3 / median:.2f}" if throughput else _ns(median)
    return f"{value} ±{spread:.0f}%"


def paired_ratio(numerator: Result, denominator: Result) -> float:
    """The median over rounds of ``numerator / denominator``.

    Sample ``i`` of every implementation comes from round ``i``, taken within
    a fraction of a second of the others, so the ratio of a pair is free of
    the machine's drift between rounds; with unequal sample counts (not from
    the same run) this falls back to the ratio of the medians.
    """
    if len(numerator.samples_ns) != len(denominator.samples_ns):
        return numerator.median_ns / denominator.median_ns
    return statistics.median(
        n / d for n, d in zip(numerator.samples_ns, denominator.samples_ns)
    )


def _ratio(numerator: Optional[Result], denominator: Optional[Result]) -> str:
    if numerator is None or denominator is None or not (numerator.samples_ns and denominator.samples_ns):
        return "—"
    ratio = paired_ratio(numerator, denominator)
    return f"{ratio:.2f}×" if ratio < 10 else f"{ratio:.1f}×" if ratio < 100 else f"{ratio:.0f}×"


def _columns(present: Sequence[str]) -> List[str]:
    headers = [f"{name} ns/op" for name in present]
    ours = [name for name in OURS if name in present]
    if "werkzeug" in present:
        headers += [f"{name} speed-up vs werkzeug" for name in ours]
    if "floor" in present:
        headers += [f"{name} × floor" for name in ours]
    return headers


def _row(by_impl: Dict[str, Result], present: Sequence[str], throughput: bool) -> List[str]:
    cells = [_cell(by_impl.get(name), throughput) for name in present]
    ours = [name for name in OURS if name in present]
    if "werkzeug" in present:
        cells += [_ratio(by_impl.get("werkzeug"), by_impl.get(name)) for name in ours]
    if "floor" in present:
        cells += [_ratio(by_impl.get(name), by_impl.get("floor")) for name in ours]
    return cells


def _sections(results: Sequence[Result]) -> List[Tuple[str, List[Tuple[str, Dict[str, Result]]]]]:
    """``[(group, [(label, {impl: result})])]`` in display order."""
    rows: Dict[str, Dict[str, Dict[str, Result]]] = {}
    for result in results:
        rows.setdefault(result.group, {}).setdefault(result.label, {})[result.impl] = result
    order = {group: index for index, group in enumerate(GROUPS)}
    return [
        (group, list(rows[group].items()))
        for group in sorted(rows, key=lambda g: order.get(g, len(order)))
    ]


def _header_lines(env: Dict[str, Any]) -> List[str]:
    impls = "; ".join(f"{name} = {version}" for name, version in env["implementations"].items())
    lines = [
        f"{env['python_implementation']} {env['python']} on {env['platform']}"
        f" ({env['cpus']} CPUs), {env['date']}",
        f"implementations: {impls}",
    ]
    for name, reason in env["missing"].items():
        lines.append(f"not measured: {name} ({reason})")
    lines.append(
        f"method: median of {env['rounds']} interleaved samples of ~{env['sample_seconds'] * 1e3:.0f} ms"
        f" ({'CPU time: the thread’s, or all threads’ for thread scaling' if env['timer'] == 'cpu' else 'wall time'})"
        " per cell, ± half the interquartile range; ns per operation including the"
        f" loop's own cost ({env.get('empty_loop_ns', float('nan')):.1f} ns per empty iteration);"
        " speed-up = werkzeug time / ctxlocal time, × floor = ctxlocal time / floor time"
        " (1.00× = no overhead), each the median of the ratios within a round"
        + (" [--quick: rough figures]" if env["quick"] else "")
    )
    lines.append(f"command: {env['command']}")
    return lines


def _floors(results: Sequence[Result]) -> List[Tuple[str, str]]:
    seen: Dict[str, str] = {}
    for result in results:
        if result.impl == "floor":
            seen.setdefault(result.label, result.stmt)
    return list(seen.items())


def format_table(env: Dict[str, Any], results: Sequence[Result], markdown: bool) -> str:
    """The results as a readable text table, or as Markdown."""
    present = [name for name in ALL if any(r.impl == name for r in results)]
    headers = ["operation", *_columns(present)]
    body: List[List[str]] = []
    for group, rows in _sections(results):
        throughput = group == _THREADS
        title = f"{group} (million reads per second, all threads together; higher is better)" if throughput else group
        body.append([f"**{title}**" if markdown else f"-- {title}"])
        for label, by_impl in rows:
            shown = f"`{label}`" if markdown else label
            body.append([shown, *_row(by_impl, present, throughput)])
    if markdown:
        return _markdown(env, headers, body, results)
    return _text(env, headers, body, results)


def _text(env: Dict[str, Any], headers: List[str], body: List[List[str]], results: Sequence[Result]) -> str:
    # Two-line headers: the implementation, then the unit.
    top = [h.split(" ", 1)[0] if i else h for i, h in enumerate(headers)]
    bottom = [h.split(" ", 1)[1] if i and " " in h else "" for i, h in enumerate(headers)]
    full = [row for row in body if len(row) > 1]
    widths = [max(len(r[i]) for r in [top, bottom, *full]) for i in range(len(headers))]

    def line(cells: List[str]) -> str:
        first = cells[0].ljust(widths[0])
        return "  ".join([first, *(c.rjust(w) for c, w in zip(cells[1:], widths[1:]))]).rstrip()

    out = _header_lines(env) + ["", line(top), line(bottom)]
    for row in body:
        out.append(row[0] if len(row) == 1 else line(row))
    errors = [r for r in results if r.error]
    if errors:
        out += ["", "errors (these cells were not measured):"]
        out += [f"  {r.op} on {r.impl}: {r.error}" for r in errors]
    floors = _floors(results)
    if floors:
        out += ["", "floor (the same work without a library):"]
        out += [f"  {label:<{widths[0]}}  {stmt}" for label, stmt in floors]
    return "\n".join(out) + "\n"


def _markdown(env: Dict[str, Any], headers: List[str], body: List[List[str]], results: Sequence[Result]) -> str:
    out = [f"- {line}" for line in _header_lines(env)] + [""]
    out.append("| " + " | ".join(headers) + " |")
    out.append("|" + "|".join([":---", *["---:"] * (len(headers) - 1)]) + "|")
    for row in body:
        out.append("| " + " | ".join(row + [""] * (len(headers) - len(row))) + " |")
    errors = [r for r in results if r.error]
    if errors:
        out += ["", "Errors (these cells were not measured):", ""]
        out += [f"- `{r.op}` on {r.impl}: `{r.error}`" for r in errors]
    floors = _floors(results)
    if floors:
        out += ["", "<details><summary>The floor of each row: the same work without a library</summary>", ""]
        out += [f"- `{label}`: `{stmt}`" for label, stmt in floors]
        out += ["", "</details>"]
    return "\n".join(out) + "\n"


# -- chart -------------------------------------------------------------------------


def write_chart(path: str, env: Dict[str, Any], results: Sequence[Result]) -> None:
    """Horizontal bars (log scale) per operation, and line plots for the scaling runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [name for name in ALL if any(r.impl == name for r in results)]
    sections = _sections(results)
    bar_sections = [(group, rows) for group, rows in sections if not group.startswith("scaling")]
    bar_rows = [row for _, rows in bar_sections for row in rows]
    scaling = {group: rows for group, rows in sections if group.startswith("scaling")}

    height = max(6.0, 0.11 * len(bar_rows) * len(present) + 1.5)
    fig = plt.figure(figsize=(15, height))
    grid = fig.add_gridspec(
        3, 2, width_ratios=(3, 2), wspace=0.25, hspace=0.45, top=1 - 0.8 / height, bottom=0.05
    )
    fig.suptitle(
        f"ctxlocal benchmarks: {env['python_implementation']} {env['python']},"
        f" {env['platform']}, {env['date']}",
        fontsize=10,
    )
    if bar_rows:
        _bars(fig.add_subplot(grid[:, 0]), bar_sections, present)
    for index, (group, xlabel) in enumerate(
        [("scaling: stack depth", "stack depth"), ("scaling: Local size", "attributes present"),
         (_THREADS, "threads")]
    ):
        if group in scaling:
            _lines(fig.add_subplot(grid[index, 1]), group, scaling[group], present, xlabel)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _bars(ax: Any, sections: List[Any], present: Sequence[str]) -> None:
    """Grouped bars, one row of bars per operation, a rule and a title per section."""
    step = len(present) + 1
    rows = [row for _, section_rows in sections for row in section_rows]
    for offset, name in enumerate(present):
        ys, xs = [], []
        for index, (_, by_impl) in enumerate(rows):
            if name in by_impl and by_impl[name].samples_ns:
                ys.append(index * step + offset)
                xs.append(by_impl[name].median_ns)
        ax.barh(ys, xs, height=0.9, color=_COLORS[name], label=name)
    ax.set_yticks([i * step + (len(present) - 1) / 2 for i in range(len(rows))])
    ax.set_yticklabels([label for label, _ in rows], fontsize=7)
    first = 0
    for group, section_rows in sections:
        y = first * step - 1
        ax.axhline(y, color="black", linewidth=0.6)
        ax.annotate(group, xy=(1.0, y), xycoords=("axes fraction", "data"), xytext=(-3, -3),
                    textcoords="offset points", ha="right", va="top", fontsize=7, style="italic")
        first += len(section_rows)
    ax.set_ylim(len(rows) * step - 1, -1.5)
    ax.set_xscale("log")
    ax.set_xlabel("ns per operation (median, log scale; shorter is faster)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(present), fontsize=8, frameon=False)


def _lines(ax: Any, group: str, rows: List[Any], present: Sequence[str], xlabel: str) -> None:
    """One line per statement and implementation against the size parameter."""
    import matplotlib.ticker

    throughput = group == _THREADS
    # Rows are "<what>, <n> ...": one line per <what> and implementation.
    series: Dict[Tuple[str, str], List[Tuple[int, float]]] = {}
    for label, by_impl in rows:
        what, _, tail = label.rpartition(", ")
        x = int("".join(c for c in tail if c.isdigit()))
        for name, result in by_impl.items():
            if not result.samples_ns:
                continue
            y = 1e3 / result.median_ns if throughput else result.median_ns
            series.setdefault((what, name), []).append((x, y))
    styles = ["-", "--", ":"]
    whats = list(dict.fromkeys(what for what, _ in series))
    for (what, name), points in series.items():
        xs, ys = zip(*sorted(points))
        label = name if len(whats) == 1 else f"{name}: {what.split(',')[0]}"
        ax.plot(xs, ys, styles[whats.index(what) % 3], marker="o", markersize=3,
                color=_COLORS[name], label=label)
    ax.set_xscale("log")
    ticks = sorted({x for points in series.values() for x, _ in points})
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.minorticks_off()
    if group == "scaling: stack depth":  # Werkzeug's O(depth) costs span decades
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel("million reads/s, all threads" if throughput else "ns per operation", fontsize=8)
    ax.set_title(group, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(which="both", alpha=0.3)
    ax.legend(loc="best", fontsize=6, ncol=2)
