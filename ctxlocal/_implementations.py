"""ctxlocal's two implementations, and the one reader of ``CTXLOCAL_NO_EXTENSIONS``.

The same classes exist twice, and everything that names the two builds (the
public ``ctxlocal.IMPLEMENTATION``, ``Installation.implementation``, the test
ids, the benchmark's ``--impl`` values and table columns, the CI scripts) uses
the two words of this registry:

* ``"cython"``: ``ctxlocal._local_c``, compiled by Cython from
  ``_ctxlocal/_local_c.pyx``; CPython, with a GIL or free-threaded (the module
  declares that it does not need the GIL);
* ``"python"``: ``ctxlocal._local_py``, pure Python; every interpreter.

``CTXLOCAL_NO_EXTENSIONS`` says which one is wanted, and :func:`requested` is
the only code that reads it (through :func:`env_flag`, the one vocabulary of
yes/no environment settings; any case, surrounding spaces ignored):

* unset or empty: no preference (``None``); the dispatcher then takes the
  compiled module if it imports;
* ``0``, ``false``, ``no``, ``off``: ``"cython"``, required;
* ``1``, ``true``, ``yes``, ``on``: ``"python"``;
* anything else: :class:`SettingError` (a ``ValueError``), naming the
  variable, the value and the accepted ones.

What follows from the answer is each caller's business: ``ctxlocal._choose``
falls back or raises ``ImportError``, ``setup.py`` skips or forces the build,
the test suite and the benchmarks decide which implementations they run.

Which interpreters can have the compiled module at all (CPython, either
build) is said here once too, by :func:`compiled_supported` and
:func:`compiled_unsupported_reason`; :func:`free_threaded` tells the builds
apart.

This module imports only the standard library (``os``, ``sys``, ``sysconfig``,
``typing``) and nothing from the package: ``import ctxlocal`` stays fast, and a script that
must not import ctxlocal (``setup.py`` before the extension exists, a script
whose job is to check which implementation a child interpreter picks) can
load it from its file with ``runpy.run_path``.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from typing import Dict, Final, Literal, Mapping, Optional, Tuple

__all__ = [
    "CYTHON",
    "ENV_VALUE",
    "ENV_VAR",
    "FALSE_WORDS",
    "MODULES",
    "NAMES",
    "PYTHON",
    "TRUE_WORDS",
    "Name",
    "SettingError",
    "compiled_supported",
    "compiled_unsupported_reason",
    "env_flag",
    "environ_for",
    "free_threaded",
    "requested",
]

Name = Literal["cython", "python"]

CYTHON: Final = "cython"
PYTHON: Final = "python"
NAMES: Final[Tuple[Name, ...]] = (CYTHON, PYTHON)

# The module each implementation's classes live in.
MODULES: Final[Mapping[Name, str]] = {
    CYTHON: "ctxlocal._local_c",
    PYTHON: "ctxlocal._local_py",
}

ENV_VAR: Final = "CTXLOCAL_NO_EXTENSIONS"
# A value of ENV_VAR that asks for each implementation.
ENV_VALUE: Final[Mapping[Name, str]] = {CYTHON: "0", PYTHON: "1"}

# The spellings env_flag accepts, in the order its error lists them.
TRUE_WORDS: Final[Tuple[str, ...]] = ("1", "true", "yes", "on")
FALSE_WORDS: Final[Tuple[str, ...]] = ("0", "false", "no", "off")
_FLAGS: Final[Mapping[str, bool]] = {
    **{word: True for word in TRUE_WORDS},
    **{word: False for word in FALSE_WORDS},
}


class SettingError(ValueError):
    """An environment variable of ctxlocal's holds a value it does not accept.

    A ``ValueError``, not an ``ImportError``, although ``import ctxlocal`` is
    where it shows: the value is what is wrong, not the installation, and
    code written as ``try: import ctxlocal / except ImportError: <fall back
    to werkzeug.local>`` must not swallow a typo into a silent slow path.
    """


def env_flag(
    name: str,
    value: Optional[str],
    *,
    true: str = "on",
    false: str = "off",
    unset: str = "the default",
) -> Optional[bool]:
    """Read ``value``, the setting of the environment variable ``name``, as a yes/no flag.

    ``True`` for ``1``, ``true``, ``yes``, ``on``; ``False`` for ``0``,
    ``false``, ``no``, ``off`` (any case, surrounding whitespace ignored);
    ``None`` when unset (``value`` is ``None``) or empty, as Docker's ``ENV X=``
    leaves it. Anything else raises :class:`SettingError` naming the
    variable, the value and the accepted spellings; ``true``, ``false`` and
    ``unset`` say in that message what each answer means for ``name``.
    """
    if value is None:
        return None
    word = value.strip().lower()
    if not word:
        return None
    try:
        return _FLAGS[word]
    except KeyError:
        raise SettingError(
            f"{name}={value!r} is not a value ctxlocal accepts. Use"
            f" {_spell(TRUE_WORDS)} ({true}), {_spell(FALSE_WORDS)} ({false}),"
            f" or leave it unset or empty ({unset}); any case."
        ) from None


def _spell(words: Tuple[str, ...]) -> str:
    return ", ".join(words[:-1]) + " or " + words[-1]


def requested(environ: Optional[Mapping[str, str]] = None) -> Optional[Name]:
    """The implementation ``CTXLOCAL_NO_EXTENSIONS`` asks for, ``None`` if it
    is unset or empty (no preference).

    A false value (``0``, ``false``, ``no``, ``off``: "no *not* extensions")
    asks for ``"cython"``, required (no fallback); a true one (``1``,
    ``true``, ``yes``, ``on``) for ``"python"``. Any other value raises
    :class:`SettingError`. ``environ`` defaults to ``os.environ``.
    """
    no_extensions = env_flag(
        ENV_VAR,
        (os.environ if environ is None else environ).get(ENV_VAR),
        true="the pure-Python module",
        false="the compiled module, required",
        unset="the compiled module when it is available",
    )
    if no_extensions is None:
        return None
    return PYTHON if no_extensions else CYTHON


def environ_for(name: Optional[Name], environ: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """A copy of ``environ`` (default ``os.environ``) for a child interpreter
    that must pick ``name``, or make its default choice if ``name`` is ``None``."""
    env = dict(os.environ if environ is None else environ)
    env.pop(ENV_VAR, None)
    if name is not None:
        env[ENV_VAR] = ENV_VALUE[name]
    return env


def free_threaded() -> bool:
    """Whether this is a free-threaded CPython build (``Py_GIL_DISABLED``).

    The compiled module runs there too, with the GIL off: it declares that it
    does not need it (its ``Py_mod_gil`` slot), so importing it leaves the
    GIL as it was.
    """
    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def compiled_supported() -> bool:
    """Whether this interpreter can have the compiled module: CPython, either build."""
    return compiled_unsupported_reason() is None


def compiled_unsupported_reason() -> Optional[str]:
    """Why this interpreter never has the compiled module, ``None`` if it can
    (CPython, with a GIL or free-threaded).

    The answer names the interpreter and fits after "never built for".
    """
    if sys.implementation.name != "cpython":
        version = ".".join(map(str, sys.implementation.version[:3]))
        name = "PyPy" if sys.implementation.name == "pypy" else sys.implementation.name
        return f"{name} {version} (it is a CPython extension; every other interpreter gets the pure module)"
    return None
