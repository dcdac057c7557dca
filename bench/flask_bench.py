"""End to end: a Flask app on stock Werkzeug versus ``ctxlocal.install()``.

Run from the repository root::

    python -m bench.flask_bench                  # direct WSGI calls
    python -m bench.flask_bench --server         # also through waitress + wrk
    python -m bench.flask_bench --json out.json  # keep every sample

Two views: ``hello`` returns a constant; ``globals`` reads ``request``,
``g``, ``session`` and ``current_app`` 150 times in all. Three variants:
``stock`` (Werkzeug's proxies), ``python`` and ``cython`` (``install()`` with
that implementation, before Flask is imported; ``cython`` only if it builds).

Method. Flask builds its globals at import time, so every measurement runs in
a fresh interpreter. The variants and views are interleaved in each round
(order shuffled per round) and the reported figure is the median over rounds.

* WSGI: the child calls the Flask app directly with a prepared environ (a GET
  carrying a session cookie) and drains the response; it warms up, sizes a
  batch to about 0.25 s, times seven batches and reports their median rate.
  Batches are timed in process CPU time (requests per CPU second), which
  other load on a shared machine disturbs far less than wall time does.
* Server: the child serves the app with waitress on 127.0.0.1 (4 threads);
  the parent loads it with ``wrk`` (1 thread, 8 connections, fixed duration)
  or, without wrk, with a bounded Python keep-alive client, then stops it.
  Reported twice: requests per wall second (what a client sees) and per CPU
  second of the server process (read from ``/proc``; steadier when the
  machine is shared, as the load generator runs on it too).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import runpy
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from http.client import HTTPConnection
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

VIEWS = ("hello", "globals")
ROOT = Path(__file__).resolve().parent.parent
# ctxlocal's registry of implementations, read from its file: importing it
# would import ctxlocal, and the stock variant's children never do.
REGISTRY: Dict[str, Any] = runpy.run_path(str(ROOT / "ctxlocal" / "_implementations.py"))
PYTHON: str = REGISTRY["PYTHON"]
CYTHON: str = REGISTRY["CYTHON"]
# The variants, in the tables' order: stock Werkzeug, then install() with
# each implementation of ctxlocal (cython only if it builds).
VARIANTS = ("stock", PYTHON, CYTHON)
# A server child exits by itself after this long, whatever the parent does.
SERVER_LIFETIME = 300.0
CHILD_TIMEOUT = 120.0


# --------------------------------------------------------------- the app


def make_app() -> Any:
    """The benchmarked Flask app; import Flask only once install() has run."""
    from flask import Flask, current_app, g, request, session

    app = Flask("bench")
    app.secret_key = "benchmark only"

    @app.before_request
    def load_user() -> None:
        g.user = "someone"

    @app.route("/login")
    def login() -> str:
        session["name"] = "bench"
        return "ok"

    @app.route("/hello")
    def hello() -> str:
        return "Hello, World!"

    @app.route("/globals")
    def read_globals() -> str:
        total = 0
        for _ in range(30):  # 30 x 5 reads of the four globals
            total += len(request.path)
            total += len(request.method)
            total += len(g.user)
            total += len(session["name"])
            total += current_app.debug
        return str(total)

    return app


def session_cookie(app: Any) -> str:
    """A valid session cookie value, so that ``session["name"]`` is set."""
    client = app.test_client()
    client.get("/login")
    cookie = client.get_cookie("session")
    if cookie is None:
        raise RuntimeError("the login view did not set a session cookie")
    return str(cookie.value)


def prepare(variant: str) -> Any:
    """Install ctxlocal as the variant says, then build the app."""
    if variant != "stock":
        import ctxlocal

        installation = ctxlocal.install()
        if installation.implementation != variant:
            raise RuntimeError(f"asked for {variant}, got {installation.implementation}")
    app = make_app()
    from flask import request

    wanted = "werkzeug.local" if variant == "stock" else "ctxlocal."
    if not type(request).__module__.startswith(wanted):
        raise RuntimeError(f"{variant}: flask.request is a {type(request)}")
    return app


# ------------------------------------------------------------- children


def child_wsgi(variant: str, view: str) -> Dict[str, Any]:
    """Time direct WSGI calls; return the batches' rates (requests per CPU second)."""
    from werkzeug.test import EnvironBuilder

    app = prepare(variant)
    cookie = session_cookie(app)
    builder = EnvironBuilder(path=f"/{view}", headers=[("Cookie", f"session={cookie}")])
    environ = builder.get_environ()
    builder.close()
    statuses: List[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    def call(count: int) -> float:
        del statuses[:]
        begin = time.process_time()
        for _ in range(count):
            body = app(dict(environ), start_response)
            try:
                for _chunk in body:
                    pass
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()
        elapsed = time.process_time() - begin
        if set(statuses) != {"200 OK"}:
            raise RuntimeError(f"unexpected statuses {set(statuses)}")
        return elapsed

    warmup = 300
    per_second = warmup / max(call(warmup), 1e-3)
    count = max(200, int(per_second * 0.25))
    rates = [count / call(count) for _ in range(7)]
    return {"rates": rates, "batch": count}


def child_serve(variant: str, port: int) -> None:
    """Serve the app with waitress on 127.0.0.1:port until killed (bounded)."""
    import waitress  # type: ignore[import-untyped]

    app = prepare(variant)
    # The parent stops us; this makes sure we never outlive a lost parent.
    watchdog = threading.Timer(SERVER_LIFETIME, os._exit, args=(3,))
    watchdog.daemon = True
    watchdog.start()
    print(json.dumps({"cookie": session_cookie(app)}), flush=True)
    waitress.serve(app, host="127.0.0.1", port=port, threads=4, _quiet=True)


# --------------------------------------------------------------- parent


def child_env(variant: str) -> Dict[str, str]:
    # Stock never imports ctxlocal; its children get the pure setting.
    env: Dict[str, str] = REGISTRY["environ_for"](PYTHON if variant == "stock" else variant)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])
    )
    return env


