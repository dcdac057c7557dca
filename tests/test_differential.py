"""Differential tests: random programs give the same trace on ctxlocal and Werkzeug.

Programs mix ``Local`` writes, reads and deletes, ``LocalStack`` push/pop/top,
proxies of every kind (to a ``Local`` attribute, a stack top or its attribute,
a ``ContextVar``, a function, a proxy subclass, a proxy of a proxy; with and
without ``name`` and ``unbound_message``), every special method with random
operands (including objects whose special methods raise), special names read
off the proxy, proxy construction, and blocks run in a copied context. Results,
exception types and messages must match; the deliberate differences are
normalised in ``tests/_differential.py``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, List, Tuple

import werkzeug.local
from hypothesis import given
from hypothesis import strategies as st

from _differential import (
    BINARY,
    INPLACE,
    LOCAL_NAMES,
    NAMES,
    SPECIAL_NAMES,
    UNARY,
    VALUES,
    Env,
    run_program,
)
from _hypothesis_ci import ci_settings
from _impls import Implementation

N_PROXIES = len(Env(werkzeug.local).proxies)

_value = st.integers(0, len(VALUES) - 1)
_operand = st.one_of(_value, st.tuples(st.just("proxy"), st.integers(0, N_PROXIES - 1)))
_proxy = st.integers(0, N_PROXIES - 1)
_local = st.integers(0, 1)
_name = st.integers(0, len(LOCAL_NAMES) - 1)

_storage_ops = st.one_of(
    st.tuples(st.just("set"), _local, _name, _operand),
    st.tuples(st.just("get"), _local, _name),
    st.tuples(st.just("del"), _local, _name),
    st.tuples(st.just("items"), _local),
    st.tuples(st.just("user_dict")),
    st.tuples(st.just("release"), st.integers(0, 3)),
    st.tuples(st.just("push"), _local, _operand),
    st.tuples(st.just("pop"), _local),
    st.tuples(st.just("top"), _local),
    st.tuples(st.just("user_list"), st.lists(_value, max_size=3)),
    st.tuples(st.just("var"), _operand),
    st.tuples(st.just("hold"), _operand),
)

_proxy_ops = st.one_of(
    st.tuples(st.just("unary"), _proxy, st.sampled_from(UNARY)),
    st.tuples(st.just("binary"), _proxy, st.sampled_from(BINARY), _operand),
    st.tuples(st.just("reflected"), _proxy, st.sampled_from(BINARY), _operand),
    st.tuples(st.just("inplace"), _proxy, st.sampled_from(INPLACE), _operand),
    st.tuples(st.just("setattr"), _proxy, st.integers(0, len(NAMES) - 1), _operand),
    st.tuples(st.just("delattr"), _proxy, st.integers(0, len(NAMES) - 1)),
    st.tuples(st.just("setitem"), _proxy, _operand, _operand),
    st.tuples(st.just("delitem"), _proxy, _operand),
    st.tuples(
        st.just("special"), _proxy, st.sampled_from(SPECIAL_NAMES),
        st.tuples(_operand, _operand, _operand),
    ),
    st.tuples(
        st.just("construct"),
        st.just(None),
        st.integers(0, 4 + len(VALUES)),
        st.one_of(st.none(), st.integers(0, len(NAMES) - 1)),
    ),
)

_simple_op = st.one_of(_storage_ops, _proxy_ops)
_op = st.one_of(
    _simple_op,
    st.tuples(st.just("ctx"), st.lists(_simple_op, max_size=8)),
)
programs = st.lists(_op, min_size=1, max_size=30)


def _first_difference(expected: List[Any], got: List[Any], program: List[Tuple[Any, ...]]) -> str:
    for index, (want, have) in enumerate(zip(expected, got)):
        if want != have:
            return f"operation {index} {program[index]!r}:\n werkzeug: {want!r}\n ctxlocal: {have!r}"
    return f"trace lengths differ: {len(expected)} != {len(got)}"


def check_same(impl: Implementation, program: List[Tuple[Any, ...]]) -> None:
    expected = run_program(werkzeug.local, program)
    got = run_program(impl, program)
    assert got == expected, _first_difference(expected, got, program)


@ci_settings(examples=400)
@given(program=programs)
def test_random_programs_match_werkzeug(impl: Implementation, program: Any) -> None:
    check_same(impl, program)


@ci_settings(examples=300)
@given(program=st.lists(_storage_ops | st.tuples(st.just("ctx"), st.lists(_storage_ops)),
                        min_size=1, max_size=40))
def test_storage_programs_match_werkzeug(impl: Implementation, program: Any) -> None:
    """Storage only: longer runs of writes, deletes and copied contexts."""
    check_same(impl, program)


def test_the_harness_sees_a_difference(impl: Implementation) -> None:
    """The comparison is not vacuous: a wrong result is reported."""

    class OffByOneStack(impl.LocalStack):  # type: ignore[name-defined,misc]
        def pop(self) -> Any:
            super().pop()
            return "wrong"

    broken = dataclasses.replace(impl, LocalStack=OffByOneStack)
    program = [("push", 0, 1), ("pop", 0)]
    assert run_program(broken, program) != run_program(werkzeug.local, program)
    assert run_program(impl, program) == run_program(werkzeug.local, program)
