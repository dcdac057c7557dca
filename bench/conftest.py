"""pytest configuration of the benchmark suite (``python -m pytest bench``).

The suite is not part of the normal test run (``testpaths = ["tests"]``).
``python -m pytest bench --benchmark-disable -q`` runs each benchmark once,
as a quick check that every operation works on every implementation, plus a
tiny end-to-end run of ``python -m bench`` (``test_bench_cli.py``); a few
seconds in all. Without ``--benchmark-disable`` it takes minutes; compare
implementations with ``--benchmark-group-by=group`` and runs with
``--benchmark-autosave`` then ``--benchmark-compare``.
"""

from __future__ import annotations

from typing import List

import pytest

from .suite import IMPLS, MISSING


def pytest_report_header(config: pytest.Config) -> List[str]:
    lines = ["bench implementations: " + ", ".join(f"{i.name} ({i.version})" for i in IMPLS)]
    lines += [f"bench: {name} not measured: {reason}" for name, reason in MISSING.items()]
    return lines
