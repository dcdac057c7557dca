"""Werkzeug's own Local and LocalStack (built before ``install()``) can be proxied."""

from __future__ import annotations


import pytest
import werkzeug.local as wz

from _impls import Implementation


class Target:
    attr = 7


def test_proxy_to_werkzeug_local_attribute(impl: Implementation) -> None:
    theirs = wz.Local()
    proxy = impl.LocalProxy(theirs, "value", unbound_message="no value")
    with pytest.raises(RuntimeError, match="no value"):
        proxy._get_current_object()
    theirs.value = 5
    assert proxy + 1 == 6
    assert proxy._get_current_object() == 5
    theirs.value = 8  # later writes through Werkzeug's object are seen
    assert proxy * 2 == 16


def test_proxy_to_werkzeug_local_requires_a_name(impl: Implementation) -> None:
    with pytest.raises(TypeError, match="'name' is required"):
        impl.LocalProxy(wz.Local())


def test_proxy_to_werkzeug_stack_top_and_attribute(impl: Implementation) -> None:
    theirs: wz.LocalStack[Target] = wz.LocalStack()
    top = impl.LocalProxy(theirs)
    attr = impl.LocalProxy(theirs, "attr")
    assert not top
    assert repr(top) == "<LocalProxy unbound>"
    theirs.push(Target())
    assert top.attr == 7
    assert attr == 7
    assert isinstance(top, Target)
    theirs.pop()
    with pytest.raises(RuntimeError):
        attr._get_current_object()
