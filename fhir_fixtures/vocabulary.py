"""The fixture data files' terse vocabulary: one short mapping per FHIR resource, expanded to full
R4 JSON.

A resource in a data file is a mapping with one *kind* key (``lab``, ``condition``, ``statement``…)
whose value is its main code, written ``SYSTEM#code display`` (``LOINC#751-8 Neutrophils``; SYSTEM
is an alias below or a URL), plus a few fields: dates relative to the as-of date (``-30d``),
quantities as ``2.4 10*9/L`` (``<0.5 mg/dL`` carries a comparator), codes the same way as the main
code. ``with:`` merges raw FHIR fields over the result (null drops one); ``resource:`` carries a
whole raw resource for a record no kind fits. In raw resources and ``with:``, the text ``{patient}``
in a string stands for the patient's id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

SYSTEMS: dict[str, str] = {
    "LOINC": "http://loinc.org",
    "SNOMED": "http://snomed.info/sct",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10": "http://hl7.org/fhir/sid/icd-10",
    "ICDO3": "http://terminology.hl7.org/CodeSystem/icd-o-3",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "ATC": "http://www.whocc.no/atc",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "ICD10PCS": "http://www.cms.gov/Medicare/Coding/ICD10",
    "NCIT": "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
}
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
PATIENT_PLACEHOLDER = "{patient}"

RELATIVE_DAY = re.compile(r"^([+-]?\d+)d$")
QUANTITY = re.compile(r"^(<=|>=|<|>)?(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?: (\S+))?$")


class VocabularyError(ValueError):
    """A data-file resource the vocabulary cannot read (the message names what is wrong)."""


class Context:
    """What expanding a resource needs: the patient's id and the as-of date that relative dates
    count from.
    """

    def __init__(self, patient_id: str, as_of: date) -> None:
        self.patient_id = patient_id
        self.as_of = as_of

    def day(self, when: object) -> str:
        """Return the ISO date for ``-30d`` (30 days before the as-of date), ``+2d``, or an ISO
        date as is.
        """
        if isinstance(when, date):
            return when.isoformat()
        text = str(when)
        match = RELATIVE_DAY.match(text)
        if match is None:
            date.fromisoformat(text[:10])  # an absolute date must at least start as one
            return text
        return (self.as_of + timedelta(days=int(match.group(1)))).isoformat()

    def subject(self) -> dict[str, str]:
        """Return the reference to the patient."""
        return {"reference": f"Patient/{self.patient_id}"}


def coding(text: object) -> dict[str, str]:
    """Read ``SYSTEM#code display`` (display optional) into a Coding."""
    head, _, display = str(text).partition(" ")
    system, hash_, code = head.rpartition("#")
    if not hash_ or not system or not code:
        raise VocabularyError(f"a code is written SYSTEM#code [display], not {text!r}")
    result = {"system": SYSTEMS.get(system, system), "code": code}
    if display:
        result["display"] = display
    return result


def concept(text: object, label: object = None) -> dict[str, Any]:
    """Read a code into a CodeableConcept whose text is ``label``, else the display (when there
    is one).
    """
    one = coding(text)
    result: dict[str, Any] = {"coding": [one]}
    if label is not None or "display" in one:
        result["text"] = str(label) if label is not None else one["display"]
    return result


def number(text: str) -> int | float:
    """Read a number as written: ``180`` stays an int, ``2.4`` or ``180.0`` a float."""
    return float(text) if any(c in text for c in ".eE") else int(text)


def quantity(text: object, unit: str | None = None) -> dict[str, Any]:
    """Read ``2.4 10*9/L`` or ``<0.5 mg/dL`` (or a bare number with ``unit``) into a UCUM
    Quantity.
    """
    match = QUANTITY.match(str(text).strip())
    if match is None or (match.group(3) or unit) is None:
        raise VocabularyError(f"a quantity is written '<number> <UCUM unit>', not {text!r}")
    comparator, value, written_unit = match.groups()
    code = written_unit or unit
    result: dict[str, Any] = {"value": number(value), "unit": code, "system": UCUM, "code": code}
    if comparator:
        result["comparator"] = comparator
    return result


def _unit_of(fields: Mapping[str, Any]) -> str | None:
    if fields.get("value") is not None:
        return str(quantity(fields["value"])["unit"])
    return fields.get("unit")


