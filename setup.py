"""Build script: compiles the Cython implementation on CPython (either build).

``CTXLOCAL_NO_EXTENSIONS`` (any case, surrounding spaces ignored), as
``import ctxlocal`` reads it:

* unset or empty: the extension where it can be built (CPython, with a GIL or
  free-threaded: the module declares that it does not need the GIL), none
  elsewhere;
* ``0``, ``false``, ``no``, ``off``: the extension, required: a failed compile
  is an error instead of a silent fallback, and so is asking for it on an
  interpreter it is never built for (PyPy and the others);
* ``1``, ``true``, ``yes``, ``on``: no extension; that build is the pure
  ``py3-none-any`` package;
* anything else: the build stops with the message ``import ctxlocal`` would
  raise, naming the value and the accepted ones.

The variable is read by ``ctxlocal/_implementations.py``, loaded here from its
file: the package itself cannot be imported before its extension is built.
"""

import os
import runpy
from typing import Any, Dict, Mapping

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

# Installed beside the package in site-packages, where Python runs it at
# start-up: CTXLOCAL_INSTALL=1 then installs ctxlocal before the program's
# first import (see _ctxlocal_run.py).
PTH_FILE = "ctxlocal-install.pth"


def implementations() -> Dict[str, Any]:
    """The names defined by ``ctxlocal/_implementations.py``."""
    here = os.path.dirname(os.path.abspath(__file__))
    return runpy.run_path(os.path.join(here, "ctxlocal", "_implementations.py"))


def build_extension(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether this interpreter gets the compiled module; ``SystemExit`` with
    the reason when the variable is invalid or asks for what cannot be built."""
    registry = implementations()
    try:
        wanted = registry["requested"](environ)
    except registry["SettingError"] as exc:
        raise SystemExit(f"setup.py: {exc}") from None
    if wanted == registry["PYTHON"]:
        return False
    unsupported = registry["compiled_unsupported_reason"]()
    if unsupported is None:
        return True
    if wanted == registry["CYTHON"]:
        variable = registry["ENV_VAR"]
        raise SystemExit(
            f"setup.py: {variable}={environ[variable]!r} requires the compiled module,"
            f" which is never built for {unsupported}; unset {variable} to build the"
            " pure package"
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


class build_py_with_pth(build_py):
    """build_py, plus the ``.pth`` file at the top of the built tree.

    setuptools has no setting for a file outside any package; a wheel
    carries whatever build_py leaves at the top of build_lib.
    """

    def run(self) -> None:
        super().run()
        self.copy_file(PTH_FILE, os.path.join(self.build_lib, PTH_FILE), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> "list[str]":
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH_FILE)]


if __name__ == "__main__":  # as setuptools runs it
    setup(
        ext_modules=extensions() if build_extension() else [],
        cmdclass={"build_py": build_py_with_pth},
    )
