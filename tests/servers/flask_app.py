"""The Flask app the servers of ``tests/test_servers.py`` serve.

It never calls ``ctxlocal.install()`` and never imports ctxlocal before Flask:
the launcher (or ``CTXLOCAL_INSTALL=1``) must have installed it. Served as
``flask_app:app``, as the factory ``flask_app:create_app()``, or run as
``python flask_app.py PORT`` (``app.run``).

``GET /probe/<word>?...`` returns :func:`_report.report`'s JSON; ``pause``
(seconds) holds the request open so that concurrent requests overlap.
"""

from __future__ import annotations

import sys
import time

from flask import Flask, current_app, g, jsonify, request, session
from flask.typing import ResponseReturnValue

from _report import report


def create_app() -> Flask:
    """A fresh app (the factory gunicorn calls for ``'flask_app:create_app()'``)."""
    app = Flask(__name__)
    app.secret_key = "test only"

    @app.before_request
    def remember_word() -> None:
        g.word = (request.view_args or {}).get("word")

    @app.route("/probe/<word>")
    def probe(word: str) -> ResponseReturnValue:
        time.sleep(float(request.args.get("pause", "0")))
        session["word"] = word
        proxies = {"request": request, "g": g, "session": session, "current_app": current_app}
        return jsonify(report(word, request.path, request.args, g.word, proxies))

    return app


app = create_app()

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
