"""Timing: calibrated timeit-style samples, interleaved across implementations.

See the docstring of :mod:`bench.__main__` for the method.

Why not pyperf or pytest-benchmark, which calibrate and time as carefully:
the report's ratios need samples of every implementation taken in the same
round, a fraction of a second apart, and the median of the per-round ratios.
pyperf measures one benchmark at a time, each in its own worker processes,
and pytest-benchmark one test at a time, so a slow patch of a shared machine
lands on one implementation and not on the other. The pytest-benchmark suite
(``python -m pytest bench``) still runs the same operations one by one.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
from contextvars import Context
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from typing import Any, Callable, Dict, List, Sequence, Tuple

from .impls import Impl
from .ops import THREAD_COUNTS, Case, Op, ThreadedRead, compile_loop

__all__ = ["THREAD_TIMERS", "TIMERS", "Result", "Settings", "empty_loop_ns", "run_ops", "run_threads"]

Progress = Callable[[str], None]
# sample(n): run a case's loop n times, return the seconds it took.
Sampler = Callable[[int], float]

# Samples run and discarded after calibration: PyPy's JIT keeps optimising
# a loop for a while after compiling it.
_WARMUP_SAMPLES = 1 if sys.implementation.name == "cpython" else 5


# The clocks a sample can be read from: for one thread, and for several.
TIMERS: Dict[str, Callable[[], float]] = {
    "cpu": time.thread_time,
    "wall": time.perf_counter,
}
THREAD_TIMERS: Dict[str, Callable[[], float]] = {
    "cpu": time.process_time,
    "wall": time.perf_counter,
}


@dataclass(frozen=True)
class Settings:
    """How to measure: ``rounds`` samples per case, each about ``sample_s``
    seconds long on the clock ``timer`` (a key of ``TIMERS``)."""

    rounds: int
    sample_s: float
    timer: str = "cpu"


@dataclass
class Result:
    """The samples of one operation on one implementation, in ns per operation."""

    op: str
    label: str
    group: str
    impl: str
    stmt: str
    number: int
    samples_ns: List[float] = field(default_factory=list)
    threads: int = 0
    error: str = ""

    @property
    def median_ns(self) -> float:
        return statistics.median(self.samples_ns)

    def summary(self) -> Dict[str, float]:
        """Median, quartiles and extremes of the samples."""
        samples = sorted(self.samples_ns)
        if len(samples) > 1:
            q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        else:
            q1 = q3 = samples[0]
        return {
            "median_ns": statistics.median(samples),
            "q1_ns": q1,
            "q3_ns": q3,
            "min_ns": samples[0],
            "max_ns": samples[-1],
        }

    def to_json(self) -> Dict[str, Any]:
        data = asdict(self)
        if self.samples_ns:
            data.update(self.summary())
        return data

    @classmethod
    def from_json(cls, data: Dict[str, Any]) -> "Result":
        """The result :meth:`to_json` gave (its summary left out: it is derived)."""
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


def _timed(func: Callable[..., float], *args: Any) -> float:
    """Call ``func`` with the garbage collector off, as :mod:`timeit` does."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return func(*args)
    finally:
        if enabled:
            gc.enable()


def _calibrate(sample: Callable[[int], float], target_s: float) -> int:
    """The loop count that makes one sample last about ``target_s``.

    A first guess comes from counts growing tenfold, then the count is
    rescaled twice from full-length samples: on PyPy the guess is skewed by
    the time the JIT spends compiling the loop during those first runs.
    """
    number = 1
    while True:
        elapsed = sample(number)
        if elapsed >= target_s / 20 or number >= 10**9:
            break
        number *= 10
    for _ in range(2):
        number = max(1, round(number * target_s / max(elapsed, 1e-9)))
        elapsed = sample(number)
    return max(1, round(number * target_s / max(elapsed, 1e-9)))


def _rotated(items: Sequence[Any], shift: int) -> List[Any]:
    """``items`` starting at ``shift``: each round starts with a different implementation."""
    if not items:
        return []
    shift %= len(items)
    return list(items[shift:]) + list(items[:shift])


