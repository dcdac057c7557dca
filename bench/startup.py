"""``python -m bench.startup``: what ``ctxlocal-run`` and ``CTXLOCAL_INSTALL`` cost at start-up.

Two comparisons, each a pair of whole commands, the variants interleaved
round by round, medians of the CPU time (user and system) each command's
process took: unlike wall time, other work on the machine barely moves it
(POSIX only, as ``ctxlocal-run``'s exec is):

* **bootstrap**: ``python -c pass`` against the same command under
  ctxlocal-run's environment (``ctxlocal/_bootstrap`` first on ``PYTHONPATH``,
  ``CTXLOCAL_INSTALL=1``): an interpreter that never imports Werkzeug pays
  only for the hook's module and the ``sitecustomize`` hand-over. Goal: at
  most 2 ms more.
* **flask**: ``flask --app <module> routes`` (the CLI loads the application
  and exits) with ``ctxlocal.install()`` as the module's first line, against
  ``ctxlocal-run flask --app <module> routes`` with a module that never
  calls it. Goal: at most 5 ms more. ``ctxlocal-run`` is the console script
  next to this interpreter when ctxlocal is installed; from a checkout, the
  same two lines pip writes into that script, run with this interpreter.

The bytecode of the launcher, the bootstrap and the package is compiled
first, as ``pip install`` does, so that a checkout run with
``PYTHONDONTWRITEBYTECODE`` does not measure the compiler.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import resource
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import _ctxlocal_run

__all__ = ["GOALS_MS", "main", "measure"]

ROOT = Path(_ctxlocal_run.__file__).resolve().parent

# Extra milliseconds allowed over the baseline of each comparison.
GOALS_MS: Dict[str, float] = {"bootstrap": 2.0, "flask": 5.0}

APP = "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'ok'\n"
INSTALL_FIRST = "import ctxlocal\n\nctxlocal.install()\n\n"

# What pip's console script for ctxlocal-run runs (see pyproject.toml).
CONSOLE_SCRIPT = "import sys\nfrom _ctxlocal_run import main\nsys.exit(main())"

Command = Tuple[List[str], Dict[str, str]]


def _launcher() -> List[str]:
    installed = Path(sys.executable).parent / "ctxlocal-run"
    if installed.exists():
        return [str(installed)]
    return [sys.executable, "-c", CONSOLE_SCRIPT]


def _flask() -> List[str]:
    found = shutil.which("flask", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "flask"]


def comparisons(workdir: Path) -> Dict[str, Tuple[Command, Command]]:
    """Each comparison's (baseline, with ctxlocal) commands and environments."""
    (workdir / "app_install.py").write_text(INSTALL_FIRST + APP)
    (workdir / "app_plain.py").write_text(APP)
    base = dict(os.environ)
    base.pop(_ctxlocal_run.ENV_VAR, None)
    base["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), str(workdir)] + ([base["PYTHONPATH"]] if base.get("PYTHONPATH") else [])
    )
    hooked = _ctxlocal_run.environ_for(None, base)
    pass_ = [sys.executable, "-c", "pass"]
    flask = _flask()
    return {
        "bootstrap": ((pass_, base), (pass_, hooked)),
        "flask": (
            ([*flask, "--app", "app_install", "routes"], base),
            ([*_launcher(), *flask, "--app", "app_plain", "routes"], base),
        ),
    }


def _time(command: Command, cwd: Path) -> float:
    """CPU seconds (user and system) the command's process took."""
    argv, env = command
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(rounds: int, names: Optional[Sequence[str]] = None) -> Dict[str, Tuple[float, float]]:
    """Median seconds of (baseline, with ctxlocal) for each comparison."""
    compileall.compile_file(str(ROOT / "_ctxlocal_run.py"), quiet=1)
    compileall.compile_dir(str(ROOT / "ctxlocal"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        chosen = {
            name: pair
            for name, pair in comparisons(workdir).items()
            if names is None or name in names
        }
        samples: Dict[str, Tuple[List[float], List[float]]] = {
            name: ([], []) for name in chosen
        }
        for name, (baseline, hooked) in chosen.items():  # warm the caches
            _time(baseline, workdir)
            _time(hooked, workdir)
        for _ in range(rounds):
            for name, (baseline, hooked) in chosen.items():
                samples[name][0].append(_time(baseline, workdir))
                samples[name][1].append(_time(hooked, workdir))
    return {
        name: (statistics.median(before), statistics.median(after))
        for name, (before, after) in samples.items()
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="interleaved rounds (default 40)")
    parser.add_argument("--only", choices=sorted(GOALS_MS), action="append", help="one comparison")
    args = parser.parse_args(argv)
    results = measure(args.rounds, args.only)
    print(f"{sys.implementation.name} {sys.version.split()[0]}, {args.rounds} rounds, medians")
    print(f"{'comparison':<10} {'baseline':>9} {'ctxlocal':>9} {'extra':>7}  goal (CPU ms)")
    for name, (before, after) in results.items():
        extra = (after - before) * 1e3
        verdict = "met" if extra <= GOALS_MS[name] else "NOT met"
        print(
            f"{name:<10} {before * 1e3:>9.2f} {after * 1e3:>9.2f} {extra:>7.2f}"
            f" {GOALS_MS[name]:>4.0f} ms {verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