def child_command(*args: str) -> List[str]:
    return [sys.executable, "-m", "bench.flask_bench", *args]


def available_variants() -> List[str]:
    variants = ["stock", PYTHON]
    probe = subprocess.run(
        [sys.executable, "-c", f"import {REGISTRY['MODULES'][CYTHON]}"],
        env=child_env(CYTHON),
        cwd=ROOT,
        capture_output=True,
    )
    if probe.returncode == 0:
        variants.append(CYTHON)
    return variants


# One measurement: metric name -> rate.
Sample = Dict[str, float]


def run_wsgi(variant: str, view: str) -> Sample:
    completed = subprocess.run(
        child_command("--child-wsgi", variant, view),
        env=child_env(variant),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{variant}/{view} failed:\n{completed.stderr}")
    return {"cpu": statistics.median(json.loads(completed.stdout)["rates"])}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not come up")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_with_wrk(url: str, cookie: str, seconds: float) -> Tuple[int, float]:
    """(requests completed, seconds) from one bounded wrk run."""
    completed = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds:g}s", "-H", f"Cookie: session={cookie}", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    found = re.search(r"(\d+) requests in ([\d.]+)(m?s)", completed.stdout)
    if completed.returncode != 0 or found is None or "Non-2xx" in completed.stdout:
        raise RuntimeError(f"wrk failed:\n{completed.stdout}\n{completed.stderr}")
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    return int(found.group(1)), elapsed


def load_with_python(port: int, path: str, cookie: str, seconds: float) -> Tuple[int, float]:
    """Fallback load: 8 keep-alive clients, bounded by time and by count."""
    deadline = time.monotonic() + seconds
    counts: List[int] = []
    max_requests = 1_000_000

    def client() -> None:
        done = 0
        connection = HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            while done < max_requests and time.monotonic() < deadline:
                connection.request("GET", path, headers={"Cookie": f"session={cookie}"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"status {response.status}")
                done += 1
        finally:
            connection.close()
            counts.append(done)

    begin = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 30)
    return sum(counts), time.monotonic() - begin


