"""``python -m bench``: ctxlocal against Werkzeug and against no library at all.

Run it from the repository root. It measures every operation of
:mod:`bench.ops` on each implementation that imports (:mod:`bench.impls`):
``cython`` (``ctxlocal._local_c``), ``python`` (``ctxlocal._local_py``),
``werkzeug`` (``werkzeug.local``) and ``floor`` (the same work written by hand
without a library), prints a table, and writes to ``bench/out/`` (git-ignored;
``--output-dir`` chooses another folder): ``results-<python>.json`` (every
sample), ``table-<python>.md`` (the table in Markdown) and
``chart-<python>.png`` (``<python>`` is ``3.11``, ``pypy3.9``...; ``--quick``
runs add ``-quick``). ``--report results-<python>.json`` redraws the table and
chart of a past run, e.g. a PyPy run's chart with a CPython that has
matplotlib (files from before the ``cython``/``python`` names, which say
``compiled``/``pure``, are read under today's names).

``bench/results/`` holds the figures the docs render; only
``bench/run_readme.sh`` writes there, with ``--output-dir bench/results``.

From a repository root, ``import ctxlocal`` finds the checkout's
``ctxlocal/`` folder before any installed copy, so the compiled column needs
the extension built into the checkout. ``python3 -m bench.venv`` does that in a
virtual environment of its own, with Werkzeug and greenlet, then runs this
command there. On CPython a run that cannot import the compiled module still
measures the others, but says so in a banner at the start and at the end (on
stderr) that names the fix; on PyPy and the other interpreters that never get
the compiled module, a one-line note says so.

Method
------
* Each (operation, implementation) pair is a *case*: a one-line statement
  compiled into a timeit-style loop (``for _ in repeat(None, n): <stmt>``)
  whose objects are fast locals. Its setup and its loop run in a fresh, empty
  ``contextvars.Context`` of its own.
* The loop count ``n`` is calibrated per case so that one sample lasts about
  ``--sample-ms`` (30 ms; 3 ms with ``--quick``): a first guess from counts
  growing tenfold, then two rescalings from full-length runs (on PyPy the
  first runs include the JIT compiling the loop). Then one sample per case is
  run and discarded (five on PyPy).
* Samples are interleaved: per operation, each round takes one sample of every
  implementation, in an order that rotates from round to round, for
  ``--rounds`` rounds (15; 3 with ``--quick``). Drift of the machine's speed
  (other processes, frequency changes) thus hits every implementation alike.
* ``--isolate`` measures each operation in an interpreter of its own
  (:mod:`bench.isolated`), its implementations still interleaved there. The
  PyPy tables use it: there the JIT code one operation's cases leave behind
  changes how a later operation runs, so rows would depend on their order.
* A sample is timed on the thread's CPU clock (``time.thread_time``) unless
  ``--timer wall`` asks for ``time.perf_counter``: on a shared machine, time
  the process spends waiting for a CPU would otherwise inflate long samples
  (slow implementations) more than short ones. The garbage collector is off
  during a sample, as in :mod:`timeit`.
* A sample is its time divided by ``n``: ns per operation. Nothing is
  subtracted; the loop's own cost (a few ns on CPython) is in every figure,
  the floor's included, so "× floor" slightly understates the overhead of a
  fast operation. The table shows the median over the rounds and half the
  interquartile range; the JSON file has every sample.
* Ratios (speed-up vs Werkzeug, × floor) are the median over rounds of the
  ratio of the two samples of a round, taken a fraction of a second apart: a
  slow patch of the machine that hits one round cancels out in its ratio.
* Thread scaling: 1, 2, 4 and 8 threads read through one shared proxy at once,
  each having bound its own value in its own context; a sample is the time
  from a barrier that releases all threads until the last one ends, divided
  by the reads of all threads. The clock is the process's CPU time (all
  threads; ``time.process_time``), or wall time with ``--timer wall``, which
  also counts moments when no thread runs (GIL hand-offs waiting for the OS
  scheduler, other processes). The table shows throughput (millions of reads
  per second of that clock).

Caveats: on PyPy the JIT may optimise the floor's loop further than a library
call, and 2-core shared machines are noisy: compare figures from the same run.

The Flask end-to-end scenario is a separate script (``bench/flask_bench.py``);
the pytest-benchmark suite (``python -m pytest bench``) reuses these operations.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ctxlocal._implementations import CYTHON, PYTHON, requested
# Whether this interpreter should have the compiled module (CPython with a GIL).
from ctxlocal._implementations import compiled_supported as compiled_expected

from . import impls as impls_module
from .isolated import run_isolated
from .ops import select, select_thread_counts
from .report import environment, format_table, load_json, python_tag, write_chart, write_json
from .runner import TIMERS, Result, Settings, empty_loop_ns, run_ops, run_threads

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
# The docs' figures (tracked): written only when asked, by bench/run_readme.sh.
RESULTS_DIR = os.path.join(BENCH_DIR, "results")
# Everyone else's runs (git-ignored).
OUTPUT_DIR = os.path.join(BENCH_DIR, "out")


def _split(values: Optional[List[str]]) -> List[str]:
    """``--x a,b --x c`` -> ``[a, b, c]``."""
    return [part for value in values or [] for part in value.split(",") if part]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark ctxlocal (cython and python) against werkzeug.local and a no-library floor.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="short run (3 rounds of ~3 ms samples): rough figures in well under a minute")
    parser.add_argument("--ops", action="append", metavar="PATTERN",
                        help="only operations whose name, label or section contains PATTERN"
                             " (a glob if it has * ? [); repeat or comma-separate; see --list")
    parser.add_argument("--impl", action="append", metavar="NAME",
                        help=f"only these implementations ({', '.join(impls_module.ALL)});"
                             " repeat or comma-separate")
    parser.add_argument("--rounds", type=int, help="samples per case (default 15, 3 with --quick)")
    parser.add_argument("--sample-ms", type=float,
                        help="duration of one sample in ms (default 30, 3 with --quick)")
    parser.add_argument("--timer", choices=sorted(TIMERS), default="cpu",
                        help="clock of the samples: CPU time (default; the thread's, or the"
                             " process's for the thread-scaling runs) or wall time")
    parser.add_argument("--isolate", action="store_true",
                        help="measure each operation in an interpreter of its own (PyPy: the"
                             " JIT code of earlier cases would change later ones; see bench.isolated)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--list", action="store_true", help="list the operations and exit")
    parser.add_argument("--output-dir", default=OUTPUT_DIR,
                        help="where the JSON, Markdown table and chart go (default: bench/out,"
                             " git-ignored; --output-dir bench/results replaces the docs' figures)")
    parser.add_argument("--no-save", action="store_true", help="write no file, only print the table")
    parser.add_argument("--report", metavar="JSON",
                        help="measure nothing: print the table of a results JSON file"
                             " (and rewrite its Markdown table and chart next to it, unless --no-save)")
    return parser


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _hidden_build() -> Optional[Tuple[str, str]]:
    """``(installed, imported)``: a ``ctxlocal`` folder with the compiled module
    further down ``sys.path`` than the one ``import ctxlocal`` found."""
    try:
        import ctxlocal
    except ImportError:
        return None
    imported = os.path.dirname(os.path.abspath(ctxlocal.__file__))
    for entry in sys.path:
        folder = os.path.join(os.path.abspath(entry or os.curdir), "ctxlocal")
        if folder != imported and any(
            os.path.exists(os.path.join(folder, "_local_c" + suffix)) for suffix in EXTENSION_SUFFIXES
        ):
            return folder, imported
    return None


def compiled_warning(missing: Dict[str, str], measured: Sequence[str]) -> Optional[str]:
    """The banner of a CPython run that was asked to measure the compiled module and cannot.

    ``None`` if the compiled module is measured or was not asked for, on
    interpreters that never have it (a note says so), and when
    ``CTXLOCAL_NO_EXTENSIONS`` leaves it out on purpose.
    """
    if CYTHON not in missing or not compiled_expected():
        return None
    if requested() == PYTHON:
        return None
    python = shlex.quote(sys.executable)
    lines = [
        "WARNING: the compiled module, ctxlocal._local_c, is NOT measured:",
        f"  {missing[CYTHON]}",
        "  On CPython it is what `pip install ctxlocal` gives and `import ctxlocal`",
        f"  uses; this run compares only {', '.join(measured) or 'nothing'}.",
    ]
    hidden = _hidden_build()
    if hidden:
        lines += [
            f"  The installed {hidden[0]} has it, but `import ctxlocal` finds",
            f"  {hidden[1]} first (the checkout's, run from the repository root).",
        ]
    lines += [
        f"Fix, in {ROOT}: the full table, in a venv of its own:",
        f"  {python} -m bench.venv",
        "or build the compiled module into the checkout for this Python:",
        f"  {python} -m pip install 'Cython>=3.1' 'setuptools>=77'",
        f"  CTXLOCAL_NO_EXTENSIONS=0 {python} setup.py build_ext --inplace",
    ]
    rule = "!" * 78
    return "\n".join([rule, *lines, rule])


def _note_missing(name: str, reason: str) -> str:
    if name == CYTHON and requested() == PYTHON:
        reason += " (unset it to measure the compiled module)"
    elif name == "werkzeug":
        reason += "; pip install werkzeug, or run python3 -m bench.venv"
    return f"note: {name} not measured: {reason}"


def _save_derived(json_path: str, env: Dict[str, Any], results: List[Result]) -> None:
    """Write the Markdown table and the chart next to ``results-<stem>.json``."""
    folder, name = os.path.split(json_path)
    stem = os.path.splitext(name)[0].replace("results-", "", 1)
    table_path = os.path.join(folder, f"table-{stem}.md")
    with open(table_path, "w", encoding="utf-8") as file:
        file.write(format_table(env, results, markdown=True))
    _progress(f"wrote {table_path}")
    chart_path = os.path.join(folder, f"chart-{stem}.png")
    try:
        write_chart(chart_path, env, results)
    except ImportError as exc:
        _progress(f"note: no chart ({exc}); pip install matplotlib, or draw it with"
                  f" another Python: python -m bench --report {json_path}")
    else:
        _progress(f"wrote {chart_path}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    patterns = _split(args.ops)
    if args.list:
        for op in select(patterns):
            print(f"{op.name:26} {op.group:22} {op.label}")
        for count in select_thread_counts(patterns):
            print(f"{f'threads-{count}:read':26} scaling: threads")
        return 0
    if args.report:
        env, results = load_json(args.report)
        print(format_table(env, results, args.markdown), end="")
        if not args.no_save:
            _save_derived(args.report, env, results)
        return 0

    try:
        found, missing = impls_module.discover(_split(args.impl) or impls_module.ALL)
    except ValueError as exc:
        _parser().error(str(exc))
    ops = select(patterns)
    absent = {op.needs for op in ops if op.needs and not impls_module.module_available(op.needs)}
    for module in sorted(absent):
        skipped = [op.name for op in ops if op.needs == module]
        missing[module] = f"not installed; skipped {', '.join(skipped)}"
    warning = compiled_warning(missing, [impl.name for impl in found])
    for name, reason in missing.items():
        if not (warning and name == CYTHON):
            _progress(_note_missing(name, reason))
    if warning:
        _progress(warning)
    if not found:
        _progress("nothing to measure")
        return 1
    settings = Settings(
        rounds=args.rounds or (3 if args.quick else 15),
        sample_s=(args.sample_ms or (3.0 if args.quick else 30.0)) / 1e3,
        timer=args.timer,
    )
    counts = select_thread_counts(patterns)
    if not ops and not counts:
        _parser().error(f"no operation matches {patterns}; see --list")
    _progress(f"{len(ops)} operations + {len(counts)} thread counts on {', '.join(i.name for i in found)}")
    loop_ns = empty_loop_ns(settings)
    if args.isolate:
        results = run_isolated(ops, [impl.name for impl in found], settings, _progress, counts)
    else:
        results = run_ops(ops, found, settings, _progress)
        results += run_threads(found, settings, _progress, counts)

    env = environment(found, missing, settings, args.quick, loop_ns)
    print(format_table(env, results, args.markdown), end="")
    if not args.no_save:
        # Quick runs must not overwrite the figures of a full run.
        stem = python_tag() + ("-quick" if args.quick else "")
        os.makedirs(args.output_dir, exist_ok=True)
        json_path = os.path.join(args.output_dir, f"results-{stem}.json")
        write_json(json_path, env, results)
        _progress(f"wrote {json_path}")
        _save_derived(json_path, env, results)
    sys.stdout.flush()
    if warning:
        _progress(warning)
    failed = [result for result in results if result.error]
    if failed:
        _progress(f"{len(failed)} case(s) raised an error: see the end of the table")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
