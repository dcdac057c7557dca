"""The release matrix: cibuildwheel's configuration and the wheels workflow.

These tests check the repository, not an installed ctxlocal, so they do not use
the ``impl`` fixture; they need the repository's files (``ci/``,
``.github/``) and are left out of the sdist and of the installed-wheel runs.
They need Python 3.11+, cibuildwheel and PyYAML: without them they fail,
since skipping would let an unchecked matrix pass.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Set, Tuple

import cibuildwheel
import pytest
import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
WORKFLOW = REPO / ".github" / "workflows" / "wheels.yml"

# The CPython versions with a compiled wheel: every stable release from 3.9 on.
# Free-threaded builds (cp314t, ...) get the pure wheel (see pyproject.toml).
VERSIONS = ["cp39", "cp310", "cp311", "cp312", "cp313", "cp314", "cp315"]
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
# requirements-test.txt entries that cibuildwheel's test-requires leaves out:
# needed only by repository checks (test_packaging, bench smoke run), or C
# builds on targets without wheels; the tests using them skip there.
NOT_IN_WHEEL_TESTS = {"cibuildwheel", "pyyaml", "pytest-benchmark", "gevent", "eventlet"}


def identifiers(platform: str, archs: str = "", skip: str = "") -> Set[str]:
    """What cibuildwheel would build from pyproject.toml for one platform.

    ``archs`` and ``skip`` are what a workflow job passes in CIBW_ARCHS and
    CIBW_SKIP.
    """
    command = [
        sys.executable,
        "-m",
        "cibuildwheel",
        "--print-build-identifiers",
        "--platform",
        platform,
    ]
    if archs:
        command += ["--archs", archs]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIBW_")}
    if skip:
        env["CIBW_SKIP"] = skip
    result = subprocess.run(
        command, cwd=REPO, env=env, check=True, stdout=subprocess.PIPE, text=True
    )
    return set(result.stdout.split())


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
        f"{version}-{tag}" for version in VERSIONS for tag in PLATFORM_TAGS[platform]
    }
    assert identifiers(platform) == expected


@pytest.mark.parametrize("platform", sorted(PLATFORM_TAGS))
def test_workflow_jobs_cover_the_configured_matrix(platform: str) -> None:
    """Each binary job builds one slice; together, all of it, none twice."""
    slices = [
        identifiers(platform, job["archs"], job.get("skip", ""))
        for job in binary_jobs()
        if RUNNER_PLATFORMS[job["os"].split("-")[0]] == platform
    ]
    assert all(slices)
    assert sum(len(part) for part in slices) == len(set().union(*slices))
    assert set().union(*slices) == identifiers(platform)


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


def requirement_key(line: str) -> Tuple[str, FrozenSet[str], str]:
    """Name, extras and version range: markers differ (CPython-only builds)."""
    requirement = Requirement(line)
    name = requirement.name.lower().replace("_", "-")
    return name, frozenset(requirement.extras), str(requirement.specifier)


def test_wheel_test_requires_follow_requirements_test_txt() -> None:
    lines = (REPO / "requirements-test.txt").read_text().splitlines()
    suite = {
        requirement_key(line)
        for line in (raw.split("#", 1)[0].strip() for raw in lines)
        if line
    }
    wheel = {
        requirement_key(line)
        for line in pyproject()["tool"]["cibuildwheel"]["test-requires"]
    }
    assert wheel <= suite
    left_out = {name for name, _, _ in suite - wheel}
    assert left_out == NOT_IN_WHEEL_TESTS


def test_publish_waits_for_every_build() -> None:
    jobs = workflow()["jobs"]
    assert set(jobs["publish"]["needs"]) == set(jobs) - {"publish"}
