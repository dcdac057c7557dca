"""Results files from before the bench took the project's names (``compiled``
and ``pure`` for ``cython`` and ``python``) still read, under today's names."""

from __future__ import annotations

import json
from pathlib import Path

from .impls import ALL
from .report import format_table, load_json

RESULTS = Path(__file__).resolve().parent / "results"


def test_an_old_results_file_reads_under_todays_names(tmp_path: Path) -> None:
    old = tmp_path / "results-old.json"
    old.write_text(json.dumps({
        "environment": {
            "python": "3.11.7", "python_implementation": "CPython", "platform": "Linux",
            "cpus": 2, "date": "2026-11-21 20:53 UTC",
            "implementations": {"compiled": "ctxlocal 0.1.0 (ctxlocal._local_c)",
                                "pure": "ctxlocal 0.1.0 (ctxlocal._local_py)",
                                "werkzeug": "Werkzeug 3.1.9"},
            "missing": {"floor": "not asked for"},
            "rounds": 2, "sample_seconds": 0.03, "timer": "cpu", "empty_loop_ns": 4.0,
            "quick": False, "command": "python -m bench",
        },
        "results": [
            {"op": "op:eq", "label": "p == 42", "group": "proxy operators", "impl": impl,
             "stmt": "p == 42", "number": 1, "samples_ns": [ns, ns], "median_ns": ns}
            for impl, ns in (("compiled", 20.0), ("pure", 100.0), ("werkzeug", 250.0))
        ],
    }))
    env, results = load_json(str(old))
    assert [r.impl for r in results] == ["cython", "python", "werkzeug"]
    assert list(env["implementations"]) == ["cython", "python", "werkzeug"]
    table = format_table(env, results, markdown=True)
    assert "| operation | cython ns/op | python ns/op | werkzeug ns/op |" in table
    assert "cython speed-up vs werkzeug | python speed-up vs werkzeug |" in table
    assert "| `p == 42` | 20.0 ±0% | 100 ±0% | 250 ±0% | 12.5× | 2.50× |" in table
    assert "compiled" not in table and "pure" not in table


def test_the_kept_results_files_read() -> None:
    for path in sorted(RESULTS.glob("results-*.json")):
        env, results = load_json(str(path))
        assert {r.impl for r in results} <= set(ALL), path
        assert set(env["implementations"]) <= set(ALL), path
