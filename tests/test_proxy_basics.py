"""LocalProxy: what it accepts, how it binds, unbound errors, subclasses, weakrefs, pickling."""

from __future__ import annotations

import contextvars
import gc
import pickle
import types
import weakref
from typing import Any, Callable

import pytest
import werkzeug.local

from _impls import Implementation


def _error(func: Callable[[], Any]) -> BaseException:
    """Run ``func`` and return the exception it raises."""
    with pytest.raises(BaseException) as info:
        func()
    return info.value


# Construction -------------------------------------------------------------


def test_proxy_a_context_var(impl: Implementation) -> None:
    var: contextvars.ContextVar[Any] = contextvars.ContextVar("request")
    proxy = impl.LocalProxy(var)

    def run() -> None:
        var.set([1, 2])
        assert proxy._get_current_object() is var.get()
        assert proxy == [1, 2]
        var.set("other")
        assert proxy.upper() == "OTHER"

    contextvars.copy_context().run(run)
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        proxy._get_current_object()


def test_proxy_a_context_var_with_a_default(impl: Implementation) -> None:
    """The ContextVar's own default binds the proxy, as with Werkzeug."""
    var: contextvars.ContextVar[int] = contextvars.ContextVar("number", default=5)
    assert werkzeug.local.LocalProxy(var) + 1 == 6
    proxy = impl.LocalProxy(var)
    assert proxy._get_current_object() == 5
    assert proxy + 1 == 6
    assert contextvars.copy_context().run(lambda: (var.set(7), proxy + 1)[1]) == 8


def test_proxy_an_attribute_of_a_context_var_value(impl: Implementation) -> None:
    var: contextvars.ContextVar[Any] = contextvars.ContextVar("request")
    proxy = impl.LocalProxy(var, "session")

    def run() -> None:
        var.set(types.SimpleNamespace(session={"user": 1}))
        assert proxy["user"] == 1
        var.set(object())
        with pytest.raises(AttributeError):
            proxy._get_current_object()

    contextvars.copy_context().run(run)


def test_proxy_a_local_requires_a_name(impl: Implementation) -> None:
    for module in (impl, werkzeug.local):
        error = _error(lambda: module.LocalProxy(module.Local()))
        assert type(error) is TypeError
        assert str(error) == "'name' is required when proxying a 'Local' object."


def test_proxy_a_local_attribute(impl: Implementation) -> None:
    local = impl.Local()
    proxy = impl.LocalProxy(local, "user")
    local.user = "alice"
    assert proxy == "alice"
    del local.user
    error = _error(proxy._get_current_object)
    assert type(error) is RuntimeError
    assert str(error) == "object is not bound"
    # The AttributeError is hidden, as Werkzeug does ("from None").
    assert error.__cause__ is None
    assert error.__suppress_context__


def test_proxy_a_dotted_name(impl: Implementation) -> None:
    local = impl.Local()
    proxy = impl.LocalProxy(local, "request.user.name")
    local.request = types.SimpleNamespace(user=types.SimpleNamespace(name="alice"))
    assert proxy == "alice"
    # An attribute missing anywhere on the path of a Local's proxy means unbound.
    local.request = types.SimpleNamespace()
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        proxy.upper()

    var: contextvars.ContextVar[Any] = contextvars.ContextVar("var")
    var_proxy = impl.LocalProxy(var, "a.b")
    stack = impl.LocalStack()
    stack_proxy = stack("a.b")
    target = types.SimpleNamespace(a=types.SimpleNamespace(b=42))
    func_proxy = impl.LocalProxy(lambda: target, "a.b")

    def run() -> None:
        var.set(target)
        stack.push(target)
        for each in (var_proxy, stack_proxy, func_proxy):
            assert each == 42
            assert each._get_current_object() == 42

    contextvars.copy_context().run(run)


