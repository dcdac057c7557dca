"""ctxlocal.install() / uninstall(): what they patch, rebuild, warn about and restore.

Every check runs in a fresh interpreter (``run_code``) so that the test process's
own ``werkzeug.local`` and Flask globals stay untouched, once per implementation
(``CTXLOCAL_NO_EXTENSIONS`` picks it in the child).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ctxlocal
from _impls import Implementation, default_choice
from ctxlocal._implementations import MODULES
from realapps import run_code

WERKZEUG_NAMES = ["Local", "LocalStack", "LocalProxy", "LocalManager", "release_local"]
FLASK_GLOBALS = ["app_ctx", "current_app", "g", "request", "request_ctx", "session"]


def test_install_before_flask_makes_its_globals_ctxlocal_proxies(
    impl: Implementation,
) -> None:
    pytest.importorskip("flask")
    out = run_code(
        """
        import json, ctxlocal
        installation = ctxlocal.install()
        import flask, flask.globals, werkzeug.local
        print(json.dumps({
            "implementation": [ctxlocal.IMPLEMENTATION, installation.implementation],
            "request_type": type(flask.request) is ctxlocal.LocalProxy,
            "module": type(flask.request).__module__,
            "globals": [type(getattr(flask.globals, name)) is ctxlocal.LocalProxy
                        for name in %r],
            "werkzeug": [getattr(werkzeug.local, name) is getattr(ctxlocal, name)
                         for name in %r],
            "patched": installation.patched,
            "stale": installation.stale,
        }))
        """
        % (FLASK_GLOBALS, WERKZEUG_NAMES),
        impl.name,
    )
    assert out["implementation"] == [impl.name, impl.name]
    assert out["request_type"] is True
    assert out["module"] == impl.module.__name__
    assert out["globals"] == [True] * len(FLASK_GLOBALS)
    assert out["werkzeug"] == [True] * len(WERKZEUG_NAMES)
    assert out["patched"] == [f"werkzeug.local.{name}" for name in WERKZEUG_NAMES]
    assert out["stale"] == []


def test_install_with_the_default_setting_uses_the_default_implementation() -> None:
    # CTXLOCAL_NO_EXTENSIONS unset: the compiled module if it imports.
    pytest.importorskip("flask")
    expected = default_choice()
    out = run_code(
        """
        import json, ctxlocal
        ctxlocal.install()
        import flask
        print(json.dumps([ctxlocal.IMPLEMENTATION,
                          type(flask.request) is ctxlocal.LocalProxy,
                          type(flask.request).__module__]))
        """,
        None,
    )
    assert out == [expected, True, MODULES[expected]]


def test_install_is_idempotent_and_uninstall_restores(impl: Implementation) -> None:
    out = run_code(
        """
        import dataclasses, json, ctxlocal
        import werkzeug.local as wl
        names = %r
        originals = {name: getattr(wl, name) for name in names}
        first = ctxlocal.install()
        second = ctxlocal.install()
        try:
            first.patched = ()
        except dataclasses.FrozenInstanceError:
            frozen = True
        else:
            frozen = False
        # Anyone's proxies and locals built now are ctxlocal's.
        proxy = wl.LocalProxy(lambda: 42)
        local = wl.Local()
        local.value = "v"
        stack = wl.LocalStack()
        stack.push("top")
        manager = wl.LocalManager([local, stack])
        made = [type(proxy) is ctxlocal.LocalProxy, proxy + 1,
                type(local) is ctxlocal.Local, local("value").upper(),
                type(stack) is ctxlocal.LocalStack, stack().upper(),
                type(manager) is ctxlocal.LocalManager]
        manager.cleanup()
        made += [stack.top, bool(local("value"))]
        undone = ctxlocal.uninstall()
        print(json.dumps({
            "same": first is second,
            "frozen": frozen,
            "made": made,
            "undone": undone is first,
            "restored": [getattr(wl, name) is originals[name] for name in names],
            "uninstall_again": ctxlocal.uninstall(),
            "reinstalled": [ctxlocal.install() is not first,
                            wl.LocalProxy is ctxlocal.LocalProxy],
        }))
        """
        % (WERKZEUG_NAMES,),
        impl.name,
    )
    assert out == {
        "same": True,
        "frozen": True,
        "made": [True, 43, True, "V", True, "TOP", True, None, False],
        "undone": True,
        "restored": [True] * len(WERKZEUG_NAMES),
        "uninstall_again": None,
        "reinstalled": [True, True],
    }


def test_uninstall_leaves_bindings_changed_since(impl: Implementation) -> None:
    out = run_code(
        """
        import json, ctxlocal
        import werkzeug.local as wl
        original_proxy = wl.LocalProxy
        ctxlocal.install()

        def mine(local):
            pass

        wl.release_local = mine  # someone else's patch, after install()
        ctxlocal.uninstall()
        print(json.dumps([wl.release_local is mine, wl.LocalProxy is original_proxy]))
        """,
        impl.name,
    )
    assert out == [True, True]


def test_install_without_werkzeug_is_a_no_op(impl: Implementation) -> None:
    out = run_code(
        """
        import dataclasses, json, sys
        sys.modules["werkzeug"] = None  # makes "import werkzeug..." fail
        import ctxlocal
        installation = ctxlocal.install()
        print(json.dumps({
            "installation": dataclasses.asdict(installation),
            "uninstall": ctxlocal.uninstall() is installation,
        }))
        """,
        impl.name,
    )
    assert out == {
        "installation": {"implementation": impl.name, "patched": [], "stale": []},
        "uninstall": True,
    }


def test_install_without_flask_patches_only_werkzeug(impl: Implementation) -> None:
    out = run_code(
        """
        import json, sys

        class Blocker:
            # Refuses to import Flask and Quart, as if they were not installed.
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("flask", "quart"):
                    raise ImportError(f"blocked: {name}")
                return None

        sys.meta_path.insert(0, Blocker())
        import ctxlocal
        installation = ctxlocal.install()
        print(json.dumps({
            "patched": installation.patched,
            "imported": sorted(name for name in sys.modules
                               if name.split(".")[0] in ("flask", "quart")),
        }))
        """,
        impl.name,
    )
    assert out == {
        "patched": [f"werkzeug.local.{name}" for name in WERKZEUG_NAMES],
        "imported": [],
    }


def test_install_does_not_import_flask(impl: Implementation) -> None:
    pytest.importorskip("flask")
    out = run_code(
        """
        import json, sys, ctxlocal
        ctxlocal.install()
        print(json.dumps(sorted(name for name in sys.modules
                                if name.split(".")[0] in ("flask", "quart"))))
        """,
        impl.name,
    )
    assert out == []


def test_install_after_flask_rebuilds_equivalent_globals(impl: Implementation) -> None:
    pytest.importorskip("flask")
    out = run_code(
        """
        import json, warnings
        import flask, flask.cli, flask.globals
        import ctxlocal

        names = %r
        old = {name: getattr(flask.globals, name) for name in names}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            installation = ctxlocal.install()
            again = ctxlocal.install()
        new = {name: getattr(flask.globals, name) for name in names}

        def unbound_message(proxy):
            try:
                proxy.anything
            except RuntimeError as exc:
                return str(exc)

        app = flask.Flask("probe")
        app.secret_key = "k"
        with app.test_request_context("/probe?a=1"):
            flask.session["s"] = 1
            bound = {name: new[name]._get_current_object()
                           is old[name]._get_current_object() for name in names}
            reexported = [flask.request.args["a"], flask.g is flask.globals.g]
        print(json.dumps({
            "types": {name: type(new[name]) is ctxlocal.LocalProxy for name in names},
            "same_var": {
                name: new[name].__wrapped__
                      is object.__getattribute__(old[name], "_LocalProxy__wrapped")
                for name in names},
            "messages": {name: unbound_message(new[name]) == unbound_message(old[name])
                         and unbound_message(new[name]) is not None for name in names},
            "bound": bound,
            "reexported": reexported,
            "again": again is installation,
            "warnings": [str(w.message) for w in caught],
            "stale": installation.stale,
            "cli": type(flask.cli.current_app) is ctxlocal.LocalProxy,
        }))
        """
        % (FLASK_GLOBALS,),
        impl.name,
    )
    everywhere = dict.fromkeys(FLASK_GLOBALS, True)
    assert out["types"] == everywhere
    assert out["same_var"] == everywhere
    assert out["messages"] == everywhere
    assert out["bound"] == everywhere
    assert out["reexported"] == ["1", True]
    assert out["again"] is True
    # Only Flask's own modules held the old proxies (``old`` is a dict), and
    # all were rebound, flask.cli's current_app among them: nothing to say.
    assert out["warnings"] == []
    assert out["stale"] == []
    assert out["cli"] is True


def test_late_install_names_the_modules_left_with_werkzeug_proxies(
    impl: Implementation, tmp_path: Path
) -> None:
    pytest.importorskip("flask")
    (tmp_path / "views.py").write_text("from flask import g, request\n")
    out = run_code(
        """
        import json, sys, warnings
        sys.path.insert(0, %r)
        import views  # takes Werkzeug's request and g, as user code does
        import ctxlocal

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            installation = ctxlocal.install()
        print(json.dumps({
            "warnings": [[w.category is ctxlocal.InstallWarning,
                          issubclass(w.category, UserWarning),
                          w.filename, str(w.message)] for w in caught],
            "stale": installation.stale,
            "kept": type(views.request).__module__,
        }))
        """
        % (str(tmp_path),),
        impl.name,
    )
    assert out["stale"] == ["views"]
    assert out["kept"] == "werkzeug.local"
    [[is_install_warning, is_user_warning, filename, message]] = out["warnings"]
    assert (is_install_warning, is_user_warning, filename) == (True, True, "<string>")
    # It names the module and says what to do instead.
    assert ": views. " in message
    assert "ctxlocal-run" in message


def test_localstack_is_subscriptable_like_werkzeug(impl: Implementation) -> None:
    # werkzeug.local.LocalStack is Generic; after install() code evaluating
    # ``LocalStack[Foo]`` at run time (an un-postponed annotation) meets ours.
    alias = impl.LocalStack[int]
    assert alias.__origin__ is impl.LocalStack


def test_endless_proxy_chain_raises_recursion_error(impl: Implementation) -> None:
    # A Werkzeug LocalStack built before install() and called afterwards makes
    # a proxy whose target is a new proxy, endlessly; Werkzeug raises
    # RecursionError there, and so must we (not crash the interpreter).
    out = run_code(
        """
        import json, ctxlocal

        def make():
            return ctxlocal.LocalProxy(make)

        try:
            ctxlocal.LocalProxy(make) + 1
        except RecursionError:
            print(json.dumps("RecursionError"))
        """,
        impl.name,
    )
    assert out == "RecursionError"


def test_install_warning_is_exported() -> None:
    assert issubclass(ctxlocal.InstallWarning, UserWarning)
    assert {"install", "uninstall", "InstallWarning", "Installation"} <= set(ctxlocal.__all__)
