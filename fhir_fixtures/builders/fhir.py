"""Make FHIR R4 resources for fixtures: Patient, Observation, Condition, medication, Procedure, allergy."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CVX = "http://hl7.org/fhir/sid/cvx"
UCUM = "http://unitsofmeasure.org"
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)


class PatientBuilder:
    """Collect one patient's resources; ids are '<patient>-<n>' so reports are stable."""

    def __init__(self, pid: str, birth_date: str, gender: str, as_of: date) -> None:
        self.pid = pid
        self.as_of = as_of
        self.resources: list[dict[str, Any]] = [
            {
                "resourceType": "Patient",
                "id": pid,
                "birthDate": birth_date,
                "gender": gender,
                "name": [{"family": "Fixture", "given": [pid]}],
            }
        ]
        self._n = 0

    def _id(self) -> str:
        self._n += 1
        return f"{self.pid}-{self._n}"

    def day(self, days_before: int) -> str:
        """Return the ISO date ``days_before`` days before the as-of date."""
        return (self.as_of - timedelta(days=days_before)).isoformat()

    def _subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def add(self, resource: dict[str, Any]) -> dict[str, Any]:
        """Add a resource (given an id if it has none) and return it."""
        resource.setdefault("id", self._id())
        self.resources.append(resource)
        return resource

    def lab(
        self,
        code: str,
        display: str,
        value: float | None,
        unit: str,
        days_before: int = 3,
        *,
        high: float | None = None,
        low: float | None = None,
        status: str = "final",
        comparator: str | None = None,
        system: str = LOINC,
        **extra: Any,
    ) -> dict[str, Any]:
        """Add a quantitative Observation (with a reference range when given)."""
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "status": status,
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [{"system": system, "code": code, "display": display}],
                "text": display,
            },
            "subject": self._subject(),
            "effectiveDateTime": self.day(days_before) + "T08:00:00+08:00",
        }
        if value is not None:
            qty: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
            if comparator:
                qty["comparator"] = comparator
            obs["valueQuantity"] = qty
        if high is not None or low is not None:
            rng: dict[str, Any] = {}
            if low is not None:
                rng["low"] = {"value": low, "unit": unit, "system": UCUM, "code": unit}
            if high is not None:
                rng["high"] = {"value": high, "unit": unit, "system": UCUM, "code": unit}
            obs["referenceRange"] = [rng]
        obs.update(extra)
        return self.add(obs)

    def coded_result(
        self,
        code: str,
        display: str,
        answer_code: str,
        answer_display: str,
        days_before: int = 3,
        answer_system: str = SNOMED,
        status: str = "final",
    ) -> dict[str, Any]:
        """Add an Observation with a coded value (positive/negative, a grade)."""
        return self.add(
            {
                "resourceType": "Observation",
                "status": status,
                "code": {
                    "coding": [{"system": LOINC, "code": code, "display": display}],
                    "text": display,
                },
                "subject": self._subject(),
                "effectiveDateTime": self.day(days_before),
                "valueCodeableConcept": {
                    "coding": [
                        {"system": answer_system, "code": answer_code, "display": answer_display}
                    ],
                    "text": answer_display,
                },
            }
        )

    def string_result(
        self, code: str, display: str, text: str, days_before: int = 3
    ) -> dict[str, Any]:
        """Add an Observation with a valueString (e.g. urine protein '2+')."""
        return self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {
                    "coding": [{"system": LOINC, "code": code, "display": display}],
                    "text": display,
                },
                "subject": self._subject(),
                "effectiveDateTime": self.day(days_before),
                "valueString": text,
            }
        )

    def score(self, code: str, display: str, value: int, days_before: int = 3) -> dict[str, Any]:
        """Add an Observation with a valueInteger (ECOG, Karnofsky)."""
        return self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {
                    "coding": [{"system": LOINC, "code": code, "display": display}],
                    "text": display,
                },
                "subject": self._subject(),
                "effectiveDateTime": self.day(days_before),
                "valueInteger": value,
            }
        )

    def blood_pressure(
        self, systolic: float, diastolic: float, days_before: int = 3
    ) -> dict[str, Any]:
        """Add a blood-pressure panel with systolic and diastolic components."""

        def component(code: str, display: str, value: float) -> dict[str, Any]:
            return {
                "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
                "valueQuantity": {
                    "value": value,
                    "unit": "mm[Hg]",
                    "system": UCUM,
                    "code": "mm[Hg]",
                },
            }

        return self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {
                    "coding": [
                        {"system": LOINC, "code": "85354-9", "display": "Blood pressure panel"}
                    ]
                },
                "subject": self._subject(),
                "effectiveDateTime": self.day(days_before),
                "component": [
                    component("8480-6", "Systolic blood pressure", systolic),
                    component("8462-4", "Diastolic blood pressure", diastolic),
                ],
            }
        )

    def condition(
        self,
        system: str,
        code: str,
        display: str,
        onset_days_before: int | None = 200,
        *,
        clinical: str = "active",
        verification: str = "confirmed",
        abatement_days_before: int | None = None,
        histology: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """Add a Condition (optionally with an mCODE ICD-O-3 histology extension)."""
        cond: dict[str, Any] = {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                        "code": clinical,
                    }
                ]
            },
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "code": verification,
                    }
                ]
            },
            "code": {
                "coding": [{"system": system, "code": code, "display": display}],
                "text": display,
            },
            "subject": self._subject(),
        }
        if onset_days_before is not None:
            cond["onsetDateTime"] = self.day(onset_days_before)
        if abatement_days_before is not None:
            cond["abatementDateTime"] = self.day(abatement_days_before)
        if histology:
            morphology = {"system": ICDO3, "code": histology[0], "display": histology[1]}
            cond["extension"] = [
                {"url": MCODE_HISTOLOGY, "valueCodeableConcept": {"coding": [morphology]}}
            ]
        return self.add(cond)

    def medication(
        self,
        display: str,
        days_before: int,
        *,
        system: str | None = RXNORM,
        code: str | None = None,
        kind: str = "MedicationAdministration",
        status: str | None = None,
    ) -> dict[str, Any]:
        """Add a medication record; with no code, the drug is known only by name in text."""
        concept: dict[str, Any] = {"text": display}
        if code and system:
            concept["coding"] = [{"system": system, "code": code, "display": display}]
        resource: dict[str, Any] = {
            "resourceType": kind,
            "medicationCodeableConcept": concept,
            "subject": self._subject(),
        }
        if kind == "MedicationRequest":
            resource.update(
                {
                    "status": status or "completed",
                    "intent": "order",
                    "authoredOn": self.day(days_before),
                }
            )
        elif kind == "MedicationStatement":
            resource.update(
                {"status": status or "completed", "effectiveDateTime": self.day(days_before)}
            )
        else:
            resource.update(
                {"status": status or "completed", "effectiveDateTime": self.day(days_before)}
            )
        return self.add(resource)

    def procedure(
        self,
        code: str,
        display: str,
        days_before: int,
        *,
        system: str = SNOMED,
        status: str = "completed",
    ) -> dict[str, Any]:
        """Add a Procedure performed ``days_before`` days before the as-of date."""
        return self.add(
            {
                "resourceType": "Procedure",
                "status": status,
                "code": {
                    "coding": [{"system": system, "code": code, "display": display}],
                    "text": display,
                },
                "subject": self._subject(),
                "performedDateTime": self.day(days_before),
            }
        )

    def allergy(
        self, display: str, code: str | None = None, system: str = RXNORM
    ) -> dict[str, Any]:
        """Add an active, confirmed AllergyIntolerance to a substance."""
        concept: dict[str, Any] = {"text": display}
        if code:
            concept["coding"] = [{"system": system, "code": code, "display": display}]
        return self.add(
            {
                "resourceType": "AllergyIntolerance",
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                            "code": "confirmed",
                        }
                    ]
                },
                "code": concept,
                "patient": self._subject(),
            }
        )

    def immunization(self, cvx: str, display: str, days_before: int) -> dict[str, Any]:
        """Add a completed Immunization."""
        return self.add(
            {
                "resourceType": "Immunization",
                "status": "completed",
                "vaccineCode": {"coding": [{"system": CVX, "code": cvx, "display": display}]},
                "patient": self._subject(),
                "occurrenceDateTime": self.day(days_before),
            }
        )

    def remove(self, predicate: Any) -> None:
        """Drop the resources a predicate selects (to make a variant from a base patient)."""
        self.resources = [
            r for r in self.resources if r["resourceType"] == "Patient" or not predicate(r)
        ]

    def bundle(self) -> dict[str, Any]:
        """Return a collection Bundle of the patient's resources."""
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}", "resource": r}
                for r in self.resources
            ],
        }


