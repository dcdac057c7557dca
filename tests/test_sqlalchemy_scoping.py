"""Flask-SQLAlchemy 2.x scoping: ``scoped_session(..., scopefunc=stack.__ident_func__)``.

Flask-SQLAlchemy 2.x scoped its sessions with the ident function of Flask's
context stack, a Werkzeug <= 1.0 API that Werkzeug 2.1 removed and ctxlocal
brings back. With greenlet installed that function is ``greenlet.getcurrent``:
one session per thread and per greenlet. The database is an in-memory SQLite
shared by every thread (one connection, ``StaticPool``), so database work is
serialised with a lock; the sessions, not the connection, are under test.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterator, List

import pytest

from _impls import Implementation
from realapps import run_code

sqlalchemy = pytest.importorskip("sqlalchemy")
greenlet = pytest.importorskip("greenlet")

from sqlalchemy import Column, Integer, String, func, select  # noqa: E402
from sqlalchemy.orm import declarative_base, scoped_session, sessionmaker  # noqa: E402
from sqlalchemy.pool import StaticPool  # noqa: E402

Base: Any = declarative_base()


class User(Base):  # type: ignore[misc]
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String, nullable=False)


@pytest.fixture
def stack(impl: Implementation) -> Any:
    return impl.LocalStack()


@pytest.fixture
def Session(stack: Any) -> Iterator[Any]:
    engine = sqlalchemy.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    registry = scoped_session(sessionmaker(bind=engine), scopefunc=stack.__ident_func__)
    yield registry
    registry.remove()
    engine.dispose()


def test_scopefunc_is_the_greenlet_ident(stack: Any) -> None:
    assert stack.__ident_func__ is greenlet.getcurrent


def test_one_session_per_thread(Session: Any) -> None:
    count = 4
    barrier = threading.Barrier(count)
    db_lock = threading.Lock()
    seen: Dict[int, Any] = {}
    pending: Dict[int, List[str]] = {}
    errors: List[BaseException] = []

    def worker(index: int) -> None:
        try:
            session = Session()
            session.add(User(name=f"thread-{index}"))
            barrier.wait(timeout=10)  # every thread holds its session now
            assert Session() is session
            seen[index] = session
            pending[index] = [user.name for user in Session().new]
            with db_lock:
                Session.commit()
            Session.remove()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len({id(session) for session in seen.values()}) == count
    main_session = Session()
    assert all(session is not main_session for session in seen.values())
    assert pending == {i: [f"thread-{i}"] for i in range(count)}
    assert list(main_session.new) == []
    assert Session.scalar(select(func.count(User.id))) == count


def test_one_session_per_greenlet(Session: Any) -> None:
    main = greenlet.getcurrent()

    def worker(name: str) -> Any:
        session = Session()
        session.add(User(name=name))
        main.switch(session)  # let the other greenlet and main run
        return [Session() is session, [user.name for user in Session().new]]

    first = greenlet.greenlet(worker)
    second = greenlet.greenlet(worker)
    first_session = first.switch("first")
    second_session = second.switch("second")
    main_session = Session()
    assert len({id(first_session), id(second_session), id(main_session)}) == 3
    assert first.switch() == [True, ["first"]]
    assert second.switch() == [True, ["second"]]
    assert list(main_session.new) == []
    assert Session() is main_session


def test_remove_drops_only_the_current_scope(Session: Any) -> None:
    main_session = Session()

    def worker() -> Any:
        session = Session()
        Session.remove()
        return [Session() is not session, Session() is not main_session]

    assert greenlet.greenlet(worker).switch() == [True, True]
    assert Session() is main_session


def test_scoping_through_installed_werkzeug_local(impl: Implementation) -> None:
    # The same pattern written against werkzeug.local after install(): the
    # Werkzeug 1.0 ident API is back on werkzeug.local.LocalStack.
    out = run_code(
        """
        import json, threading, ctxlocal
        ctxlocal.install()
        from werkzeug.local import LocalStack
        from sqlalchemy import create_engine
        from sqlalchemy.orm import scoped_session, sessionmaker
        from sqlalchemy.pool import StaticPool
        import greenlet

        engine = create_engine("sqlite://", poolclass=StaticPool,
                               connect_args={"check_same_thread": False})
        stack = LocalStack()
        Session = scoped_session(sessionmaker(bind=engine),
                                 scopefunc=stack.__ident_func__)
        sessions = []
        barrier = threading.Barrier(3)

        def worker():
            sessions.append(Session())
            barrier.wait(timeout=10)

        threads = [threading.Thread(target=worker) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        in_greenlet = greenlet.greenlet(Session).switch()
        print(json.dumps({
            "ident_func": stack.__ident_func__ is greenlet.getcurrent,
            "distinct": len({id(s) for s in sessions + [in_greenlet, Session()]}),
            "stable": Session() is Session(),
        }))
        """,
        impl.name,
    )
    assert out == {"ident_func": True, "distinct": 5, "stable": True}
