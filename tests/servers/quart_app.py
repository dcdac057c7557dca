"""The Quart app the servers of ``tests/test_servers.py`` serve (``quart run``, hypercorn).

As ``flask_app.py``: no ``install()``, no ctxlocal import before Quart;
``GET /probe/<word>?...`` returns :func:`_report.report`'s JSON, ``pause``
(seconds) awaited so that concurrent requests overlap.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict

from quart import Quart, current_app, g, request, session, websocket

from _report import report

app = Quart(__name__)
app.secret_key = "test only"


@app.before_request
async def remember_word() -> None:
    g.word = (request.view_args or {}).get("word")


@app.route("/probe/<word>")
async def probe(word: str) -> Dict[str, Any]:
    await asyncio.sleep(float(request.args.get("pause", "0")))
    session["word"] = word
    proxies = {
        "request": request,
        "websocket": websocket,
        "g": g,
        "session": session,
        "current_app": current_app,
    }
    return report(word, request.path, request.args, g.word, proxies)
