"""The ``bench-table``, ``bench-goals`` and ``bench-flask`` directives: benchmark tables rendered at build time.

In a MyST page::

    ```{bench-table} bench/results/results-3.11.json
    ```

reads the results file (a path from the repository root) with
``bench.report.load_json`` and inserts what ``bench.report.format_table``
makes of it as Markdown: the machine and method lines, the table, and the
floor of each row. It is the same text as the ``table-<python>.md`` files
``python -m bench`` writes beside the JSON, so no figure in the docs is typed
by hand. ``bench-goals`` and ``bench-flask`` do the same for a
``python -m bench.goals --json`` run (``bench.goals.from_json``) and a
``python -m bench.flask_bench --json`` one (``bench.flask_bench.markdown``). The Markdown is parsed by MyST, so the
directives are for MyST pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

REPO = Path(__file__).resolve().parents[2]


def results_markdown(path: Path) -> str:
    """What ``python -m bench --markdown`` printed for the run saved in ``path``."""
    from bench.report import format_table, load_json

    env, results = load_json(str(path))
    return format_table(env, results, markdown=True)


class BenchTable(SphinxDirective):
    required_arguments = 1
    has_content = False
    render = staticmethod(results_markdown)

    def run(self) -> List[nodes.Node]:
        path = REPO / self.arguments[0]
        if not path.is_file():
            raise self.error(f"{self.name}: no results file {self.arguments[0]!r} (from {REPO})")
        self.env.note_dependency(str(path))
        container = nodes.container(classes=["bench-table"])
        lines = StringList(self.render(path).splitlines(), source=str(path))
        self.state.nested_parse(lines, self.content_offset, container)
        return [container]


def goals_markdown(path: Path) -> str:
    """What ``python -m bench.goals`` printed for the run it saved (``--json``) in ``path``."""
    import json

    from bench.goals import from_json

    return from_json(json.loads(path.read_text(encoding="utf-8")))


class BenchGoals(BenchTable):
    """``bench-goals``: a ``python -m bench.goals --json`` run, as its table."""

    render = staticmethod(goals_markdown)


def flask_markdown(path: Path) -> str:
    """The tables of a ``python -m bench.flask_bench --json`` run saved in ``path``."""
    import json

    from bench.flask_bench import markdown

    return markdown(json.loads(path.read_text(encoding="utf-8")))


class BenchFlask(BenchTable):
    """``bench-flask``: a ``python -m bench.flask_bench --json`` run, as its tables."""

    render = staticmethod(flask_markdown)


def setup(app: Sphinx) -> Dict[str, Any]:
    app.add_directive("bench-table", BenchTable)
    app.add_directive("bench-goals", BenchGoals)
    app.add_directive("bench-flask", BenchFlask)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
