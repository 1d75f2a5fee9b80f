"""Collect the coded concepts of outside records (Synthea, carebundle) and find those no value
set matches.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from service.rulebook.valuesets import ValueSet, canonical_code, canonical_system
from tests.needs import synthea_dir

ROOT = Path(__file__).resolve().parents[2]
SYNTHEA = synthea_dir()
REVIEWED = Path(__file__).with_name("reviewed_codes.json")
CAREBUNDLE_PATIENTS = 200
# The code systems the value sets use; codes of other systems (CPT, NUCC, local) are out of scope.
SYSTEMS = {
    "http://snomed.info/sct",
    "http://loinc.org",
    "http://www.nlm.nih.gov/research/umls/rxnorm",
    "http://hl7.org/fhir/sid/icd-10-cm",
    "http://hl7.org/fhir/sid/cvx",
    "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "http://www.whocc.no/atc",
}
CODED = {
    "Condition": ("code",),
    "Observation": ("code",),
    "Procedure": ("code",),
    "MedicationRequest": ("medicationCodeableConcept",),
    "MedicationStatement": ("medicationCodeableConcept",),
    "MedicationAdministration": ("medicationCodeableConcept",),
    "Medication": ("code",),
    "Immunization": ("vaccineCode",),
    "AllergyIntolerance": ("code",),
}


def _resources(bundle: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for entry in bundle.get("entry", []):
        if isinstance(entry.get("resource"), dict):
            yield entry["resource"]


def synthea_bundles() -> list[dict[str, Any]]:
    """Return the Synthea bundles of SYNTHEA_DIR."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(SYNTHEA.glob("*.json"))]


def carebundle_bundles() -> list[dict[str, Any]]:
    """Return a deterministic carebundle cohort as plain dicts."""
    import carebundle

    return [
        json.loads(carebundle.to_json(b))
        for b in carebundle.generate_cohort(count=CAREBUNDLE_PATIENTS, seed=20261201, sex="mixed")
    ]


def concepts(bundles: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Return {'system|code': (resourceType, display)} of every coded concept in a system the
    value sets use.
    """
    found: dict[str, tuple[str, str]] = {}
    for bundle in bundles:
        for resource in _resources(bundle):
            for element in CODED.get(resource.get("resourceType", ""), ()):
                for coding in (resource.get(element) or {}).get("coding", []):
                    system = canonical_system(str(coding.get("system", "")))
                    if system in SYSTEMS and coding.get("code"):
                        key = f"{system}|{canonical_code(system, str(coding['code']))}"
                        found.setdefault(
                            key, (resource["resourceType"], str(coding.get("display", "")))
                        )
    return found


def unmatched(
    found: dict[str, tuple[str, str]], value_sets: dict[str, ValueSet]
) -> dict[str, tuple[str, str]]:
    """Return the concepts no value set matches by code."""
    result = {}
    for key, (rtype, display) in found.items():
        system, code = key.split("|", 1)
        if not any(vs.match([(system, code, "")]) == "code" for vs in value_sets.values()):
            result[key] = (rtype, display)
    return result
