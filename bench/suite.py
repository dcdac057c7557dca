"""The parameters and bodies of the pytest-benchmark tests (``bench/test_bench_ops.py``).

Every operation of :mod:`bench.ops` becomes one test per implementation that
can run it, grouped by operation (``@pytest.mark.benchmark(group=op.name)``),
so that ``--benchmark-group-by=group`` sets the implementations side by side.
pytest-benchmark times one call of a function that performs the operation
once: its figures include a Python call (some tens of ns) that
``python -m bench`` does not have; compare them within a group, and with
earlier runs (``--benchmark-autosave``, ``--benchmark-compare``).
"""

from __future__ import annotations

from contextvars import Context
from typing import Any, List

import pytest

from .impls import Impl, discover
from .ops import OPS, THREAD_COUNTS, Op, ThreadedRead, compile_once

__all__ = ["IMPLS", "MISSING", "op_params", "run_op", "run_threads", "thread_params"]

IMPLS, MISSING = discover()

# Reads per thread-scaling call, split between the threads.
THREAD_READS = 20_000


def op_params() -> List[Any]:
    """``(op, impl)`` parameters: every operation, on each implementation that runs it."""
    return [
        pytest.param(
            op, impl, id=f"{op.name}-{impl.name}", marks=pytest.mark.benchmark(group=op.name)
        )
        for op in OPS
        for impl in IMPLS
        if op.runs_on(impl)
    ]


def run_op(benchmark: Any, op: Op, impl: Impl) -> None:
    """Benchmark ``op`` on ``impl`` in a fresh context (as ``python -m bench`` does)."""

    def in_context() -> None:
        case = op.case(impl)
        benchmark.extra_info.update(stmt=case.stmt, label=op.label)
        benchmark(compile_once(case))

    Context().run(in_context)


def thread_params() -> List[Any]:
    """``(count, impl)`` parameters for the thread-scaling runs."""
    return [
        pytest.param(
            count, impl, id=f"threads-{count}-{impl.name}",
            marks=pytest.mark.benchmark(group=f"threads-{count}:read"),
        )
        for count in THREAD_COUNTS
        for impl in IMPLS
    ]


def run_threads(benchmark: Any, count: int, impl: Impl) -> None:
    """Benchmark ``count`` threads reading one proxy, ``THREAD_READS`` reads in all."""
    reader = ThreadedRead(impl)
    benchmark.extra_info.update(threads=count, reads=THREAD_READS, label=ThreadedRead.label)
    benchmark.pedantic(reader.run, args=(count, THREAD_READS // count), rounds=5, warmup_rounds=1)
