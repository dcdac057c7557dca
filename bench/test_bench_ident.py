"""Ident mode (Werkzeug <= 1.0 API): thread and greenlet idents; ctxlocal and the floor only."""

from __future__ import annotations

from typing import Any

import pytest

from .impls import Impl
from .ops import Op
from .suite import op_params, run_op


@pytest.mark.parametrize(("op", "impl"), op_params("ident mode"))
def test_ident(benchmark: Any, op: Op, impl: Impl) -> None:
    run_op(benchmark, op, impl)
