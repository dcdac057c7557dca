"""A real Flask application behaves the same with and without ctxlocal.install().

``realapps/flask_app.py`` runs in a fresh interpreter per mode: stock
Werkzeug, install() before importing Flask, install() after. Its requests go
through the test client and touch request, session, g and current_app from
views, a blueprint, hooks, a template, a streamed response, a copied context
in a thread, an async view, the CLI, nested app contexts of two apps and
Flask-Login's ``current_user``.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Dict

import pytest

from _impls import Implementation
from realapps import PROXY_TYPE, run_script

pytest.importorskip("flask")
pytest.importorskip("asgiref", reason="async views need flask[async]")

WERKZEUG = PROXY_TYPE["werkzeug"]


def _login_types(installed: str) -> Dict[str, str]:
    # Flask-Login's current_user, when it is installed: imported by the app
    # after install() in every mode, so always the installed class.
    if importlib.util.find_spec("flask_login") is None:
        return {}
    return {"flask_login.current_user": installed}


@pytest.fixture(scope="module")
def stock() -> Dict[str, Any]:
    return run_script("flask_app.py", "none")


def test_stock_run_exercises_the_globals(stock: Dict[str, Any]) -> None:
    # What the comparison below is about: the app really ran each feature.
    results = stock["results"]
    requests = results["requests"]
    assert requests["hello"] == [200, "hi bob GET x", "bob"]
    assert requests["me"][1] == '{"flashed":["welcome"],"name":"ann","user":"ann"}\n'
    assert requests["template"] == [200, "/template|tim|ann|hi"]
    assert requests["stream"] == [200, "1,sue,shop"]
    assert '"copied":{"app":"shop","name":"ann","path":"/thread"}' in requests["thread"][1]
    assert '"bare":{"bound":false,"error":"Working outside of request context."}' in (
        requests["thread"][1]
    )
    assert requests["async"][1] == '{"app":"shop","g":"/async","path":"/async","user":"al"}\n'
    assert '"blueprint":"shop_bp"' in requests["blueprint"][1]
    assert requests["error"] == [500, "handled /error boom anon"]
    assert results["nested"] == [
        "shop", "other", None, "hello", "shop", "1", None, "other", "other", "shop", "shop", False
    ]
    assert results["cli"] == [0, "shop hi yes\n"]
    assert ["teardown_request", "/hello", "bob", True] in results["events"]
    assert results["unbound"]["request"][1].startswith("Working outside of request context.")
    assert results["unbound"]["g.repr"] == "<LocalProxy unbound>"
    assert set(stock["meta"]["types"].values()) == {WERKZEUG}


def test_install_before_import(stock: Dict[str, Any], impl: Implementation) -> None:
    run = run_script("flask_app.py", "before", implementation=impl.name)
    assert run["results"] == stock["results"]
    meta = run["meta"]
    assert meta["implementation"] == impl.name
    assert meta["patched"] == [
        f"werkzeug.local.{name}"
        for name in ("Local", "LocalStack", "LocalProxy", "LocalManager", "release_local")
    ]
    # Flask built every global with the installed class.
    assert set(meta["types"].values()) == {PROXY_TYPE[impl.name]}
    # uninstall() restores werkzeug.local; proxies built meanwhile stay.
    assert meta["uninstalled"] == meta["patched"]
    after = meta["types_after_uninstall"]
    assert after.pop("werkzeug.local.LocalProxy") == WERKZEUG
    assert set(after.values()) == {PROXY_TYPE[impl.name]}


def test_install_after_import(stock: Dict[str, Any], impl: Implementation) -> None:
    run = run_script("flask_app.py", "after", implementation=impl.name)
    assert run["results"] == stock["results"]
    meta = run["meta"]
    installed = PROXY_TYPE[impl.name]
    # Flask's own modules got rebuilt proxies; the script's early import did not.
    assert meta["types"] == {
        "flask.request": installed,
        "flask.g": installed,
        "flask.globals.session": installed,
        "flask.globals.current_app": installed,
        "flask.app.request": installed,
        "early_request": WERKZEUG,
        "werkzeug.local.LocalProxy": installed,
        **_login_types(installed),
    }
    for name in ("request", "session", "g", "current_app", "app_ctx", "request_ctx"):
        assert f"flask.globals.{name}" in meta["patched"]
    for name in ("request", "session", "g", "current_app"):
        assert f"flask.{name}" in meta["patched"]
    assert meta["stale"] == ["__main__"]
    [[category, message]] = meta["warnings"]
    assert category == "InstallWarning"
    assert ": __main__. " in message and "ctxlocal-run" in message
    # uninstall() puts Werkzeug's proxies back everywhere install() rebound
    # them; Flask-Login's, built while installed, stays.
    assert meta["uninstalled"] == meta["patched"]
    after = meta["types_after_uninstall"]
    assert {name: after.pop(name) for name in _login_types(installed)} == _login_types(installed)
    assert set(after.values()) == {WERKZEUG}


def test_flask_login_current_user(stock: Dict[str, Any], impl: Implementation) -> None:
    pytest.importorskip("flask_login")
    requests = stock["results"]["requests"]
    assert requests["anonymous"] == [200, "False None"]
    assert requests["signin"] == [200, "42 True"]
    assert requests["signed_in"] == [200, "True 42"]
    # The installed runs give the same answers (compared in the tests above);
    # here: Flask-Login built current_user with the installed class.
    run = run_script("flask_app.py", "before", implementation=impl.name)
    assert run["results"]["requests"]["signed_in"] == [200, "True 42"]
    assert run["meta"]["types"]["flask_login.current_user"] == PROXY_TYPE[impl.name]
