"""Enumerate the fixture patients and their manifests, shared by the golden test and its updater."""

from __future__ import annotations

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
        return FIXTURES / self.trial / f"{self.name}.json"

    @property
    def golden_path(self) -> Path:
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


def comparable(report: dict[str, Any]) -> dict[str, Any]:
    """Drop what changes with every rule edit (the rules hash) so goldens compare content."""
    return {k: v for k, v in report.items() if k != "rulesVersion"}
