"""The proxy's forwarding code is what the table in ctxlocal/_datamodel.py gives.

``ci/datamodel.py`` writes each row's methods into both implementations and
the type stub; these tests fail when a file was edited by hand (or the table
changed without rerunning it), when a row's method is missing from a class,
or when the table and Werkzeug's proxy forward different names. They read
the repository (ci/), so they are left out of the sdist and the installed-
package runs.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import werkzeug.local

from _impls import Implementation
from ctxlocal._datamodel import FORWARDED_NAMES, TABLE

REPO = Path(__file__).resolve().parent.parent


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("ctxlocal_ci_datamodel", REPO / "ci" / "datamodel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_code_matches_the_table() -> None:
    assert _generator().stale_files() == [], "run: python ci/datamodel.py --write"


def test_every_method_row_is_a_method_of_the_proxy(impl: Implementation) -> None:
    own = vars(impl.LocalProxy)
    missing = [row.name for row in TABLE if row.pure is not None and row.name not in own]
    assert not missing


def test_the_table_forwards_what_werkzeug_forwards() -> None:
    werkzeug_names = {
        name
        for name, value in vars(werkzeug.local.LocalProxy).items()
        if isinstance(value, werkzeug.local._ProxyLookup)
    }
    assert FORWARDED_NAMES == werkzeug_names
    assert len(TABLE) == len(FORWARDED_NAMES), "a name in two rows"
