"""A real Quart application behaves the same with and without ctxlocal.install().

``realapps/quart_app.py`` drives requests and a websocket through Quart's
async test client, in a fresh interpreter per mode (see ``realapps``).
"""

from __future__ import annotations

import types
from typing import Any, Dict

import pytest

from realapps import PROXY_TYPE, run_script

pytest.importorskip("quart")

WERKZEUG = PROXY_TYPE["werkzeug"]


@pytest.fixture(scope="module")
def stock() -> Dict[str, Any]:
    return run_script("quart_app.py", "none")


def test_stock_run_exercises_the_globals(stock: Dict[str, Any]) -> None:
    requests = stock["results"]["requests"]
    assert requests["hello"] == [200, "hey bob GET x"]
    assert requests["me"] == [200, '{"name":"ann","user":"ann"}\n']
    assert requests["task"][1] == (
        '{"bare":[false,"<LocalProxy unbound>"],"copied":["/task","tia","quartshop"]}\n'
    )
    assert requests["ws"] == "ping /ws quartshop ann"
    assert requests["app_context"] == ["quartshop", "app"]
    unbound = stock["results"]["unbound"]
    assert unbound["session"] == "Not within a request nor websocket context"
    assert unbound["request"] == "Not within a request context"
    assert set(stock["meta"]["types"].values()) == {WERKZEUG}


@pytest.mark.parametrize("mode", ["before", "after"])
def test_quart_globals_after_install(
    stock: Dict[str, Any], impl: types.SimpleNamespace, mode: str
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
