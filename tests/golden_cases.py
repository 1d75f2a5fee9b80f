"""Enumerate the fixture patients and their manifests, and read and write the lean goldens (base
report + deltas).

Per trial, ``tests/golden/<NCT>/base.json`` is the base case's whole report and ``deltas.json``
holds, per case, only what its report changes: the top-level members that differ (verdict, counts…)
and, under ``criteria``, per criterion id the members that differ (a criterion the base lacks, in
full; ``criteriaOrder`` when the list differs). The patient's id is written ``{patient}`` in both,
so a case's delta does not repeat every criterion that cites evidence.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cache
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
    def patient_id(self) -> str:
        """Return the id of the case's Patient (unique across trials: the trial's prefix and the
        case's name).
        """
        return f"{self.trial.lower()}-{self.name}"


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


# A sweep over every fixture patient fetched from the FHIR server adds little to the golden test,
# which already checks every Bundle's report; locally it samples (every SAMPLE_EVERY-th case, which
# reaches every trial), CI runs it whole. One in 24 is 34 of the 801 cases, 4 to 9 per trial: each
# sampled case is fetched ~5 times (two by-id sweeps, the population screen and its per-patient
# check), which made the server tests over a quarter of the README command at 1 in 12.
SAMPLE_EVERY = 24


def full_sweeps() -> bool:
    """True in CI (CI=true, set by .ci/run) or with ELIGIBILITY_TESTS_FULL=1: sweeps run over
    every case.
    """
    return os.environ.get("CI") == "true" or os.environ.get("ELIGIBILITY_TESTS_FULL") == "1"


def swept_cases() -> list[Case]:
    """The cases a server-side sweep runs: all of them in CI, else a fixed sample that includes
    every trial.
    """
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


PATIENT = "{patient}"
# A member a case's report lacks but the base report has (none today; the form allows it).
DROPPED = "-dropped"


def base_path(trial: str) -> Path:
    """Return the trial's base golden: the base case's whole report."""
    return GOLDEN / trial / "base.json"


def deltas_path(trial: str) -> Path:
    """Return the trial's deltas golden: per case what its report changes from the base."""
    return GOLDEN / trial / "deltas.json"


def substitute(value: Any, old: str, new: str) -> Any:
    """Return ``value`` with ``old`` replaced by ``new`` in every string (the patient id and its
    placeholder).
    """
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [substitute(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, old, new) for k, v in value.items()}
    return value


def _member_delta(base: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    delta = {k: v for k, v in actual.items() if k not in base or base[k] != v}
    dropped = [k for k in base if k not in actual]
    if dropped:
        delta[DROPPED] = dropped
    return delta


def _apply_members(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in base.items() if k not in delta.get(DROPPED, [])}
    merged.update({k: v for k, v in delta.items() if k != DROPPED})
    return merged


def lean(base: dict[str, Any], actual: dict[str, Any]) -> dict[str, Any]:
    """Return what ``actual`` (a report, patient id as {patient}) changes from ``base``
    (likewise).
    """
    delta = _member_delta(
        {k: v for k, v in base.items() if k != "criteria"},
        {k: v for k, v in actual.items() if k != "criteria"},
    )
    base_criteria = {c["id"]: c for c in base["criteria"]}
    criteria = {}
    for criterion in actual["criteria"]:
        known = base_criteria.get(criterion["id"])
        changed = criterion if known is None else _member_delta(known, criterion)
        if changed:
            criteria[criterion["id"]] = changed
    if criteria:
        delta["criteria"] = criteria
    order = [c["id"] for c in actual["criteria"]]
    if order != list(base_criteria):
        delta["criteriaOrder"] = order
    return delta


def rebuilt(base: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """Return the whole report a delta stands for: the base with the delta applied."""
    top = {k: v for k, v in delta.items() if k not in ("criteria", "criteriaOrder")}
    report = _apply_members({k: v for k, v in base.items() if k != "criteria"}, top)
    base_criteria = {c["id"]: c for c in base["criteria"]}
    changes = delta.get("criteria", {})
    order = delta.get("criteriaOrder", list(base_criteria))
    report["criteria"] = [
        _apply_members(base_criteria[i], changes.get(i, {})) if i in base_criteria else changes[i]
        for i in order
    ]
    return report


@cache
def _goldens(trial: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a trial's base report and deltas once per run (every case of the trial reads them)."""
    return orjson.loads(base_path(trial).read_bytes()), orjson.loads(
        deltas_path(trial).read_bytes()
    )


def golden_report(case: Case) -> dict[str, Any]:
    """Return the case's whole golden report, rebuilt from its trial's base and its delta."""
    base, deltas = _goldens(case.trial)
    return substitute(rebuilt(base, deltas[case.name]), PATIENT, case.patient_id)  # type: ignore[no-any-return]
