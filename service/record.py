"""Turn a FHIR Bundle (collection, searchset, transaction) into one patient's record of plain dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from service.errors import InvalidBundle

# The resource types the definitions read (the rest of a Bundle is skipped, not copied).
READ_TYPES = frozenset(
    {"Patient", "Observation", "Condition", "MedicationRequest", "MedicationStatement", "MedicationAdministration",
     "Medication", "Procedure", "AllergyIntolerance", "Immunization"}
)
BUNDLE_TYPES = {"collection", "searchset", "transaction", "batch", "transaction-response", "batch-response", "document", "message"}


@dataclass(frozen=True)
class PatientRecord:
    """One patient's resources, grouped by type, with the searches that filled them."""

    patient: dict[str, Any]
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Resource types whose search failed: criteria needing them are unknown, never decided.
    failed: dict[str, str] = field(default_factory=dict)
    # Literal references (``Type/id`` and fullUrl) to resources, for medicationReference and the like.
    index: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Warnings and information the data source attached to its answers (OperationOutcome notes), by resource type.
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def patient_id(self) -> str:
        """Return the patient's logical id (or its fullUrl when it has none)."""
        return str(self.patient.get("id") or self.patient.get("_fullUrl") or "")

    def resolve(self, reference: object) -> dict[str, Any] | None:
        """Return the resource a Reference points at within the record, or None."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        return self.index.get(reference) if isinstance(reference, str) else None

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """Return the resources of one type (an empty list when there are none)."""
        return self.resources.get(resource_type, [])


def record_from_bundle(bundle: object) -> PatientRecord:
    """Build a record from a Bundle holding exactly one Patient; raise InvalidBundle otherwise."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidBundle("the body's 'bundle' is not a FHIR Bundle (resourceType must be 'Bundle')")
    if bundle.get("type") not in BUNDLE_TYPES:
        raise InvalidBundle(f"Bundle.type {bundle.get('type')!r} is not one of {sorted(BUNDLE_TYPES)}")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidBundle("Bundle.entry must be a list")
    resources: dict[str, list[dict[str, Any]]] = {}
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InvalidBundle(f"Bundle.entry[{index}] has no resource with a resourceType")
        if resource["resourceType"] not in READ_TYPES:
            continue  # Claims, Encounters and the like: nothing a definition reads
        if isinstance(entry.get("fullUrl"), str):
            # Kept beside the resource so urn:uuid references can be resolved and cited.
            resource = {**resource, "_fullUrl": entry["fullUrl"]}
        resources.setdefault(resource["resourceType"], []).append(resource)
    patients = resources.pop("Patient", [])
    if len(patients) != 1:
        raise InvalidBundle(f"the Bundle must hold exactly one Patient; it holds {len(patients)}")
    patient = patients[0]
    keys = _patient_keys(patient)
    owned = {rtype: [r for r in items if subject_key(r) in keys or subject_key(r) is None] for rtype, items in resources.items()}
    return PatientRecord(patient=patient, resources=owned, index=index_resources(entries_of(owned)))


def entries_of(resources: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Flatten resources grouped by type into one list."""
    return [resource for items in resources.values() for resource in items]


def index_resources(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Index resources by every literal reference that can point at them."""
    index: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if resource.get("id"):
            index[f"{resource['resourceType']}/{resource['id']}"] = resource
        if resource.get("_fullUrl"):
            index[str(resource["_fullUrl"])] = resource
    return index


def _patient_keys(patient: dict[str, Any]) -> set[str]:
    keys = set()
    if patient.get("id"):
        keys.add(f"Patient/{patient['id']}")
    if patient.get("_fullUrl"):
        full = str(patient["_fullUrl"])
        keys.add(full)
        if "/Patient/" in full:
            keys.add("Patient/" + full.rsplit("/Patient/", 1)[1])
    return keys


def subject_key(resource: dict[str, Any]) -> str | None:
    """Return the patient reference a resource points at, normalised to ``Patient/id`` or a urn."""
    for element in ("subject", "patient"):
        ref = resource.get(element)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            text: str = ref["reference"]
            if "/Patient/" in text and not text.startswith("urn:"):
                return "Patient/" + text.rsplit("/Patient/", 1)[1]
            return text
    return None