def run_server(variant: str, view: str, seconds: float) -> Sample:
    """Load a waitress child; rates per wall second and per server CPU second."""
    port = free_port()
    server = subprocess.Popen(
        child_command("--child-serve", variant, str(port)),
        env=child_env(variant),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # bounded: the child's watchdog
        if not line:
            raise RuntimeError(f"{variant} server exited early")
        cookie = json.loads(line)["cookie"]
        wait_for_port(port, time.monotonic() + 20)
        if shutil.which("wrk"):
            url = f"http://127.0.0.1:{port}/{view}"

            def load(duration: float) -> Tuple[int, float]:
                return load_with_wrk(url, cookie, duration)

        else:

            def load(duration: float) -> Tuple[int, float]:
                return load_with_python(port, f"/{view}", cookie, duration)

        load(1)  # warm-up
        cpu_before = cpu_seconds(server.pid)
        requests, elapsed = load(seconds)
        cpu_used = cpu_seconds(server.pid) - cpu_before
        return {"wall": requests / elapsed, "cpu": requests / max(cpu_used, 1e-3)}
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


# samples[metric][variant][view] -> one rate per round
Samples = Dict[str, Dict[str, Dict[str, List[float]]]]


def interleaved(
    variants: List[str], rounds: int, measure: Callable[[str, str], Sample], label: str
) -> Samples:
    samples: Samples = {}
    cases: List[Tuple[str, str]] = [(v, view) for v in variants for view in VIEWS]
    shuffler = random.Random(20240601)
    for index in range(rounds):
        shuffler.shuffle(cases)
        for variant, view in cases:
            for metric, rate in measure(variant, view).items():
                by_variant = samples.setdefault(metric, {})
                by_variant.setdefault(variant, {}).setdefault(view, []).append(rate)
        print(f"  {label} round {index + 1}/{rounds} done", file=sys.stderr, flush=True)
    return samples


def table(title: str, samples: Dict[str, Dict[str, List[float]]]) -> str:
    lines = [title, f"{'variant':<8} {'view':<8} {'median rate':>13} {'vs stock':>9}"]
    for view in VIEWS:
        stock = statistics.median(samples["stock"][view])
        for variant in sorted(samples, key=VARIANTS.index):
            median = statistics.median(samples[variant][view])
            lines.append(f"{variant:<8} {view:<8} {median:>13,.0f} {median / stock:>8.2f}x")
    return "\n".join(lines)


def _label(variant: str) -> str:
    return variant if variant == "stock" else f"install(), {variant}"


def markdown(output: Dict[str, Any]) -> str:
    """The tables of a run saved with ``--json``, as Markdown (the docs render them)."""
    meta = output["meta"]
    software = ", ".join(f"{name.capitalize()} {version}" for name, version in meta["versions"].items())
    lines = [
        f"`{meta['command']}`: {meta['machine']}; {meta['implementation']} {meta['python']},"
        f" {software}; {meta['date']}.",
        "",
        "**Direct WSGI calls** (requests per CPU second of the process):",
        "",
        "| view | variant | median | range | vs stock |",
        "|---|---|---:|---:|---:|",
    ]
    wsgi = output["wsgi"]["cpu"]
    for view in VIEWS:
        stock = statistics.median(wsgi["stock"][view])
        for variant in sorted(wsgi, key=VARIANTS.index):
            rates = wsgi[variant][view]
            median = statistics.median(rates)
            lines.append(
                f"| {view} | {_label(variant)} | {median:,.0f} | {min(rates):,.0f}–{max(rates):,.0f}"
                f" | {median / stock:.2f}x |"
            )
    if "server" in output:
        wall, cpu = output["server"]["wall"], output["server"]["cpu"]
        lines += [
            "",
            f"**Through a real server** (waitress, 4 threads, on 127.0.0.1, loaded by {meta['load']}):",
            "",
            "| view | variant | req/s (wall) | range | vs stock | req per server CPU s | vs stock |",
            "|---|---|---:|---:|---:|---:|---:|",
        ]
        for view in VIEWS:
            wall_stock = statistics.median(wall["stock"][view])
            cpu_stock = statistics.median(cpu["stock"][view])
            for variant in sorted(wall, key=VARIANTS.index):
                rates = wall[variant][view]
                median = statistics.median(rates)
                per_cpu = statistics.median(cpu[variant][view])
                lines.append(
                    f"| {view} | {_label(variant)} | {median:,.0f} |"
                    f" {min(rates):,.0f}–{max(rates):,.0f} | {median / wall_stock:.2f}x |"
                    f" {per_cpu:,.0f} | {per_cpu / cpu_stock:.2f}x |"
                )
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> Dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: Dict[str, str] = {}
    for name in ("flask", "werkzeug", "waitress"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "absent"
    return found


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="WSGI rounds (default 5)")
    parser.add_argument("--server", action="store_true", help="also measure through waitress")
    parser.add_argument("--server-rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="load time per server run")
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS))
    parser.add_argument("--json", type=Path, help="write all samples and metadata here")
    # The children: one measurement each, in a fresh interpreter.
    parser.add_argument("--child-wsgi", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child_wsgi:
        print(json.dumps(child_wsgi(*args.child_wsgi)))
        return 0
    if args.child_serve:
        child_serve(args.child_serve[0], int(args.child_serve[1]))
        return 0

    variants = args.variants or available_variants()
    if "stock" not in variants:
        variants.insert(0, "stock")
    meta = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": (
            f"{cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} {platform.machine()}"
        ),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m bench.flask_bench", *(argv or sys.argv[1:])]),
        "versions": versions(),
        "load": "wrk -t1 -c8" if shutil.which("wrk") else "python client, 8 connections",
    }
    print(json.dumps(meta, indent=2))
    output: Dict[str, Any] = {"meta": meta}
    output["wsgi"] = interleaved(variants, args.rounds, run_wsgi, "wsgi")
    print(table("Direct WSGI calls, requests per CPU second:", output["wsgi"]["cpu"]))
    if args.server:
        output["server"] = interleaved(
            variants,
            args.server_rounds,
            lambda variant, view: run_server(variant, view, args.seconds),
            "server",
        )
        where = f"waitress on 127.0.0.1, {meta['load']}, {args.seconds:g} s"
        print(table(f"{where}, requests per second:", output["server"]["wall"]))
        print(table(f"{where}, requests per server CPU second:", output["server"]["cpu"]))
    if args.json:
        args.json.write_text(json.dumps(output, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
