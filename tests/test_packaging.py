"""The release matrix: cibuildwheel's configuration, the wheels workflow and
the dependency groups the scripts install.

These tests check the repository, not an installed ctxlocal, so they do not use
the ``impl`` fixture; they need the repository's files (``ci/``,
``.github/``) and are left out of the sdist and of the installed-wheel runs.
They need Python 3.11+, cibuildwheel, dependency-groups and PyYAML
(pyproject.toml's repo group): without them they fail, since skipping would
let an unchecked matrix pass.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import cibuildwheel
import dependency_groups
import pytest
import yaml
from cibuildwheel.options import CommandLineArguments, Options, compute_options
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "wheels.yml"

# The CPython versions with a compiled wheel: every stable release from 3.9 on,
# and the free-threaded builds cibuildwheel makes by default (3.14 on).
VERSIONS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp315"]
FREE_THREADED_VERSIONS = ["cp314t", "cp315t"]
PLATFORM_TAGS = {
    "linux": [
        "manylinux_x86_64",
        "manylinux_aarch64",
        "musllinux_x86_64",
        "musllinux_aarch64",
    ],
    "macos": ["macosx_x86_64", "macosx_arm64"],
    "windows": ["win_amd64"],
}
RUNNER_PLATFORMS = {"ubuntu": "linux", "macos": "macos", "windows": "windows"}
# cibuildwheel's identifiers of free-threaded builds: cp314t-manylinux_x86_64...
FREE_THREADED = re.compile(r"cp3\d+t-")
# Where dependency groups are installed: `pip install --group NAME` or
# `--group path/pyproject.toml:NAME`.
GROUP_USERS = [
    *sorted((REPO / "ci").glob("*.sh")),
    *sorted((REPO / ".github" / "workflows").glob("*.yml")),
    REPO / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
PIP_GROUP = re.compile(r"""--group[ =]["']?(?:[^"'\s:]*pyproject\.toml:)?([\w.-]+)""")


def identifiers(platform: str, cibw_env: Optional[Dict[str, str]] = None) -> Set[str]:
    """What cibuildwheel would build from pyproject.toml for one platform.

    ``cibw_env`` is the ``CIBW_*`` environment of a workflow job (see
    :func:`job_environment`); every variable in it is set, empty ones too,
    as GitHub sets them.
    """
    command = [
        sys.executable,
        "-m",
        "cibuildwheel",
        "--print-build-identifiers",
        "--platform",
        platform,
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    env.update(cibw_env or {})
    result = subprocess.run(
        command, cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True
    )
    return set(result.stdout.split())


_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def job_environment(job: Dict[str, Any], steps: List[Dict[str, Any]]) -> Dict[str, str]:
    """The cibuildwheel step's environment for one matrix entry, as GitHub
    evaluates it: ``${{ matrix.KEY }}`` is the entry's value, or the empty
    string when the entry has no such key."""

    def evaluate(match: "re.Match[str]") -> str:
        expression = match.group(1)
        key = re.fullmatch(r"matrix\.(\w+)", expression)
        if key is None:
            raise AssertionError(f"no evaluation here for ${{{{ {expression} }}}}")
        value = job.get(key.group(1), "")
        return str(value)

    (step,) = [step for step in steps if str(step.get("uses", "")).startswith("pypa/cibuildwheel@")]
    return {
        name: _EXPRESSION.sub(evaluate, str(value))
        for name, value in step.get("env", {}).items()
    }


def workflow() -> Dict[str, Any]:
    with WORKFLOW.open() as f:
        data: Dict[str, Any] = yaml.safe_load(f)
    return data


def binary_jobs() -> List[Dict[str, Any]]:
    include: List[Dict[str, Any]] = workflow()["jobs"]["binary"]["strategy"]["matrix"][
        "include"
    ]
    return include


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_cibuildwheel_builds_every_cpython(platform: str) -> None:
    expected = {
        f"{version}-{tag}"
        for version in VERSIONS + FREE_THREADED_VERSIONS
        for tag in PLATFORM_TAGS[platform]
    }
    assert identifiers(platform) == expected


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_workflow_jobs_cover_the_configured_matrix(platform: str) -> None:
    """Each binary job builds one slice; together, all of it, none twice, the
    free-threaded builds included (compiled: cibuildwheel builds only from
    the sources, with CTXLOCAL_NO_EXTENSIONS=0)."""
    steps = workflow()["jobs"]["binary"]["steps"]
    slices = [
        identifiers(platform, job_environment(job, steps))
        for job in binary_jobs()
        if RUNNER_PLATFORMS[job["os"].split("-")[0]] == platform
    ]
    assert all(slices)
    built = set().union(*slices)
    assert {identifier for identifier in built if FREE_THREADED.match(identifier)} == {
        f"{version}-{tag}" for version in FREE_THREADED_VERSIONS for tag in PLATFORM_TAGS[platform]
    }
    assert sum(len(part) for part in slices) == len(built)
    assert built == identifiers(platform)


def test_job_environment_follows_github() -> None:
    """A job without the key gets an empty string, which cibuildwheel takes
    as set: an empty CIBW_SKIP skips nothing, free-threaded wheels included."""
    steps = [{"uses": "pypa/cibuildwheel@v1", "env": {"CIBW_SKIP": "${{ matrix.skip }}"}}]
    assert job_environment({"archs": "x86_64"}, steps) == {"CIBW_SKIP": ""}
    assert job_environment({"skip": "*-musllinux_*"}, steps) == {"CIBW_SKIP": "*-musllinux_*"}
    assert any(FREE_THREADED.match(i) for i in identifiers("linux", {"CIBW_SKIP": ""}))


def test_emulated_builds_deselect_slow_tests() -> None:
    overrides = pyproject()["tool"]["cibuildwheel"]["overrides"]
    emulated = [o for o in overrides if o["select"] == "*-*linux_aarch64"]
    assert len(emulated) == 1
    assert emulated[0]["test-command"].endswith(
        "ci/run_installed_tests.py --expect cython --quick"
    )


def test_workflow_pins_the_validated_cibuildwheel() -> None:
    """The action's version is the one these tests ran, so they mean something."""
    steps = workflow()["jobs"]["binary"]["steps"]
    uses = [step["uses"] for step in steps if "uses" in step]
    assert f"pypa/cibuildwheel@v{cibuildwheel.__version__}" in uses


def test_workflow_runs_the_ci_scripts() -> None:
    jobs = workflow()["jobs"]
    commands = [step.get("run", "") for step in jobs["sdist-and-pure"]["steps"]]
    assert any(
        re.search(r"\bci/build-wheels\.sh --pythons none\b", c) for c in commands
    )
    config = pyproject()["tool"]["cibuildwheel"]
    assert "{project}/ci/run_installed_tests.py --expect cython" in config["test-command"]
    assert config["environment"] == {"CTXLOCAL_NO_EXTENSIONS": "0"}
    assert config["test-environment"] == {"CTXLOCAL_NO_EXTENSIONS": "0"}
    for script in ("build-wheels.sh", "test-pypy.sh", "run_installed_tests.py"):
        assert (REPO / "ci" / script).is_file()


def pyproject() -> Dict[str, Any]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def groups() -> Dict[str, Any]:
    table: Dict[str, Any] = pyproject()["dependency-groups"]
    return table


def cibuildwheel_options(platform: str) -> Options:
    """cibuildwheel's own reading of pyproject.toml for one platform, as a
    build would make it (no CIBW_* variables). Internal API: the workflow pins
    the version these tests ran (test_workflow_pins_the_validated_cibuildwheel)."""
    arguments = dataclasses.replace(CommandLineArguments.defaults(), package_dir=REPO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    return compute_options(platform, arguments, env)


def run_installed_tests() -> Any:
    spec = importlib.util.spec_from_file_location(
        "run_installed_tests", REPO / "ci" / "run_installed_tests.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_cibuildwheel_tests_every_wheel_with_the_test_group(platform: str) -> None:
    """Each build's test step installs the test group (and on free-threaded
    builds the parallel group, for pytest-run-parallel) and nothing else, and
    copies what ci/run_installed_tests.py runs from."""
    config = pyproject()["tool"]["cibuildwheel"]
    assert "test-requires" not in config
    assert config["test-groups"] == ["test"]
    test_group = list(dependency_groups.resolve(groups(), "test"))
    parallel_group = list(dependency_groups.resolve(groups(), "test", "parallel"))
    assert any(Requirement(r).name == "pytest-run-parallel" for r in parallel_group)
    sources = run_installed_tests().SOURCES
    assert all((REPO / source).exists() for source in sources)
    options = cibuildwheel_options(platform)
    free_threaded = 0
    for identifier in identifiers(platform):
        build = options.build_options(identifier)
        if FREE_THREADED.match(identifier):
            free_threaded += 1
            assert build.test_requires == parallel_group, identifier
        else:
            assert build.test_requires == test_group, identifier
        assert build.test_sources == sources
        assert "ci/run_installed_tests.py --expect cython" in build.test_command
    assert free_threaded == len(FREE_THREADED_VERSIONS) * len(PLATFORM_TAGS[platform])


def test_the_free_threaded_test_step_checks_the_gil_and_runs_in_parallel() -> None:
    """ci/run_installed_tests.py, on free-threaded CPython, checks the GIL
    stays off after import ctxlocal and after install(); import flask, and
    runs the suite again under pytest-run-parallel (thread-unsafe tests, as
    tests/conftest.py marks them, left out)."""
    runner = run_installed_tests()
    assert runner.FREE_THREADED == bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    probe = runner.GIL_PROBE
    assert "import json, sys, ctxlocal; after_import = sys._is_gil_enabled()" in probe
    assert "ctxlocal.install(); import flask;" in probe
    command = runner.parallel_command()
    assert f"--parallel-threads={runner.PARALLEL_THREADS}" in command
    assert runner.PARALLEL_THREADS >= 4
    assert "--skip-thread-unsafe=True" in command


def test_the_wheel_tests_need_no_repository_tool() -> None:
    """What runs against a wheel leaves out the repository checks' tools (the
    tests using them are not run there)."""
    repo_only = {Requirement(r).name for r in dependency_groups.resolve(groups(), "repo")}
    for name in ("test", "wheel-test"):
        installed = {Requirement(r).name for r in dependency_groups.resolve(groups(), name)}
        assert not installed & repo_only, name


def test_every_group_resolves_and_is_used() -> None:
    """No include of a missing group, no cycle; every group is installed by a
    script, the README or the docs, or included by one that is, or named by
    cibuildwheel's test-groups."""
    table = groups()
    for name in table:
        assert dependency_groups.resolve(table, name)
    named = {m.group(1) for path in GROUP_USERS for m in PIP_GROUP.finditer(path.read_text())}
    assert named, "no --group found in the scripts"
    assert named <= set(table), f"groups installed but not defined: {named - set(table)}"
    used = named | set(pyproject()["tool"]["cibuildwheel"]["test-groups"])
    reached = set(used)
    while True:
        more = {
            item["include-group"]
            for name in reached
            for item in table[name]
            if isinstance(item, dict)
        } - reached
        if not more:
            break
        reached |= more
    assert set(table) == reached, f"groups nothing uses: {set(table) - reached}"


def test_the_compile_group_is_the_build_requirements() -> None:
    """The in-place build (compile group) uses the tools pip's isolated build
    of a wheel or the sdist gets."""
    build_requires = pyproject()["build-system"]["requires"]
    assert sorted(map(str, map(Requirement, groups()["compile"]))) == sorted(
        map(str, map(Requirement, build_requires))
    )


def test_publish_waits_for_every_build() -> None:
    jobs = workflow()["jobs"]
    assert set(jobs["publish"]["needs"]) == set(jobs) - {"publish"}


def _setup_module(monkeypatch: pytest.MonkeyPatch, gil_disabled: Any) -> Any:
    """setup.py loaded as a module (it builds nothing then), on an interpreter
    whose Py_GIL_DISABLED reads as ``gil_disabled``."""
    real = sysconfig.get_config_var
    monkeypatch.setattr(
        sysconfig,
        "get_config_var",
        lambda name: gil_disabled if name == "Py_GIL_DISABLED" else real(name),
    )
    spec = importlib.util.spec_from_file_location("ctxlocal_setup", REPO / "setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("gil_disabled", [None, 0, 1])
def test_setup_builds_the_extension_on_either_cpython_build(
    monkeypatch: pytest.MonkeyPatch, gil_disabled: Any
) -> None:
    """With a GIL (None, 0) and free-threaded (1) alike."""
    setup = _setup_module(monkeypatch, gil_disabled)
    assert setup.build_extension({}) is True
    assert setup.build_extension({"CTXLOCAL_NO_EXTENSIONS": "0"}) is True
    assert setup.build_extension({"CTXLOCAL_NO_EXTENSIONS": "1"}) is False
