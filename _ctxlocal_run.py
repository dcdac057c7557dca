"""``ctxlocal-run``: run a command with ctxlocal installed before its first import.

Flask and Quart build ``request``, ``g``, ``session`` and ``current_app`` when
they are imported, and a server (``flask run``, gunicorn, uwsgi, ...) imports
them before the application's first line runs. So the switch must be made in
every Python process before that: this module's hook waits, at no cost, for
``werkzeug.local`` to be imported, and calls ``ctxlocal.install()`` right
after it ran, before anything could take Werkzeug's classes from it.

Two ways switch the hook on, both read by :func:`activate` at interpreter
start-up:

* ``ctxlocal-run COMMAND`` (:func:`main`) puts the directory
  ``ctxlocal/_bootstrap`` first on ``PYTHONPATH``, whose ``sitecustomize``
  calls :func:`activate` and then runs the program's own ``sitecustomize``,
  sets ``CTXLOCAL_INSTALL=1`` and replaces itself with COMMAND. The
  environment carries both to every Python process COMMAND starts: Flask's
  reloader child, gunicorn and uwsgi workers, ``multiprocessing`` children.
* ``CTXLOCAL_INSTALL=1`` alone, where the command cannot be wrapped (a uwsgi
  ini, a Docker ``ENTRYPOINT``, a systemd unit): the ``ctxlocal-install.pth``
  file that ctxlocal's wheel puts in site-packages calls :func:`activate`
  when the variable is set to anything.

This is a top-level module, not part of the ``ctxlocal`` package, because
Python imports a package's ``__init__`` with any of its modules:
``import ctxlocal`` takes tens of milliseconds (the compiled module, the
install machinery), and start-up of an interpreter that never imports
Werkzeug must not pay them. It imports only ``os`` and ``sys``, which every
interpreter has loaded before site-packages are processed.
"""

from __future__ import annotations

import os
import sys

# Loaded by os already, unlike collections.abc (whose package import costs).
from _collections_abc import Mapping, Sequence

# True for type checkers only (mypy reads any name TYPE_CHECKING so): importing
# typing or these modules would cost start-up time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.abc import Loader
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["ENV_VAR", "activate", "bootstrap_dir", "install_requested", "main"]

ENV_VAR = "CTXLOCAL_INSTALL"

# The spellings of an on/off setting, shared with CTXLOCAL_NO_EXTENSIONS
# (ctxlocal._implementations reads its variable with flag()). An empty value
# counts as unset: Docker's ``ENV X=`` is how a variable is cleared there.
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")

USAGE = """\
usage: ctxlocal-run [--implementation cython|python] COMMAND [ARGS...]

Run COMMAND with ctxlocal installed in it, and in every Python process it
starts, before their first import: werkzeug.local, and so Flask's and Quart's
request, g, session and current_app, are ctxlocal's.

  --implementation cython|python
        the implementation to use (sets CTXLOCAL_NO_EXTENSIONS to 0 or 1);
        default: the compiled one where it is available

Examples:
  ctxlocal-run flask --app myapp run --debug
  ctxlocal-run gunicorn -w 4 'myapp:create_app()'
  ctxlocal-run --implementation python python app.py

Where the command cannot be wrapped (a uwsgi ini, a Docker ENTRYPOINT, a
systemd unit), set CTXLOCAL_INSTALL=1 in its environment instead.
"""

# CTXLOCAL_NO_EXTENSIONS for each --implementation value: the registry's
# ENV_VALUE (ctxlocal._implementations), spelled here so that the launcher
# does not import the package.
_IMPLEMENTATION_ENV = {"cython": "0", "python": "1"}


def flag(name: str, value: str | None) -> bool | None:
    """The on/off setting ``value`` of the environment variable ``name``.

    ``None`` when unset or empty; ``True`` for ``1``, ``true``, ``yes`` and
    ``on``; ``False`` for ``0``, ``false``, ``no`` and ``off`` (any case,
    surrounding blanks ignored). Any other value raises ``ValueError``
    naming the variable, the value and the accepted spellings.
    """
    if value is None:
        return None
    word = value.strip().lower()
    if not word:
        return None
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(
        f"{name}={value!r} is not an on/off value: use one of"
        f" {', '.join(TRUE_WORDS)} (on) or {', '.join(FALSE_WORDS)} (off),"
        " or leave it empty or unset (off)"
    )


