"""A real Quart application behaves the same with and without ctxlocal.install().

``realapps/quart_app.py`` drives requests and a websocket through Quart's
async test client, in a fresh interpreter per mode (see ``realapps``).
"""

from __future__ import annotations

import importlib.metadata
from typing import Any, Dict

import pytest

from _impls import Implementation
from realapps import PROXY_TYPE, run_code, run_script

pytest.importorskip("quart")

WERKZEUG = PROXY_TYPE["werkzeug"]
# Quart 0.23 (Python 3.13+) rebuilt its contexts: one app context, copied
# without its g, under every global.
QUART_VERSION = tuple(int(part) for part in importlib.metadata.version("quart").split(".")[:2])


@pytest.fixture(scope="module")
def stock() -> Dict[str, Any]:
    return run_script("quart_app.py", "none")


def test_stock_run_exercises_the_globals(stock: Dict[str, Any]) -> None:
    requests = stock["results"]["requests"]
    assert requests["hello"] == [200, "hey bob GET x"]
    assert requests["me"] == [200, '{"name":"ann","user":"ann"}\n']
    copied_user = '"tia"' if QUART_VERSION < (0, 23) else "null"
    assert requests["task"][1] == (
        f'{{"bare":[false,"<LocalProxy unbound>"],"copied":["/task",{copied_user},"quartshop"]}}\n'
    )
    assert requests["ws"] == "ping /ws quartshop ann"
    assert requests["app_context"] == ["quartshop", "app"]
    unbound = stock["results"]["unbound"]
    assert unbound["session"] == "Not within a request nor websocket context"
    assert unbound["request"] == "Not within a request context"
    assert set(stock["meta"]["types"].values()) == {WERKZEUG}


@pytest.mark.parametrize("mode", ["before", "after"])
def test_quart_globals_after_install(
    stock: Dict[str, Any], impl: Implementation, mode: str
) -> None:
    run = run_script("quart_app.py", mode, implementation=impl.name)
    assert run["results"] == stock["results"]
    meta = run["meta"]
    installed = PROXY_TYPE[impl.name]
    types_seen = dict(meta["types"])
    early = types_seen.pop("early_request")
    assert set(types_seen.values()) == {installed}
    if mode == "before":
        assert early == installed
        assert meta["stale"] == []
    else:
        # session wraps a function, not a ContextVar: rebuilt all the same.
        for name in ("request", "g", "session", "websocket", "current_app"):
            assert f"quart.globals.{name}" in meta["patched"]
            assert f"quart.{name}" in meta["patched"]
        assert early == WERKZEUG
        assert meta["stale"] == ["__main__"]
        assert [category for category, _ in meta["warnings"]] == ["InstallWarning"]
    assert meta["uninstalled"] == meta["patched"]


# The proxies quart.globals defines; Quart 0.23 dropped the two context
# proxies other than app_ctx.
QUART_GLOBALS = ["app_ctx", "current_app", "g", "request", "session", "websocket"]
if QUART_VERSION < (0, 23):
    QUART_GLOBALS += ["request_ctx", "websocket_ctx"]


def test_rebuilt_quart_globals_match_the_originals(impl: Implementation) -> None:
    # install() after Quart: each rebuilt proxy reads the same context object
    # and fails with the same message; session (a proxy over a function)
    # included.
    out = run_code(
        """
        import asyncio, json, warnings
        import quart, quart.globals, werkzeug.local
        import ctxlocal

        names = sorted(
            name for name, value in vars(quart.globals).items()
            if type(value) is werkzeug.local.LocalProxy
        )
        old = {name: getattr(quart.globals, name) for name in names}
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            ctxlocal.install()
        new = {name: getattr(quart.globals, name) for name in names}

        def unbound(proxy):
            try:
                proxy.anything
            except RuntimeError as exc:
                return str(exc)

        async def bound():
            app = quart.Quart("probe")
            app.secret_key = "k"
            async with app.test_request_context("/probe?a=1"):
                quart.session["s"] = 1
                return {name: new[name]._get_current_object()
                              is old[name]._get_current_object()
                        for name in names if not name.startswith("websocket")}

        print(json.dumps({
            "names": names,
            "types": sorted({type(proxy).__module__ for proxy in new.values()}),
            "messages": {name: [unbound(new[name]), unbound(old[name])] for name in names},
            "bound": asyncio.run(bound()),
        }))
        """,
        impl.name,
    )
    assert out["names"] == sorted(QUART_GLOBALS)
    assert out["types"] == [impl.module.__name__]
    for name, (new_message, old_message) in out["messages"].items():
        assert new_message == old_message and new_message, name
    assert out["bound"] == {name: True for name in QUART_GLOBALS if "websocket" not in name}
