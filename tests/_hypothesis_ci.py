"""The fixed hypothesis settings of the property tests: deterministic in CI.

``derandomize=True`` makes every run try the same examples, ``database=None``
keeps earlier runs from changing what is tried. ``CTXLOCAL_HYPOTHESIS_EXAMPLES``
raises the number of examples (``ci/stress.sh`` does).

Tests take the ``impl`` fixture; it only picks a module and holds no state, so
reusing it across a test's examples is safe (hence the suppressed health check).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings


def ci_settings(examples: int) -> settings:
    """Settings for a property test that tries ``examples`` examples by default."""
    return settings(
        derandomize=True,
        database=None,
        deadline=None,
        max_examples=int(os.environ.get("CTXLOCAL_HYPOTHESIS_EXAMPLES", examples)),
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
        print_blob=False,
    )
