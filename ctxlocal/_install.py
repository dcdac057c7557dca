"""Make ``werkzeug.local`` (and so Flask's and Quart's globals) use ctxlocal.

:func:`install` replaces the public names of ``werkzeug.local`` with the active
implementation's, so every proxy built afterwards (Flask's ``request``, Quart's
``g``, Flask-Login's ``current_user``, ...) is a ctxlocal proxy. Called before
Flask is imported, that is all it has to do.

Called later (``flask run`` and ``quart run`` import the framework before
the application's module), Flask and Quart have already built their globals
with Werkzeug's class. Those proxies all wrap ``ContextVar`` objects (Quart's
``session`` wraps a function), so install() builds an equivalent ctxlocal
proxy for each and rebinds it wherever a Flask, Quart or Werkzeug module
holds it (``flask.globals.request``, ``flask.request``, ``flask.cli.current_app``,
...). That is silent: nothing else was left behind. A module outside those
packages that took one of the old proxies before the call (``from flask
import request`` above ``install()``) keeps Werkzeug's proxy, which keeps
working, only slower: install() then warns with :class:`InstallWarning`,
naming those modules. ``ctxlocal-run`` installs before any of this happens.

:func:`uninstall` puts back every binding install() changed.
"""

from __future__ import annotations

import importlib
import sys
import threading
import warnings
from contextvars import Context, ContextVar
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

__all__ = ["InstallWarning", "Installation", "install", "uninstall"]

# The public API of werkzeug.local, all replaced by ctxlocal's.
_WERKZEUG_NAMES = ("Local", "LocalStack", "LocalProxy", "LocalManager", "release_local")

# Modules that build context-local proxies at import time.
_GLOBALS_MODULES = ("flask.globals", "quart.globals")

# Packages whose modules get the rebuilt proxies; any other module holding an
# old proxy is reported in the warning instead.
_FRAMEWORKS = ("flask", "quart", "werkzeug")


class InstallWarning(UserWarning):
    """:func:`install` ran after Flask or Quart had built their globals, and
    modules outside Flask, Quart and Werkzeug had taken some of them.

    The frameworks' own modules now hold ctxlocal proxies, but those modules
    (named in the message and in :attr:`Installation.stale`) keep Werkzeug's,
    which work, without the speed-up. Install before the framework is
    imported: ``ctxlocal-run``, or ``install()`` above the imports.
    """


@dataclass(frozen=True)
class Installation:
    """What :func:`install` changed.

    :param implementation: ``ctxlocal.IMPLEMENTATION`` of the installed classes.
    :param patched: every replaced binding as ``"module.name"``, e.g.
        ``"werkzeug.local.LocalProxy"`` or ``"flask.request"``.
    :param stale: modules outside Flask, Quart and Werkzeug that held one of
        the proxies install() rebuilt; they keep Werkzeug's proxy.
    """

    implementation: str
    patched: Tuple[str, ...]
    stale: Tuple[str, ...]


# One replaced binding: (module, name, original value, installed value).
_Binding = Tuple[ModuleType, str, Any, Any]

_lock = threading.Lock()
_installed: Optional[Installation] = None
_bindings: List[_Binding] = []


def install() -> Installation:
    """Make ``werkzeug.local``'s public names ctxlocal's, so that Werkzeug,
    Flask, Quart and their extensions build ctxlocal proxies.

    Call it before Flask or Quart is imported, or start the program with
    ``ctxlocal-run``. Called later, it also rebuilds the globals Flask and
    Quart built with Werkzeug's class, rebinding them in the frameworks' and
    Werkzeug's own modules; it warns with :class:`InstallWarning` only when
    other modules took the old proxies (:attr:`Installation.stale` names
    them).

    Idempotent: while installed, further calls change nothing and return the
    same :class:`Installation`. Parts that are not importable (no Werkzeug) or
    not imported yet (Flask, Quart) are skipped.
    """
    global _installed
    with _lock:
        if _installed is not None:
            return _installed
        import ctxlocal

        bindings: List[_Binding] = []
        stale: List[str] = []
        try:
            local_module = importlib.import_module("werkzeug.local")
        except ImportError:
            local_module = None
        if local_module is not None:
            originals = {name: getattr(local_module, name) for name in _WERKZEUG_NAMES}
            for name in _WERKZEUG_NAMES:
                _rebind(local_module, name, getattr(ctxlocal, name), bindings)
            stale = _rebuild_globals(originals, ctxlocal.LocalProxy, bindings)
        _bindings[:] = bindings
        _installed = Installation(
            implementation=ctxlocal.IMPLEMENTATION,
            patched=tuple(f"{module.__name__}.{name}" for module, name, _, _ in bindings),
            stale=tuple(stale),
        )
        return _installed


def uninstall() -> Optional[Installation]:
    """Undo :func:`install`; return what it had changed, or None if not installed.

    Each binding install() changed gets its original value back, unless
    something else has rebound it since. Proxies built while installed (Flask
    imported after ``install()``) stay ctxlocal proxies; they keep working.
    """
    global _installed
    with _lock:
        undone = _installed
        for module, name, original, installed in reversed(_bindings):
            if _namespace(module).get(name) is installed:
                setattr(module, name, original)
        _bindings.clear()
        _installed = None
        return undone


