"""Typical user code type-checks with ``mypy --strict`` against ctxlocal as against werkzeug.local.

The snippet is checked twice: with ``werkzeug.local`` (a control showing that
it is valid Werkzeug code) and with ``ctxlocal``, which must give no errors
and real types, not ``Any``, for the expressions revealed at the end: a proxy
of a typed stack, context variable or callable has its item type, one to an
attribute by name is ``LocalProxy[Any]``, and the docs' two ways to type a
proxy of your own (``# type: ignore[assignment]`` and ``cast``) pass
``--strict`` (an unneeded ignore would be an error). A few lines that
Werkzeug's annotations reject are checked with ctxlocal only.
ctxlocal is found on ``MYPYPATH`` (from a checkout) or in site-packages (an
installed wheel) and checked like an installed library
(``--follow-imports=silent``), so only the user's code is judged.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import ctxlocal

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(ctxlocal.__file__)))

SNIPPET = '''
from __future__ import annotations

import copy
import math
from contextvars import ContextVar
from typing import Any, Dict, Generator, Iterable, List, Optional, Tuple, cast

from MODULE import Local, LocalManager, LocalProxy, LocalStack, release_local


class Request:
    def __init__(self, path: str) -> None:
        self.path = path
        self.session: Dict[str, Any] = {}


_request_var: ContextVar[Request] = ContextVar("request")
request: LocalProxy[Request] = LocalProxy(_request_var)
session = LocalProxy(_request_var, "session")
user_name = LocalProxy(lambda: "alice", unbound_message="no user")
real: Request = request._get_current_object()

local = Local()
local.user = "bob"
user_proxy: LocalProxy[Any] = local("user", unbound_message="no user")
items: List[Tuple[str, Any]] = list(local)
local_from_var = Local(ContextVar("storage"))

stack: LocalStack[int] = LocalStack()
stack.push(1)
pushed = stack.push(2)
first: int = pushed[0]
count: int = len(pushed)
top: Optional[int] = stack.top
popped: Optional[int] = stack.pop()
top_proxy: LocalProxy[Any] = stack()
attr_proxy: LocalProxy[Any] = stack("real", unbound_message="empty")
ints = LocalStack[int](ContextVar("ints"))


class Req:
    path = "/"


st: LocalStack[Req] = LocalStack()
top_req = st()
top_path = st("path")


def top_or_attribute(name: Optional[str]) -> LocalProxy[Any]:
    return st(name)


named_local = local("user")


class User:
    name = "alice"


def load_user() -> User:
    return User()


# Typing a proxy of your own: as the object it stands for ...
current_user: User = LocalProxy(load_user)  # type: ignore[assignment]
cast_user = cast(User, LocalProxy(load_user, unbound_message="no user"))
# ... or as a proxy of it.
user_proxy_typed: LocalProxy[User] = LocalProxy(load_user)
callable_proxy = LocalProxy(load_user)
name_of_user: str = current_user.name

manager = LocalManager([local, stack])
single = LocalManager(local)
empty = LocalManager()
manager.cleanup()
release_local(local)
release_local(stack)


def application(environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
    return [b""]


wrapped = manager.make_middleware(application)


@manager.middleware
def decorated(environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
    return [b""]


class Resource:
    """Async context manager, async iterator and awaitable at once."""

    async def __aenter__(self) -> Resource:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        return None

    def __aiter__(self) -> Resource:
        return self

    async def __anext__(self) -> int:
        raise StopAsyncIteration

    def __await__(self) -> Generator[Any, None, int]:
        yield None
        return 1


_resource_var: ContextVar[Resource] = ContextVar("resource")
resource: LocalProxy[Resource] = LocalProxy(_resource_var)


async def use_resource() -> List[Any]:
    seen: List[Any] = []
    async with resource as entered:
        seen.append(entered)
    async for item in resource:
        seen.append(item)
    seen.append(await resource)
    with LocalProxy(lambda: open(__file__)) as handle:
        seen.append(handle)
    number = LocalProxy(lambda: 2.5)
    seen += [round(number), math.floor(number), math.ceil(number), math.trunc(number),
             copy.copy(number), copy.deepcopy(number), abs(number), -number, number ** 2,
             bytes(LocalProxy(lambda: b"x")), list(reversed(LocalProxy(lambda: [1])))]
    return seen


reveal_type(request._get_current_object())  # request
reveal_type(stack.top)  # top
reveal_type(stack.pop())  # pop
reveal_type(pushed[0])  # item
reveal_type(LocalProxy(_request_var))  # proxy
reveal_type(local)  # local
reveal_type(manager)  # manager
reveal_type(top_req)  # stack proxy
reveal_type(top_req._get_current_object())  # stack proxy target
reveal_type(callable_proxy)  # proxy of a callable
reveal_type(user_proxy_typed._get_current_object())  # annotated proxy target
reveal_type(current_user)  # own proxy, ignore
reveal_type(cast_user)  # own proxy, cast
reveal_type(top_path)  # stack attribute proxy
reveal_type(session)  # proxy of a var attribute
reveal_type(named_local)  # local proxy
'''

# Checked with ctxlocal only: Werkzeug's annotations reject a proxy of a typed
# stack (a LocalStack is also a callable there, and its item type conflicts
# with what its __call__ returns).
CTXLOCAL_ONLY = '''
req_proxy = LocalProxy(st)
req_path = LocalProxy(st, "path")
reveal_type(req_proxy)  # proxy of a stack
reveal_type(req_path)  # proxy of a stack attribute
'''

# What each revealed type must mention (mypy's spelling varies across versions).
EXPECTED_REVEALS: Dict[str, List[str]] = {
    "request": ["Request"],
    "top": ["int", "None"],
    "pop": ["int", "None"],
    "item": ["int"],
    "proxy": ["LocalProxy", "Request"],
    "local": ["Local"],
    "manager": ["LocalManager"],
}

# The proxies' types, exactly: a proxy of a typed stack, var or callable has
# its item type; one to an attribute by name is LocalProxy[Any] (the stub
# cannot know the attribute's type).
ANY_PROXY = "ctxlocal.LocalProxy[Any]"
EXACT_REVEALS: Dict[str, str] = {
    "stack proxy": "ctxlocal.LocalProxy[snippet.Req]",
    "stack proxy target": "snippet.Req",
    "proxy of a stack": "ctxlocal.LocalProxy[snippet.Req]",
    "proxy of a callable": "ctxlocal.LocalProxy[snippet.User]",
    "annotated proxy target": "snippet.User",
    "own proxy, ignore": "snippet.User",
    "own proxy, cast": "snippet.User",
    "stack attribute proxy": ANY_PROXY,
    "proxy of a stack attribute": ANY_PROXY,
    "proxy of a var attribute": ANY_PROXY,
    "local proxy": ANY_PROXY,
}

def _installed() -> bool:
    return os.path.basename(PACKAGE_ROOT) in ("site-packages", "dist-packages")


REVEAL = re.compile(r'^snippet\.py:(\d+): note: Revealed type is "(.*)"$')


def _mypy(tmp_path: Path, module: str, source: str) -> subprocess.CompletedProcess[str]:
    workdir = tmp_path / module
    workdir.mkdir()
    (workdir / "snippet.py").write_text(source)
    env = dict(os.environ)
    # A source checkout goes on MYPYPATH; an installed ctxlocal (site-packages,
    # which mypy refuses on MYPYPATH) is found through its py.typed marker.
    if not _installed():
        env["MYPYPATH"] = PACKAGE_ROOT
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(workdir / ".mypy_cache"),
            "snippet.py",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=300,
    )


def _reveals(source: str, output: str) -> Dict[str, str]:
    lines = source.splitlines()
    reveals = {}
    for line in output.splitlines():
        match = REVEAL.match(line)
        if match:
            label = lines[int(match.group(1)) - 1].rsplit("# ", 1)[1]
            reveals[label] = match.group(2)
    return reveals


def test_user_code_type_checks(tmp_path: Path) -> None:
    control = _mypy(tmp_path, "werkzeug.local", SNIPPET.replace("MODULE", "werkzeug.local"))
    assert control.returncode == 0, control.stdout + control.stderr
    assert " error: " not in control.stdout

    source = SNIPPET.replace("MODULE", "ctxlocal") + CTXLOCAL_ONLY
    result = _mypy(tmp_path, "ctxlocal", source)
    errors = [line for line in result.stdout.splitlines() if " error: " in line]
    assert errors == [], result.stdout + result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    reveals = _reveals(source, result.stdout)
    assert sorted(reveals) == sorted([*EXPECTED_REVEALS, *EXACT_REVEALS]), result.stdout
    for label, fragments in EXPECTED_REVEALS.items():
        revealed = reveals[label]
        assert "Any" not in revealed, (label, revealed)
        for fragment in fragments:
            assert fragment in revealed, (label, revealed)
    for label, expected in EXACT_REVEALS.items():
        assert reveals[label] == expected, (label, reveals[label])
