"""Start-up hook of ``ctxlocal-run`` (see ``_ctxlocal_run``), not a module to import.

``ctxlocal-run`` puts this directory first on ``PYTHONPATH``, so Python runs
this file as ``sitecustomize`` in every process started under it. It
switches the install-on-import hook on, then takes itself out of the way:
its directory leaves ``sys.path`` and the ``sitecustomize`` the program would
have run without ``ctxlocal-run`` (a Debian system one, a user's own on
``PYTHONPATH``) runs, under its own name, as if this one had not been there.
"""

import os
import sys


def _chain() -> None:
    try:
        import _ctxlocal_run
    except ImportError as exc:
        # A Python without ctxlocal, started by the command (another venv's,
        # the system's): nothing to install there.
        if exc.name != "_ctxlocal_run":
            raise
    else:
        _ctxlocal_run.activate()

    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if not entry or os.path.abspath(entry) != here]
    this = sys.modules[__name__]
    del sys.modules[__name__]
    try:
        # The next one on sys.path, now that ours is gone.
        import sitecustomize  # type: ignore[import-not-found]  # noqa: F401
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
        # None other: Python's import machinery expects to find this module
        # under its name when this file's execution ends.
        sys.modules[__name__] = this


_chain()
