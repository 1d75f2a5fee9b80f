"""Enumerate the fixture patients and their manifests, shared by the golden test and its updater."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fhir_fixtures"
GOLDEN = ROOT / "tests" / "golden"


@dataclass(frozen=True)
class Case:
    """One fixture patient for one trial, with what its manifest expects."""

    trial: str
    name: str
    as_of: date
    description: str
    expect: dict[str, Any]

    @property
    def bundle_path(self) -> Path:
        """Return the case's fixture Bundle file."""
        return FIXTURES / self.trial / f"{self.name}.json"

    @property
    def golden_path(self) -> Path:
        """Return the case's golden report file."""
        return GOLDEN / self.trial / f"{self.name}.json"


def cases() -> list[Case]:
    """Return every case listed in a fhir_fixtures/<trial>/manifest.json."""
    found = []
    for manifest_path in sorted(FIXTURES.glob("*/manifest.json")):
        manifest = orjson.loads(manifest_path.read_bytes())
        trial = manifest_path.parent.name
        for name, item in manifest["patients"].items():
            as_of = date.fromisoformat(item.get("asOf", manifest["asOf"]))
            found.append(Case(trial, name, as_of, item["description"], item["expect"]))
    return found


# A sweep over every fixture patient fetched from the FHIR server adds little to the golden test, which already checks
# every Bundle's report; locally it samples (every SAMPLE_EVERY-th case, which reaches every trial), CI runs it whole.
# One in 24 is 27 of the 636 cases, 3 to 8 per trial: each sampled case is fetched ~5 times (two by-id sweeps, the
# population screen and its per-patient check), which made the server tests over a quarter of the README command at 1 in 12.
SAMPLE_EVERY = 24


def full_sweeps() -> bool:
    """True in CI (CI=true, set by .ci/run) or with ELIGIBILITY_TESTS_FULL=1: sweeps run over every case."""
    return os.environ.get("CI") == "true" or os.environ.get("ELIGIBILITY_TESTS_FULL") == "1"


def swept_cases() -> list[Case]:
    """The cases a server-side sweep runs: all of them in CI, else a fixed sample that includes every trial."""
    every = cases()
    if full_sweeps():
        return every
    sample = every[::SAMPLE_EVERY]
    sample += [
        next(c for c in every if c.trial == trial)
        for trial in sorted({c.trial for c in every} - {c.trial for c in sample})
    ]
    return sample


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """Drop what changes with every rule edit (the rules hash) so goldens compare content."""
    return {k: v for k, v in report.items() if k != "rulesVersion"}
