"""Every ```python block of README.md and of the docs' pages runs as written.

(The pages' other examples are doctests, run by Sphinx's doctest builder in
ci/test-all.sh; a ```python block there is a whole module, run here.)

Each block runs in a fresh interpreter (``install()`` in one must not leak
into another), once per implementation, with the checkout's ``ctxlocal`` on
``PYTHONPATH`` and a temporary working directory, so a block can only use
what it defines or imports itself. A block that raises, or prints anything to
stderr, fails. A block whose third-party imports are missing here (the debug
interpreter's runs leave SQLAlchemy out) is skipped, naming the module.

Repository-only: README.md and docs/ are not among the files an installed
wheel's run copies (ci/run_installed_tests.py leaves this test out).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

import ctxlocal
from _impls import Implementation
from ctxlocal._implementations import environ_for

REPO = Path(__file__).resolve().parent.parent
# README.md and the docs' MyST pages (docs/_build is a build's output).
SOURCES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
PACKAGE_ROOT = str(Path(ctxlocal.__file__).resolve().parent.parent)

_FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def python_blocks(text: str) -> List[Tuple[int, str]]:
    """``[(line number, code)]`` of every ```python block in ``text``."""
    return [
        (text.count("\n", 0, match.start()) + 1, match.group(1))
        for match in _FENCE.finditer(text)
    ]


BLOCKS = [
    (f"{path.relative_to(REPO).as_posix()}:{line}", code)
    for path in SOURCES
    for line, code in python_blocks(path.read_text(encoding="utf-8"))
]


def _missing_imports(code: str) -> List[str]:
    """Top-level modules the block imports that this interpreter lacks."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return sorted(name for name in names if importlib.util.find_spec(name) is None)


def test_the_readme_and_the_docs_have_python_blocks() -> None:
    # README: the quickstart and the callable proxy; the rest is in the docs.
    assert sum(where.startswith("README.md:") for where, _ in BLOCKS) >= 2
    assert sum(where.startswith("docs/") for where, _ in BLOCKS) >= 1


@pytest.mark.parametrize("where, code", BLOCKS, ids=[where for where, _ in BLOCKS])
def test_block_runs(impl: Implementation, where: str, code: str, tmp_path: Path) -> None:
    missing = _missing_imports(code)
    if missing:
        pytest.skip(f"the block at {where} imports {missing}, not installed here")
    env = environ_for(impl.name)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    block = f"the block at {where} ({impl.name})"
    assert result.returncode == 0, f"{block} raised:\n{result.stderr}"
    assert result.stderr == "", f"{block} printed to stderr:\n{result.stderr}"


def test_python_blocks_reads_only_python_fences() -> None:
    text = "intro\n```sh\npip install x\n```\n\n```python\nx = 1\n```\n```text\nno\n```\n"
    assert python_blocks(text) == [(6, "x = 1\n")]
