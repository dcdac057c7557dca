"""Build script: compiles the Cython implementation on CPython.

The extension is skipped on other interpreters and when
``CTXLOCAL_NO_EXTENSIONS`` is set to anything but ``0`` (that build is the pure
``py3-none-any`` wheel). With ``CTXLOCAL_NO_EXTENSIONS=0`` a failed compile is
an error instead of a silent fallback.
"""

import os
import platform

from setuptools import Extension, setup

NO_EXTENSIONS = os.environ.get("CTXLOCAL_NO_EXTENSIONS")
BUILD_EXTENSION = platform.python_implementation() == "CPython" and (
    NO_EXTENSIONS is None or NO_EXTENSIONS == "0"
)


def extensions():
    from Cython.Build import cythonize

    return cythonize(
        [Extension("ctxlocal._local_c", ["_ctxlocal/_local_c.pyx"])],
        compiler_directives={
            "language_level": "3",
            "auto_pickle": False,
        },
    )


setup(ext_modules=extensions() if BUILD_EXTENSION else [])
