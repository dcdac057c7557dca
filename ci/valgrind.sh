#!/usr/bin/env bash
# Run a subset of the tests against the compiled module under valgrind memcheck.
#
# Builds ctxlocal._local_c in place if needed, then runs, for the compiled
# implementation only, the proxy fuzzing, the misuse table, a slice of the
# differential tests, the cycle-collection tests and a small threaded isolation
# run under `valgrind --tool=memcheck` with PYTHONMALLOC=malloc (so that
# memcheck sees every object allocation) and the CPython suppressions Debian
# ships (/usr/lib/valgrind/python3.supp) when present. Fails if valgrind
# reports any error (invalid read/write/free, use of uninitialised memory...)
# whose stack has a frame in _local_c, or if the interpreter crashed. Test
# failures alone do not fail this script: the normal test run reports them.
#
# Usage: ci/valgrind.sh [pytest -k expression]
# Environment: PYTHON (default: the python3 on PATH), VALGRIND_EXAMPLES
# (hypothesis examples per property test, default 40).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PYTHON=${PYTHON:-python3}
# The real interpreter, not a wrapper script (pyenv shims are shell scripts).
PYBIN=$("$PYTHON" -c 'import sys; print(sys.executable)')

if ! command -v valgrind >/dev/null; then
    apt-get -o DPkg::Lock::Timeout=600 install -y -q valgrind \
        || { apt-get update -q && apt-get -o DPkg::Lock::Timeout=600 install -y -q valgrind; }
fi
if ! "$PYBIN" -c "import ctxlocal._local_c" 2>/dev/null; then
    CTXLOCAL_NO_EXTENSIONS=0 "$PYBIN" setup.py -q build_ext --inplace
fi

SUPP=()
for candidate in /usr/lib/valgrind/python3.supp /usr/lib/valgrind/python.supp; do
    if [ -f "$candidate" ]; then SUPP=(--suppressions="$candidate"); break; fi
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctxlocal-valgrind.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

SELECT=${1:-cython}
set +e
CTXLOCAL_NO_EXTENSIONS=0 PYTHONMALLOC=malloc \
CTXLOCAL_HYPOTHESIS_EXAMPLES=${VALGRIND_EXAMPLES:-40} CTXLOCAL_STRESS_SCALE=0.002 \
    valgrind --tool=memcheck --leak-check=no --track-origins=no --num-callers=30 \
        "${SUPP[@]}" --xml=yes --xml-file="$WORK/memcheck.%p.xml" \
        "$PYBIN" -m pytest -p no:cacheprovider -q --no-header \
            -W "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning" \
            tests/test_fuzz_proxy.py tests/test_misuse.py tests/test_differential.py \
            tests/test_memory.py::test_cycles_through_proxies_are_collected \
            "tests/test_isolation_load.py::test_threads_never_see_each_other" \
            -k "$SELECT"
STATUS=$?
set -e
# pytest: 0 all passed, 1 some tests failed; anything else (a signal, an
# internal error) means the run did not complete.
if [ "$STATUS" -gt 1 ]; then
    echo "valgrind: the test run did not complete (exit status $STATUS)" >&2
    "$PYBIN" ci/valgrind_report.py _local_c "$WORK"/memcheck.*.xml || true
    exit 1
fi
"$PYBIN" ci/valgrind_report.py _local_c "$WORK"/memcheck.*.xml
