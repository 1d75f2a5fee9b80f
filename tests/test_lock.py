"""The lock files that CI and the Docker image install from pin every dependency pyproject.toml
asks for, within its range.
"""

from __future__ import annotations

import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pins(name: str) -> dict[str, str]:
    """A lock file's pins: canonical package name -> exact version."""
    pinned = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            package, version = line.split(";")[0].strip().split("==")
            pinned[canonicalize_name(Requirement(package).name)] = version
    return pinned


def unmet(requirements: list[str], pinned: dict[str, str]) -> list[str]:
    """The requirements (for Python 3.11 on Linux) the pins leave missing or out of range."""
    wrong = []
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate(
            {"python_version": "3.11", "sys_platform": "linux"}
        ):
            continue
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{text}: locked {version}")
    return wrong


def test_the_runtime_lock_pins_every_dependency() -> None:
    """requirements.lock (the Docker image's) pins each runtime dependency inside its pyproject
    range.
    """
    assert PROJECT["dependencies"]
    assert unmet(PROJECT["dependencies"], pins("requirements.lock")) == []


@pytest.mark.parametrize("extra", ["test", "terminology"])
def test_the_dev_lock_pins_every_extra(extra: str) -> None:
    """requirements-dev.lock (CI's) pins the runtime dependencies and each extra inside their
    ranges.
    """
    assert PROJECT["optional-dependencies"][extra]
    assert (
        unmet(
            PROJECT["dependencies"] + PROJECT["optional-dependencies"][extra],
            pins("requirements-dev.lock"),
        )
        == []
    )


def test_both_locks_agree_on_every_shared_package() -> None:
    """A package in both lock files has the same version in each: CI tests what the image runs."""
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert len(runtime) > 20
    assert {
        name: (version, dev.get(name))
        for name, version in runtime.items()
        if dev.get(name) != version
    } == {}