def _quantitative(
    ctx: Context, fields: Mapping[str, Any], kind: str, category: str | None, time: str
) -> dict[str, Any]:
    obs: dict[str, Any] = {"resourceType": "Observation", "status": fields.get("status", "final")}
    category = fields.get("category", category)
    if category is not None:
        obs["category"] = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category}]}]
    obs["code"] = concept(fields[kind], fields.get("text"))
    obs["subject"] = ctx.subject()
    obs["effectiveDateTime"] = ctx.day(fields["date"]) + time
    unit = _unit_of(fields)
    if fields.get("value") is not None:
        obs["valueQuantity"] = quantity(fields["value"])
    limits = {k: quantity(fields[k], unit) for k in ("low", "high") if fields.get(k) is not None}
    if limits:
        obs["referenceRange"] = [limits]
    return obs


def lab(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A laboratory Observation: ``value`` (or null), ``low``/``high`` reference limits in its
    unit, ``status``.
    """
    # Lab results carry a time of day and the sites' offset, as a LIS sends them; ``category`` may
    # say vital-signs.
    return _quantitative(ctx, fields, "lab", "laboratory", "T08:00:00+08:00")


def measurement(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A dated (not timed) quantitative Observation, e.g. a scale scored as a Quantity, with an
    optional category.
    """
    return _quantitative(ctx, fields, "measurement", None, "")


def _observation(ctx: Context, fields: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": fields.get("status", "final"),
        "code": concept(fields[kind], fields.get("text")),
        "subject": ctx.subject(),
        "effectiveDateTime": ctx.day(fields["date"]),
    }


def coded_result(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An Observation with a coded ``answer`` (a test positive or negative, a grade)."""
    obs = _observation(ctx, fields, "coded-result")
    obs["valueCodeableConcept"] = concept(fields["answer"])
    return obs


def text_result(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An Observation with a ``value`` string (urine protein '2+')."""
    obs = _observation(ctx, fields, "text-result")
    obs["valueString"] = str(fields["value"])
    return obs


def score(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An Observation with an integer ``value`` (ECOG, Karnofsky)."""
    obs = _observation(ctx, fields, "score")
    obs["valueInteger"] = int(fields["value"])
    return obs


def blood_pressure(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A blood-pressure panel written ``blood-pressure: 120/80`` (mm[Hg]), as systolic and
    diastolic components.
    """
    systolic, _, diastolic = str(fields["blood-pressure"]).partition("/")

    def component(code: str, value: str) -> dict[str, Any]:
        return {"code": {"coding": [coding(code)]}, "valueQuantity": quantity(f"{value} mm[Hg]")}

    return {
        "resourceType": "Observation",
        "status": fields.get("status", "final"),
        "code": {"coding": [coding("LOINC#85354-9 Blood pressure panel")]},
        "subject": ctx.subject(),
        "effectiveDateTime": ctx.day(fields["date"]),
        "component": [
            component("LOINC#8480-6 Systolic blood pressure", systolic),
            component("LOINC#8462-4 Diastolic blood pressure", diastolic),
        ],
    }


def condition(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A Condition: ``onset``/``abated`` dates, ``clinical`` and ``verification`` status, mCODE
    ``histology``.
    """
    cond: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [{"system": CONDITION_CLINICAL, "code": fields.get("clinical", "active")}]
        },
        "verificationStatus": {
            "coding": [
                {"system": CONDITION_VERIFICATION, "code": fields.get("verification", "confirmed")}
            ]
        },
        "code": concept(fields["condition"], fields.get("text")),
        "subject": ctx.subject(),
    }
    if fields.get("onset") is not None:
        cond["onsetDateTime"] = ctx.day(fields["onset"])
    if fields.get("abated") is not None:
        cond["abatementDateTime"] = ctx.day(fields["abated"])
    if fields.get("histology") is not None:
        morphology = {"coding": [coding(fields["histology"])]}
        cond["extension"] = [{"url": MCODE_HISTOLOGY, "valueCodeableConcept": morphology}]
    return cond


def _medication_concept(text: object) -> dict[str, Any]:
    """A drug coded (``RXNORM#3639 doxorubicin``) or known only by name (``doxorubicin``)."""
    head = str(text).partition(" ")[0]
    if "#" not in head:
        return {"text": str(text)}
    one = coding(text)
    return {"text": one.get("display", ""), "coding": [one]}


def _medication(kind: str, key: str) -> Callable[[Context, Mapping[str, Any]], dict[str, Any]]:
    def build(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": kind,
            "medicationCodeableConcept": _medication_concept(fields[key]),
            "subject": ctx.subject(),
            "status": fields.get("status", "completed"),
        }
        if kind == "MedicationRequest":
            resource["intent"] = "order"
            resource["authoredOn"] = ctx.day(fields["date"])
        else:
            resource["effectiveDateTime"] = ctx.day(fields["date"])
        return resource

    build.__doc__ = f"A {kind} of a drug (coded or by name) on ``date``, with a ``status``."
    return build


def procedure(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A Procedure performed on ``date``."""
    return {
        "resourceType": "Procedure",
        "status": fields.get("status", "completed"),
        "code": concept(fields["procedure"], fields.get("text")),
        "subject": ctx.subject(),
        "performedDateTime": ctx.day(fields["date"]),
    }


def allergy(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """An active, confirmed AllergyIntolerance to a substance (coded or by name)."""
    return {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": ALLERGY_VERIFICATION, "code": "confirmed"}]},
        "code": _medication_concept(fields["allergy"]),
        "patient": ctx.subject(),
    }


def immunization(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A completed Immunization with a vaccine code on ``date``."""
    return {
        "resourceType": "Immunization",
        "status": fields.get("status", "completed"),
        "vaccineCode": {"coding": [coding(fields["immunization"])]},
        "patient": ctx.subject(),
        "occurrenceDateTime": ctx.day(fields["date"]),
    }


def raw(ctx: Context, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A whole resource as written (``{patient}`` in its strings replaced by the patient's id)."""
    resource = with_patient(fields["resource"], ctx.patient_id)
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise VocabularyError("resource: must be a FHIR resource with a resourceType")
    return resource


KINDS: dict[str, Callable[[Context, Mapping[str, Any]], dict[str, Any]]] = {
    "lab": lab,
    "measurement": measurement,
    "coded-result": coded_result,
    "text-result": text_result,
    "score": score,
    "blood-pressure": blood_pressure,
    "condition": condition,
    "administration": _medication("MedicationAdministration", "administration"),
    "request": _medication("MedicationRequest", "request"),
    "statement": _medication("MedicationStatement", "statement"),
    "procedure": procedure,
    "allergy": allergy,
    "immunization": immunization,
    "resource": raw,
}
# Keys every kind accepts besides its own fields: raw fields merged over the result, and a fixed id
# number.
COMMON = ("with", "id")


def kind_of(fields: Mapping[str, Any]) -> str:
    """Return the one kind key of a data-file resource."""
    kinds = [k for k in fields if k in KINDS]
    if len(kinds) != 1:
        raise VocabularyError(f"a resource has one kind key out of {sorted(KINDS)}: {dict(fields)}")
    return kinds[0]


def with_patient(value: Any, patient_id: str) -> Any:
    """Return ``value`` with ``{patient}`` in every string replaced by the patient's id."""
    if isinstance(value, str):
        return value.replace(PATIENT_PLACEHOLDER, patient_id)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [with_patient(v, patient_id) for v in value]
    if isinstance(value, dict):
        return {k: with_patient(v, patient_id) for k, v in value.items()}
    return value


def merge(resource: dict[str, Any], extra: Mapping[str, Any], patient_id: str) -> dict[str, Any]:
    """Merge raw fields over a resource in place: a field keeps its position, a new one goes
    last, null drops it.
    """
    for key, value in extra.items():
        if value is None:
            resource.pop(key, None)
        else:
            resource[key] = with_patient(value, patient_id)
    return resource


def expand(fields: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """Expand one data-file resource into FHIR JSON (without its id, which the engine gives)."""
    resource = KINDS[kind_of(fields)](ctx, fields)
    return merge(resource, fields.get("with") or {}, ctx.patient_id)


def patient(fields: Mapping[str, Any], patient_id: str, name: str | None = None) -> dict[str, Any]:
    """Expand the Patient: ``birthDate``, ``gender``, then a name (a demo's, or 'Fixture <id>'),
    then other fields.
    """
    resource: dict[str, Any] = {"resourceType": "Patient", "id": patient_id}
    for key in ("birthDate", "gender"):
        if fields.get(key) is not None:
            resource[key] = with_patient(fields[key], patient_id)
    given, _, family = (name or "").rpartition(" ")
    resource["name"] = [
        {"family": family, "given": given.split()}
        if name
        else {"family": "Fixture", "given": [patient_id]}
    ]
    others = {k: v for k, v in fields.items() if k not in ("birthDate", "gender")}
    return merge(resource, others, patient_id)
