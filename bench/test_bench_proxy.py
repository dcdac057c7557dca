"""LocalProxy: attribute access per kind of proxy, writes, creation, operators."""

from __future__ import annotations

from typing import Any

import pytest

from .impls import Impl
from .ops import Op
from .suite import op_params, run_op


@pytest.mark.parametrize(("op", "impl"), op_params("proxy attribute"))
def test_proxy_attribute(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)


@pytest.mark.parametrize(("op", "impl"), op_params("proxy operators"))
def test_proxy_operator(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)
