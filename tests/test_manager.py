"""LocalManager: managed locals, cleanup, the WSGI middleware, and Werkzeug <= 1.0's ident_func."""

from __future__ import annotations

import contextvars
import threading
import wsgiref.util
from typing import Any, Callable, Dict, Iterable, Iterator, List

import greenlet
import pytest
import werkzeug.local
import werkzeug.test

from _impls import Implementation
from ctxlocal._ident import default_ident_func


def test_no_locals(impl: Implementation) -> None:
    for manager in (impl.LocalManager(), impl.LocalManager(None)):
        assert manager.locals == []
        assert repr(manager) == "<LocalManager storages: 0>"
        manager.cleanup()
    assert repr(werkzeug.local.LocalManager()) == "<LocalManager storages: 0>"


def test_a_single_local(impl: Implementation) -> None:
    local = impl.Local()
    manager = impl.LocalManager(local)
    assert manager.locals == [local]
    assert manager.locals[0] is local
    assert repr(manager) == "<LocalManager storages: 1>"


def test_a_single_stack(impl: Implementation) -> None:
    """Werkzeug 3.1 only takes a single Local; ctxlocal also takes a single LocalStack."""
    stack = impl.LocalStack()
    manager = impl.LocalManager(stack)
    assert manager.locals == [stack]
    stack.push(1)
    manager.cleanup()
    assert stack.top is None


@pytest.mark.parametrize("container", [list, tuple, iter, lambda items: (x for x in items)])
def test_an_iterable_of_locals(impl: Implementation, container: Callable[..., Any]) -> None:
    local, stack, other = impl.Local(), impl.LocalStack(), impl.Local()
    manager = impl.LocalManager(container([local, stack, other]))
    assert type(manager.locals) is list
    assert manager.locals == [local, stack, other]
    assert repr(manager) == "<LocalManager storages: 3>"
    reference = werkzeug.local.LocalManager(
        container([werkzeug.local.Local(), werkzeug.local.LocalStack(), werkzeug.local.Local()])
    )
    assert repr(reference) == repr(manager)


def test_repr_of_a_subclass(impl: Implementation) -> None:
    class Manager(impl.LocalManager):  # type: ignore[misc,name-defined]
        pass

    assert repr(Manager([impl.Local()])) == "<Manager storages: 1>"


def test_cleanup_releases_every_managed_local(impl: Implementation) -> None:
    local, stack, unmanaged = impl.Local(), impl.LocalStack(), impl.Local()
    manager = impl.LocalManager([local, stack])
    local.a = 1
    stack.push(2)
    unmanaged.b = 3
    manager.cleanup()
    assert list(local) == []
    assert stack.top is None
    assert unmanaged.b == 3
    local.a = 4
    assert local.a == 4


def test_cleanup_only_affects_the_current_context(impl: Implementation) -> None:
    local, stack = impl.Local(), impl.LocalStack()
    manager = impl.LocalManager([local, stack])
    local.a = 1
    stack.push(2)

    def child() -> Any:
        manager.cleanup()
        return list(local), stack.top

    assert contextvars.copy_context().run(child) == ([], None)
    assert local.a == 1
    assert stack.top == 2


class _Response:
    """A WSGI response iterable with a close() that records what it saw."""

    def __init__(self, events: List[Any], local: Any) -> None:
        self.events = events
        self.local = local

    def __iter__(self) -> Iterator[bytes]:
        self.events.append(("iter", dict(self.local)))
        yield b"Hello, "
        yield b"World"

    def close(self) -> None:
        self.events.append(("app close", dict(self.local)))


def _app(events: List[Any], local: Any, stack: Any) -> Callable[..., Iterable[bytes]]:
    def application(environ: Dict[str, Any], start_response: Callable[..., Any]) -> Any:
        local.request = environ["PATH_INFO"]
        stack.push("context")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _Response(events, local)

    return application


