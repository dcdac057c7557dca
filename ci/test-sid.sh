#!/usr/bin/env bash
# The interpreters Debian 12 lacks, from Debian sid's packages: CPython 3.14
# and 3.15, python3.14-dbg and PyPy 8 (Python 3.11).
#
# On the host: makes or reuses the sid root (ci/sid-root.sh), copies the
# checkout's tracked and untracked (not ignored) files into a temporary folder
# and runs this script inside the root on that copy. Inside:
#
# 1. for python3.14 and python3.15: a fresh venv with pyproject.toml's dev
#    group (test dependencies and build tools), as a developer would install
#    them (README); the extension built in place with CTXLOCAL_NO_EXTENSIONS=0
#    (a failed compile fails here) and picked by `import ctxlocal` unaided;
#    the whole suite with the compiled module required (every test on both
#    implementations); Werkzeug's own tests of werkzeug.local on both
#    (ci/werkzeug_suite.py); then the speed goals (python -m bench.goals) and
#    the side-by-side benchmark (python -m bench), printed only: figures, not
#    pass/fail;
# 2. PyPy 8: the whole suite on the pure implementation, installed from the
#    checkout, and Werkzeug's tests (ci/test-pypy.sh);
# 3. python3.14-dbg: the reference-count tests and Werkzeug's tests under the
#    debug interpreter (ci/refcount-dbg.sh --refcount-only).
#
# Usage: ci/test-sid.sh [--no-bench]
# Environment: CTXLOCAL_SID_ROOT (see ci/sid-root.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=1
INSIDE=0
for arg in "$@"; do
    case "$arg" in
        --no-bench) BENCH=0 ;;
        --inside) INSIDE=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $arg" >&2; exit 2 ;;
    esac
done

step() { printf '\n==== sid: %s\n' "$*"; }

if [ "$INSIDE" = 0 ]; then
    args=(--inside)
    [ "$BENCH" = 1 ] || args+=(--no-bench)
    bash ci/sid-root.sh run-copy bash ci/test-sid.sh "${args[@]}"
    exit 0
fi

# ---- inside the sid root, in /src (the copy)
FAILED=()

for PY in python3.14 python3.15; do
    VENV=/tmp/ctxlocal-venv-$PY
    VPY=$VENV/bin/python
    step "$PY: venv and test dependencies"
    "$PY" -VV
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
    "$VPY" -m pip install -q --upgrade pip
    "$VPY" -m pip install -q --group dev
    "$VPY" -m pip list 2>/dev/null | grep -iE '^(cython|flask|quart|werkzeug|hypothesis) '

    step "$PY: compiled extension (required)"
    CTXLOCAL_NO_EXTENSIONS=0 "$VPY" setup.py -q build_ext --inplace
    env -u CTXLOCAL_NO_EXTENSIONS "$VPY" -c \
        'import ctxlocal, sys; sys.exit(ctxlocal.IMPLEMENTATION != "cython")' \
        || { echo "$PY: import ctxlocal did not pick the compiled implementation" >&2; exit 1; }

    step "$PY: test suite, compiled required, both implementations"
    CTXLOCAL_NO_EXTENSIONS=0 "$VPY" -m pytest -p no:cacheprovider || FAILED+=("$PY suite")

    step "$PY: Werkzeug's tests/test_local.py, both implementations"
    "$VPY" ci/werkzeug_suite.py --src . || FAILED+=("$PY werkzeug suite")

    if [ "$BENCH" = 1 ]; then
        step "$PY: python -m bench.goals (figures only)"
        "$VPY" -m bench.goals || FAILED+=("$PY bench.goals")
        step "$PY: python -m bench (figures only)"
        "$VPY" -m bench --no-save --markdown || FAILED+=("$PY bench")
    fi
done

step "PyPy 8: the whole suite on the pure implementation"
pypy3 -VV
PYPY=pypy3 bash ci/test-pypy.sh || FAILED+=("PyPy 8 suite")

step "python3.14-dbg: reference counts"
CTXLOCAL_DBG_PYTHON=python3.14-dbg bash ci/refcount-dbg.sh --refcount-only \
    || FAILED+=("python3.14-dbg refcounts")

if [ ${#FAILED[@]} -gt 0 ]; then
    printf 'sid: FAILED: %s\n' "${FAILED[@]}" >&2
    exit 1
fi
step "all sid checks passed"
