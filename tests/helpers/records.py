"""Tiny Bundles and fact sets for the facts tests: one patient, a few resources, one as-of date."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from service.facts import Fact, FactSet
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook

AS_OF = date(2025, 3, 10)
PID = "p1"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)

_counter = iter(range(1, 1_000_000))


def day(days_before: int, as_of: date = AS_OF) -> str:
    """Return the ISO date ``days_before`` days before the as-of date (negative: after it)."""
    return (as_of - timedelta(days=days_before)).isoformat()


def moment(days_before: int) -> str:
    """Return a dateTime late on that day west of UTC (in UTC it is already the next day)."""
    return day(days_before) + "T23:30:00-05:00"


def concept(
    system: str | None, code: str | None, display: str = "", text: str | None = None
) -> dict[str, Any]:
    """Return a CodeableConcept with one coding (or only text)."""
    result: dict[str, Any] = {}
    if code is not None:
        result["coding"] = [{"system": system, "code": code, "display": display}]
    if text is not None:
        result["text"] = text
    return result


def resource(resource_type: str, **fields: Any) -> dict[str, Any]:
    """Return a resource of a type with a fresh id, about the patient (a Medication is about no
    one).
    """
    made: dict[str, Any] = {
        "resourceType": resource_type,
        "id": f"{resource_type[:3].lower()}{next(_counter)}",
    }
    subject_element = (
        "patient" if resource_type in ("AllergyIntolerance", "Immunization") else "subject"
    )
    if resource_type != "Medication":
        made[subject_element] = {"reference": f"Patient/{PID}"}
    made.update(fields)
    return made


def patient(birth_date: str | None = "1965-03-10", gender: str | None = "male") -> dict[str, Any]:
    """Return the Patient (None leaves a field out)."""
    made: dict[str, Any] = {"resourceType": "Patient", "id": PID}
    if birth_date is not None:
        made["birthDate"] = birth_date
    if gender is not None:
        made["gender"] = gender
    return made


def quantity(value: float, unit: str, comparator: str | None = None) -> dict[str, Any]:
    """Return a UCUM Quantity."""
    result: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    if comparator:
        result["comparator"] = comparator
    return result


def observation(
    code: str, days_before: int = 2, *, status: str = "final", system: str = LOINC, **value: Any
) -> dict[str, Any]:
    """Return an Observation of a LOINC code with the given value[x] (and any other fields)."""
    value.setdefault("effectiveDateTime", moment(days_before))
    return resource("Observation", status=status, code=concept(system, code), **value)


def lab(
    code: str,
    value: float,
    unit: str,
    days_before: int = 2,
    *,
    comparator: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Return a final quantitative Observation."""
    return observation(code, days_before, valueQuantity=quantity(value, unit, comparator), **extra)


def condition(
    system: str | None,
    code: str | None,
    *,
    text: str | None = None,
    onset_days_before: int | None = 100,
    clinical: str | None = "active",
    verification: str | None = "confirmed",
    **extra: Any,
) -> dict[str, Any]:
    """Return a Condition with clinical and verification status and an onset date."""
    fields: dict[str, Any] = {"code": concept(system, code, text=text)}
    if clinical:
        fields["clinicalStatus"] = concept(
            "http://terminology.hl7.org/CodeSystem/condition-clinical", clinical
        )
    if verification:
        fields["verificationStatus"] = concept(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification
        )
    if onset_days_before is not None:
        fields["onsetDateTime"] = moment(onset_days_before)
    return resource("Condition", **fields, **extra)


def medication(
    kind: str, days_before: int | None, *, status: str = "completed", **fields: Any
) -> dict[str, Any]:
    """Return a MedicationAdministration, MedicationStatement or MedicationRequest dated
    ``days_before``.
    """
    if days_before is not None:
        date_field = "authoredOn" if kind == "MedicationRequest" else "effectiveDateTime"
        fields.setdefault(date_field, moment(days_before))
    if kind == "MedicationRequest":
        fields.setdefault("intent", "order")
    return resource(kind, status=status, **fields)


def procedure(
    code: str, days_before: int, *, status: str = "completed", system: str = SNOMED, **extra: Any
) -> dict[str, Any]:
    """Return a Procedure performed ``days_before`` days before the as-of date."""
    return resource(
        "Procedure",
        status=status,
        code=concept(system, code),
        performedDateTime=moment(days_before),
        **extra,
    )


def bundle(*resources: dict[str, Any], subject: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a collection Bundle of the Patient and the resources."""
    entries = [subject or patient(), *resources]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in entries],
    }


def facts(
    book: Rulebook,
    *resources: dict[str, Any],
    subject: dict[str, Any] | None = None,
    as_of: date = AS_OF,
    failed: dict[str, str] | None = None,
) -> FactSet:
    """Return the fact set of a record built from the resources (and searches that failed)."""
    record = record_from_bundle(bundle(*resources, subject=subject))
    if failed:
        record = dataclasses.replace(record, failed=failed)
    return FactSet(record, as_of, book)


def fact(book: Rulebook, name: str, *resources: dict[str, Any], **options: Any) -> Fact:
    """Return one named fact of a record built from the resources."""
    return facts(book, *resources, **options).get(name)
