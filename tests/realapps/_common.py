"""Mode handling shared by the application scripts (see ``__init__.py``)."""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any, Dict, List


def type_name(obj: object) -> str:
    """``module.qualname`` of ``type(obj)``; ``type()`` is never forwarded by a proxy."""
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def install_before(mode: str) -> Dict[str, Any]:
    """In ``before`` mode, install ctxlocal now, before the framework's import."""
    if mode not in ("none", "before", "after"):
        raise SystemExit(f"unknown mode {mode!r}")
    if mode != "before":
        return {}
    import ctxlocal

    installation = ctxlocal.install()
    return {
        "implementation": installation.implementation,
        "patched": list(installation.patched),
        "stale": list(installation.stale),
    }


def install_after(mode: str) -> Dict[str, Any]:
    """In ``after`` mode, install ctxlocal now and record the warnings it gives."""
    if mode != "after":
        return {}
    import ctxlocal

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        installation = ctxlocal.install()
    return {
        "implementation": installation.implementation,
        "patched": list(installation.patched),
        "stale": list(installation.stale),
        "warnings": [[w.category.__name__, str(w.message)] for w in caught],
    }


def uninstall(mode: str) -> List[str]:
    """Undo install() (a no-op in ``none`` mode); return what was restored."""
    if mode == "none":
        return []
    import ctxlocal

    undone = ctxlocal.uninstall()
    return [] if undone is None else list(undone.patched)


def emit(results: Dict[str, Any], meta: Dict[str, Any]) -> None:
    """Print the one JSON object the test reads."""
    json.dump({"results": results, "meta": meta}, sys.stdout, sort_keys=True)
