#!/usr/bin/env bash
# The isolation, memory and property tests at their full counts.
#
# The default test run scales the load tests down (tests/_workloads.py,
# DEFAULT_SCALE = 0.05) and runs a few hundred hypothesis examples; this
# script runs them at CTXLOCAL_STRESS_SCALE=1.0, which means:
#
#   threads          32 threads x 20,000 mixed operations each, context and ident mode
#   asyncio          10,000 concurrent tasks x 20 operations, each forking a child task
#   greenlets        10,000 greenlets x 20 operations, context and ident mode
#   gevent/eventlet  monkeypatched thread pool (32 workers), 10,000 jobs x 20 operations,
#                    context, thread-ident and greenlet-ident mode (in subprocesses)
#   ident release    1,000 short-lived threads and 10,000 short-lived greenlets
#   memory           1,000,000 mixed operations; 100,000 greenlets and 100,000
#                    threads born and finished (each in context and ident mode)
#   hypothesis       CTXLOCAL_HYPOTHESIS_EXAMPLES examples per property test
#                    (default here 5,000)
#
# Every test runs against each available implementation.
#
# Usage: ci/stress.sh [pytest args...]
# Environment: CTXLOCAL_STRESS_SCALE (default 1.0), CTXLOCAL_HYPOTHESIS_EXAMPLES
# (default 5000), PYTHON (default python3).
set -euo pipefail

cd "$(dirname "$0")/.."
export CTXLOCAL_STRESS_SCALE=${CTXLOCAL_STRESS_SCALE:-1.0}
export CTXLOCAL_HYPOTHESIS_EXAMPLES=${CTXLOCAL_HYPOTHESIS_EXAMPLES:-5000}
exec "${PYTHON:-python3}" -m pytest -p no:cacheprovider -q --durations=15 \
    -W "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning" \
    tests/test_isolation_load.py tests/test_memory.py \
    tests/test_differential.py tests/test_fuzz_proxy.py "$@"