def _interleave(
    cases: Sequence[Tuple[Result, Callable[[float], Tuple[Sampler, int]]]],
    settings: Settings,
    progress: Progress,
) -> None:
    """Prepare and warm up each case, then sample them round-robin.

    ``prepare(sample_s)`` builds a case's sampler and the loop count that
    makes one sample last about ``sample_s``. A case whose preparation or
    warm-up raises keeps the error in its result and is left out of the
    rounds; the others go on.
    """
    ready = []
    for result, prepare in cases:
        try:
            sample, result.number = prepare(settings.sample_s)
            for _ in range(_WARMUP_SAMPLES):
                sample(result.number)
        except Exception as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            progress(f"error: {result.op} on {result.impl}: {result.error}")
        else:
            ready.append((result, sample))
    for round_ in range(settings.rounds):
        for result, sample in _rotated(ready, round_):
            ops_done = result.number * max(result.threads, 1)
            result.samples_ns.append(sample(result.number) / ops_done * 1e9)


def _prepare_op(
    op: Op, impl: Impl, timer: Callable[[], float], sample_s: float
) -> Tuple[Sampler, int]:
    # A fresh, empty context per case: no case's context variables make
    # another's lookups slower, and setup and loop see the same values.
    context = Context()
    loop = compile_loop(context.run(op.case, impl), timer)

    def sample(n: int) -> float:
        return _timed(context.run, loop, n)

    return sample, _calibrate(sample, sample_s)


def empty_loop_ns(settings: Settings) -> float:
    """The median cost of one iteration of an empty loop: part of every figure."""
    loop = compile_loop(Case("pass", {}), TIMERS[settings.timer])
    number = _calibrate(loop, settings.sample_s)
    samples = [_timed(loop, number) / number * 1e9 for _ in range(max(settings.rounds, 3))]
    return statistics.median(samples)


def run_ops(
    ops: Sequence[Op], impls: Sequence[Impl], settings: Settings, progress: Progress
) -> List[Result]:
    """Measure each operation on each implementation it runs on."""
    timer = TIMERS[settings.timer]
    results: List[Result] = []
    for index, op in enumerate(ops, 1):
        started = time.perf_counter()
        cases = [
            (
                Result(op.name, op.label, op.group, impl.name,
                       str(op.floor_stmt if impl.name == "floor" else op.stmt), 0),
                partial(_prepare_op, op, impl, timer),
            )
            for impl in impls
            if op.runs_on(impl)
        ]
        _interleave(cases, settings, progress)
        results.extend(result for result, _ in cases)
        progress(f"[{index:2}/{len(ops)}] {op.name} ({time.perf_counter() - started:.1f} s)")
    return results


def _prepare_threads(
    impl: Impl, count: int, clock: Callable[[], float], sample_s: float
) -> Tuple[Sampler, int]:
    reader = ThreadedRead(impl, clock)

    def sample(n: int) -> float:
        return _timed(reader.run, count, n)

    # Calibrated on one thread without starting any: the time of a few reads
    # in new threads is mostly thread start-up and scheduling noise.
    per_thread = _calibrate(lambda n: _timed(reader.run_here, n), sample_s) // count
    return sample, max(per_thread, 1000)


def run_threads(
    impls: Sequence[Impl],
    settings: Settings,
    progress: Progress,
    counts: Sequence[int] = THREAD_COUNTS,
) -> List[Result]:
    """Total throughput of ``ThreadedRead`` with each number of threads.

    ``Result.number`` is the number of reads per thread, calibrated so that a
    sample (all threads) lasts about twice ``settings.sample_s``; a sample is
    the time (process CPU time, or wall time with ``settings.timer == "wall"``)
    divided by the reads of all threads.
    """
    results: List[Result] = []
    clock = THREAD_TIMERS[settings.timer]
    # Each sample starts and joins threads: longer samples keep that cost small.
    thread_settings = Settings(settings.rounds, max(2 * settings.sample_s, 0.01), settings.timer)
    for count in counts:
        started = time.perf_counter()
        cases = [
            (
                Result(
                    f"threads-{count}:read",
                    f"{ThreadedRead.label}, {count} thread(s)",
                    ThreadedRead.group,
                    impl.name,
                    ThreadedRead.floor_stmt if impl.name == "floor" else ThreadedRead.stmt,
                    0,
                    threads=count,
                ),
                partial(_prepare_threads, impl, count, clock),
            )
            for impl in impls
        ]
        _interleave(cases, thread_settings, progress)
        results.extend(result for result, _ in cases)
        progress(f"[threads {count}] {ThreadedRead.name} ({time.perf_counter() - started:.1f} s)")
    return results
