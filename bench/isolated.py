"""``python -m bench --isolate``: each operation in an interpreter of its own.

On PyPy the machine code the JIT made for one operation's cases stays in the
process and changes how later cases run: measured on PyPy 7.3, the pure
module's ``local.x = 1; del local.x`` takes 200 ns alone and 475 ns once the
floor's ``local.x = 1; local.x = 2`` case has run before it (Werkzeug's, 260
and 370 ns), so a table's rows depended on the order of the operations.
``--isolate`` runs each operation (and the thread-scaling runs, together) in a
fresh interpreter, its implementations still interleaved round by round
there, and gathers the results; the ratios of a row are then what that one
operation costs.

The parent runs ``python -m bench.isolated OP IMPLS ROUNDS SAMPLE_S TIMER``
(``OP`` an operation's exact name, or ``threads``); the child prints its
results as JSON on stdout and its progress on stderr.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import List, Optional, Sequence

from . import impls as impls_module
from .ops import OPS, THREAD_COUNTS, Op
from .runner import Progress, Result, Settings, run_ops, run_threads

__all__ = ["THREADS", "run_isolated"]

THREADS = "threads"  # the OP that stands for the thread-scaling runs


def _child_command(op: str, impls: Sequence[str], settings: Settings) -> List[str]:
    return [sys.executable, "-m", "bench.isolated", op, ",".join(impls),
            str(settings.rounds), repr(settings.sample_s), settings.timer]


def run_isolated(
    ops: Sequence[Op], impls: Sequence[str], settings: Settings, progress: Progress,
    counts: Sequence[int] = THREAD_COUNTS,
) -> List[Result]:
    """Measure each of ``ops`` (then the ``counts`` thread runs) in a child interpreter."""
    results: List[Result] = []
    targets = [op.name for op in ops] + ([THREADS] if counts else [])
    for index, target in enumerate(targets, 1):
        command = _child_command(target, impls, settings)
        if target == THREADS:
            command.append(",".join(map(str, counts)))
        done = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True)
        results += [Result.from_json(item) for item in json.loads(done.stdout)]
        progress(f"[{index:2}/{len(targets)}] {target}: its own interpreter")
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    op_name, impl_names, rounds, sample_s, timer, *rest = argv if argv is not None else sys.argv[1:]
    found, missing = impls_module.discover(impl_names.split(","))
    if missing:
        raise SystemExit(f"bench.isolated: {missing}")  # the parent found them all
    settings = Settings(int(rounds), float(sample_s), timer)

    def progress(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    if op_name == THREADS:
        counts = [int(count) for count in rest[0].split(",")]
        results = run_threads(found, settings, progress, counts)
    else:
        (op,) = [op for op in OPS if op.name == op_name]
        results = run_ops([op], found, settings, progress)
    json.dump([result.to_json() for result in results], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