def test_proxy_a_local_stack(impl: Implementation) -> None:
    stack = impl.LocalStack()
    proxy = impl.LocalProxy(stack)
    named = impl.LocalProxy(stack, "real", unbound_message="empty")
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        proxy._get_current_object()
    with pytest.raises(RuntimeError, match="^empty$"):
        named._get_current_object()
    stack.push(3)
    assert proxy._get_current_object() == 3
    assert named == 3
    stack.push(None)
    with pytest.raises(RuntimeError, match="^object is not bound$"):
        proxy._get_current_object()


def test_proxy_a_callable(impl: Implementation) -> None:
    state = {"value": [1]}
    proxy = impl.LocalProxy(lambda: state["value"])
    assert proxy == [1]
    state["value"] = "changed"
    assert proxy == "changed"
    attr = impl.LocalProxy(lambda: state["value"], "upper")
    assert attr() == "CHANGED"


def test_callable_instances_and_classes_are_callables(impl: Implementation) -> None:
    class Factory:
        def __call__(self) -> str:
            return "made"

    assert impl.LocalProxy(Factory()) == "made"
    assert impl.LocalProxy(dict) == {}


@pytest.mark.parametrize("local", [42, "name", None, [1], object()], ids=repr)
def test_unknown_locals_are_refused(impl: Implementation, local: Any) -> None:
    expected = _error(lambda: werkzeug.local.LocalProxy(local))
    error = _error(lambda: impl.LocalProxy(local))
    assert type(error) is type(expected) is TypeError
    assert str(error) == str(expected) == f"Don't know how to proxy '{type(local)}'."


def test_name_and_unbound_message_keywords(impl: Implementation) -> None:
    local = impl.Local()
    proxy = impl.LocalProxy(local=local, name="x", unbound_message="no x")
    with pytest.raises(RuntimeError, match="^no x$"):
        proxy + 1
    with pytest.raises(TypeError):
        impl.LocalProxy(local, "x", "positional message")


def test_non_string_name_is_refused(impl: Implementation) -> None:
    with pytest.raises(TypeError):
        impl.LocalProxy(lambda: 1, 5)


# Binding -------------------------------------------------------------------


def test_get_current_object_returns_the_target_itself(impl: Implementation) -> None:
    target = object()
    proxy = impl.LocalProxy(lambda: target)
    assert proxy._get_current_object() is target


def test_unbound_default_and_custom_messages(impl: Implementation) -> None:
    var: contextvars.ContextVar[Any] = contextvars.ContextVar("var")
    for proxy, message in [
        (impl.LocalProxy(var), "object is not bound"),
        (impl.LocalProxy(var, unbound_message="no request"), "no request"),
        (impl.Local()("x", unbound_message="no x"), "no x"),
        (impl.LocalStack()(unbound_message="no app"), "no app"),
        (impl.LocalStack()("g", unbound_message="no g"), "no g"),
    ]:
        for operation in (proxy._get_current_object, lambda: proxy.attr, lambda: proxy + 1):
            error = _error(operation)
            assert type(error) is RuntimeError
            assert str(error) == message


def test_only_runtime_error_means_unbound(impl: Implementation) -> None:
    """Any other error from the local propagates, fallbacks included.

    (Werkzeug's ``repr`` shows the default object repr here instead: CPython's
    repr slot discards an error raised while looking ``__repr__`` up.)
    """
    def broken() -> Any:
        raise ValueError("broken")

    proxy = impl.LocalProxy(broken)
    for operation in (
        lambda: repr(proxy),
        lambda: bool(proxy),
        lambda: dir(proxy),
        lambda: proxy.__class__,
        lambda: proxy.__doc__,
        lambda: proxy.__wrapped__,
        lambda: proxy + 1,
        proxy._get_current_object,
    ):
        error = _error(operation)
        assert type(error) is ValueError
        assert str(error) == "broken"


