#!/bin/sh
# Re-run the figures of the README's "Performance" section, from the repository
# root or anywhere: a full run on CPython (python3), then, when pypy3 is
# installed, on PyPy. Each runs in a venv of its own that python -m bench.venv
# makes (.venv-bench-<python>, with Werkzeug and greenlet) after building the
# compiled module into the checkout (CPython).
# Writes bench/results/{results,table,chart}-<python>.{json,md,png}, the
# tracked files the README quotes; plain python -m bench writes to bench/out.
# The README's tables are table-3.11.md and table-pypy<version>.md.
set -eu
cd "$(dirname "$0")/.."
python3 -m bench.venv --chart --output-dir bench/results
if command -v pypy3 >/dev/null 2>&1; then
    pypy3 -m bench.venv --output-dir bench/results
    # PyPy has no matplotlib here: draw its chart from its JSON with CPython.
    tag=$(pypy3 -c 'import sys; print("pypy%d.%d" % sys.version_info[:2])')
    python3 -m bench.venv --chart --report "bench/results/results-$tag.json" >/dev/null
else
    echo "pypy3 not found: no PyPy figures (apt-get install pypy3 pypy3-venv)" >&2
fi
