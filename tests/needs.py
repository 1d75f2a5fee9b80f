"""What some tests need from outside the repository, and how they say so (skipped on a fresh clone,
failed in CI).

A test needing one is skipped with the reason on a fresh clone, and failed in CI (CI=true, set by
.ci/run, which provides everything), so a missing part never passes silently there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def synthea_dir() -> Path:
    """The Synthea records (SYNTHEA_DIR, set by .ci/run; else ../shared/fhir/synthea)."""
    return Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")


SEEDS = ROOT.parent / "shared" / "seeds"
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "tests" / "pages" / "node_modules" / "axe-core" / "axe.min.js"

# name -> (is it here?, what it is and how to get it)
NEEDS: dict[str, tuple[Callable[[], bool], str]] = {
    "synthea": (
        lambda: any(synthea_dir().glob("*.json")),
        "the 11 Synthea records of ../shared/fhir/synthea beside the checkout (or SYNTHEA_DIR)",
    ),
    "seeds": (
        lambda: SEEDS.is_dir(),
        "the five trial documents of ../shared/seeds beside the checkout",
    ),
    "browser": (
        lambda: CHROMIUM.exists() and AXE.exists(),
        "Debian's chromium and axe-core: apt-get install chromium npm && npm install --prefix "
        "tests/pages axe-core@4",
    ),
}


def in_ci() -> bool:
    """True under .ci/run, where every need is provided and a missing one is a failure."""
    return os.environ.get("CI") == "true"


def need(*names: str) -> None:
    """Skip the running test (saying what is missing and how to get it), or fail it in CI."""
    for name in names:
        available, what = NEEDS[name]
        if not available():
            message = f"needs {what}"
            if in_ci():
                pytest.fail(
                    f"{message} (in CI a missing part is a failure, never a skip)", pytrace=False
                )
            pytest.skip(message)
