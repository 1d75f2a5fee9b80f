"""Map a patient record to facts: one function per definition kind, computed lazily and cached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.errors import RuleError
from service.facts import derived, history, observations, patient, pregnancy
from service.facts.base import Evidence, Fact, unknown
from service.facts.context import Context
from service.record import MEDICATION_TYPES, PatientRecord
from service.valuesets import ValueSet

KindFunction = Callable[[Context, str, dict[str, Any]], Fact]


@dataclass(frozen=True)
class Kind:
    """A definition kind: the function computing its fact, and the FHIR resource types it reads (the fetch asks for these)."""

    fact: KindFunction | None
    reads: tuple[str, ...] = ()


# The one registry of definition kinds: the rulebook accepts exactly these (the JSON Schema's kind enum is filled from it
# at load), the facts dispatch on them, and the fetch layer and prefetch ask for what they read.
KINDS: dict[str, Kind] = {
    "age": Kind(patient.age, ("Patient",)),
    "sex": Kind(patient.sex, ("Patient",)),
    "measurement": Kind(observations.measurement, ("Observation",)),
    "ulnRatio": Kind(observations.uln_ratio, ("Observation",)),
    "inReferenceRange": Kind(observations.in_reference_range, ("Observation",)),
    "qualitative": Kind(observations.qualitative, ("Observation",)),
    "ordinal": Kind(observations.ordinal, ("Observation",)),
    "condition": Kind(history.condition, ("Condition",)),
    "conditionCount": Kind(history.condition_count, ("Condition",)),
    "medication": Kind(history.medication, MEDICATION_TYPES),
    "medicationCycles": Kind(history.medication_cycles, MEDICATION_TYPES),
    "procedure": Kind(history.procedure, ("Procedure",)),
    "allergy": Kind(history.allergy, ("AllergyIntolerance",)),
    "immunization": Kind(history.immunization, ("Immunization",)),
    "cockcroftGault": Kind(derived.cockcroft_gault),
    "schwartz": Kind(derived.schwartz),
    "childbearingPotential": Kind(pregnancy.childbearing_potential),
    "pregnancy": Kind(pregnancy.pregnancy, ("Observation", "Condition")),
    # JsonLogic over other definitions, compiled by the rulebook; reads what those read.
    "formula": Kind(None),
}

# The FHIR resource types each kind reads, by kind name (a view of KINDS).
RESOURCE_TYPES: dict[str, tuple[str, ...]] = {name: kind.reads for name, kind in KINDS.items()}


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
        fact = KINDS[kind].fact
        if fact is None:  # only formula has none, handled above; the rulebook accepts no other kind
            raise RuleError(f"definition {name!r}: kind {kind!r} has no fact function")
        return fact(self.context, name, definition)


__all__ = ["KINDS", "RESOURCE_TYPES", "Evidence", "Fact", "FactSet", "Kind", "ValueSet", "unknown"]
