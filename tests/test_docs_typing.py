"""The Typing page's examples pass ``mypy --strict``, with the types it claims.

Each ```python block of docs/typing.md is checked as a module of its own. A
line ``name = ...  # LocalProxy[Request]`` claims the type of ``name``: the
check appends ``reveal_type(name)`` and requires mypy to reveal that type
(module prefixes dropped). ctxlocal comes from the checkout, on ``MYPYPATH``,
checked like an installed library (``--follow-imports=silent``). The blocks
also run, on both implementations, in tests/test_readme.py.

Repository-only (ci/run_installed_tests.py leaves it out): it needs docs/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

import pytest

import ctxlocal

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "docs" / "typing.md"
PACKAGE_ROOT = str(Path(ctxlocal.__file__).resolve().parent.parent)

_FENCE = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)
# ``name = expression  # Type`` where Type looks like a type: a claim.
_CLAIM = re.compile(r"^(\w+) = .*#\s*([A-Z]\w*(?:\[[\w\[\], .]*\])?)\s*$")
_REVEALED = re.compile(r'^snippet\.py:\d+: note: Revealed type is "(.*)"$')

BLOCKS = [match.group(1) for match in _FENCE.finditer(PAGE.read_text(encoding="utf-8"))]


def claims(code: str) -> List[Tuple[str, str]]:
    """``[(name, claimed type)]`` of the block's ``name = ...  # Type`` lines."""
    return [
        (match.group(1), match.group(2))
        for match in map(_CLAIM.match, code.splitlines())
        if match
    ]


def _without_modules(revealed: str) -> str:
    # "ctxlocal.LocalProxy[snippet.Request]" -> "LocalProxy[Request]"
    return re.sub(r"\b(?:\w+\.)+(\w+)", r"\1", revealed)


def test_the_page_claims_types() -> None:
    assert BLOCKS and sum(len(claims(code)) for code in BLOCKS) >= 2


def test_claims_reads_name_and_type() -> None:
    code = "x = f()  # LocalProxy[Request]\ny = 1  # a comment\nz = g()\n"
    assert claims(code) == [("x", "LocalProxy[Request]")]


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_typing_example_passes_mypy_strict(index: int, tmp_path: Path) -> None:
    code = BLOCKS[index]
    claimed = claims(code)
    source = code + "".join(f"reveal_type({name})\n" for name, _ in claimed)
    (tmp_path / "snippet.py").write_text(source, encoding="utf-8")
    env = dict(os.environ, MYPYPATH=PACKAGE_ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--no-error-summary", "--cache-dir", str(tmp_path / ".mypy_cache"), "snippet.py"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    lines = result.stdout.splitlines()
    errors = [line for line in lines if ": error:" in line]
    assert not errors, f"docs/typing.md block {index + 1}:\n{result.stdout}"
    revealed = [_without_modules(m.group(1)) for m in map(_REVEALED.match, lines) if m]
    assert revealed == [claim for _, claim in claimed], result.stdout
