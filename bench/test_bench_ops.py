"""Every operation of :mod:`bench.ops` on every implementation that runs it.

One test per (operation, implementation), in the order of ``bench.ops.OPS``:
proxy attribute reads and writes, proxy operators, ``Local``, ``LocalStack``,
ident mode (ctxlocal and the floor only), stack depth and ``Local`` size;
then one proxy read from 1, 2, 4 and 8 threads at once. Each test is in the
pytest-benchmark group of its operation (``op:eq``, ``depth-1000:top``,
``threads-4:read``...), so ``--benchmark-group-by=group`` sets the
implementations side by side. Choose with ``-k``: ``-k "depth and cython"``,
``-k ident-greenlet``, ``-k threads``.
"""

from __future__ import annotations

from typing import Any

import pytest

from .impls import Impl
from .ops import Op
from .suite import op_params, run_op, run_threads, thread_params


@pytest.mark.parametrize(("op", "impl"), op_params())
def test_op(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)


@pytest.mark.parametrize(("count", "impl"), thread_params())
def test_threads(benchmark: Any, count: int, impl: Impl) -> None:
    run_threads(benchmark, count, impl)