def test_a_callable_raising_runtime_error_is_unbound(impl: Implementation) -> None:
    def outside() -> Any:
        raise RuntimeError("working outside of context")

    proxy = impl.LocalProxy(outside, unbound_message="ignored")
    assert repr(proxy) == "<LocalProxy unbound>"
    assert not proxy
    assert dir(proxy) == []
    assert proxy.__wrapped__ is outside
    with pytest.raises(RuntimeError, match="^working outside of context$"):
        proxy + 1


def test_attribute_error_from_a_callable_propagates(impl: Implementation) -> None:
    def missing() -> Any:
        raise AttributeError("nope")

    proxy = impl.LocalProxy(missing)
    with pytest.raises(AttributeError, match="^nope$"):
        proxy.anything
    with pytest.raises(AttributeError, match="^nope$"):
        repr(proxy)


def test_proxies_follow_the_current_context(impl: Implementation) -> None:
    local = impl.Local()
    proxy = local("value")
    local.value = "outer"

    def inner() -> str:
        local.value = "inner"
        return str(proxy)

    assert contextvars.copy_context().run(inner) == "inner"
    assert proxy == "outer"


# Subclasses ----------------------------------------------------------------


class _Target:
    own = "target"
    extra = "target extra"
    value = "target value"

    def method(self) -> str:
        return "target method"

    def forwarded(self) -> str:
        return "forwarded"


def _base(impl: Implementation, source: str) -> Any:
    """Our proxy class, or Werkzeug's to show the same subclass works there."""
    return impl.LocalProxy if source == "ctxlocal" else werkzeug.local.LocalProxy


@pytest.mark.parametrize("source", ["ctxlocal", "werkzeug"])
def test_subclass_members_are_found_on_the_proxy(impl: Implementation, source: str) -> None:
    base = _base(impl, source)

    class MyProxy(base):  # type: ignore[misc,valid-type]
        """A proxy subclass."""

        own = "proxy"

        def method(self) -> str:
            return "proxy method sees " + self._get_current_object().method()

        @property
        def value(self) -> str:
            return "proxy property"

        def __len__(self) -> int:
            return 42

    proxy = MyProxy(_Target)
    assert proxy.own == "proxy"
    assert proxy.method() == "proxy method sees target method"
    assert proxy.value == "proxy property"
    assert len(proxy) == 42
    assert proxy.__len__() == 42
    assert proxy.__doc__ == "A proxy subclass."
    # Names the subclass does not define still go to the target.
    assert proxy.extra == "target extra"
    assert proxy.forwarded() == "forwarded"
    assert proxy.__class__ is _Target
    assert isinstance(proxy, base)
    assert type(proxy) is MyProxy
    # Without a docstring, a subclass's __doc__ is None (its own class attribute).
    assert type("Plain", (base,), {})(_Target).__doc__ is None


@pytest.mark.parametrize("source", ["ctxlocal", "werkzeug"])
def test_subclass_slots_set_with_object_setattr(impl: Implementation, source: str) -> None:
    """A subclass stores its own state the way Werkzeug's proxy does: object.__setattr__."""

    class TaggedProxy(_base(impl, source)):  # type: ignore[misc]
        __slots__ = ("tag",)

        def __init__(self, local: Any, tag: str) -> None:
            super().__init__(local)
            object.__setattr__(self, "tag", tag)

    proxy = TaggedProxy(_Target, "my tag")
    assert proxy.tag == "my tag"
    assert proxy.extra == "target extra"
    # Plain assignment goes to the target, as Werkzeug's does.
    proxy.tag = "ignored"
    assert proxy.tag == "my tag"


def test_subclass_unbound_repr_uses_the_subclass_name(impl: Implementation) -> None:
    class RequestProxy(impl.LocalProxy):  # type: ignore[misc,name-defined]
        """Docs of the subclass."""

    proxy = RequestProxy(impl.Local(), "request")
    assert repr(proxy) == "<RequestProxy unbound>"
    assert proxy.__class__ is RequestProxy
    assert proxy.__doc__ == "Docs of the subclass."
    assert not proxy


