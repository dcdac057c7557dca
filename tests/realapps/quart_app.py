"""A Quart application that uses its context globals; prints JSON results.

``python quart_app.py MODE`` (MODE: none, before, after; see ``__init__.py``).
Requests and a websocket go through Quart's async test client.
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
from typing import Any, Dict, List

from _common import emit, install_after, install_before, type_name, uninstall

MODE = sys.argv[1]
meta = install_before(MODE)

import quart  # noqa: E402
from quart import request as early_request  # noqa: E402  (kept across "after")

meta.update(install_after(MODE))

from quart import (  # noqa: E402
    Quart,
    copy_current_request_context,
    current_app,
    g,
    request,
    session,
    websocket,
)

events: List[Any] = []
app = Quart("quartshop")
app.secret_key = "not a secret"
app.config["GREETING"] = "hey"


@app.before_request
async def load_user() -> None:
    g.user = request.args.get("user", "anon")
    events.append(["before_request", request.path, current_app.name])


@app.teardown_request
async def teardown_request(exc: Any) -> None:
    events.append(["teardown_request", request.path, exc is None])


@app.route("/hello")
async def hello() -> str:
    await asyncio.sleep(0)
    return f"{current_app.config['GREETING']} {g.user} {request.method} {request.args.get('q')}"


@app.route("/early")
async def early() -> str:
    return f"{early_request.path} {early_request.args['x']}"


@app.route("/login", methods=["POST"])
async def login() -> str:
    form = await request.form
    session["name"] = form["name"]
    return "ok"


@app.route("/me")
async def me() -> Dict[str, Any]:
    return {"name": session.get("name"), "user": g.user}


@app.route("/task")
async def task() -> Dict[str, Any]:
    @copy_current_request_context
    async def in_task() -> List[Any]:
        await asyncio.sleep(0)
        # The copy shares the request's g up to Quart 0.22; from 0.23 on it
        # is a new app context with a g of its own.
        return [request.path, g.get("user"), current_app.name]

    async def bare() -> List[Any]:
        # A task made from an empty context sees no request.
        return [bool(request), repr(request)]

    copied = await asyncio.ensure_future(in_task())
    # create_task copies the context it runs in: here, an empty one.
    unbound = await contextvars.Context().run(asyncio.ensure_future, bare())
    return {"copied": copied, "bare": unbound}


@app.websocket("/ws")
async def ws() -> None:
    message = await websocket.receive()
    await websocket.send(f"{message} {websocket.path} {current_app.name} {session.get('name')}")


async def run() -> Dict[str, Any]:
    client = app.test_client()
    out: Dict[str, Any] = {}

    async def record(key: str, response: Any) -> None:
        out[key] = [response.status_code, await response.get_data(as_text=True)]

    await record("hello", await client.get("/hello?user=bob&q=x"))
    await record("early", await client.get("/early?x=7"))
    await record("login", await client.post("/login", form={"name": "ann"}))
    await record("me", await client.get("/me?user=ann"))
    await record("task", await client.get("/task?user=tia"))
    async with client.websocket("/ws") as socket:
        await socket.send("ping")
        out["ws"] = await socket.receive()
    async with app.app_context():
        g.level = "app"
        out["app_context"] = [current_app.name, g.level]
    return out


def unbound() -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    proxies = {
        "request": request,
        "g": g,
        "current_app": current_app,
        "session": session,
        "websocket": websocket,
    }
    for name, proxy in proxies.items():
        try:
            proxy.anything
        except RuntimeError as exc:
            out[name] = str(exc)
        out[name + ".bool"] = bool(proxy)
    return out


results = {"requests": asyncio.run(run()), "unbound": unbound(), "events": events}
meta["types"] = {
    name: type_name(getattr(quart, name)) for name in ("request", "g", "session", "websocket")
}
meta["types"]["early_request"] = type_name(early_request)
meta["uninstalled"] = uninstall(MODE)
emit(results, meta)
