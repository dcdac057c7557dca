"""Sphinx configuration of ctxlocal's documentation.

Build: ``sphinx-build -W -n --keep-going -b html docs docs/_build/html`` and
``sphinx-build -W -n --keep-going -b doctest docs docs/_build/doctest``, from
the repository root, with the ``docs`` dependency group installed. Offline:
no intersphinx, so no inventory is fetched at build time.
"""

from __future__ import annotations

import doctest
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent

# The checkout's package (not an installed copy) and bench/ (the Performance
# page's tables read bench/results/*.json through bench.report).
sys.path[:0] = [str(REPO), str(DOCS / "_ext")]

# Which implementation autodoc reads: the pure one, unless the variable is set
# already. Its methods are Python functions, so autodoc shows their real
# signatures; the compiled classes carry the same docstrings
# (tests/test_parity.py), and a build needs no compiler (Read the Docs builds
# from the checkout). The doctest runs in ci/test-all.sh set the variable to
# run the examples on each implementation.
os.environ.setdefault("CTXLOCAL_NO_EXTENSIONS", "1")

import ctxlocal  # noqa: E402

project = "ctxlocal"
author = "The ctxlocal developers"
copyright = "2026, The ctxlocal developers"
release = ctxlocal.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "benchtables",
]

# No typographic rewriting: the benchmark tables' header lines hold commands
# (``--output-dir``) outside code spans, and "--" must stay two hyphens.
smartquotes = False

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence"]
# Anchors for the headings of these depths, so that [text](page.md#heading) resolves.
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True}

# -n checks every cross-reference. These names come from other projects' type
# hints and docstrings, and there is no inventory for them offline.
nitpick_ignore = [
    ("py:class", "contextvars.ContextVar"),
    ("py:class", "ContextVar"),
]

html_theme = "furo"
html_title = f"ctxlocal {release}"
html_static_path = ["_static"]

# Every doctest starts from ctxlocal's public names.
doctest_global_setup = """
import ctxlocal
from ctxlocal import Local, LocalStack, LocalProxy, LocalManager, release_local
"""
# Sphinx's default flags plus exception messages checked: the messages are
# part of the behaviour these pages document (IGNORE_EXCEPTION_DETAIL left out).
doctest_default_flags = doctest.ELLIPSIS | doctest.DONT_ACCEPT_TRUE_FOR_1
