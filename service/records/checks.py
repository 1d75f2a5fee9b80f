"""Check that the elements the definitions read have their FHIR types; a resource that fails is
set aside, not read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.records.entries import reference_of

# The shape each element the mapping layer reads must have, per resource type (FHIR R4 datatypes,
# only the parts that are read). A wrongly typed element (a ``status`` that is a list, a ``unit``
# that is a number) is not guessed at: the whole resource is set aside with a data-quality note, and
# criteria that needed it are unknown.
CODING = {"system": "str", "code": "str", "display": "str"}
CONCEPT = {"coding": ["Coding"], "text": "str"}
QUANTITY = {"value": "number", "unit": "str", "code": "str", "system": "str", "comparator": "str"}
PERIOD = {"start": "str", "end": "str"}
REFERENCE = {"reference": "str", "display": "str"}
RANGE = {"low": "Quantity", "high": "Quantity"}
REFERENCE_RANGE = {"low": "Quantity", "high": "Quantity", "text": "str", "type": "CodeableConcept"}
VALUE = {
    "valueQuantity": "Quantity",
    "valueCodeableConcept": "CodeableConcept",
    "valueString": "str",
    "valueBoolean": "bool",
    "valueInteger": "integer",
    "dataAbsentReason": "CodeableConcept",
    "interpretation": ["CodeableConcept"],
    "referenceRange": ["ReferenceRange"],
}
COMPONENT = {"code": "CodeableConcept", **VALUE}
EXTENSION = {"url": "str", "valueCodeableConcept": "CodeableConcept"}
DOSAGE = {"text": "str", "route": "CodeableConcept"}
MEDICATION = {"medicationCodeableConcept": "CodeableConcept", "medicationReference": "Reference"}
EFFECTIVE = {"effectiveDateTime": "str", "effectiveInstant": "str", "effectivePeriod": "Period"}
DATA_TYPES: dict[str, dict[str, Any]] = {
    "Coding": CODING,
    "CodeableConcept": CONCEPT,
    "Quantity": QUANTITY,
    "Period": PERIOD,
    "Reference": REFERENCE,
    "Range": RANGE,
    "ReferenceRange": REFERENCE_RANGE,
    "Component": COMPONENT,
    "Extension": EXTENSION,
    "Dosage": DOSAGE,
    "DispenseRequest": {"validityPeriod": "Period", "expectedSupplyDuration": "Quantity"},
    "Ingredient": {"itemCodeableConcept": "CodeableConcept", "itemReference": "Reference"},
    "Reaction": {"substance": "CodeableConcept"},
}
COMMON = {"id": "str", "status": "str", "subject": "Reference", "patient": "Reference"}
RESOURCES: dict[str, dict[str, Any]] = {
    "Observation": {
        **COMMON,
        "code": "CodeableConcept",
        **EFFECTIVE,
        "issued": "str",
        **VALUE,
        "component": ["Component"],
    },
    "Condition": {
        **COMMON,
        "code": "CodeableConcept",
        "clinicalStatus": "CodeableConcept",
        "verificationStatus": "CodeableConcept",
        "onsetDateTime": "str",
        "onsetPeriod": "Period",
        "onsetAge": "Quantity",
        "onsetRange": "Range",
        "onsetString": "str",
        "abatementDateTime": "str",
        "abatementPeriod": "Period",
        "abatementAge": "Quantity",
        "abatementRange": "Range",
        "recordedDate": "str",
        "extension": ["Extension"],
    },
    "MedicationRequest": {
        **COMMON,
        **MEDICATION,
        "authoredOn": "str",
        "intent": "str",
        "doNotPerform": "bool",
        "dispenseRequest": "DispenseRequest",
        "dosageInstruction": ["Dosage"],
    },
    "MedicationStatement": {
        **COMMON,
        **MEDICATION,
        **EFFECTIVE,
        "dateAsserted": "str",
        "dosage": ["Dosage"],
    },
    "MedicationAdministration": {**COMMON, **MEDICATION, **EFFECTIVE, "dosage": "Dosage"},
    "MedicationDispense": {
        **COMMON,
        **MEDICATION,
        "whenHandedOver": "str",
        "whenPrepared": "str",
        "daysSupply": "Quantity",
    },
    "Medication": {
        "id": "str",
        "code": "CodeableConcept",
        "form": "CodeableConcept",
        "ingredient": ["Ingredient"],
    },
    "Procedure": {
        **COMMON,
        "code": "CodeableConcept",
        "performedDateTime": "str",
        "performedPeriod": "Period",
        "performedString": "str",
        "performedAge": "Quantity",
        "performedRange": "Range",
    },
    "AllergyIntolerance": {
        **COMMON,
        "code": "CodeableConcept",
        "clinicalStatus": "CodeableConcept",
        "verificationStatus": "CodeableConcept",
        "reaction": ["Reaction"],
        "onsetDateTime": "str",
        "onsetPeriod": "Period",
        "recordedDate": "str",
    },
    "Immunization": {
        **COMMON,
        "vaccineCode": "CodeableConcept",
        "occurrenceDateTime": "str",
        "occurrenceString": "str",
    },
}
# The element naming what a resource is about: when it is readable, only criteria about that concept
# wait on the resource.
CONCEPT_ELEMENT = {
    "Observation": "code",
    "Condition": "code",
    "Procedure": "code",
    "AllergyIntolerance": "code",
    "Immunization": "vaccineCode",
    "MedicationRequest": "medicationCodeableConcept",
    "MedicationStatement": "medicationCodeableConcept",
    "MedicationAdministration": "medicationCodeableConcept",
    "MedicationDispense": "medicationCodeableConcept",
}

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
    # The codings of what it is about when those are readable; None when they are not (it could be
    # anything).
    concept: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """Render as a report's data-quality note."""
        return {
            "reference": reference_of(self.resource),
            "resourceType": self.resource.get("resourceType"),
            "message": f"set aside, not read: {self.problem}",
        }


