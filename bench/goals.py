"""The compiled module against its speed goals: ``python -m bench.goals``.

Each goal bounds the cost of one operation on ``ctxlocal._local_c`` by a
multiple (``limit``) of a *floor*, the same work written without ctxlocal.
The two are timed in alternation (``timeit``, ``--rounds`` rounds of
``--number`` runs) and the ratio is the median of the per-round ratios, so
drift on a busy machine hits both sides.

Three floors leave out work that no implementation of the operation can skip;
for each, the table adds a row with a floor that does that work too:

* ``var.set(x); var.set(x)`` stores the value the variable already holds, and
  CPython's context map returns itself unchanged when a key's value is the
  same object: no new map, only the Token. A push that stores a new stack
  node always builds a new map, as ``var.set(a); var.set(b)`` does.
* ``tl.name = x`` stores the value the attribute already holds (``Local``
  sees that and skips the write). A new value changes a ``threading.local``'s
  dict in place, which a context-local cannot do (a copied context, an
  asyncio task, would see it): ``Local`` sets a ``ContextVar``, as the
  copy-on-write floor does after copying a dict.
* ``func().attr`` calls a Python function from Python, which 3.11+ runs in
  the same interpreter loop; a C caller (the proxy, ``operator.call``) enters
  a new one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import timeit
from contextvars import ContextVar
from typing import Any, Dict, List, NamedTuple, Optional, Sequence


class Goal(NamedTuple):
    label: str
    ours: str
    floor: str
    limit: Optional[float]  # None: an extra row that explains a floor


GOALS = [
    Goal("p.attr, p = LocalProxy(var)", "p.attr", "var.get().attr", 2.0),
    Goal("p.attr, p = LocalProxy(var, 'g')", "pg.attr", "var.get().g.attr", 2.0),
    Goal("p.attr, p = stack()", "ps.attr", "var.get().attr", 2.5),
    Goal("p.attr, p = local('obj')", "pl.attr", "tl.obj.attr", 2.0),
    Goal("p.attr, p = LocalProxy(func)", "pf.attr", "func().attr", 2.0),
    Goal("  same, floor called from C", "pf.attr", "call(func).attr", None),
    Goal("p == x", "p == x", "var.get() == x", 2.0),
    Goal("bool(p)", "bool(p)", "bool(var.get())", 2.0),
    Goal("len(p)", "len(p)", "len(var.get())", 2.0),
    Goal("p()", "p()", "var.get()()", 2.0),
    Goal("p._get_current_object()", "p._get_current_object()", "var.get()", 2.0),
    Goal("stack.top", "st.top", "var.get()", 2.0),
    Goal("stack.push(x); stack.pop()", "st2.push(x); st2.pop()", "var2.set(x); var2.set(x)", 2.0),
    Goal("  same, floor storing new values", "st2.push(x); st2.pop()",
         "var2.set(a); var2.set(b)", None),
    Goal("local.name read", "lo.name", "tl.name", 1.5),
    Goal("local.name = v", "lo.name = x", "tl.name = x", 2.0),
    Goal("  same, a new value each time", "lo.name = a; lo.name = b",
         "tl.name = a; tl.name = b", None),
    Goal("  same, floor copy-on-write", "lo.name = a; lo.name = b",
         "d = var3.get().copy(); d['name'] = a; var3.set(d); "
         "d = var3.get().copy(); d['name'] = b; var3.set(d)", None),
    Goal("push+pop at depth 1000 vs depth 1", "deep.push(x); deep.pop()",
         "st2.push(x); st2.pop()", 1.5),
]


class _Target:
    def __init__(self, g: Optional[_Target] = None) -> None:
        self.attr = 1
        self.g = g  # another object, as Flask's app context holds its g

    def __len__(self) -> int:
        return 1

    def __call__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


def namespace() -> Dict[str, Any]:
    """The names the statements above use."""
    from operator import call  # 3.11+

    import ctxlocal._local_c as compiled

    target = _Target(g=_Target())
    var: ContextVar[Any] = ContextVar("var")
    var.set(target)
    tl = threading.local()
    tl.obj = target
    tl.name = 1
    stack = compiled.LocalStack()
    stack.push(target)
    local = compiled.Local()
    local.obj = target
    local.name = 1
    deep = compiled.LocalStack()
    for item in range(1000):
        deep.push(item)
    var3: ContextVar[Dict[str, Any]] = ContextVar("var3")
    var3.set({"obj": target, "name": 1})
    return {
        "var": var, "tl": tl, "call": call, "func": lambda: target, "x": 1,
        "a": object(), "b": object(),
        "p": compiled.LocalProxy(var), "pg": compiled.LocalProxy(var, "g"),
        "st": stack, "ps": stack(), "lo": local, "pl": local("obj"),
        "pf": compiled.LocalProxy(lambda: target),
        "st2": compiled.LocalStack(), "var2": ContextVar("var2"), "deep": deep,
        "var3": var3,
    }


class Row(NamedTuple):
    goal: Goal
    ours_ns: float
    floor_ns: float
    ratio: float


def measure(goals: Sequence[Goal], rounds: int, number: int) -> List[Row]:
    names = namespace()
    samples: Dict[str, List[List[float]]] = {g.label: [[], []] for g in goals}
    for _ in range(rounds):
        for goal in goals:
            for side, stmt in enumerate((goal.ours, goal.floor)):
                seconds = timeit.timeit(stmt, globals=names, number=number)
                samples[goal.label][side].append(seconds / number * 1e9)
    rows = []
    for goal in goals:
        ours, floor = samples[goal.label]
        ratio = statistics.median(o / f for o, f in zip(ours, floor))
        rows.append(Row(goal, statistics.median(ours), statistics.median(floor), ratio))
    return rows


def render(rows: Sequence[Row], heading: Optional[str] = None) -> str:
    """The table as Markdown, under ``heading`` (default: this interpreter's line)."""
    if heading is None:
        heading = f"CPython {sys.version.split()[0]}, ctxlocal._local_c; medians"
    lines = [
        heading,
        "",
        "| operation | floor | ctxlocal ns | floor ns | × floor | goal |",
        "|---|---|---:|---:|---:|---|",
    ]
    for row in rows:
        limit = row.goal.limit
        verdict = "" if limit is None else f"≤ {limit}×" + ("" if row.ratio <= limit else " MISSED")
        lines.append(
            f"| {row.goal.label} | `{row.goal.floor}` | {row.ours_ns:.1f} | "
            f"{row.floor_ns:.1f} | {row.ratio:.2f}× | {verdict} |"
        )
    return "\n".join(lines)


def to_json(rows: Sequence[Row], rounds: int, number: int) -> Dict[str, Any]:
    """A run as JSON data: what :func:`from_json` reads back, for the docs."""
    return {
        "python": sys.version.split()[0],
        "build": sys.version,
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "rounds": rounds,
        "number": number,
        "rows": [
            {**row.goal._asdict(), "ours_ns": row.ours_ns, "floor_ns": row.floor_ns, "ratio": row.ratio}
            for row in rows
        ],
    }


def from_json(data: Dict[str, Any]) -> str:
    """The Markdown table of a run saved by ``--json``, with its heading."""
    rows = [
        Row(Goal(r["label"], r["ours"], r["floor"], r["limit"]), r["ours_ns"], r["floor_ns"], r["ratio"])
        for r in data["rows"]
    ]
    heading = (
        f"CPython {data['python']} ({data['machine']}, {data['date']}), ctxlocal._local_c;"
        f" medians of {data['rounds']} rounds of {data['number']:,} runs"
    )
    return render(rows, heading)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--number", type=int, default=50_000)
    parser.add_argument("--json", metavar="PATH", help="also write the run as JSON (the docs render it)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.number < 1:
        parser.error("--rounds and --number must be positive")
    if sys.version_info < (3, 11):
        parser.error("the goals are for CPython 3.11 and later (operator.call)")
    try:
        import ctxlocal._local_c  # noqa: F401
    except ImportError as exc:
        parser.error(f"the compiled module is needed ({exc}); build it first")
    rows = measure(GOALS, args.rounds, args.number)
    print(render(rows))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(to_json(rows, args.rounds, args.number), f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