def _rebind(module: ModuleType, name: str, value: Any, bindings: List[_Binding]) -> None:
    original = getattr(module, name)
    if original is not value:
        setattr(module, name, value)
        bindings.append((module, name, original, value))


def _namespace(module: Any) -> Dict[str, Any]:
    # object.__getattribute__ skips a lazy module's __getattribute__, which
    # would import the module just because install() looked at it.
    try:
        namespace = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return {}
    return namespace if isinstance(namespace, dict) else {}


def _in_frameworks(module_name: str) -> bool:
    return any(
        module_name == package or module_name.startswith(package + ".")
        for package in _FRAMEWORKS
    )


def _rebuild_globals(
    originals: Dict[str, Any], proxy_type: type, bindings: List[_Binding]
) -> List[str]:
    """Replace the Werkzeug proxies Flask and Quart built; return stale modules."""
    # id(old proxy) -> (old, new). Proxies forward __eq__ and __hash__, so
    # they are matched by identity, never used as dict keys.
    rebuilt: Dict[int, Tuple[Any, Any]] = {}
    for module_name in _GLOBALS_MODULES:
        for value in list(_namespace(sys.modules.get(module_name)).values()):
            if type(value) is originals["LocalProxy"] and id(value) not in rebuilt:
                new = _equivalent(value, proxy_type, originals)
                if new is not None:
                    rebuilt[id(value)] = (value, new)
    if not rebuilt:
        return []

    stale: List[str] = []
    seen: Set[int] = set()  # one module can sit under two names (__main__, __mp_main__)
    for module_name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or id(module) in seen:
            continue
        seen.add(id(module))
        for name, value in list(_namespace(module).items()):
            pair = rebuilt.get(id(value))
            if pair is None or pair[0] is not value:
                continue
            if _in_frameworks(module_name):
                _rebind(module, name, pair[1], bindings)
            elif not stale or stale[-1] != module_name:
                stale.append(module_name)
    # Module globals are what the frameworks' globals are taken into; the
    # frameworks' own were all rebound, so only other modules are worth a word.
    if stale:
        warnings.warn(
            "ctxlocal.install() ran after Flask or Quart was imported: their globals"
            " now are ctxlocal proxies, but these modules had taken Werkzeug's"
            f" before the call and keep them (they work, without the speed-up):"
            f" {', '.join(sorted(stale))}. Start the program with ctxlocal-run"
            " (ctxlocal-run flask run ..., ctxlocal-run gunicorn ...), or call"
            " ctxlocal.install() before importing Flask or Quart.",
            InstallWarning,
            stacklevel=3,
        )
    return stale


class _Recorder:
    """Stands in for a context object to learn which attribute a proxy reads."""

    __slots__ = ("_path",)

    def __init__(self, path: Tuple[str, ...]) -> None:
        object.__setattr__(self, "_path", path)

    def __getattribute__(self, name: str) -> "_Recorder":
        return _Recorder(object.__getattribute__(self, "_path") + (name,))


def _recorded_name(result: Any) -> Tuple[bool, Optional[str]]:
    """(is a recorder, the dotted name it recorded or None)."""
    if type(result) is not _Recorder:
        return False, None
    path = object.__getattribute__(result, "_path")
    return True, ".".join(path) if path else None


def _probe_var(
    get_current: Callable[[], Any], var: "ContextVar[Any]"
) -> Optional[Tuple[Optional[str], str]]:
    """Watch a ContextVar proxy in an empty context: (attribute name, unbound message)."""

    def run() -> Optional[Tuple[Optional[str], str]]:
        try:
            get_current()
        except RuntimeError as exc:
            if len(exc.args) != 1 or not isinstance(exc.args[0], str):
                return None
            message = exc.args[0]
        else:
            return None  # the variable has a default: not a context-local proxy
        var.set(_Recorder(()))
        is_recorder, name = _recorded_name(get_current())
        return (name, message) if is_recorder else None

    return Context().run(run)


def _equivalent(old: Any, proxy_type: type, originals: Dict[str, Any]) -> Any:
    """A ctxlocal proxy reading what Werkzeug proxy ``old`` reads, or None if unsure."""
    try:
        wrapped = object.__getattribute__(old, "_LocalProxy__wrapped")
        get_current = object.__getattribute__(old, "_get_current_object")
    except AttributeError:
        return None
    if isinstance(wrapped, ContextVar):
        found = _probe_var(get_current, wrapped)
        if found is None:
            return None
        name, message = found
        new = proxy_type(wrapped, name, unbound_message=message)
        # The new proxy must answer the same probe before it replaces the old one.
        return new if _probe_var(new._get_current_object, wrapped) == found else None
    if isinstance(wrapped, (originals["Local"], originals["LocalStack"])) or not callable(
        wrapped
    ):
        return None
    # A proxy over a function (Quart's session): its attribute name is only
    # in the closure of Werkzeug's _get_current_object.
    cells = dict(
        zip(
            getattr(getattr(get_current, "__code__", None), "co_freevars", ()),
            getattr(get_current, "__closure__", None) or (),
        )
    )
    get_name = cells.get("get_name")
    if get_name is None:
        return None
    is_recorder, name = _recorded_name(get_name.cell_contents(_Recorder(())))
    return proxy_type(wrapped, name) if is_recorder else None
