"""``ctxlocal-run`` end to end: real servers serve apps that never call install().

Each server of the matrix below starts for real on 127.0.0.1 through
``python -m ctxlocal.run --implementation NAME ...``, with the user's own
``sitecustomize`` (``servers/usersite``) on its ``PYTHONPATH``, serves a few
concurrent requests of ``servers/flask_app.py`` or ``servers/quart_app.py``
and is stopped by its process group id. Each answer must echo its own request
and report, from the process that served it: Flask's (or Quart's) globals of
the chosen implementation's ``LocalProxy`` class, ``ctxlocal.IMPLEMENTATION``,
the checkout's ctxlocal, and the user's sitecustomize having run in that
interpreter (in a pre-fork worker: in its parent). Nothing the server printed
may be a Python warning. Single-process servers must answer from the
launcher's own process id (the launcher execs the command).

The environment given to each server asks for the *other* implementation
(``CTXLOCAL_NO_EXTENSIONS``): ``--implementation`` must win.

The installed hooks (the console script ``ctxlocal-run``, and the
``ctxlocal-install.pth`` that ``CTXLOCAL_INSTALL=1`` switches on) exist only
when ctxlocal is installed from a wheel or an sdist: their tests skip in a
bare checkout, and fail instead with ``CTXLOCAL_REQUIRE_INSTALLED_HOOKS=1``
(set by CI where ctxlocal is installed). uwsgi (Debian's ``uwsgi`` and
``uwsgi-plugin-python3``) runs when its plugin embeds this interpreter's
Python version.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import signal
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import pytest

if sys.platform == "win32":
    pytest.skip(
        "gunicorn does not run on Windows (it needs fork and fcntl), and servers are"
        " stopped by process group (os.killpg)",
        allow_module_level=True,
    )

from _impls import Implementation, available
from ctxlocal._implementations import ENV_VALUE, ENV_VAR, MODULES, NAMES, Name, environ_for
from servers import (
    HERE,
    PACKAGE_ROOT,
    SCRIPTS,
    USER_SITE,
    Server,
    free_port,
    launcher,
    printed_warnings,
    probe,
    pythonpath,
    script,
    serve,
)

# Set to 1 by CI where ctxlocal is installed from a wheel or an sdist: a
# missing ctxlocal-run script or ctxlocal-install.pth then fails their tests.
REQUIRE_HOOKS = "CTXLOCAL_REQUIRE_INSTALLED_HOOKS"
PTH_NAME = "ctxlocal-install.pth"

# Where the requests are served, which decides the process ids the reports show.
SINGLE = "single"  # in the launched process itself (its pid: the launcher exec'd)
FORKED = "forked"  # in forked workers; the interpreter (and sitecustomize) started in the parent
SPAWNED = "spawned"  # in fresh child interpreters (a reloader child, multiprocessing's spawn)

AVAILABLE = available()

FLASK_GLOBALS = ("request", "g", "session", "current_app")
QUART_GLOBALS = ("request", "websocket", "g", "session", "current_app")


@dataclass(frozen=True)
class Case:
    """A server command: ``command[0]`` is a console script beside this
    interpreter, or ``python`` (this interpreter); ``{port}`` is replaced."""

    id: str
    command: Tuple[str, ...]
    model: str
    proxies: Tuple[str, ...] = FLASK_GLOBALS
    # Modules the server needs beyond the suite's own dependencies.
    needs: Tuple[str, ...] = ()
    # What stops it: SIGTERM, as a process manager does, unless it is a
    # development server that a person stops at the terminal (see FLASK_STOP).
    stop: int = signal.SIGTERM

    def argv(self, port: int) -> List[str]:
        head = sys.executable if self.command[0] == "python" else script(self.command[0])
        return [head, *(part.format(port=port) for part in self.command[1:])]


def gunicorn_control_socket() -> Tuple[str, ...]:
    """Newer gunicorn (27 here) opens a control socket at one path in the home
    directory, shared by every gunicorn started at once: switched off where
    the option exists."""
    if importlib.util.find_spec("gunicorn") is None:
        return ()
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        return ("--no-control-socket",)
    return ()


def gunicorn(worker: str, *options: str, app: str = "flask_app:app", workers: int = 2
             ) -> Tuple[str, ...]:
    return ("gunicorn", "--bind", "127.0.0.1:{port}", "--workers", str(workers),
            "--worker-class", worker, *gunicorn_control_socket(), *options, app)


FLASK_RUN = ("flask", "--app", "flask_app", "run", "--host", "127.0.0.1", "--port", "{port}")
# flask run is stopped with Ctrl+C. Under SIGTERM, on CPython 3.14 and 3.15
# the debug server's process leaves a multiprocessing semaphore behind, and
# the resource tracker prints a UserWarning about it at shutdown: with stock
# Werkzeug as with ctxlocal, so it would not say anything about ctxlocal.
FLASK_STOP = signal.SIGINT
FACTORY = "flask_app:create_app()"

CASES = [
    Case("flask-run", FLASK_RUN, SINGLE, stop=FLASK_STOP),
    # The reloader child serves: a fresh interpreter started by the parent.
    Case("flask-run-debug", (*FLASK_RUN, "--debug"), SPAWNED, stop=FLASK_STOP),
    Case("python-app-run", ("python", "flask_app.py", "{port}"), SINGLE),
    Case("waitress", ("waitress-serve", "--listen=127.0.0.1:{port}", "flask_app:app"), SINGLE,
         needs=("waitress",)),
    Case("gunicorn-sync", gunicorn("sync"), FORKED, needs=("gunicorn",)),
    Case("gunicorn-sync-preload", gunicorn("sync", "--preload"), FORKED, needs=("gunicorn",)),
    Case("gunicorn-sync-factory", gunicorn("sync", app=FACTORY), FORKED, needs=("gunicorn",)),
    Case("gunicorn-sync-factory-preload", gunicorn("sync", "--preload", app=FACTORY), FORKED,
         needs=("gunicorn",)),
    Case("gunicorn-gthread", gunicorn("gthread", "--threads", "2"), FORKED, needs=("gunicorn",)),
    Case("gunicorn-gthread-preload", gunicorn("gthread", "--threads", "2", "--preload"), FORKED,
         needs=("gunicorn",)),
    # One gevent worker, which has served the requests when it is stopped: with
    # two (gunicorn 27, gevent 26, --preload), a worker that gets SIGTERM while
    # it boots never exits in about half the runs, with stock Werkzeug as with
    # ctxlocal, and the master waits its graceful timeout (30 s) to kill it.
    Case("gunicorn-gevent", gunicorn("gevent", workers=1), FORKED, needs=("gunicorn", "gevent")),
    Case("gunicorn-gevent-preload", gunicorn("gevent", "--preload", workers=1), FORKED,
         needs=("gunicorn", "gevent")),
    Case("quart-run",
         ("quart", "--app", "quart_app", "run", "--host", "127.0.0.1", "--port", "{port}"),
         SINGLE, QUART_GLOBALS),
    # One worker (hypercorn's default) is a multiprocessing spawn child.
    Case("hypercorn", ("hypercorn", "--bind", "127.0.0.1:{port}", "quart_app:app"), SPAWNED,
         QUART_GLOBALS),
]


def other(name: Name) -> Name:
    """The implementation not asked for."""
    return next(candidate for candidate in NAMES if candidate != name)


def launched_environ(name: Name) -> Dict[str, str]:
    """The environment a user starts the launcher in: their PYTHONPATH, and
    ``CTXLOCAL_NO_EXTENSIONS`` asking for the other implementation, which the
    launcher's ``--implementation`` must override; unset where the other one is
    not available (``python -m ctxlocal.run`` imports the package, which fails
    when the variable requires a compiled module that is absent)."""
    env = environ_for(other(name) if other(name) in AVAILABLE else None)
    env.pop("CTXLOCAL_INSTALL", None)
    env["PYTHONPATH"] = pythonpath(env)
    return env


def switched_environ(name: Name) -> Dict[str, str]:
    """The environment of a server started without the launcher, with the
    ``CTXLOCAL_INSTALL=1`` switch (read by the installed .pth)."""
    env = environ_for(name)
    env["CTXLOCAL_INSTALL"] = "1"
    env["PYTHONPATH"] = pythonpath(env)
    return env


def check_reports(reports: Sequence[Dict[str, Any]], server: Server, name: Name, model: str,
                  proxies: Sequence[str]) -> None:
    """Each answer came from a process where ctxlocal ``name`` was installed before
    the framework, the user's sitecustomize ran, and which ``model`` expects;
    nothing printed a warning. Called after the server stopped (all output in)."""
    proxy = f"{MODULES[name]}.LocalProxy"
    leader = server.process.pid
    for report in reports:
        assert report["types"] == {global_: proxy for global_ in proxies}, (
            f"the framework's globals are not {proxy}: {report['types']}\n{server.output()}"
        )
        assert report["implementation"] == name, (report["implementation"], server.output())
        assert Path(report["ctxlocal_file"]).resolve().parent.parent == PACKAGE_ROOT, report
        mark = report["user_sitecustomize"]
        assert mark is not None, f"the user's sitecustomize did not run\n{server.output()}"
        assert Path(mark["file"]).resolve() == USER_SITE / "sitecustomize.py", mark
        if model == SINGLE:
            assert report["pid"] == leader == mark["pid"], (report["pid"], leader, mark)
        elif model == FORKED:
            assert report["pid"] != leader == mark["pid"], (report["pid"], leader, mark)
        else:
            assert leader != report["pid"] == mark["pid"], (report["pid"], leader, mark)
    warnings = printed_warnings(server.printed())
    assert not warnings, f"the server printed warnings: {warnings}\n{server.output()}"


def require_hook(present: bool, missing: str) -> None:
    """Skip when an installed hook is absent, or fail if CI requires it."""
    if present:
        return
    if os.environ.get(REQUIRE_HOOKS) == "1":
        pytest.fail(f"{missing}; {REQUIRE_HOOKS}=1 requires it")
    pytest.skip(missing)


def run_and_check(argv: Sequence[str], env: Dict[str, str], port: int, name: Name, model: str,
                  proxies: Sequence[str], logs: Path, stop: int = signal.SIGTERM) -> None:
    with serve(argv, env, port, logs, stop_signal=stop) as server:
        reports = probe(port, name)
    check_reports(reports, server, name, model, proxies)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_server_through_the_launcher(case: Case, impl: Implementation, tmp_path: Path) -> None:
    for module in case.needs:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pyproject.toml's servers and gevent groups)")
    port = free_port()
    argv = launcher(impl.name, case.argv(port))
    run_and_check(argv, launched_environ(impl.name), port, impl.name, case.model, case.proxies,
                  tmp_path, case.stop)


def test_console_script_ctxlocal_run(impl: Implementation, tmp_path: Path) -> None:
    """The console script a wheel installs, with the reloader of ``flask run --debug``."""
    runner = SCRIPTS / "ctxlocal-run"
    require_hook(runner.exists(), f"no console script {runner}: ctxlocal is not installed here")
    port = free_port()
    argv = launcher(impl.name, [script("flask"), *FLASK_RUN[1:], "--debug"], runner=str(runner))
    run_and_check([part.format(port=port) for part in argv], launched_environ(impl.name), port,
                  impl.name, SPAWNED, FLASK_GLOBALS, tmp_path, FLASK_STOP)


def installed_pth() -> Path:
    """Where a wheel installs ``ctxlocal-install.pth`` for this interpreter."""
    return Path(sysconfig.get_path("purelib")) / PTH_NAME


def test_env_switch_without_the_launcher(impl: Implementation, tmp_path: Path) -> None:
    """``CTXLOCAL_INSTALL=1`` alone (the installed .pth), with the reloader of
    ``flask run --debug``: no launcher, the same result."""
    pth = installed_pth()
    require_hook(pth.exists(), f"no {pth}: ctxlocal is not installed here")
    port = free_port()
    argv = [script("flask"), *(part.format(port=port) for part in FLASK_RUN[1:]), "--debug"]
    run_and_check(argv, switched_environ(impl.name), port, impl.name, SPAWNED, FLASK_GLOBALS,
                  tmp_path, FLASK_STOP)


# uwsgi: Debian's build, whose python3 plugin embeds Debian's libpython. It runs
# a venv of another CPython build (`home`) when the two share major.minor (the
# venv's compiled modules, ctxlocal's included, are built for that ABI).


def uwsgi_command() -> str:
    """The uwsgi binary, when its python3 plugin embeds this interpreter's Python version."""
    uwsgi = shutil.which("uwsgi")
    if uwsgi is None:
        pytest.skip("uwsgi is not installed (Debian: apt-get install uwsgi uwsgi-plugin-python3)")
    answer = subprocess.run([uwsgi, "--plugin", "python3", "--python-version"],
                            capture_output=True, text=True, timeout=60)
    lines = answer.stdout.split()
    if answer.returncode != 0 or not lines:
        pytest.skip(f"uwsgi has no python3 plugin (Debian: apt-get install uwsgi-plugin-python3):"
                    f" {answer.stderr.strip()}")
    embedded = tuple(int(part) for part in lines[-1].split(".")[:2])
    if platform.python_implementation() != "CPython" or embedded != sys.version_info[:2]:
        pytest.skip(f"uwsgi's python3 plugin embeds CPython {lines[-1]}, not this"
                    f" {platform.python_implementation()} {platform.python_version()}")
    if hasattr(sys, "gettotalrefcount"):
        # Debian's plugin embeds the release build: a debug build's venv has
        # compiled modules of the debug ABI (cpython-311d), which it cannot load.
        pytest.skip(f"uwsgi's python3 plugin embeds a release build of CPython, and this"
                    f" is a debug build (ABI flags {sys.abiflags!r})")
    return uwsgi


