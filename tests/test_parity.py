"""The two implementations are name for name the same, and behave as Werkzeug
where their structure differs most (``Local`` subclasses, the stack view).

The compiled module is a different kind of class (an extension type), so the
comparison leaves out what only says how a class is built: its metadata
(``__slots__``, ``__module__``...) and each implementation's private helpers
(names with one leading underscore, but for those Werkzeug code calls).
Everything else, public and special names, methods and properties, must be on
both, with the same docstrings.
"""

from __future__ import annotations

import inspect
from typing import Any, Set

import pytest
import werkzeug.local

from _impls import Implementation, available, load
from ctxlocal._implementations import CYTHON, PYTHON

CLASSES = ["Local", "LocalStack", "LocalProxy", "StackView"]
# How each kind of class is built, not what it offers (CPython 3.13 records
# __firstlineno__ and __static_attributes__ of Python classes); and caches
# other code adds to a class: __slotnames__ (copyreg, the first time copy()
# pickles an instance), __annotate_func__ and __annotations_cache__ (3.14,
# once something reads the class's annotations).
_METADATA = {"__annotations__", "__module__", "__slots__", "__weakref__", "__dict__",
             "__pyx_vtable__", "__firstlineno__", "__static_attributes__", "__slotnames__",
             "__annotate_func__", "__annotations_cache__"}
# Private names that are API: Werkzeug's own, which code outside it calls.
_PRIVATE_API = {"_get_current_object", "_storage", "_Local__storage"}

both = pytest.mark.skipif(
    CYTHON not in available(),
    reason="needs the compiled module next to the pure one (this run is pure only)",
)


def _offered(cls: type) -> Set[str]:
    return {
        name
        for name in dir(cls)
        if name not in _METADATA
        and (not name.startswith("_") or name.startswith("__") or name in _PRIVATE_API)
    }


def _modules() -> Any:
    return load(PYTHON).module, load(CYTHON).module


@both
@pytest.mark.parametrize("name", CLASSES)
def test_both_classes_offer_the_same_names(name: str) -> None:
    pure, compiled = (getattr(module, name) for module in _modules())
    assert _offered(pure) - _offered(compiled) == set(), "only in the pure module"
    assert _offered(compiled) - _offered(pure) == set(), "only in the compiled module"


@both
@pytest.mark.parametrize("name", CLASSES)
def test_both_classes_have_the_same_docstrings(name: str) -> None:
    pure, compiled = (getattr(module, name) for module in _modules())
    # CPython 3.13 strips the indentation of docstrings it compiles; Cython's
    # keep theirs.
    assert inspect.cleandoc(pure.__doc__) == inspect.cleandoc(compiled.__doc__)
    for attr in sorted(_offered(pure)):
        if attr.startswith("__") and attr not in ("__ident_func__", "__storage__"):
            continue  # the interpreter's own wording for slot wrappers
        pure_doc, compiled_doc = (getattr(cls, attr).__doc__ or "" for cls in (pure, compiled))
        assert inspect.cleandoc(pure_doc) == inspect.cleandoc(compiled_doc), attr


# Werkzeug's classes are typing.Generic; and its proxy type has a __getattr__
# descriptor, where ctxlocal's answers a read of proxy.__getattr__ the same way
# (tests/test_proxy_explicit.py) but, on CPython, defines none on its type: one
# would send every failed lookup on a proxy through CPython's slower
# __getattr__ hook (the pure proxy on PyPy has one, as Werkzeug's).
_NOT_ON_CTXLOCAL_TYPES = {"__orig_bases__", "__parameters__", "_is_protocol", "__getattr__"}


@pytest.mark.parametrize("name", ["Local", "LocalStack", "LocalProxy"])
def test_werkzeug_names_are_all_offered(impl: Implementation, name: str) -> None:
    """What Werkzeug's classes offer, ctxlocal's do too."""
    theirs = _offered(getattr(werkzeug.local, name))
    if name == "LocalProxy":
        theirs -= _NOT_ON_CTXLOCAL_TYPES
    else:
        theirs -= _NOT_ON_CTXLOCAL_TYPES - {"__getattr__"}
    assert not theirs - _offered(getattr(impl, name))


def _subclass_reads(module: Any) -> Any:
    class Named(module.Local):
        pass

    class Overriding(module.Local):
        def __getattr__(self, name: str) -> Any:
            return ("override", super().__getattr__(name))

    named = Named()
    named.x = "storage"
    object.__setattr__(named, "x", "instance")
    named.y = "stored"
    overriding = Overriding()
    overriding.z = 1
    out = [named.x, named.y, getattr(named, "missing", "default"), overriding.z]
    try:
        overriding.missing
    except AttributeError as exc:
        out.append(("AttributeError", str(exc)))
    return out


def test_local_subclass_reads_as_werkzeugs(impl: Implementation) -> None:
    """An instance's own __dict__ comes before the storage, and a subclass's
    __getattr__ runs for stored names and may call Local.__getattr__."""
    assert _subclass_reads(impl) == _subclass_reads(werkzeug.local)


def test_reversed_stack_view_is_a_list_reverse_iterator(impl: Implementation) -> None:
    """Werkzeug's push returns a list; reversed() of it is a list_reverseiterator."""
    view = impl.LocalStack().push(1)
    assert type(reversed(view)) is type(reversed([]))
    assert list(reversed(impl.LocalStack().push(2))) == [2]
