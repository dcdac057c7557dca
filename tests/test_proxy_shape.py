"""Which shape the pure ``LocalProxy`` takes on each interpreter.

PyPy gets Werkzeug's shape (``descriptors``: its JIT runs it at the speed of
hand-written code); CPython the ``__getattribute__`` one (it swallows errors
raised while it looks special methods up). Either shape runs this whole suite
on the interpreters that use it; these tests check the choice itself, so that
a change to it cannot go unnoticed.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import types
from contextvars import ContextVar
from typing import Any

import pytest

from _impls import Implementation
from ctxlocal import _local_py
from ctxlocal._interpreter import (
    DESCRIPTORS,
    GETATTRIBUTE,
    PROXY_SHAPE,
    SHAPE_ENV_VAR,
    proxy_shape,
)

ON_PYPY = platform.python_implementation() == "PyPy"


def test_each_interpreter_gets_its_shape() -> None:
    assert proxy_shape({}) == (DESCRIPTORS if ON_PYPY else GETATTRIBUTE)


def test_the_pure_proxy_has_the_shape_of_this_process() -> None:
    proxy_type = _local_py.LocalProxy
    own = vars(proxy_type)
    if PROXY_SHAPE == DESCRIPTORS:
        assert "__getattribute__" not in own
        assert type(own["__getattr__"]) is _local_py.Forwarded
        assert type(own["__eq__"]) is _local_py.Forwarded
        assert "_get_current_object" in proxy_type.__slots__
    else:
        assert "__getattribute__" in own and "__getattr__" not in own
        assert callable(own["__eq__"]) and callable(own["_get_current_object"])
    assert proxy_type.__name__ == proxy_type.__qualname__ == "LocalProxy"
    assert proxy_type.__module__ == "ctxlocal._local_py"
    assert proxy_type.__doc__.startswith("A proxy to the object a context-local")


@pytest.mark.parametrize("setting", ["", GETATTRIBUTE])
def test_the_setting_may_ask_for_the_getattribute_shape(setting: str) -> None:
    expected = GETATTRIBUTE if setting else proxy_shape({})
    assert proxy_shape({SHAPE_ENV_VAR: setting}) == expected


def test_the_descriptor_shape_is_refused_on_cpython_only() -> None:
    environ = {SHAPE_ENV_VAR: DESCRIPTORS}
    if ON_PYPY:
        assert proxy_shape(environ) == DESCRIPTORS
    else:
        with pytest.raises(ValueError, match="only PyPy can use that shape"):
            proxy_shape(environ)


def test_an_unknown_shape_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="must be 'getattribute' or 'descriptors', not 'fast'"):
        proxy_shape({SHAPE_ENV_VAR: "fast"})


def test_the_setting_reaches_a_fresh_interpreter() -> None:
    code = "from ctxlocal import _local_py; print('__getattribute__' in vars(_local_py.LocalProxy))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, SHAPE_ENV_VAR: GETATTRIBUTE},
        check=True, capture_output=True, text=True,
    ).stdout
    assert out.strip() == "True"


@pytest.mark.parametrize("name", ["value", "inner.value", "class", "ﬁ", "ŝ", "a b", "__x"])
def test_a_proxy_reads_exactly_the_named_attribute(impl: Implementation, name: str) -> None:
    """On PyPy, names of ASCII identifiers are read by code that spells them
    out; the others (keywords, spaces, non-ASCII, which the compiler would
    NFKC-normalise: "ﬁ" is not "fi") through getattr. Either way, the same
    attribute."""
    leaf = types.SimpleNamespace()
    for attr in ("value", "class", "ﬁ", "fi", "ŝ", "a b", "__x"):
        setattr(leaf, attr, f"<{attr}>")
    leaf.inner = types.SimpleNamespace(value="<inner.value>")
    var: "ContextVar[Any]" = ContextVar("target")
    var.set(leaf)
    for proxy in (impl.LocalProxy(var, name), impl.LocalProxy(lambda: leaf, name)):
        assert proxy.upper() == f"<{name}>".upper()
    with pytest.raises(AttributeError, match="missing"):
        impl.LocalProxy(var, "inner.missing").upper()
