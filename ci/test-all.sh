#!/usr/bin/env bash
# Everything CI checks, from a fresh clone: the README's test command.
#
# 1. a venv (.venv) with pyproject.toml's dev group: the test dependencies,
#    the repository checks' tools and the build tools;
# 2. the extension built in place with CTXLOCAL_NO_EXTENSIONS=0, so a failed
#    compile fails here instead of falling back to pure Python, and the
#    project installed into the venv too, for what only an install has (the
#    ctxlocal-run script, ctxlocal-install.pth);
# 3. the suite with the compiled implementation required (every test runs on
#    both implementations), then with the pure one only; it starts real
#    servers (flask run, gunicorn, waitress, hypercorn, uwsgi...) on 127.0.0.1;
#    then under pytest-run-parallel (each thread-safe test run by 4 threads);
# 4. mypy --strict over the package, the type stub against each
#    implementation (mypy.stubtest), the documentation built warning-free with
#    its doctests run on each implementation, and the benchmark suite
#    collected and run once without timing (smoke);
# 5. the debug interpreter's reference counts and valgrind on the compiled
#    module;
# 6. the sdist and the wheels, each installed and tested from outside the tree:
#    binary wheels for CPython 3.9 and 3.13, the pure wheel on Debian 12's PyPy
#    7.3 (Python 3.9);
# 7. Werkzeug's own tests of werkzeug.local on both implementations
#    (ci/werkzeug_suite.py; also run on every interpreter below);
# 8. the interpreters Debian 12 lacks, from a Debian sid root (ci/test-sid.sh):
#    CPython 3.14 and 3.15 (suite, Werkzeug's tests, speed figures), PyPy 8
#    and python3.14-dbg; in the same root, the free-threaded compile check
#    (ci/freethreaded-compile.sh: the compiled module's C against 3.14's
#    headers with Py_GIL_DISABLED, warning-free, and its Py_mod_gil slot).
#
# Environment: PYTHON (default python3) for the venv; CTXLOCAL_SKIP_SID=1
# leaves out step 8 (machines that cannot chroot).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
step() { printf '\n==== %s\n' "$*"; }

step "venv and test dependencies"
"$PYTHON" -m venv .venv
PY=$PWD/.venv/bin/python
# pip >= 25.1 reads dependency groups (--group).
"$PY" -m pip install -q --upgrade pip
"$PY" -m pip install -q --group dev
"$PY" -VV

step "compiled extension (required)"
CTXLOCAL_NO_EXTENSIONS=0 "$PY" setup.py -q build_ext --inplace
# Unset, the dispatcher must pick the compiled module by itself.
env -u CTXLOCAL_NO_EXTENSIONS "$PY" -c 'import ctxlocal, sys; sys.exit(ctxlocal.IMPLEMENTATION != "cython")' \
    || { echo "import ctxlocal did not pick the compiled implementation" >&2; exit 1; }

step "ctxlocal installed into the venv: the ctxlocal-run script and ctxlocal-install.pth"
# Only an install brings them (the console script, the .pth in site-packages),
# and the launcher's and servers' tests need them (uwsgi's CTXLOCAL_INSTALL=1
# among them); CTXLOCAL_REQUIRE_INSTALLED_HOOKS=1 fails those tests, instead
# of skipping them, if they are missing. The suite and the children it starts
# still import the checkout, which is first on sys.path (PYTHONPATH).
# (Not exported: the other runs below test copies of the tree, not this venv.)
CTXLOCAL_NO_EXTENSIONS=0 "$PY" -m pip install -q --no-deps --no-build-isolation .

step "test suite: compiled required, both implementations"
CTXLOCAL_REQUIRE_INSTALLED_HOOKS=1 CTXLOCAL_NO_EXTENSIONS=0 "$PY" -m pytest

step "test suite: pure implementation only"
CTXLOCAL_REQUIRE_INSTALLED_HOOKS=1 CTXLOCAL_NO_EXTENSIONS=1 "$PY" -m pytest

step "test suite under pytest-run-parallel: each thread-safe test in 4 threads at once"
# Both implementations; the tests marked thread-unsafe (tests/conftest.py
# says why) ran above and are skipped here.
CTXLOCAL_NO_EXTENSIONS=0 "$PY" -m pytest -q --parallel-threads=4 --skip-thread-unsafe=True

step "Werkzeug's tests/test_local.py, both implementations"
"$PY" ci/werkzeug_suite.py --src .

step "type check of the package (mypy --strict)"
"$PY" -m mypy

step "the type stub against both implementations (mypy.stubtest)"
CTXLOCAL_NO_EXTENSIONS=0 "$PY" -m mypy.stubtest ctxlocal --concise \
    --allowlist ci/stubtest-allowlist.txt --allowlist ci/stubtest-allowlist-compiled.txt
CTXLOCAL_NO_EXTENSIONS=1 "$PY" -m mypy.stubtest ctxlocal --concise \
    --allowlist ci/stubtest-allowlist.txt

step "documentation: html (warnings are errors), doctests on both implementations"
# Offline: docs/conf.py uses no intersphinx. The html build reads the pure
# module (docs/conf.py says why); the examples run on each implementation.
"$PY" -m pip install -q --group docs
DOCS_OUT=$(mktemp -d)
env -u CTXLOCAL_NO_EXTENSIONS "$PY" -m sphinx -W -n --keep-going -q -b html docs "$DOCS_OUT/html"
for setting in 0 1; do
    CTXLOCAL_NO_EXTENSIONS=$setting "$PY" -m sphinx -W -n --keep-going -q -b doctest docs "$DOCS_OUT/doctest-$setting"
    tail -n 4 "$DOCS_OUT/doctest-$setting/output.txt"
done
rm -rf "$DOCS_OUT"

step "benchmark suite smoke run (no timing)"
"$PY" -m pytest bench --benchmark-disable -q -p no:cacheprovider

step "debug interpreter: reference counts"
bash ci/refcount-dbg.sh

step "valgrind memcheck"
bash ci/valgrind.sh

step "wheels and sdist"
PYTHON="$PY" bash ci/build-wheels.sh --ci

if [ "${CTXLOCAL_SKIP_SID:-0}" != 1 ]; then
    step "CPython 3.14 and 3.15, PyPy 8, python3.14-dbg (Debian sid root)"
    bash ci/test-sid.sh
    step "free-threaded compile check: CPython 3.14's headers with Py_GIL_DISABLED (Debian sid root)"
    bash ci/freethreaded-compile.sh
fi

step "all checks passed"
