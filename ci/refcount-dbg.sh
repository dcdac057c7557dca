#!/usr/bin/env bash
# Reference-leak check under a debug build of CPython (Debian's python3.11-dbg,
# or another one: python3.14-dbg in the sid root of ci/test-sid.sh).
#
# 1. Installs python3.11-dbg (and python3.11-dev, python3.11-venv) with apt
#    when it is the interpreter asked for and missing.
# 2. Copies the checkout (tracked and untracked, not ignored files; without
#    git, every file but build products) to a temporary directory, so the
#    normal in-place build is left alone (a debug interpreter would load a
#    release build's module: they share one ABI), and builds the compiled
#    module there with the debug interpreter, from a venv holding
#    pyproject.toml's debug group: the build tools and the test dependencies
#    without gevent, eventlet and SQLAlchemy, whose C extensions would have to
#    be compiled for the debug interpreter (their tests skip in this run).
# 3. Runs tests/test_refcount.py (no growth of sys.gettotalrefcount() over
#    rounds of each operation family) and tests/test_parallel.py (threads
#    sharing locals; the same check over rounds of them), checking that
#    they ran for both implementations, unskipped, then the whole suite (unless
#    --refcount-only), all with CTXLOCAL_NO_EXTENSIONS=0 (the compiled module
#    is required) and CTXLOCAL_REQUIRE_DEBUG=1 (test_refcount.py errors
#    instead of skipping without sys.gettotalrefcount), and Werkzeug's own
#    tests of werkzeug.local on both implementations (ci/werkzeug_suite.py).
#
# Usage: ci/refcount-dbg.sh [--refcount-only] [pytest args...]
#        (default: the whole suite after the refcount tests)
# Environment: CTXLOCAL_DBG_PYTHON (default python3.11-dbg);
# CTXLOCAL_DBG_KEEP=1 keeps the temporary directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${CTXLOCAL_DBG_PYTHON:-python3.11-dbg}
REFCOUNT_ONLY=0
if [ "${1:-}" = --refcount-only ]; then
    REFCOUNT_ONLY=1
    shift
fi

if [ "$PY" = python3.11-dbg ] && { ! command -v "$PY" >/dev/null || ! "$PY" -c "import ensurepip" 2>/dev/null; }; then
    PACKAGES=(python3.11-dbg python3.11-dev python3.11-venv)
    apt-get -o DPkg::Lock::Timeout=600 install -y -q "${PACKAGES[@]}" \
        || { apt-get update -q && apt-get -o DPkg::Lock::Timeout=600 install -y -q "${PACKAGES[@]}"; }
fi
"$PY" -c "import sys; assert hasattr(sys, 'gettotalrefcount'), 'not a debug build'"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctxlocal-dbg.XXXXXX")
if [ "${CTXLOCAL_DBG_KEEP:-0}" != 1 ]; then
    trap 'rm -rf "$WORK"' EXIT
fi

# A copy without build products: the .so files of the release build must not be picked up.
mkdir "$WORK/src"
if command -v git >/dev/null && git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) \
        | (cd "$ROOT" && xargs -0 cp --parents -t "$WORK/src")
else
    tar -C "$ROOT" --exclude=.git --exclude='.venv*' --exclude=build --exclude='*.so' \
        --exclude=__pycache__ --exclude=.hypothesis --exclude='_ctxlocal/*.c' -cf - . \
        | tar -C "$WORK/src" -xf -
fi

"$PY" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
# The test dependencies, minus those with C extensions that would be built
# from source for the debug ABI (minutes each); their tests skip here and run
# in the normal test run. pip >= 25.1 reads dependency groups; the debug
# interpreter's venv may bring an older one.
"$VPY" -m pip install -q --disable-pip-version-check --upgrade pip
"$VPY" -m pip install -q --disable-pip-version-check --group "$WORK/src/pyproject.toml:debug"

cd "$WORK/src"
CTXLOCAL_NO_EXTENSIONS=0 "$VPY" setup.py -q build_ext --inplace
"$VPY" -c "import ctxlocal._local_c as m, sys; print('built', m.__file__, 'debug:', hasattr(sys, 'gettotalrefcount'))"

export CTXLOCAL_NO_EXTENSIONS=0 CTXLOCAL_REQUIRE_DEBUG=1
# The debug interpreter is several times slower: fewer hypothesis examples
# (the normal run has the full default count).
export CTXLOCAL_HYPOTHESIS_EXAMPLES=${CTXLOCAL_HYPOTHESIS_EXAMPLES:-100}
PYTEST=("$VPY" -m pytest -p no:cacheprovider -q -rs
        -W "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")
FAILED=0

# The refcount checks, on their own first so that their result shows even
# when another test fails. They must run for both implementations, unskipped.
# With them, the parallel tests (threads sharing locals, stacks and proxies;
# their test_refcounts_flat checks the counts over rounds of them).
LOG="$WORK/refcount.log"
"${PYTEST[@]}" tests/test_refcount.py tests/test_parallel.py 2>&1 | tee "$LOG" || FAILED=1
if grep -q "SKIPPED" "$LOG" || ! grep -q "passed" "$LOG"; then
    echo "refcount-dbg: tests/test_refcount.py did not run (skipped?) under $PY" >&2
    FAILED=1
fi
if ! grep -q "test_no_reference_leak\[cython-" <<<"$("${PYTEST[@]}" --co tests/test_refcount.py)"; then
    echo "refcount-dbg: no refcount test ran against the compiled module" >&2
    FAILED=1
fi

# The whole test suite under the debug interpreter, and Werkzeug's own
# tests of werkzeug.local on both implementations.
if [ "$REFCOUNT_ONLY" = 0 ]; then
    "${PYTEST[@]}" "${@:-tests}" || FAILED=1
fi
"$VPY" ci/werkzeug_suite.py --src . || FAILED=1

if [ "$FAILED" != 0 ]; then
    echo "refcount-dbg: FAILED under $PY" >&2
    exit 1
fi
echo "refcount-dbg: OK"
