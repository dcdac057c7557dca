"""A Flask application that uses every context global; prints JSON results.

``python flask_app.py MODE`` (MODE: none, before, after; see ``__init__.py``).
Contexts are pushed by real requests through the test client, by the CLI
runner and by hand (nested app contexts of two apps).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any, Callable, Dict, List

from _common import emit, install_after, install_before, type_name, uninstall

MODE = sys.argv[1]
meta = install_before(MODE)

import click  # noqa: E402
import flask  # noqa: E402
import flask.app  # noqa: E402
import flask.globals  # noqa: E402
import werkzeug.local  # noqa: E402
from flask import request as early_request  # noqa: E402  (kept across "after")

meta.update(install_after(MODE))

from flask import (  # noqa: E402
    Blueprint,
    Flask,
    after_this_request,
    copy_current_request_context,
    current_app,
    flash,
    g,
    get_flashed_messages,
    jsonify,
    render_template_string,
    request,
    session,
    stream_with_context,
    url_for,
)
from flask.cli import with_appcontext  # noqa: E402
try:  # an extension whose current_user is a proxy built on import
    import flask_login
except ImportError:  # optional: its part of the results is then left out
    flask_login = None

events: List[Any] = []

app = Flask("shop")
app.secret_key = "not a secret"
app.config["GREETING"] = "hi"
other = Flask("other")
other.config["GREETING"] = "hello"


@app.before_request
def load_user() -> None:
    g.user = request.args.get("user", "anon")
    events.append(["before_request", request.path, current_app.name])


@app.after_request
def stamp(response: flask.Response) -> flask.Response:
    response.headers["X-User"] = g.user
    return response


@app.teardown_request
def teardown_request(exc: Any) -> None:
    events.append(["teardown_request", request.path, g.get("user"), exc is None])


@app.teardown_appcontext
def teardown_appcontext(exc: Any) -> None:
    events.append(["teardown_appcontext", current_app.name, "user" in g])


@app.route("/hello")
def hello() -> str:
    return f"{current_app.config['GREETING']} {g.user} {request.method} {request.args.get('q')}"


@app.route("/early")
def early() -> str:
    # A proxy imported before install() ("after" mode): Werkzeug's, still right.
    return f"{early_request.path} {early_request.args['x']}"


@app.route("/login", methods=["POST"])
def login() -> str:
    session["name"] = request.form["name"]
    flash("welcome")
    return "ok"


@app.route("/me")
def me() -> flask.Response:
    return jsonify(name=session.get("name"), flashed=get_flashed_messages(), user=g.user)


@app.route("/template")
def template() -> str:
    return render_template_string(
        "{{ request.path }}|{{ g.user }}|{{ session.get('name') }}|{{ config.GREETING }}"
    )


@app.route("/after")
def after() -> str:
    @after_this_request
    def add_header(response: flask.Response) -> flask.Response:
        response.headers["X-After"] = request.path
        return response

    return "after"


@app.route("/stream")
def stream() -> flask.Response:
    def generate() -> Any:
        # Runs while the response is iterated, after the view returned.
        yield request.args["a"] + ","
        yield g.user + ","
        yield current_app.name

    return app.response_class(stream_with_context(generate()))


@app.route("/thread")
def thread() -> flask.Response:
    copied: Dict[str, Any] = {}
    bare: Dict[str, Any] = {}

    @copy_current_request_context
    def with_context() -> None:
        copied["path"] = request.path
        copied["name"] = session.get("name")
        copied["app"] = current_app.name

    def without_context() -> None:
        bare["bound"] = bool(request)
        try:
            request.path
        except RuntimeError as exc:
            bare["error"] = str(exc).splitlines()[0]

    for target in (with_context, without_context):
        worker = threading.Thread(target=target)
        worker.start()
        worker.join()
    return jsonify(copied=copied, bare=bare)


@app.route("/async")
async def async_view() -> Dict[str, Any]:
    g.before_await = request.path
    await asyncio.sleep(0)
    return {
        "path": request.path,
        "g": g.before_await,
        "user": g.user,
        "app": current_app.name,
    }


@app.route("/error")
def error() -> str:
    raise ValueError("boom")


@app.errorhandler(ValueError)
def handle_value_error(exc: ValueError) -> Any:
    return f"handled {request.path} {exc} {g.user}", 500


def add_login(login: Any) -> None:
    """Flask-Login: sign in through a view, read ``current_user`` in another."""
    current_user = login.current_user

    class Member(login.UserMixin):  # type: ignore[misc]
        def __init__(self, user_id: str) -> None:
            self.id = user_id

    login.LoginManager(app).user_loader(Member)

    @app.route("/signin/<user_id>")
    def signin(user_id: str) -> str:
        login.login_user(Member(user_id))
        return f"{current_user.id} {current_user.is_authenticated}"

    @app.route("/whoami")
    def whoami_view() -> str:
        return f"{current_user.is_authenticated} {getattr(current_user, 'id', None)}"


if flask_login is not None:
    add_login(flask_login)


shop = Blueprint("shop_bp", __name__, url_prefix="/bp")


@shop.before_request
def blueprint_before() -> None:
    g.blueprint = request.blueprint


@shop.route("/item/<int:item_id>")
def item(item_id: int) -> flask.Response:
    return jsonify(
        item=item_id,
        blueprint=g.blueprint,
        next=url_for(".item", item_id=item_id + 1),
        endpoint=request.endpoint,
        app=current_app.name,
    )


app.register_blueprint(shop)


@click.command("whoami")
@with_appcontext
def whoami() -> None:
    g.cli = "yes"
    click.echo(f"{current_app.name} {current_app.config['GREETING']} {g.cli}")


app.cli.add_command(whoami)


def requests() -> Dict[str, Any]:
    client = app.test_client()
    out: Dict[str, Any] = {}

    def record(key: str, response: Any, *headers: str) -> None:
        out[key] = [response.status_code, response.get_data(as_text=True)] + [
            response.headers.get(name) for name in headers
        ]

    record("hello", client.get("/hello?user=bob&q=x"), "X-User")
    record("early", client.get("/early?x=7"))
    record("login", client.post("/login", data={"name": "ann"}))
    record("me", client.get("/me?user=ann"))
    record("me_again", client.get("/me"))
    record("template", client.get("/template?user=tim"))
    record("after", client.get("/after"), "X-After")
    record("stream", client.get("/stream?a=1&user=sue"))
    record("thread", client.get("/thread"))
    record("async", client.get("/async?user=al"))
    record("error", client.get("/error"))
    record("blueprint", client.get("/bp/item/3?user=bo"))
    record("missing", client.get("/nowhere"))
    if flask_login is not None:
        record("anonymous", client.get("/whoami"))
        record("signin", client.get("/signin/42"))
        record("signed_in", client.get("/whoami"))
    return out


def nested_app_contexts() -> List[Any]:
    out: List[Any] = []
    with app.app_context():
        g.level = "shop"
        out.append(current_app.name)
        with other.app_context():
            out += [current_app.name, g.get("level"), current_app.config["GREETING"]]
            g.level = "other"
            with app.test_request_context("/nested?x=1"):
                out += [current_app.name, request.args["x"], g.get("level")]
            out += [current_app.name, g.level]
        out += [current_app.name, g.level]
    out.append(bool(current_app))
    return out


def unbound() -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    proxies: Dict[str, Any] = {
        "request": request,
        "session": session,
        "g": g,
        "current_app": current_app,
        "request_ctx": flask.globals.request_ctx,
        "app_ctx": flask.globals.app_ctx,
    }
    for name, proxy in proxies.items():
        try:
            proxy.anything
        except RuntimeError as exc:
            out[name] = ["RuntimeError", str(exc)]
        out[name + ".bool"] = bool(proxy)
        out[name + ".repr"] = repr(proxy)
    return out


def cli() -> List[Any]:
    result = app.test_cli_runner().invoke(args=["whoami"])
    return [result.exit_code, result.output]


def proxy_types() -> Dict[str, str]:
    where: Dict[str, Callable[[], Any]] = {
        "flask.request": lambda: flask.request,
        "flask.g": lambda: flask.g,
        "flask.globals.session": lambda: flask.globals.session,
        "flask.globals.current_app": lambda: flask.globals.current_app,
        "flask.app.request": lambda: flask.app.request,
        "early_request": lambda: early_request,
    }
    if flask_login is not None:
        where["flask_login.current_user"] = lambda: flask_login.current_user
    types = {name: type_name(get()) for name, get in where.items()}
    types["werkzeug.local.LocalProxy"] = "{0.__module__}.{0.__qualname__}".format(
        werkzeug.local.LocalProxy
    )
    return types


results = {
    "requests": requests(),
    "nested": nested_app_contexts(),
    "unbound": unbound(),
    "cli": cli(),
}
results["events"] = events
meta["types"] = proxy_types()
meta["uninstalled"] = uninstall(MODE)
meta["types_after_uninstall"] = proxy_types()
# Still serves requests with whatever proxies uninstall() left in place.
results["after_uninstall"] = app.test_client().get("/hello?user=zed").get_data(as_text=True)
emit(results, meta)
