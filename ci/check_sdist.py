"""Check the files of a built sdist: what it must carry and what it must not.

Usage: python ci/check_sdist.py SDIST.tar.gz

Required: the Cython source, the tests (their ``conftest.py``), the package,
its typing marker, what builds and describes it, the changelog and the
documentation's sources. Unwanted: generated C, compiled modules, bytecode,
``tests/test_packaging.py`` (it checks the repository's CI files, which the
sdist does not carry) and ``tests/test_docs_chart.py`` (it needs
``bench/results``, left out too). Exits non-zero
naming what is wrong.

Not check-manifest: it compares version control with sdists it builds itself
from a clean copy of the tracked files, not the artifact shipped (built from
the working tree, where an in-place build leaves ``_ctxlocal/_local_c.c`` and
the ``.so``), and it takes MANIFEST.in's ``exclude`` rules as files to
ignore, so it cannot require that an excluded file is absent.
"""

from __future__ import annotations

import sys
import tarfile

REQUIRED = [
    "_ctxlocal/_local_c.pyx",
    "tests/conftest.py",
    "README.md",
    "LICENSE",
    "pyproject.toml",
    "setup.py",
    "ctxlocal/__init__.py",
    "ctxlocal/py.typed",
    # ctxlocal-run and CTXLOCAL_INSTALL: the launcher, its bootstrap, the .pth
    "_ctxlocal_run.py",
    "ctxlocal/_bootstrap/sitecustomize.py",
    "ctxlocal-install.pth",
    "CHANGES.rst",
    "docs/conf.py",
    "docs/index.md",
    "docs/changes.rst",
    "docs/_static/proxy-read.svg",
]
UNWANTED_SUFFIXES = (".c", ".so", ".pyd", ".pyc")
UNWANTED = ["tests/test_packaging.py", "tests/test_docs_chart.py"]


def main(path: str) -> int:
    with tarfile.open(path) as sdist:
        names = sdist.getnames()
    # Every member sits under one top folder, ctxlocal-<version>/.
    top = names[0].split("/")[0]
    files = {name[len(top) + 1 :] for name in names if name.startswith(top + "/")}
    missing = [name for name in REQUIRED if name not in files]
    unwanted = sorted(
        name for name in files if name.endswith(UNWANTED_SUFFIXES) or name in UNWANTED
    )
    if missing or unwanted:
        print(f"sdist {path} wrong: missing {missing}, unwanted {unwanted}", file=sys.stderr)
        return 1
    print(f"sdist {path}: {len(files)} files, Cython sources, tests and docs included, no generated C")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    sys.exit(main(sys.argv[1]))
