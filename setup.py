"""Build script: compiles the Cython implementation on CPython with a GIL.

The extension is skipped on other interpreters, on free-threaded CPython
(the compiled module relies on the GIL: importing it there would turn the GIL
back on for the whole process) and when ``CTXLOCAL_NO_EXTENSIONS`` is set to
anything but ``0``; that build is the pure ``py3-none-any`` package. With
``CTXLOCAL_NO_EXTENSIONS=0`` a failed compile is an error instead of a silent
fallback, and so is asking for the extension where it is never built.

The variable is read by ``ctxlocal/_implementations.py``, loaded here from its
file: the package itself cannot be imported before its extension is built.
"""

import os
import runpy
from typing import Any, Dict, Mapping

from setuptools import Extension, setup


def implementations() -> Dict[str, Any]:
    """The names defined by ``ctxlocal/_implementations.py``."""
    here = os.path.dirname(os.path.abspath(__file__))
    return runpy.run_path(os.path.join(here, "ctxlocal", "_implementations.py"))


def build_extension(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this interpreter gets the compiled module."""
    registry = implementations()
    wanted = registry["requested"](environ)
    if wanted == registry["PYTHON"]:
        return False
    if registry["compiled_supported"]():
        return True
    if wanted == registry["CYTHON"] and registry["free_threaded"]():
        raise SystemExit(
            "CTXLOCAL_NO_EXTENSIONS=0 asks for the compiled module, which is never"
            " built for free-threaded CPython (it relies on the GIL)"
        )
    return False


def extensions():
    from Cython.Build import cythonize

    return cythonize(
        [Extension("ctxlocal._local_c", ["_ctxlocal/_local_c.pyx"], include_dirs=["_ctxlocal"])],
        compiler_directives={
            "language_level": "3",
            "auto_pickle": False,
        },
    )


if __name__ == "__main__":  # as setuptools runs it
    setup(ext_modules=extensions() if build_extension() else [])
