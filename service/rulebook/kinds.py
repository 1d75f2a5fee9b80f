"""The one registry of definition kinds: the names the rulebook accepts and the FHIR resource
types each reads.
"""

from __future__ import annotations

from dataclasses import dataclass

# The resource types that record a medication given, taken or ordered (a Medication resource is what
# they point at).
# A MedicationDispense is the usual record of an outpatient oral drug.
MEDICATION_TYPES = (
    "MedicationAdministration",
    "MedicationStatement",
    "MedicationRequest",
    "MedicationDispense",
)


@dataclass(frozen=True)
class Kind:
    """A definition kind: the FHIR resource types it reads (the fetch and the prefetch ask for
    these).
    """

    reads: tuple[str, ...] = ()


# The rulebook accepts exactly these (the JSON Schema's kind enum is filled from it at load), the
# fetch layer and the prefetch ask for what they read, and service.facts binds one fact function to
# each (checked when facts is imported).
KINDS: dict[str, Kind] = {
    "age": Kind(("Patient",)),
    "sex": Kind(("Patient",)),
    "measurement": Kind(("Observation",)),
    "ulnRatio": Kind(("Observation",)),
    "inReferenceRange": Kind(("Observation",)),
    "qualitative": Kind(("Observation",)),
    "ordinal": Kind(("Observation",)),
    "condition": Kind(("Condition",)),
    "conditionCount": Kind(("Condition",)),
    "medication": Kind(MEDICATION_TYPES),
    "medicationCycles": Kind(MEDICATION_TYPES),
    "procedure": Kind(("Procedure",)),
    "allergy": Kind(("AllergyIntolerance",)),
    "immunization": Kind(("Immunization",)),
    # Derived from other definitions' facts: they read what those read.
    "cockcroftGault": Kind(),
    "schwartz": Kind(),
    "childbearingPotential": Kind(),
    "pregnancy": Kind(("Observation", "Condition")),
    # JsonLogic over other definitions, compiled by the rulebook; reads what those read.
    "formula": Kind(),
}

# The FHIR resource types each kind reads, by kind name (a view of KINDS).
RESOURCE_TYPES: dict[str, tuple[str, ...]] = {name: kind.reads for name, kind in KINDS.items()}
