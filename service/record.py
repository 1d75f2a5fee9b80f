"""Turn a FHIR Bundle (collection, searchset, transaction) into one patient's record of plain dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from service.errors import InvalidBundle
from service.record_checks import Unreadable, split_readable

# The resource types the definitions read (the rest of a Bundle is skipped, not copied).
# The resource types that record a medication given, taken or ordered (a Medication resource is what they point at).
MEDICATION_TYPES = ("MedicationAdministration", "MedicationStatement", "MedicationRequest")
READ_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "Medication",
        "Procedure",
        "AllergyIntolerance",
        "Immunization",
    }
)
# A literal reference's ``Type/id`` tail (relative, or the end of an absolute URL), version suffix dropped.
_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$")
BUNDLE_TYPES = {
    "collection",
    "searchset",
    "transaction",
    "batch",
    "transaction-response",
    "batch-response",
    "document",
    "message",
}


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

    def resolve(
        self, reference: object, referrer: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Return the readable resource a Reference points at, or None.

        A ``#id`` reference is looked up in the referrer's ``contained``; ``urn:uuid`` and absolute URLs by the
        entries' fullUrl; relative ``Type/id`` (and an absolute URL's ``Type/id`` tail) by type and id.
        """
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str) or not reference:
            return None
        if reference.startswith("#"):
            contained = referrer.get("contained") if isinstance(referrer, dict) else None
            for item in contained if isinstance(contained, list) else []:
                if isinstance(item, dict) and item.get("id") == reference[1:]:
                    return item if not split_readable([item])[1] else None
            return None
        found = self.index.get(reference)
        if found is None:
            tail = _TYPE_ID.search(reference)
            candidate = self.index.get(tail.group(1)) if tail else None
            # An absolute URL reaches a resource by its Type/id only when nothing says that resource lives elsewhere: one
            # whose fullUrl has another base is another server's Medication/x, not the one this reference names.
            if (
                candidate is not None
                and tail is not None
                and _same_base(reference[: tail.start(1)], candidate)
            ):
                found = candidate
        return found if found is not None and id(found) not in self._unreadable_ids else None

    def of_type(self, resource_type: str) -> list[dict[str, Any]]:
        """Return the readable resources of one type (an empty list when there are none)."""
        return self._readable.get(resource_type, [])

    @cached_property
    def _checked(self) -> tuple[dict[str, list[dict[str, Any]]], list[Unreadable]]:
        # Checked once per record, on first use: every way a record is built (Bundle, FHIR fetch, CDS prefetch) passes here.
        readable: dict[str, list[dict[str, Any]]] = {}
        unreadable: list[Unreadable] = []
        for rtype, items in self.resources.items():
            kept, dropped = split_readable(items)
            readable[rtype] = kept
            unreadable += dropped
        return readable, unreadable

    @property
    def _readable(self) -> dict[str, list[dict[str, Any]]]:
        return self._checked[0]

    @property
    def unreadable(self) -> list[Unreadable]:
        """Return the resources set aside because an element they need has the wrong type."""
        return self._checked[1]

    @cached_property
    def _unreadable_ids(self) -> set[int]:
        return {id(item.resource) for item in self.unreadable}


def record_from_bundle(bundle: object) -> PatientRecord:
    """Build a record from a Bundle holding exactly one Patient; raise InvalidBundle otherwise."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidBundle(
            "the body's 'bundle' is not a FHIR Bundle (resourceType must be 'Bundle')"
        )
    if not isinstance(bundle.get("type"), str) or bundle["type"] not in BUNDLE_TYPES:
        raise InvalidBundle(
            f"Bundle.type {bundle.get('type')!r} is not one of {sorted(BUNDLE_TYPES)}"
        )
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
    owned = {
        rtype: [r for r in items if subject_key(r) in keys or subject_key(r) is None]
        for rtype, items in resources.items()
    }
    return PatientRecord(patient=patient, resources=owned, index=index_resources(entries_of(owned)))


def entries_of(resources: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Flatten resources grouped by type into one list."""
    return [resource for items in resources.values() for resource in items]


def _same_base(base: str, resource: dict[str, Any]) -> bool:
    """Say whether a reference's base (what precedes Type/id; empty for a relative one) can be the resource's own."""
    full = resource.get("_fullUrl")
    if not base or not isinstance(full, str):
        return True
    tail = _TYPE_ID.search(full)
    return tail is None or full[: tail.start(1)] == base


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
