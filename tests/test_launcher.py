"""``ctxlocal-run`` (``python -m ctxlocal.run``) and ``CTXLOCAL_INSTALL``, in real processes.

Each test starts the launcher, or an interpreter with the hook's environment,
as a user would, from the checkout (``PYTHONPATH`` holds it, as for every
child of this suite). The servers it is made for are started in
``tests/test_servers.py``; here are the launcher's own promises: arguments and
exit codes, exec, the environment it hands on, the user's ``sitecustomize``
and ``PYTHONPATH`` kept, ``multiprocessing`` children, nothing imported
before ``werkzeug.local`` is, and the ``.pth`` switch.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, List, Optional

import pytest

import _ctxlocal_run
from _impls import Implementation
from ctxlocal import _implementations
from ctxlocal._implementations import MODULES, environ_for

PACKAGE_ROOT = str(Path(_ctxlocal_run.__file__).resolve().parent)
LAUNCHER = [sys.executable, "-m", "ctxlocal.run"]

# Reports, as JSON, what a program started under the launcher sees.
REPORT = """
import json, os, sys, warnings
warnings.simplefilter("error")
import flask, ctxlocal
print(json.dumps({
    "request": type(flask.request).__module__,
    "implementation": ctxlocal.IMPLEMENTATION,
    "user_sitecustomize": os.environ.get("USER_SITECUSTOMIZE"),
    "sitecustomize": getattr(sys.modules.get("sitecustomize"), "__file__", None),
    "bootstrap_on_sys_path": any(
        os.path.abspath(entry) == %r for entry in sys.path if entry),
    "pythonpath": os.environ["PYTHONPATH"].split(os.pathsep),
    "pid": os.getpid(),
}))
""" % (_ctxlocal_run.bootstrap_dir(),)


def _env(implementation: Optional[str] = None, **extra: str) -> Dict[str, str]:
    """This suite's environment for a child: the checkout on PYTHONPATH,
    CTXLOCAL_NO_EXTENSIONS and CTXLOCAL_INSTALL unset unless given."""
    env = environ_for(None)
    env.pop(_ctxlocal_run.ENV_VAR, None)
    env["PYTHONPATH"] = PACKAGE_ROOT
    env.update(extra)
    return env


def _run(argv: List[str], env: Dict[str, str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def _user_site(tmp_path: Path) -> Path:
    """A directory with a user's own sitecustomize, which marks that it ran."""
    site = tmp_path / "usersite"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os\nos.environ['USER_SITECUSTOMIZE'] = __file__\n"
    )
    return site


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["--implementation", "python"]])
def test_usage_without_a_command(argv: List[str]) -> None:
    done = _run([*LAUNCHER, *argv], _env())
    assert done.returncode == 2
    assert done.stderr.startswith("usage: ctxlocal-run [--implementation cython|python] COMMAND")
    assert done.stdout == ""


@pytest.mark.parametrize(
    "argv, error",
    [
        (["--implementation", "fast", "true"], "--implementation 'fast': use 'cython'"),
        (["--implementation=pypy", "true"], "--implementation 'pypy': use 'cython'"),
        (["--verbose", "true"], "unknown option '--verbose'"),
    ],
)
def test_bad_arguments_are_named(argv: List[str], error: str) -> None:
    done = _run([*LAUNCHER, *argv], _env())
    assert done.returncode == 2
    first, second = done.stderr.splitlines()[:2]
    assert first.startswith(f"ctxlocal-run: {error}")
    assert second.startswith("usage: ctxlocal-run")


def test_command_not_found_exits_127_in_one_line() -> None:
    done = _run([*LAUNCHER, "ctxlocal-no-such-command", "arg"], _env())
    assert done.returncode == 127
    assert done.stderr == "ctxlocal-run: 'ctxlocal-no-such-command': command not found\n"


def test_not_executable_exits_126(tmp_path: Path) -> None:
    script = tmp_path / "script"
    script.write_text("#!/bin/sh\nexit 0\n")
    done = _run([*LAUNCHER, str(script)], _env())
    assert done.returncode == 126
    assert done.stderr == f"ctxlocal-run: {str(script)!r}: permission denied\n"


