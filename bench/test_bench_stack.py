"""LocalStack: push+pop and top, on an empty or shallow stack and at depth 1 to 1000."""

from __future__ import annotations

from typing import Any

import pytest

from .impls import Impl
from .ops import Op
from .suite import op_params, run_op


@pytest.mark.parametrize(("op", "impl"), op_params("LocalStack"))
def test_stack(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)


@pytest.mark.parametrize(("op", "impl"), op_params("scaling: stack depth"))
def test_stack_depth(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)
