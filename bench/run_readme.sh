#!/bin/sh
# Re-run the figures of the README's "Performance" section, from the repository
# root or anywhere: a full run on CPython (python3), then, when pypy3 is
# installed, on PyPy (in .venv-pypy, created with Werkzeug on first use).
# Writes bench/results/{results,table,chart}-<python>.{json,md,png}, the
# tracked files the README quotes; plain python -m bench writes to bench/out.
# The README's tables are table-3.11.md and table-pypy<version>.md.
# Build the compiled module first (python3 setup.py build_ext --inplace),
# or the "compiled" column is missing.
set -eu
cd "$(dirname "$0")/.."
python3 -m bench --output-dir bench/results
if command -v pypy3 >/dev/null 2>&1; then
    if [ ! -x .venv-pypy/bin/python ]; then
        pypy3 -m venv .venv-pypy
        .venv-pypy/bin/python -m pip install -q werkzeug
    fi
    .venv-pypy/bin/python -m bench --output-dir bench/results
    # PyPy has no matplotlib here: draw its chart from its JSON with CPython.
    tag=$(.venv-pypy/bin/python -c 'import sys; print("pypy%d.%d" % sys.version_info[:2])')
    python3 -m bench --report "bench/results/results-$tag.json" >/dev/null
else
    echo "pypy3 not found: no PyPy figures (apt-get install pypy3)" >&2
fi