@pytest.mark.skipif(os.name == "nt", reason="no exec on Windows: the launcher waits for the command")
def test_execs_the_command_exit_code_and_signals_are_its_own() -> None:
    code = "import os, sys; print(os.getpid(), flush=True); sys.exit(int(sys.argv[1]))"
    process = subprocess.Popen(
        [*LAUNCHER, "--", sys.executable, "-c", code, "7"],
        env=_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 7
    assert int(out) == process.pid  # the same process: exec, not a child

    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGTERM)"
    done = _run([*LAUNCHER, sys.executable, "-c", kill_self], _env())
    assert done.returncode == -signal.SIGTERM


def test_installs_before_the_first_import(impl: Implementation, tmp_path: Path) -> None:
    pytest.importorskip("flask")
    user_site = _user_site(tmp_path)
    env = _env(PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, str(user_site)]))
    done = _run([*LAUNCHER, "--implementation", impl.name, sys.executable, "-c", REPORT], env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no warning, nothing printed
    out = json.loads(done.stdout)
    assert out["request"] == MODULES[impl.name]
    assert out["implementation"] == impl.name
    # The user's own sitecustomize ran, and is the one sys.modules holds;
    # the bootstrap left sys.path but stays first on PYTHONPATH for children.
    assert out["user_sitecustomize"] == str(user_site / "sitecustomize.py")
    assert out["sitecustomize"] == str(user_site / "sitecustomize.py")
    assert out["bootstrap_on_sys_path"] is False
    assert out["pythonpath"] == [_ctxlocal_run.bootstrap_dir(), PACKAGE_ROOT, str(user_site)]


def test_without_implementation_the_setting_is_left_alone(tmp_path: Path) -> None:
    pytest.importorskip("flask")
    env = _env(CTXLOCAL_NO_EXTENSIONS="1")
    done = _run([*LAUNCHER, sys.executable, "-c", REPORT], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["implementation"] == "python"


def test_a_sitecustomize_that_imports_flask_gets_ctxlocal(
    impl: Implementation, tmp_path: Path
) -> None:
    # The hook is switched on before the user's sitecustomize runs.
    pytest.importorskip("flask")
    user_site = _user_site(tmp_path)
    with (user_site / "sitecustomize.py").open("a") as f:
        f.write("import flask\n")
    env = _env(PYTHONPATH=os.pathsep.join([PACKAGE_ROOT, str(user_site)]))
    done = _run([*LAUNCHER, "--implementation", impl.name, sys.executable, "-c", REPORT], env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout)["request"] == MODULES[impl.name]


def test_nothing_is_imported_until_werkzeug_local_is() -> None:
    probe = textwrap.dedent(
        """
        import json, sys
        before = sorted(m for m in sys.modules if m.split(".")[0] in ("ctxlocal", "werkzeug"))
        import werkzeug.local
        print(json.dumps({
            "before": before,
            "installed": werkzeug.local.LocalProxy.__module__,
            "finders": [type(f).__name__ for f in sys.meta_path],
            "loader": type(werkzeug.local.__loader__).__name__,
        }))
        """
    )
    done = _run([*LAUNCHER, sys.executable, "-c", probe], _env())
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["before"] == []
    assert out["installed"] in MODULES.values()
    # The hook has gone, and werkzeug.local looks as if imported without it.
    assert "_WerkzeugLocalFinder" not in out["finders"]
    assert out["loader"] == "SourceFileLoader"


def test_multiprocessing_spawn_children_get_it(impl: Implementation, tmp_path: Path) -> None:
    pytest.importorskip("flask")
    script = tmp_path / "spawner.py"
    script.write_text(
        textwrap.dedent(
            """
            import json, multiprocessing

            def child(queue):
                import flask, ctxlocal
                queue.put([type(flask.request).__module__, ctxlocal.IMPLEMENTATION])

            if __name__ == "__main__":
                context = multiprocessing.get_context("spawn")
                queue = context.Queue()
                process = context.Process(target=child, args=(queue,))
                process.start()
                print(json.dumps(queue.get(timeout=60)))
                process.join(60)
            """
        )
    )
    done = _run([*LAUNCHER, "--implementation", impl.name, sys.executable, str(script)], _env())
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [MODULES[impl.name], impl.name]


def test_install_switched_off_under_the_launcher_stays_off() -> None:
    pytest.importorskip("flask")
    code = "import flask; print(type(flask.request).__module__)"
    # A process that sets CTXLOCAL_INSTALL=0 for its own children.
    done = _run(
        [*LAUNCHER, sys.executable, "-c",
         "import os, subprocess, sys; os.environ['CTXLOCAL_INSTALL'] = 'off';"
         f" sys.exit(subprocess.call([sys.executable, '-c', {code!r}]))"],
        _env(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "werkzeug.local\n"


@pytest.mark.parametrize("value", ["1", "true", "YES", " on ", "On"])
def test_pth_switch_on(impl: Implementation, tmp_path: Path, value: str) -> None:
    # The .pth the wheel puts in site-packages, processed by site.addsitedir
    # as Python processes site-packages at start-up.
    pytest.importorskip("flask")
    shutil.copy(Path(PACKAGE_ROOT) / "ctxlocal-install.pth", tmp_path)
    code = f"import site; site.addsitedir({str(tmp_path)!r})\n{REPORT}"
    env = _env(CTXLOCAL_INSTALL=value, CTXLOCAL_NO_EXTENSIONS=_implementations.ENV_VALUE[impl.name])
    done = _run([sys.executable, "-c", code], env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    out = json.loads(done.stdout)
    assert (out["request"], out["implementation"]) == (MODULES[impl.name], impl.name)


@pytest.mark.parametrize("value", ["", "0", "false", "NO", "off"])
def test_pth_switch_off(tmp_path: Path, value: str) -> None:
    pytest.importorskip("flask")
    shutil.copy(Path(PACKAGE_ROOT) / "ctxlocal-install.pth", tmp_path)
    code = (
        f"import site, sys; site.addsitedir({str(tmp_path)!r}); import flask;"
        " print(type(flask.request).__module__, 'ctxlocal' in sys.modules)"
    )
    done = _run([sys.executable, "-c", code], _env(CTXLOCAL_INSTALL=value))
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == "werkzeug.local False\n"


def test_unknown_install_value_is_named_in_one_line(tmp_path: Path) -> None:
    pytest.importorskip("flask")
    shutil.copy(Path(PACKAGE_ROOT) / "ctxlocal-install.pth", tmp_path)
    code = (
        f"import site; site.addsitedir({str(tmp_path)!r}); site.addsitedir({str(tmp_path)!r});"
        " import flask; print(type(flask.request).__module__)"
    )
    done = _run([sys.executable, "-c", code], _env(CTXLOCAL_INSTALL="maybe"))
    assert done.returncode == 0
    assert done.stdout == "werkzeug.local\n"
    # Once, however often the .pth is processed.
    [line] = done.stderr.splitlines()
    assert line.startswith("ctxlocal: CTXLOCAL_INSTALL='maybe' is not an on/off value: use one of")
    assert line.endswith("ctxlocal is not installed in this process")


def test_install_flag_vocabulary_is_the_registrys() -> None:
    # _ctxlocal_run cannot import the package at start-up (it would cost the
    # package's import time): its words must stay the registry's.
    assert _ctxlocal_run.TRUE_WORDS == _implementations.TRUE_WORDS
    assert _ctxlocal_run.FALSE_WORDS == _implementations.FALSE_WORDS
    for value in ["1", "TRUE", " yes", "on", "0", "False", "no ", "OFF", "", "  ", None]:
        assert _ctxlocal_run.flag("X", value) == _implementations.env_flag("X", value)
    for value in ["2", "y", "maybe", "enable"]:
        with pytest.raises(ValueError, match=f"X={value!r}"):
            _ctxlocal_run.flag("X", value)


def test_environment_for_the_command() -> None:
    here = _ctxlocal_run.bootstrap_dir()
    env = _ctxlocal_run.environ_for("python", {"PYTHONPATH": os.pathsep.join(["a", here, "b"])})
    # The bootstrap first, once; the user's entries kept in their order.
    assert env == {
        "PYTHONPATH": os.pathsep.join([here, "a", "b"]),
        "CTXLOCAL_INSTALL": "1",
        "CTXLOCAL_NO_EXTENSIONS": "1",
    }
    assert _ctxlocal_run.environ_for(None, {}) == {"PYTHONPATH": here, "CTXLOCAL_INSTALL": "1"}


# What pip's console script ``ctxlocal-run`` runs (pyproject.toml's
# [project.scripts]); unlike ``python -m ctxlocal.run`` it has not imported
# the package, so a script of this interpreter can run in its process.
CONSOLE_SCRIPT = [sys.executable, "-c", "import sys\nfrom _ctxlocal_run import main\nsys.exit(main())"]

SCRIPT_REPORT = """
import json, os, sys
print(json.dumps({
    "pid": os.getpid(),
    "name": __name__,
    "file": __file__,
    "main_file": sys.modules["__main__"].__file__,
    "argv": sys.argv,
    "path0": sys.path[0],
    "ctxlocal_imported": "ctxlocal" in sys.modules,
    "install": os.environ.get("CTXLOCAL_INSTALL"),
    "executable": sys.executable,
    "ignore_environment": sys.flags.ignore_environment,
    # Only an interpreter started with the bootstrap on PYTHONPATH looked in it.
    "started_with_bootstrap": %r in sys.path_importer_cache,
}), flush=True)
import flask, ctxlocal
print(json.dumps([type(flask.request).__module__, ctxlocal.IMPLEMENTATION]), flush=True)
sys.exit(int(sys.argv[1]))
""" % (_ctxlocal_run.bootstrap_dir(),)


def _script(tmp_path: Path, shebang: str) -> Path:
    script = tmp_path / "bin" / "tool"
    script.parent.mkdir()
    script.write_text(f"#!{shebang}\n{SCRIPT_REPORT}")
    script.chmod(0o755)
    return script


@pytest.mark.skipif(os.name == "nt", reason="no shebang scripts on Windows")
def test_a_script_of_this_interpreter_runs_in_the_launchers_process(
    impl: Implementation, tmp_path: Path
) -> None:
    pytest.importorskip("flask")
    script = _script(tmp_path, sys.executable)
    process = subprocess.Popen(
        [*CONSOLE_SCRIPT, "--implementation", impl.name, str(script), "3", "x"],
        env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out, err = process.communicate(timeout=120)
    assert process.returncode == 3, err
    assert err == ""
    first, second = (json.loads(line) for line in out.splitlines())
    # As `python tool 3 x` would run it, in the launcher's own process, which
    # had not imported ctxlocal (the hook does, at werkzeug.local's import).
    assert first == {
        "pid": process.pid,
        "name": "__main__",
        "file": str(script),
        "main_file": str(script),
        "argv": [str(script), "3", "x"],
        "path0": str(script.parent),
        "ctxlocal_imported": False,
        "install": "1",
        "executable": sys.executable,
        "ignore_environment": 0,
        "started_with_bootstrap": False,
    }
    assert second == [MODULES[impl.name], impl.name]


@pytest.mark.skipif(os.name == "nt", reason="no shebang scripts on Windows")
def test_a_script_with_interpreter_options_is_execd(tmp_path: Path) -> None:
    script = _script(tmp_path, f"{sys.executable} -E")
    done = _run([*CONSOLE_SCRIPT, str(script), "0"], _env())
    first = json.loads(done.stdout.splitlines()[0])
    # Its own interpreter ran it, with the option the launcher's lacks.
    assert (first["argv"], first["ignore_environment"]) == ([str(script), "0"], 1)


@pytest.mark.skipif(os.name == "nt", reason="no shebang scripts on Windows")
def test_a_script_of_another_venv_is_execd(tmp_path: Path) -> None:
    # Another directory's link to the same binary is another venv's python.
    other = tmp_path / "venv" / "python"
    other.parent.mkdir()
    other.symlink_to(os.path.realpath(sys.executable))
    script = _script(tmp_path, str(other))
    done = _run([*CONSOLE_SCRIPT, str(script), "0"], _env())
    first = json.loads(done.stdout.splitlines()[0])
    assert (first["argv"], first["executable"], first["started_with_bootstrap"]) == (
        [str(script), "0"], str(other), True
    )
