"""Real servers started for ``tests/test_servers.py``: start, wait, ask, stop.

Every server listens on 127.0.0.1 and a free port, runs in its own session
(``start_new_session=True``) and is stopped by its process group id
(``SIGTERM``, or the signal its case names, then ``SIGKILL`` after a
timeout), never by name: its workers and reloader children go with it. Its output goes to files, read when a check
fails and searched for warnings.

The apps of this directory (``flask_app.py``, ``quart_app.py``) answer
``GET /probe/<word>`` with a JSON report (``_report.py``); :func:`probe`
sends a few of those at once and checks that each answer is its own.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import ctxlocal

HERE = Path(__file__).resolve().parent
# The program's own sitecustomize (usersite/sitecustomize.py).
USER_SITE = HERE / "usersite"
# The ctxlocal under test (the checkout, or site-packages for an installed
# wheel): first on the servers' PYTHONPATH, so that they import the same package.
PACKAGE_ROOT = Path(ctxlocal.__file__).resolve().parent.parent
# Where this interpreter's console scripts are (flask, gunicorn, ctxlocal-run).
SCRIPTS = Path(sysconfig.get_path("scripts"))

HOST = "127.0.0.1"
# Seconds a server has to answer on its port, and a request to be answered.
READY_TIMEOUT = 30.0
REQUEST_TIMEOUT = 30.0
# Seconds a stopped server has to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 15.0
# Requests sent at once by probe(), each held open this long by the app so
# that they overlap in threaded and asynchronous servers.
PROBES = 4
PROBE_PAUSE = 0.05


def script(name: str) -> str:
    """The console script ``name`` installed beside this interpreter."""
    return str(SCRIPTS / name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pythonpath(environ: Mapping[str, str]) -> str:
    """The ``PYTHONPATH`` a user of these apps has: their sitecustomize's
    directory, the package under test, the apps; then ``environ``'s own."""
    entries = [str(USER_SITE), str(PACKAGE_ROOT), str(HERE)]
    if environ.get("PYTHONPATH"):
        entries.append(environ["PYTHONPATH"])
    return os.pathsep.join(entries)


@dataclass
class Server:
    """A started server: its process (the session leader) and its output files."""

    process: "subprocess.Popen[bytes]"
    port: int
    stdout: Path
    stderr: Path

    def output(self) -> str:
        """Everything the server printed so far, stderr first."""
        return (
            f"--- stderr ({self.stderr}):\n{self.stderr.read_text(errors='replace')}"
            f"--- stdout ({self.stdout}):\n{self.stdout.read_text(errors='replace')}"
        )

    def printed(self) -> str:
        """stderr and stdout, for searching."""
        return self.stderr.read_text(errors="replace") + self.stdout.read_text(errors="replace")


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise AssertionError(
                f"the server exited with code {server.process.returncode} before answering"
                f" on port {server.port}\n{server.output()}"
            )
        try:
            with socket.create_connection((HOST, server.port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"nothing answered on port {server.port} within {READY_TIMEOUT} s\n"
                    f"{server.output()}"
                ) from None
            time.sleep(0.1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop(process: "subprocess.Popen[bytes]", stop_signal: int) -> None:
    # The session's process group has the leader's id; it stays reserved while
    # any member (a worker, a reloader child) lives.
    pgid = process.pid
    if process.poll() is None:
        try:
            os.killpg(pgid, stop_signal)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass
    deadline = time.monotonic() + STOP_TIMEOUT
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def serve(
    argv: Sequence[str],
    env: Mapping[str, str],
    port: int,
    logs: Path,
    cwd: Path = HERE,
    stop_signal: int = signal.SIGTERM,
) -> Iterator[Server]:
    """Start ``argv``, wait until ``port`` answers, yield; always stop it
    (``stop_signal`` to its process group).

    A failed check inside the block gets the server's output appended.
    """
    logs.mkdir(parents=True, exist_ok=True)
    stdout, stderr = logs / "stdout.txt", logs / "stderr.txt"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True,
        )
    server = Server(process, port, stdout, stderr)
    try:
        _wait_ready(server)
        try:
            yield server
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{server.output()}") from failure
    finally:
        _stop(process, stop_signal)


def get_json(port: int, path: str) -> Dict[str, Any]:
    """``GET path``: the JSON body of a 200 answer."""
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=REQUEST_TIMEOUT) as answer:
        assert answer.status == 200, (path, answer.status)
        assert answer.headers.get_content_type() == "application/json", answer.headers
        body: Dict[str, Any] = json.loads(answer.read())
    return body


def probe(port: int, label: str) -> List[Dict[str, Any]]:
    """Send :data:`PROBES` requests at once; check each answer echoes its own
    request (path, query, ``g``), and return the answers' reports."""
    paths = [f"/probe/{label}{n}?n={n}&pause={PROBE_PAUSE}" for n in range(PROBES)]
    with ThreadPoolExecutor(PROBES) as pool:
        reports = list(pool.map(lambda path: get_json(port, path), paths))
    for n, report in enumerate(reports):
        word = f"{label}{n}"
        assert report["word"] == word, report
        assert report["path"] == f"/probe/{word}", report
        assert report["args"] == {"n": str(n), "pause": str(PROBE_PAUSE)}, report
        assert report["g_word"] == word, report
    return reports


def printed_warnings(text: str) -> List[str]:
    """The lines of ``text`` that show a Python warning (``...Warning``:
    InstallWarning, UserWarning, ...); servers' own ``WARNING:`` banners
    (Flask's development server, uwsgi as root) are not Python warnings."""
    return [line for line in text.splitlines() if "Warning" in line]


def launcher(implementation: str, command: Sequence[str], runner: Optional[str] = None) -> List[str]:
    """``command`` run through ctxlocal's launcher: ``python -m ctxlocal.run``,
    or the console script ``runner`` (``ctxlocal-run``)."""
    head = [runner] if runner else [sys.executable, "-m", "ctxlocal.run"]
    return [*head, "--implementation", implementation, *command]