def test_make_middleware_releases_on_close(impl: Implementation) -> None:
    local, stack = impl.Local(), impl.LocalStack()
    manager = impl.LocalManager([local, stack])
    events: List[Any] = []
    app = manager.make_middleware(_app(events, local, stack))
    environ: Dict[str, Any] = {}
    wsgiref.util.setup_testing_defaults(environ)
    environ["PATH_INFO"] = "/hello"
    started: List[Any] = []

    def start_response(status: str, headers: List[Any], exc_info: Any = None) -> Any:
        started.append((status, headers))
        return lambda data: None

    def run() -> None:
        response = app(environ, start_response)
        assert started == [("200 OK", [("Content-Type", "text/plain")])]
        assert b"".join(response) == b"Hello, World"
        # Consumed but not closed: the locals are still set.
        assert local.request == "/hello"
        assert stack.top == "context"
        response.close()
        assert list(local) == []
        assert stack.top is None

    contextvars.copy_context().run(run)
    # The app's own close() ran first, while the locals were still set.
    assert events == [("iter", {"request": "/hello"}), ("app close", {"request": "/hello"})]


def test_make_middleware_without_close_on_the_response(impl: Implementation) -> None:
    local = impl.Local()
    manager = impl.LocalManager(local)

    def application(environ: Any, start_response: Any) -> Any:
        local.value = 1
        start_response("204 No Content", [])
        return [b""]

    def run() -> Any:
        response = manager.make_middleware(application)({}, lambda *args: None)
        assert list(response) == [b""]
        assert local.value == 1
        response.close()
        return list(local)

    assert contextvars.copy_context().run(run) == []


def test_middleware_with_a_test_client(impl: Implementation) -> None:
    local, stack = impl.Local(), impl.LocalStack()
    manager = impl.LocalManager([local, stack])
    events: List[Any] = []
    client = werkzeug.test.Client(manager.make_middleware(_app(events, local, stack)))

    def run() -> Any:
        response = client.get("/path")
        body = response.get_data()
        response.close()
        return response.status_code, body, list(local), stack.top

    assert contextvars.copy_context().run(run) == (200, b"Hello, World", [], None)
    assert events[-1] == ("app close", {"request": "/path"})


def test_middleware_decorator_keeps_the_function_metadata(impl: Implementation) -> None:
    local = impl.Local()
    manager = impl.LocalManager([local])

    def application(environ: Any, start_response: Any) -> Any:
        """The application's docs."""
        local.value = "set"
        start_response("200 OK", [])
        return [b"body"]

    application.custom = "attribute"  # type: ignore[attr-defined]
    wrapped = manager.middleware(application)
    assert wrapped is not application
    assert wrapped.__name__ == "application"
    assert wrapped.__qualname__ == application.__qualname__
    assert wrapped.__doc__ == "The application's docs."
    assert wrapped.__module__ == __name__
    assert wrapped.__wrapped__ is application
    assert wrapped.custom == "attribute"

    def run() -> Any:
        response = wrapped({}, lambda *args: None)
        body = list(response)
        before = list(local)
        response.close()
        return body, before, list(local)

    assert contextvars.copy_context().run(run) == ([b"body"], [("value", "set")], [])


def test_get_ident_default(impl: Implementation) -> None:
    manager = impl.LocalManager()
    assert manager.get_ident() == default_ident_func()()
    assert manager.ident_func is greenlet.getcurrent
    assert manager.get_ident() is greenlet.getcurrent()


def test_ident_func_switches_the_managed_locals(impl: Implementation) -> None:
    current = ["first"]

    def ident() -> str:
        return current[0]

    local, stack = impl.Local(), impl.LocalStack()
    manager = impl.LocalManager([local, stack], ident_func=ident)
    assert manager.ident_func is ident
    assert manager.get_ident() == "first"
    assert local.__ident_func__ is ident
    assert stack.__ident_func__ is ident
    local.value = 1
    stack.push("a")
    current[0] = "second"
    assert manager.get_ident() == "second"
    assert list(local) == []
    assert stack.top is None
    local.value = 2
    stack.push("b")
    manager.cleanup()
    assert list(local) == []
    assert stack.top is None
    current[0] = "first"
    assert local.value == 1
    assert stack.top == "a"


def test_ident_func_with_a_single_local(impl: Implementation) -> None:
    local = impl.Local()
    impl.LocalManager(local, ident_func=threading.get_ident)
    assert local.__ident_func__ is threading.get_ident


@pytest.mark.parametrize("bad", [1, "get_ident", object()])
def test_non_callable_ident_func_is_refused(impl: Implementation, bad: Any) -> None:
    with pytest.raises(TypeError, match="callable"):
        impl.LocalManager([impl.Local()], ident_func=bad)
