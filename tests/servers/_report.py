"""What a served request reports: the JSON body every app of this directory returns.

Imported by the apps after their framework; it imports ctxlocal only inside
:func:`report`, while a request is served, never before Flask or Quart.
"""

from __future__ import annotations

import builtins
import os
from typing import Any, Dict, Mapping


def type_name(obj: object) -> str:
    """``module.qualname`` of ``type(obj)``; ``type()`` is never forwarded by a proxy."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def report(word: str, path: str, args: Mapping[str, str], g_word: Any,
           context_globals: Mapping[str, object]) -> Dict[str, Any]:
    """The request as the app saw it, and how ctxlocal was installed in this process.

    ``context_globals``: the framework's proxies by name (``request``, ``g``,
    ...), whose types are reported, never their (forwarded) values.
    """
    import ctxlocal

    return {
        "word": word,
        "path": path,
        "args": dict(args),
        "g_word": g_word,
        "types": {name: type_name(proxy) for name, proxy in context_globals.items()},
        "implementation": ctxlocal.IMPLEMENTATION,
        "ctxlocal_file": ctxlocal.__file__,
        # None when the user's sitecustomize did not run in this interpreter.
        "user_sitecustomize": getattr(builtins, "ctxlocal_test_user_sitecustomize", None),
        "pid": os.getpid(),
    }
