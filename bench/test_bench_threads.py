"""One proxy read from 1, 2, 4 and 8 threads at once (a fixed number of reads in all)."""

from __future__ import annotations

from typing import Any

import pytest

from .impls import Impl
from .suite import run_threads, thread_params


@pytest.mark.parametrize(("count", "impl"), thread_params())
def test_threads(benchmark: Any, count: int, impl: Impl) -> None:
    run_threads(benchmark, count, impl)
