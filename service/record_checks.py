"""Check that the elements the definitions read have their FHIR types; a resource that fails is set aside, not read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.fhir_values import reference_of

# The shape each element the mapping layer reads must have, per resource type (FHIR R4 datatypes, only the
# parts that are read). A wrongly typed element (a ``status`` that is a list, a ``unit`` that is a number) is
# not guessed at: the whole resource is set aside with a data-quality note, and criteria that needed it are unknown.
CODING = {"system": "str", "code": "str", "display": "str"}
CONCEPT = {"coding": ["Coding"], "text": "str"}
QUANTITY = {"value": "number", "unit": "str", "code": "str", "system": "str", "comparator": "str"}
PERIOD = {"start": "str", "end": "str"}
REFERENCE = {"reference": "str", "display": "str"}
RANGE = {"low": "Quantity", "high": "Quantity"}
REFERENCE_RANGE = {"low": "Quantity", "high": "Quantity", "text": "str", "type": "CodeableConcept"}
VALUE = {"valueQuantity": "Quantity", "valueCodeableConcept": "CodeableConcept", "valueString": "str", "valueBoolean": "bool",
         "valueInteger": "integer", "dataAbsentReason": "CodeableConcept", "interpretation": ["CodeableConcept"],
         "referenceRange": ["ReferenceRange"]}
COMPONENT = {"code": "CodeableConcept", **VALUE}
EXTENSION = {"url": "str", "valueCodeableConcept": "CodeableConcept"}
DOSAGE = {"text": "str", "route": "CodeableConcept"}
MEDICATION = {"medicationCodeableConcept": "CodeableConcept", "medicationReference": "Reference"}
EFFECTIVE = {"effectiveDateTime": "str", "effectiveInstant": "str", "effectivePeriod": "Period"}
DATA_TYPES: dict[str, dict[str, Any]] = {
    "Coding": CODING, "CodeableConcept": CONCEPT, "Quantity": QUANTITY, "Period": PERIOD, "Reference": REFERENCE, "Range": RANGE,
    "ReferenceRange": REFERENCE_RANGE, "Component": COMPONENT, "Extension": EXTENSION, "Dosage": DOSAGE,
    "DispenseRequest": {"validityPeriod": "Period", "expectedSupplyDuration": "Quantity"},
    "Ingredient": {"itemCodeableConcept": "CodeableConcept", "itemReference": "Reference"},
    "Reaction": {"substance": "CodeableConcept"},
}
COMMON = {"id": "str", "status": "str", "subject": "Reference", "patient": "Reference"}
RESOURCES: dict[str, dict[str, Any]] = {
    "Observation": {**COMMON, "code": "CodeableConcept", **EFFECTIVE, "issued": "str", **VALUE, "component": ["Component"]},
    "Condition": {**COMMON, "code": "CodeableConcept", "clinicalStatus": "CodeableConcept", "verificationStatus": "CodeableConcept",
                  "onsetDateTime": "str", "onsetPeriod": "Period", "onsetAge": "Quantity", "onsetRange": "Range", "onsetString": "str",
                  "abatementDateTime": "str", "abatementPeriod": "Period", "abatementAge": "Quantity", "abatementRange": "Range",
                  "recordedDate": "str", "extension": ["Extension"]},
    "MedicationRequest": {**COMMON, **MEDICATION, "authoredOn": "str", "intent": "str", "dispenseRequest": "DispenseRequest",
                          "dosageInstruction": ["Dosage"]},
    "MedicationStatement": {**COMMON, **MEDICATION, **EFFECTIVE, "dateAsserted": "str", "dosage": ["Dosage"]},
    "MedicationAdministration": {**COMMON, **MEDICATION, **EFFECTIVE, "dosage": "Dosage"},
    "Medication": {"id": "str", "code": "CodeableConcept", "form": "CodeableConcept", "ingredient": ["Ingredient"]},
    "Procedure": {**COMMON, "code": "CodeableConcept", "performedDateTime": "str", "performedPeriod": "Period", "performedString": "str",
                  "performedAge": "Quantity", "performedRange": "Range"},
    "AllergyIntolerance": {**COMMON, "code": "CodeableConcept", "clinicalStatus": "CodeableConcept", "verificationStatus": "CodeableConcept",
                           "reaction": ["Reaction"], "onsetDateTime": "str", "onsetPeriod": "Period", "recordedDate": "str"},
    "Immunization": {**COMMON, "vaccineCode": "CodeableConcept", "occurrenceDateTime": "str", "occurrenceString": "str"},
}
# The element naming what a resource is about: when it is readable, only criteria about that concept wait on the resource.
CONCEPT_ELEMENT = {"Observation": "code", "Condition": "code", "Procedure": "code", "AllergyIntolerance": "code",
                   "Immunization": "vaccineCode", "MedicationRequest": "medicationCodeableConcept",
                   "MedicationStatement": "medicationCodeableConcept", "MedicationAdministration": "medicationCodeableConcept"}

_PRIMITIVES: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
}


@dataclass(frozen=True)
class Unreadable:
    """A resource set aside because an element it needs has the wrong type."""

    resource: dict[str, Any]
    problem: str
    # The codings of what it is about when those are readable; None when they are not (it could be anything).
    concept: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """Render as a report's data-quality note."""
        return {"reference": reference_of(self.resource), "resourceType": self.resource.get("resourceType"),
                "message": f"set aside, not read: {self.problem}"}


def problem_of(resource: dict[str, Any]) -> str | None:
    """Return the first wrongly typed element of a resource (None when every element read has its type)."""
    shape = RESOURCES.get(str(resource.get("resourceType")))
    return _check(resource, shape, str(resource.get("resourceType"))) if shape else None


def _check(value: dict[str, Any], shape: dict[str, Any], path: str) -> str | None:
    for element, kind in shape.items():
        item = value.get(element)
        if item is None:
            continue
        found = _check_kind(item, kind, f"{path}.{element}")
        if found:
            return found
    return None


def _check_kind(item: object, kind: Any, path: str) -> str | None:
    if isinstance(kind, list):
        if not isinstance(item, list):
            return f"{path} is {_type_name(item)}, not a list"
        for position, member in enumerate(item):
            found = _check_kind(member, kind[0], f"{path}[{position}]")
            if found:
                return found
        return None
    if kind in _PRIMITIVES:
        return None if _PRIMITIVES[kind](item) else f"{path} is {_type_name(item)}, not {'a string' if kind == 'str' else 'a ' + kind}"
    if not isinstance(item, dict):
        return f"{path} is {_type_name(item)}, not a {kind}"
    return _check(item, DATA_TYPES[kind], path)


def _type_name(item: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}.get(type(item), "null")


def split_readable(resources: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Unreadable]]:
    """Split resources into those that can be read and those set aside (with why)."""
    readable: list[dict[str, Any]] = []
    unreadable: list[Unreadable] = []
    for resource in resources:
        problem = problem_of(resource)
        if problem is None:
            readable.append(resource)
            continue
        element = CONCEPT_ELEMENT.get(str(resource.get("resourceType")))
        concept = resource.get(element) if element else None
        usable = isinstance(concept, dict) and _check_kind(concept, "CodeableConcept", "") is None
        unreadable.append(Unreadable(resource, problem, concept if usable else None))
    return readable, unreadable
