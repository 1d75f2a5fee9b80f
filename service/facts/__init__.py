"""Map a patient record to facts: one function per definition kind, computed lazily and cached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from service.facts import derived, history, observations, patient, pregnancy
from service.facts.base import Evidence, Fact, unknown
from service.facts.context import Context
from service.record import PatientRecord
from service.valuesets import ValueSet

KindFunction = Callable[[Context, str, dict[str, Any]], Fact]

KINDS: dict[str, KindFunction] = {
    "age": patient.age,
    "sex": patient.sex,
    "measurement": observations.measurement,
    "ulnRatio": observations.uln_ratio,
    "inReferenceRange": observations.in_reference_range,
    "qualitative": observations.qualitative,
    "ordinal": observations.ordinal,
    "condition": history.condition,
    "conditionCount": history.condition_count,
    "medication": history.medication,
    "medicationCycles": history.medication_cycles,
    "procedure": history.procedure,
    "allergy": history.allergy,
    "immunization": history.immunization,
    "cockcroftGault": derived.cockcroft_gault,
    "schwartz": derived.schwartz,
    "childbearingPotential": pregnancy.childbearing_potential,
    "pregnancy": pregnancy.pregnancy,
}

# The FHIR resource types each kind reads (the fetch layer asks for exactly these).
RESOURCE_TYPES: dict[str, tuple[str, ...]] = {
    "age": ("Patient",),
    "sex": ("Patient",),
    "measurement": ("Observation",),
    "ulnRatio": ("Observation",),
    "inReferenceRange": ("Observation",),
    "qualitative": ("Observation",),
    "ordinal": ("Observation",),
    "condition": ("Condition",),
    "conditionCount": ("Condition",),
    "medication": history.MEDICATION_TYPES,
    "medicationCycles": history.MEDICATION_TYPES,
    "procedure": ("Procedure",),
    "allergy": ("AllergyIntolerance",),
    "immunization": ("Immunization",),
    "cockcroftGault": (),
    "schwartz": (),
    "childbearingPotential": (),
    "pregnancy": ("Observation", "Condition"),
    "formula": (),
}


class FactSet:
    """The facts of one record on one as-of date, each computed on first use."""

    def __init__(self, record: PatientRecord, as_of: date, library: Any) -> None:
        self._library = library
        self._cache: dict[str, Fact] = {}
        self.context = Context(record, as_of, library.value_sets, self.get)

    def get(self, name: str) -> Fact:
        """Return the fact for a definition, computing it once."""
        if name not in self._cache:
            self._cache[name] = self._compute(name)
        return self._cache[name]

    def _compute(self, name: str) -> Fact:
        definition = self._library.definitions[name]
        kind = definition["kind"]
        if kind == "formula":
            return derived.formula(self.context, name, definition, self._library.formulas[name])
        return KINDS[kind](self.context, name, definition)


__all__ = ["KINDS", "RESOURCE_TYPES", "Evidence", "Fact", "FactSet", "ValueSet", "unknown"]
