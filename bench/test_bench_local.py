"""Local: get, set, delete, and set with more attributes present."""

from __future__ import annotations

from typing import Any

import pytest

from .impls import Impl
from .ops import Op
from .suite import op_params, run_op


@pytest.mark.parametrize(("op", "impl"), op_params("Local"))
def test_local(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)


@pytest.mark.parametrize(("op", "impl"), op_params("scaling: Local size"))
def test_local_size(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)
