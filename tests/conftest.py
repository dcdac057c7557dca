"""Run every test against each available implementation.

The session-scoped ``impl`` fixture gives one :class:`_impls.Implementation`
(a frozen dataclass: the implementation's ``name`` and ``module``, its
``Local``, ``LocalStack``, ``LocalProxy`` and ``StackView``, and the shared
``LocalManager`` and ``release_local``) per implementation that
:func:`_impls.available` lists: the pure one always, the compiled one when it
is what ``import ctxlocal`` picked (``CTXLOCAL_NO_EXTENSIONS=0`` makes it
mandatory, ``1`` leaves it out; see ``tests/_impls.py``). Test ids end in the
implementation's name: ``test_x[python]``, ``test_x[cython]``.
"""

from __future__ import annotations

import pytest

from _impls import Implementation, available, load

IMPLEMENTATIONS = available()


@pytest.fixture(scope="session", params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> Implementation:
    return load(request.param)
