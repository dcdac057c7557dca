#!/usr/bin/env bash
# The free-threaded compile check (ci/freethreaded_check.py says what it
# checks): the compiled module's C against CPython 3.14's headers with
# Py_GIL_DISABLED, warning-free, and its Py_mod_gil slot Py_MOD_GIL_NOT_USED.
#
# Debian 12 has no CPython 3.13+ headers; the Debian sid root of
# ci/sid-root.sh has python3.14-dev. On the host: reuses that root (made by
# ci/test-sid.sh's first call, or made here if missing), copies the
# checkout's tracked and untracked (not ignored) files into a temporary
# folder and runs this script inside the root on that copy. Inside: a venv
# with pyproject.toml's compile group (Cython, setuptools), then the check.
#
# Not a substitute for a real free-threaded run: that is the wheel workflow's
# test step on cp314t/cp315t (.github/workflows/wheels.yml).
#
# Usage: ci/freethreaded-compile.sh
# Environment: CTXLOCAL_SID_ROOT (see ci/sid-root.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside ]; then
    bash ci/sid-root.sh run-copy bash ci/freethreaded-compile.sh --inside
    exit 0
fi

# ---- inside the sid root, in /src (the copy)
VENV=/tmp/ctxlocal-ft-venv
rm -rf "$VENV"
python3.14 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q --group compile
"$VENV/bin/python" -c 'import Cython; print("Cython", Cython.__version__)'
"$VENV/bin/python" ci/freethreaded_check.py