def code_of(resource: dict[str, Any]) -> str | None:
    """Return the first code of a resource's code (or vaccine/medication code), for remove()."""
    for key in ("code", "vaccineCode", "medicationCodeableConcept"):
        for coding in (resource.get(key) or {}).get("coding", []):
            return str(coding.get("code"))
    return None


def write(directory: Path, name: str, bundle: dict[str, Any]) -> None:
    """Write a Bundle as pretty JSON (stable key order) to ``directory/name.json``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(
        json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


class FixtureCase(Protocol):
    """What write_fixtures needs of a builder's case."""

    name: str

    def build(self) -> PatientBuilder:
        """Return the case's patient builder."""
        ...

    def manifest(self) -> dict[str, Any]:
        """Return the case's manifest entry: description and expectations."""
        ...


def drop(builder: PatientBuilder, code: str) -> None:
    """Remove every resource whose first code is ``code``."""
    builder.remove(lambda r: code_of(r) == code)


def manifest_entry(
    description: str, verdict: str, fails: Sequence[str], statuses: dict[str, str]
) -> dict[str, Any]:
    """Render one case's manifest entry: its description and what its report must say."""
    expect: dict[str, Any] = {"verdict": verdict, "fails": list(fails)}
    if statuses:
        expect["statuses"] = statuses
    return {"description": description, "expect": expect}


def write_fixtures(out: Path, trial: str, as_of: date, cases: Sequence[FixtureCase]) -> None:
    """Replace a trial's fixture Bundles with the cases' and write its manifest.json."""
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"duplicate case names: {sorted(duplicates)}")
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.json"):
        old.unlink()
    for case in cases:
        write(out, case.name, case.build().bundle())
    manifest = {
        "trial": trial,
        "asOf": as_of.isoformat(),
        "patients": {c.name: c.manifest() for c in cases},
    }
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    sys.stdout.write(f"wrote {len(cases)} {trial} patients to {out}\n")
