"""LocalManager and release_local: plain Python, shared by both implementations."""

from __future__ import annotations

from functools import update_wrapper
from typing import Any, Callable, Iterable, Iterator, List, Optional, Union

from ._ident import default_ident_func

__all__ = ["LocalManager", "release_local"]

WSGIApp = Callable[[Any, Any], Iterable[bytes]]


def release_local(local: Any) -> None:
    """Release the current context's (or ident's) data of a ``Local`` or ``LocalStack``.

    >>> from ctxlocal import Local, release_local
    >>> local = Local()
    >>> local.user = "alice"
    >>> release_local(local)
    >>> hasattr(local, "user")
    False
    """
    local.__release_local__()


class _ClosingIterator:
    """A WSGI response iterable that runs callbacks when the server closes it.

    The wrapped response's own ``close`` runs first, as PEP 3333 requires.
    """

    __slots__ = ("_next", "_callbacks")

    def __init__(self, iterable: Iterable[bytes], callback: Callable[[], Any]) -> None:
        self._next = iter(iterable).__next__
        close = getattr(iterable, "close", None)
        self._callbacks = [close, callback] if close is not None else [callback]

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return self._next()

    def close(self) -> None:
        for callback in self._callbacks:
            callback()


class LocalManager:
    """Release the data of several locals at once, e.g. at the end of a request.

    :param locals: a ``Local`` or ``LocalStack``, or an iterable of them.
    :param ident_func: Werkzeug <= 1.0 API: switch every managed local to
        storage keyed by this function's result (see ``Local.__ident_func__``).

    .. versionchanged:: ctxlocal
        ``ident_func`` is accepted again (Werkzeug 2.1 removed it), and a
        single ``LocalStack`` may be passed like a single ``Local``.

    >>> from ctxlocal import Local, LocalManager, LocalStack
    >>> local, stack = Local(), LocalStack()
    >>> manager = LocalManager([local, stack])
    >>> local.user = "alice"
    >>> _ = stack.push("request")
    >>> manager.cleanup()
    >>> hasattr(local, "user"), stack.top
    (False, None)
    """

    __slots__ = ("locals", "ident_func")

    locals: List[Any]
    ident_func: Callable[[], Any]

    def __init__(
        self,
        locals: Union[None, Any, Iterable[Any]] = None,
        ident_func: Optional[Callable[[], Any]] = None,
    ) -> None:
        if locals is None:
            self.locals = []
        elif hasattr(locals, "__release_local__"):
            self.locals = [locals]
        else:
            self.locals = list(locals)
        if ident_func is None:
            self.ident_func = default_ident_func()
        else:
            if not callable(ident_func):
                raise TypeError(
                    f"the ident function must be callable, not {type(ident_func).__name__!r}"
                )
            for local in self.locals:
                object.__setattr__(local, "__ident_func__", ident_func)
            self.ident_func = ident_func

    def get_ident(self) -> Any:
        """Return what the manager's ident function returns for the running code."""
        return self.ident_func()

    def cleanup(self) -> None:
        """Release the managed locals' data for the current context."""
        for local in self.locals:
            release_local(local)

    def make_middleware(self, app: WSGIApp) -> WSGIApp:
        """Wrap a WSGI app so that ``cleanup`` runs once its response is closed.

        The response's own ``close`` runs first, as PEP 3333 requires.

        >>> from ctxlocal import Local, LocalManager
        >>> local = Local()
        >>> def app(environ, start_response):
        ...     local.user = environ["user"]
        ...     return [local.user.encode()]
        >>> wrapped = LocalManager([local]).make_middleware(app)
        >>> response = wrapped({"user": "alice"}, None)
        >>> list(response), local.user
        ([b'alice'], 'alice')
        >>> response.close()
        >>> hasattr(local, "user")
        False
        """

        def application(environ: Any, start_response: Any) -> Iterable[bytes]:
            return _ClosingIterator(app(environ, start_response), self.cleanup)

        return application

    def middleware(self, func: WSGIApp) -> WSGIApp:
        """``make_middleware`` as a decorator for a WSGI application function."""
        return update_wrapper(self.make_middleware(func), func)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} storages: {len(self.locals)}>"
