"""``python -m bench`` end to end, on tiny runs: table, JSON, Markdown, re-reading the JSON,
where a run writes by default, the banner of a CPython run without the compiled module;
and the plan of ``python -m bench.venv``."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from . import venv
from .__main__ import BENCH_DIR, OUTPUT_DIR, RESULTS_DIR, ROOT, _parser, compiled_expected, main
from .ops import OPS, select, select_thread_counts
from .report import paired_ratio
from .runner import Result
from .suite import IMPLS

TINY = ["--rounds", "2", "--sample-ms", "0.2"]


def test_run_writes_table_json_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*TINY, "--ops", "op:eq,threads-2*", "--output-dir", str(tmp_path)])
    assert status == 0
    table = capsys.readouterr().out
    assert "p == 42" in table and "threads" in table

    (json_path,) = tmp_path.glob("results-*.json")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    cells = {(r["op"], r["impl"]) for r in data["results"]}
    assert cells == {(op, impl.name) for op in ("op:eq", "threads-2:read") for impl in IMPLS}
    assert all(len(r["samples_ns"]) == 2 and r["median_ns"] > 0 for r in data["results"])
    markdown = next(tmp_path.glob("table-*.md")).read_text(encoding="utf-8")
    assert "| `p == 42` |" in markdown

    assert main(["--report", str(json_path), "--markdown", "--no-save"]) == 0
    assert capsys.readouterr().out == markdown


def test_isolate_measures_each_operation_in_a_child_interpreter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main([*TINY, "--isolate", "--ops", "op:eq,create,threads-2*",
                   "--output-dir", str(tmp_path)])
    assert status == 0
    out = capsys.readouterr()
    assert "p == 42" in out.out and "LocalProxy(var, 'request')" in out.out and "threads" in out.out
    assert out.err.count("its own interpreter") == 3  # two operations, then the threads
    data = json.loads(next(tmp_path.glob("results-*.json")).read_text(encoding="utf-8"))
    cells = {(r["op"], r["impl"]) for r in data["results"]}
    expected = {(op.name, impl.name) for op in select(["op:eq", "create"]) for impl in IMPLS
                if op.runs_on(impl)}
    assert cells == expected | {("threads-2:read", impl.name) for impl in IMPLS}
    assert all(len(r["samples_ns"]) == 2 for r in data["results"])


def test_every_case_runs(capsys: pytest.CaptureFixture[str]) -> None:
    # A case that raises would make main() return 1 and list it under "errors".
    assert main(["--rounds", "1", "--sample-ms", "0.05", "--no-save"]) == 0
    assert "error" not in capsys.readouterr().out


def test_selection_by_substring_and_glob() -> None:
    assert [op.name for op in select(["depth-1000"])] == ["depth-1000:push+pop", "depth-1000:top"]
    assert {op.group for op in select(["ident-*"])} == {"ident mode"}
    assert select([]) == OPS
    assert select_thread_counts(["threads-[48]*"]) == [4, 8]


def test_paired_ratio_pairs_samples_of_the_same_round() -> None:
    slow = Result("op", "label", "group", "werkzeug", "stmt", 1, [10.0, 40.0, 20.0])
    fast = Result("op", "label", "group", "python", "stmt", 1, [5.0, 20.0, 10.0])
    # A slow patch of the machine hits the third round of "drifted" only: the
    # median of the per-round ratios keeps 2x, the ratio of the medians does not.
    drifted = Result("op", "label", "group", "python", "stmt", 1, [5.0, 20.0, 40.0])
    assert paired_ratio(slow, fast) == 2.0
    assert paired_ratio(slow, drifted) == 2.0
    assert slow.median_ns / drifted.median_ns == 1.0


def test_default_output_is_git_ignored_and_apart_from_the_tracked_results() -> None:
    default = Path(_parser().parse_args([]).output_dir)
    assert default == Path(OUTPUT_DIR)
    assert Path(RESULTS_DIR) not in (default, *default.parents)
    if shutil.which("git") is None or not (Path(ROOT) / ".git").exists():
        pytest.skip("not a git checkout")
    probe = default / "results-3.11.json"
    ignored = subprocess.run(["git", "-C", ROOT, "check-ignore", "-q", str(probe)])
    assert ignored.returncode == 0, f"{probe} is not git-ignored"


# Runs ``python -m bench`` with ``ctxlocal._local_c`` made unimportable, as in a
# checkout where it was never built.
BLOCK_COMPILED = (
    "import runpy, sys; sys.modules['ctxlocal._local_c'] = None;"
    " runpy.run_module('bench', run_name='__main__', alter_sys=True)"
)


def _run_bench_copy(tmp_path: Path, block: bool) -> subprocess.CompletedProcess[str]:
    """``python -m bench`` with default output, from a copy of bench/ with an empty results/."""
    shutil.copytree(BENCH_DIR, tmp_path / "bench",
                    ignore=shutil.ignore_patterns("results", "out", "__pycache__"))
    (tmp_path / "bench" / "results").mkdir()
    env = {key: value for key, value in os.environ.items() if key != "CTXLOCAL_NO_EXTENSIONS"}
    # ctxlocal from this checkout; bench from the copy (the current folder comes first).
    env["PYTHONPATH"] = os.pathsep.join([ROOT, *filter(None, [env.get("PYTHONPATH")])])
    args = [*TINY, "--ops", "op:eq"]
    command = [sys.executable, "-c", BLOCK_COMPILED, *args] if block else [
        sys.executable, "-m", "bench", *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _lines_starting(lines: List[str], start: str) -> List[int]:
    return [number for number, line in enumerate(lines) if line.startswith(start)]


@pytest.mark.parametrize("block", [True, False], ids=["compiled-blocked", "as-built"])
def test_default_run_writes_to_bench_out_and_warns_without_the_compiled_module(
    tmp_path: Path, block: bool
) -> None:
    done = _run_bench_copy(tmp_path, block)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "bench" / "out"
    assert len(list(out.glob("results-*.json"))) == 1 and len(list(out.glob("table-*.md"))) == 1
    assert list((tmp_path / "bench" / "results").iterdir()) == []

    importable = importlib.util.find_spec("ctxlocal._local_c") is not None
    loud = compiled_expected() and (block or not importable)
    lines = done.stderr.splitlines()
    banners = _lines_starting(lines, "WARNING: the compiled module, ctxlocal._local_c, is NOT measured")
    if not loud:
        assert banners == [], done.stderr
        if block:
            assert _lines_starting(lines, "note: cython not measured")
        return
    # Once before the measurements, once after the last file written.
    (first_progress,) = [n for n, line in enumerate(lines) if " operations + " in line]
    last_write = _lines_starting(lines, "wrote ")[-1]
    assert len(banners) == 2 and banners[0] < first_progress and banners[1] > last_write, done.stderr
    assert "-m bench.venv" in done.stderr and "build_ext --inplace" in done.stderr
    assert "not measured: cython" in done.stdout


def test_bench_venv_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The group exists (tests/test_packaging.py resolves every group).
    path, _, group = venv.GROUP.rpartition(":")
    assert group == "bench" and f"\n{group} = [" in Path(path).read_text(encoding="utf-8")

    steps = venv.plan(".venv-bench-x", exists=False, chart=True, bench_args=["--quick"])
    python = os.path.join(ROOT, venv.venv_python(".venv-bench-x"))
    assert steps[0].argv == [sys.executable, "-m", "venv", "--clear", os.path.join(ROOT, ".venv-bench-x")]
    assert steps[1].argv[:4] == [python, "-m", "pip", "install"] and "pip" == steps[1].argv[-1]
    assert steps[2].argv[:4] == [python, "-m", "pip", "install"]
    assert venv.GROUP in steps[2].argv and "matplotlib" in steps[2].argv
    if compiled_expected():
        build = steps[3]
        assert build.argv == [python, "setup.py", "-q", "build_ext", "--inplace"]
        assert build.env == {"CTXLOCAL_NO_EXTENSIONS": "0"}
    assert steps[-1].argv == [python, "-m", "bench", "--quick"]
    assert steps[-1].env == {"CTXLOCAL_NO_EXTENSIONS": None}
    titles = [s.title for s in venv.plan("v", exists=True, chart=False, bench_args=[])]
    assert titles[:2] == ["pip (--group needs 25.1)", "requirements"]

    # Its own options are taken out; every other argument goes to python -m bench.
    assert venv.main(["--dry-run", "--quick", "--ops", "op:eq"]) == 0
    shown = capsys.readouterr().err.splitlines()
    assert shown[-1].endswith("-m bench --quick --ops op:eq")
    assert not any("matplotlib" in line for line in shown)