def problem_of(resource: dict[str, Any]) -> str | None:
    """Return the first wrongly typed element of a resource (None when every element read has its
    type).
    """
    rtype = resource.get("resourceType")
    check = _RESOURCE_CHECKS.get(rtype) if isinstance(rtype, str) else None
    if check is None:
        return None
    if rtype != "Patient" and resource.get("modifierExtension"):
        # FHIR: a modifier extension changes what the resource means ("negated", "result
        # invalid"), and one not understood forbids reading the resource as usual (probe R read a
        # heart failure flagged negated as heart failure).
        return (
            f"{rtype}.modifierExtension {_modifier_urls(resource)} changes its meaning in a way "
            "this service does not read"
        )
    found = check(resource)
    return f"{rtype}{found}" if found else None


def _modifier_urls(resource: dict[str, Any]) -> str:
    """Name a resource's modifier extensions by URL."""
    items = resource["modifierExtension"]
    urls = [
        str(item.get("url"))
        for item in (items if isinstance(items, list) else [items])
        if isinstance(item, dict)
    ]
    return ", ".join(urls[:3]) or "(no url)"


# Checks are compiled once from the tables above; each returns None, or the failing element's path
# and problem. Only the elements a resource has are visited, and a path is built only on failure (a
# record holds ~1,000 resources).
Check = Callable[[object], str | None]


def _primitive(kind: str) -> Check:
    test = _PRIMITIVES[kind]
    wanted = "a string" if kind == "str" else f"a {kind}"
    return lambda item: None if test(item) else f" is {_type_name(item)}, not {wanted}"


def _list_of(member: Check) -> Check:
    def check(item: object) -> str | None:
        if not isinstance(item, list):
            return f" is {_type_name(item)}, not a list"
        for position, value in enumerate(item):
            found = member(value)
            if found:
                return f"[{position}]{found}"
        return None

    return check


# The JSON types a primitive element may have (``type(True)`` is bool, so a boolean is never taken
# for a number).
_PRIMITIVE_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "number": (int, float),
    "integer": (int,),
}
_WANTED = {"str": "a string", "bool": "a bool", "number": "a number", "integer": "an integer"}


def _object(name: str, fields: dict[str, Check], primitives: dict[str, str]) -> Check:
    # One lookup per element present: a primitive's allowed types (a tuple) or a nested check. Most
    # elements of a resource (meta, category, encounter) are in neither, and cost that one lookup.
    rules: dict[str, tuple[type, ...] | Check] = {
        **{key: _PRIMITIVE_TYPES[kind] for key, kind in primitives.items()},
        **fields,
    }

    def check(item: object) -> str | None:
        if type(item) is not dict:
            return f" is {_type_name(item)}, not a {name}"
        for key, value in item.items():
            rule = rules.get(key)
            if rule is None or value is None:
                continue
            if type(rule) is tuple:
                if type(value) not in rule:
                    return f".{key} is {_type_name(value)}, not {_WANTED[primitives[key]]}"
                continue
            found = rule(value)  # type: ignore[operator]
            if found:
                return f".{key}{found}"
        return None

    return check


def _object_of(name: str, shape: dict[str, Any]) -> Check:
    primitives = {
        key: kind for key, kind in shape.items() if isinstance(kind, str) and kind in _PRIMITIVES
    }
    return _object(
        name,
        {key: _compile(kind) for key, kind in shape.items() if key not in primitives},
        primitives,
    )


def _coding(item: object) -> str | None:
    # Hand-written for the most frequent element (every code of every resource): the generic walk
    # costs twice as much.
    if type(item) is not dict:
        return f" is {_type_name(item)}, not a Coding"
    for key in ("system", "code", "display"):
        value = item.get(key)
        if value is not None and type(value) is not str:
            return f".{key} is {_type_name(value)}, not a string"
    return None


def _concept(item: object) -> str | None:
    if type(item) is not dict:
        return f" is {_type_name(item)}, not a CodeableConcept"
    coding = item.get("coding")
    if coding is not None:
        if type(coding) is not list:
            return f".coding is {_type_name(coding)}, not a list"
        for position, value in enumerate(coding):
            found = _coding(value)
            if found:
                return f".coding[{position}]{found}"
    text = item.get("text")
    if text is not None and type(text) is not str:
        return f".text is {_type_name(text)}, not a string"
    return None


_COMPILED: dict[str, Check] = {"Coding": _coding, "CodeableConcept": _concept}


def _compile(kind: Any) -> Check:
    if isinstance(kind, list):
        return _list_of(_compile(kind[0]))
    if kind in _PRIMITIVES:
        return _primitive(kind)
    if kind not in _COMPILED:
        _COMPILED[kind] = _object_of(kind, DATA_TYPES[kind])
    return _COMPILED[kind]


def _type_name(item: object) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(item), "null")


_RESOURCE_CHECKS: dict[str, Check] = {
    rtype: _object_of(rtype, shape) for rtype, shape in RESOURCES.items()
}


def split_readable(
    resources: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[Unreadable]]:
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
        usable = isinstance(concept, dict) and _compile("CodeableConcept")(concept) is None
        unreadable.append(Unreadable(resource, problem, concept if usable else None))
    return readable, unreadable
