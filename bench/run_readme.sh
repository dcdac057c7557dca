#!/bin/sh
# Re-run the figures of the docs' Performance page (docs/performance.md), from the repository
# root or anywhere. Each interpreter runs python -m bench in a venv of its own
# that python -m bench.venv makes (.venv-bench-<python>, with Werkzeug and
# greenlet) after building the compiled module into the checkout (CPython).
#
#   sh bench/run_readme.sh [cpython] [pypy] [sid]     (default: all three)
#
#   cpython  python3 (CPython 3.11 on Debian 12): every implementation, chart
#   pypy     pypy3 (PyPy 7.3, Python 3.9), when installed: the pure module
#            (PyPy runs pass --isolate: each operation in its own interpreter)
#   sid      CPython 3.14 and PyPy 8 (Python 3.11) in the Debian sid root of
#            ci/sid-root.sh (made on first use: debootstrap, root, ~2 minutes)
#
# Writes bench/results/{results,table,chart}-<python>.{json,md,png}, the
# tracked files the docs render (3.11, pypy3.9, 3.14, pypy3.11); plain
# python -m bench writes to bench/out. PyPy and the sid root have no
# matplotlib here: their charts are drawn from their JSON with python3.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- cpython pypy sid

chart_from_json() {  # chart_from_json TAG
    python3 -m bench.venv --chart --report "bench/results/results-$1.json" >/dev/null
}

for what in "$@"; do
    case "$what" in
        cpython)
            python3 -m bench.venv --chart --output-dir bench/results ;;
        pypy)
            if command -v pypy3 >/dev/null 2>&1; then
                pypy3 -m bench.venv --isolate --output-dir bench/results
                chart_from_json "$(pypy3 -c 'import sys; print("pypy%d.%d" % sys.version_info[:2])')"
            else
                echo "pypy3 not found: no PyPy 7.3 figures (apt-get install pypy3 pypy3-venv)" >&2
            fi ;;
        sid)
            bash ci/sid-root.sh >/dev/null
            bash ci/sid-root.sh run sh -c \
                'python3.14 -m bench.venv --output-dir bench/results && pypy3 -m bench.venv --isolate --output-dir bench/results'
            chart_from_json 3.14
            chart_from_json pypy3.11 ;;
        *)
            echo "unknown interpreter set: $what (cpython, pypy or sid)" >&2; exit 2 ;;
    esac
done