# Weak references and pickling ---------------------------------------------


def test_weak_reference_to_a_proxy(impl: Implementation) -> None:
    proxy = impl.LocalProxy(lambda: [1])
    ref = weakref.ref(proxy)
    assert ref() is proxy
    proxies = weakref.WeakValueDictionary({"key": proxy})
    assert proxies["key"] is proxy
    del proxy
    gc.collect()
    assert ref() is None
    assert "key" not in proxies


def test_a_proxy_does_not_keep_its_target_alive_beyond_the_local(
    impl: Implementation,
) -> None:
    class Target:
        pass

    local = impl.Local()
    proxy = local("target")
    local.target = Target()
    ref = weakref.ref(local.target)
    assert proxy._get_current_object() is ref()
    del local.target
    gc.collect()
    assert ref() is None


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickling_a_proxy_raises_type_error(impl: Implementation, protocol: int) -> None:
    for proxy in (impl.LocalProxy(lambda: [1, 2]), impl.LocalProxy(impl.Local(), "unbound")):
        with pytest.raises(TypeError) as info:
            pickle.dumps(proxy, protocol)
        assert str(info.value) == "cannot pickle 'LocalProxy' object"


# Errors raised by the target itself ------------------------------------------


class _Touchy:
    """Its own special methods raise RuntimeError: not the same as being unbound."""

    def __repr__(self) -> str:
        raise RuntimeError("repr failed")

    def __bool__(self) -> bool:
        raise RuntimeError("bool failed")

    def __dir__(self) -> Any:
        raise RuntimeError("dir failed")

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no {name}")


@pytest.mark.parametrize("source", ["ctxlocal", "werkzeug"])
def test_target_errors_are_not_unbound_fallbacks(impl: Implementation, source: str) -> None:
    target = _Touchy()
    proxy = _base(impl, source)(lambda: target)
    for operation, message in [
        (lambda: repr(proxy), "repr failed"),
        (lambda: bool(proxy), "bool failed"),
        (lambda: dir(proxy), "dir failed"),
        (lambda: proxy.__wrapped__, "no __wrapped__"),
        (lambda: proxy.anything, "no anything"),
    ]:
        error = _error(operation)
        assert type(error) is RuntimeError
        assert str(error) == message
    assert proxy.__class__ is _Touchy


def test_none_is_a_value_except_on_a_stack(impl: Implementation) -> None:
    """Only a LocalStack treats a None top as unbound (as Werkzeug does)."""
    var: contextvars.ContextVar[Any] = contextvars.ContextVar("none")
    local = impl.Local()
    local.value = None
    stack = impl.LocalStack()
    stack.push(None)

    def run() -> None:
        var.set(None)
        for proxy in (impl.LocalProxy(var), local("value"), impl.LocalProxy(lambda: None)):
            assert proxy._get_current_object() is None
            assert repr(proxy) == "None"
            assert proxy.__class__ is type(None)
            assert proxy == None  # noqa: E711
        with pytest.raises(RuntimeError):
            stack()._get_current_object()

    contextvars.copy_context().run(run)


def test_proxy_to_a_proxy(impl: Implementation) -> None:
    local = impl.Local()
    inner = local("value")
    outer = impl.LocalProxy(lambda: inner)
    stack = impl.LocalStack()
    stack.push(inner)
    on_stack = stack()
    local.value = 41
    for proxy in (outer, on_stack):
        assert proxy + 1 == 42
        assert isinstance(proxy, int)
        assert repr(proxy) == "41"
        assert proxy._get_current_object() is inner
    del local.value
    assert repr(outer) == "<LocalProxy unbound>"
    with pytest.raises(RuntimeError):
        outer + 1


def test_generic_alias_of_the_proxy(impl: Implementation) -> None:
    alias = impl.LocalProxy[int]
    assert alias.__origin__ is impl.LocalProxy
    assert alias.__args__ == (int,)