def uwsgi_ini(path: Path, port: int, *settings: str) -> Path:
    """A uwsgi ini file: this interpreter's environment (``home``), two forked
    workers serving ``flask_app:app`` over HTTP, plus ``settings``."""
    lines = [
        "[uwsgi]",
        "plugin = python3",
        f"http-socket = 127.0.0.1:{port}",
        f"home = {sys.prefix}",
        f"chdir = {HERE}",
        "module = flask_app:app",
        "master = true",
        "processes = 2",
        # uwsgi reloads on SIGTERM by default.
        "die-on-term = true",
        "need-app = true",
        *settings,
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_uwsgi_env_switch(impl: Implementation, tmp_path: Path) -> None:
    """uwsgi's own ini sets ``CTXLOCAL_INSTALL=1`` (the installed .pth reads
    it): the app is loaded in the master, then workers fork."""
    uwsgi = uwsgi_command()
    pth = installed_pth()
    require_hook(pth.exists(), f"no {pth}: ctxlocal is not installed here")
    port = free_port()
    ini = uwsgi_ini(tmp_path / "uwsgi.ini", port, "env = CTXLOCAL_INSTALL=1",
                    f"env = {ENV_VAR}={ENV_VALUE[impl.name]}")
    env = environ_for(None)
    env.pop("CTXLOCAL_INSTALL", None)
    env["PYTHONPATH"] = pythonpath(env)
    run_and_check([uwsgi, "--ini", str(ini)], env, port, impl.name, FORKED, FLASK_GLOBALS,
                  tmp_path / "logs")


def test_uwsgi_through_the_launcher(impl: Implementation, tmp_path: Path) -> None:
    """uwsgi under ``ctxlocal-run``, the app loaded in each worker (``lazy-apps``)."""
    uwsgi = uwsgi_command()
    port = free_port()
    ini = uwsgi_ini(tmp_path / "uwsgi.ini", port, "lazy-apps = true")
    run_and_check(launcher(impl.name, [uwsgi, "--ini", str(ini)]), launched_environ(impl.name),
                  port, impl.name, FORKED, FLASK_GLOBALS, tmp_path / "logs")