def install_requested(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``CTXLOCAL_INSTALL`` (in ``environ``, default ``os.environ``) is on."""
    return bool(flag(ENV_VAR, (os.environ if environ is None else environ).get(ENV_VAR)))


def bootstrap_dir() -> str:
    """The directory ``ctxlocal-run`` puts first on ``PYTHONPATH``."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "ctxlocal", "_bootstrap")


# ---- the hook


def _install() -> None:
    import ctxlocal

    ctxlocal.install()


class _InstallAfterExec:
    """Loads ``werkzeug.local`` with its own loader, then installs ctxlocal."""

    def __init__(self, loader: Loader) -> None:
        self.loader = loader

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        # The module must look as if imported without the hook (reload,
        # inspect.getsource and pkgutil ask its loader).
        module.__loader__ = self.loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        _install()


class _WerkzeugLocalFinder:
    """A meta path finder that answers for ``werkzeug.local`` only, once."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname != "werkzeug.local":
            return None
        # One-shot: whatever happens next, later imports take the usual way.
        _remove_finder()
        for finder in sys.meta_path:
            find_spec = getattr(finder, "find_spec", None)
            if find_spec is None:
                continue
            spec: ModuleSpec | None = find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    # A loader by protocol: importlib.abc costs start-up time.
                    spec.loader = _InstallAfterExec(spec.loader)  # type: ignore[assignment]
                return spec
        return None


_FINDER = _WerkzeugLocalFinder()
_activated = False  # the hook is on (or ctxlocal installed) in this process
_reported = False  # an unknown CTXLOCAL_INSTALL value was reported


def _remove_finder() -> None:
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)


def activate() -> None:
    """Install ctxlocal in this process as soon as ``werkzeug.local`` is imported.

    Does nothing unless ``CTXLOCAL_INSTALL`` is on; an unknown value is
    reported on standard error, in one line that names it, and the program
    runs without ctxlocal (an exception here could not stop it: Python
    reports errors of ``sitecustomize`` and ``.pth`` files and goes on, with
    a traceback that would hide the message). If ``werkzeug.local``
    is imported already (a ``sitecustomize`` imported Flask), installs now;
    ``ctxlocal.install()`` then rebuilds the frameworks' globals itself.
    Acts once per process: the ``.pth`` file (which Python may process
    twice, through a ``lib64`` link to ``lib``) and ``ctxlocal-run``'s
    ``sitecustomize`` may all call it.
    """
    global _activated, _reported
    if _activated:
        return
    try:
        requested = install_requested()
    except ValueError as exc:
        if not _reported:
            _reported = True
            sys.stderr.write(f"ctxlocal: {exc}; ctxlocal is not installed in this process\n")
        return
    if not requested:
        return
    _activated = True
    if "werkzeug.local" in sys.modules:
        _install()
    else:
        sys.meta_path.insert(0, _FINDER)


# ---- the launcher


def _error(message: str, status: int) -> int:
    sys.stderr.write(f"ctxlocal-run: {message}\n")
    return status


def _parse(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """(implementation or None, command argv) from ctxlocal-run's arguments."""
    implementation: str | None = None
    args = list(argv)
    while args and args[0].startswith("-"):
        option = args.pop(0)
        if option == "--":
            break
        if option in ("-h", "--help"):
            raise _Usage(None)
        if option == "--implementation" or option.startswith("--implementation="):
            if "=" in option:
                value = option.partition("=")[2]
            elif args:
                value = args.pop(0)
            else:
                raise _Usage("--implementation needs a value: cython or python")
            if value not in _IMPLEMENTATION_ENV:
                raise _Usage(
                    f"--implementation {value!r}: use 'cython' (the compiled module)"
                    " or 'python' (the pure-Python one)"
                )
            implementation = value
            continue
        raise _Usage(f"unknown option {option!r}")
    if not args:
        raise _Usage(None)
    return implementation, args


class _Usage(Exception):
    """Print the usage (after ``message``, if any) and exit with status 2."""


def environ_for(
    implementation: str | None, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment ``ctxlocal-run`` gives its command: a copy of ``environ``."""
    env = dict(os.environ if environ is None else environ)
    here = bootstrap_dir()
    kept = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry and entry != here]
    env["PYTHONPATH"] = os.pathsep.join([here, *kept])
    env[ENV_VAR] = "1"
    if implementation is not None:
        env["CTXLOCAL_NO_EXTENSIONS"] = _IMPLEMENTATION_ENV[implementation]
    return env


def _script_of_this_interpreter(command: str, env: Mapping[str, str]) -> str | None:
    """The path of ``command`` if it is a script run by this very interpreter
    (a console script of this venv: ``flask``, ``gunicorn``), else None."""
    if os.sep in command or (os.altsep and os.altsep in command):
        candidates = [command]
    else:
        candidates = [
            os.path.join(entry, command) for entry in env.get("PATH", os.defpath).split(os.pathsep)
        ]
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            try:
                with open(path, "rb") as f:
                    first = f.readline(4096)
            except OSError:
                return None
            shebang = first[2:].strip().decode(errors="replace") if first.startswith(b"#!") else ""
            return path if _is_this_interpreter(shebang) else None
    return None


def _is_this_interpreter(shebang: str) -> bool:
    """Whether a ``#!`` line names this interpreter, without options.

    The same binary, and in the same directory: a venv's ``python`` and
    ``python3`` are links to one binary, which every other venv made from it
    links to too, and the directory is what tells the venvs apart.
    """
    if not shebang or not os.path.isabs(shebang) or " " in shebang or "\t" in shebang:
        return False
    return os.path.dirname(shebang) == os.path.dirname(sys.executable) and os.path.realpath(
        shebang
    ) == os.path.realpath(sys.executable)


def _run_here(script: str, args: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``script`` in this process as ``python script args`` would.

    The same as exec'ing it (same process, its exit status and signals),
    less a second interpreter start-up (about 10 ms): this process becomes
    the command. Its children get the environment of :func:`environ_for`.
    """
    for name, value in env.items():
        if os.environ.get(name) != value:
            os.environ[name] = value
    activate()
    with open(script, "rb") as f:
        code = compile(f.read(), script, "exec")
    main_module = type(sys)("__main__")
    main_module.__file__ = script
    sys.modules["__main__"] = main_module
    sys.argv[:] = [script, *args]
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    exec(code, vars(main_module))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``ctxlocal-run``'s entry point; returns an exit status only on errors.

    Becomes the command: a script of this interpreter (a console script of
    the same venv) runs in this process (:func:`_run_here`), anything else
    replaces it (``os.execvpe``), so the exit status and the signals are the
    command's own. On Windows, which has no such call, the command runs as a
    child and its exit status is returned.
    """
    try:
        implementation, command = _parse(sys.argv[1:] if argv is None else argv)
    except _Usage as usage:
        if usage.args[0]:
            sys.stderr.write(f"ctxlocal-run: {usage.args[0]}\n")
        sys.stderr.write(USAGE)
        return 2
    env = environ_for(implementation)
    script = _script_of_this_interpreter(command[0], env)
    if script is not None and "ctxlocal" not in sys.modules:
        return _run_here(script, command[1:], env)
    if os.name == "nt":  # pragma: no cover - no exec on Windows
        import subprocess

        try:
            return subprocess.call(command, env=env)
        except FileNotFoundError:
            return _error(f"{command[0]!r}: command not found", 127)
    try:
        os.execvpe(command[0], command, env)
    except FileNotFoundError:
        return _error(f"{command[0]!r}: command not found", 127)
    except PermissionError:
        return _error(f"{command[0]!r}: permission denied", 126)
    except OSError as exc:
        return _error(f"{command[0]!r}: {exc.strerror or exc}", 126)
    return 0  # pragma: no cover - execvpe does not return
