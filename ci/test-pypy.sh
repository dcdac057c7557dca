#!/usr/bin/env bash
# Run the whole test suite on PyPy against the pure implementation.
#
# Creates a fresh PyPy venv, installs the test dependencies (pyproject.toml's
# test group) and ctxlocal (the given pure wheel, or else the checkout, which
# builds pure on PyPy) and runs the suite from a copy of tests/, outside the
# source tree, with CTXLOCAL_NO_EXTENSIONS unset: PyPy must choose
# IMPLEMENTATION == "python" by itself (ci/run_installed_tests.py). greenlet is
# PyPy's built-in module (PyPI's, which SQLAlchemy pulls in, is removed).
# Then Werkzeug's own tests of werkzeug.local run on it (ci/werkzeug_suite.py).
#
# Usage: ci/test-pypy.sh [--wheel PATH] [--quick] [--report FILE]
# Environment: PYPY (default pypy3). On Debian, when pypy3 is missing and we
# are root, pypy3 and pypy3-venv are installed with apt-get.
set -euo pipefail

cd "$(dirname "$0")/.."
PYPY=${PYPY:-pypy3}
WHEEL=
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        --wheel) WHEEL=$(realpath "$2"); shift 2 ;;
        --quick) EXTRA+=(--quick); shift ;;
        --report) EXTRA+=(--report "$2"); shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done

if ! command -v "$PYPY" >/dev/null; then
    if [ "$PYPY" = pypy3 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get -o DPkg::Lock::Timeout=600 install -y -q pypy3 pypy3-venv \
            || { apt-get update -q && apt-get -o DPkg::Lock::Timeout=600 install -y -q pypy3 pypy3-venv; }
    else
        echo "error: $PYPY not found (Debian: apt-get install pypy3 pypy3-venv)" >&2
        exit 1
    fi
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctxlocal-pypy.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$PYPY" -m venv "$WORK/venv"
PY=$WORK/venv/bin/python

# pip >= 25.1 reads dependency groups; PyPy's venv may bring an older one.
"$PY" -m pip install -q --upgrade pip
# The servers group: gunicorn and waitress for tests/test_servers.py (pure
# Python; gevent and uwsgi, CPython's, skip there).
"$PY" -m pip install -q --group test --group servers
# SQLAlchemy requires greenlet>=1, newer than PyPy's built-in 0.4.13, so pip
# adds PyPI's greenlet, which has no compiled part on PyPy: it imports nowhere
# and shadows the built-in one when site-packages comes first on sys.path
# (PYTHONPATH in child interpreters). Remove it from the venv (pip uninstall
# would pick the built-in distribution, outside the venv).
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf "$SITE"/greenlet "$SITE"/greenlet-*.dist-info

if [ -n "$WHEEL" ]; then
    "$PY" -m pip install -q --no-index --no-deps "$WHEEL"
    LABEL=$(basename "$WHEEL")
else
    "$PY" -m pip install -q --no-deps .
    LABEL="checkout (pure)"
fi
PYTHONPATH=$SITE "$PY" -c 'import greenlet; print("greenlet", greenlet.__version__, "from", greenlet.__file__)'

unset CTXLOCAL_NO_EXTENSIONS
"$PY" ci/run_installed_tests.py --expect python --copy-from . --label "$LABEL" "${EXTRA[@]}"
"$PY" ci/werkzeug_suite.py --impl python
