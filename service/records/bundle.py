"""Turn a FHIR Bundle (collection, searchset, transaction) into one patient's record of plain
dicts.
"""

from __future__ import annotations

from service.errors import InvalidBundle
from service.records.entries import READ_TYPES, read_entries
from service.records.record import PatientRecord, build_record

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
    # Claims, Encounters and the like are skipped: nothing a definition reads.
    resources = [
        entry.resource
        for entry in read_entries(bundle.get("entry") or None, "", InvalidBundle, types=READ_TYPES)
    ]
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise InvalidBundle(f"the Bundle must hold exactly one Patient; it holds {len(patients)}")
    return build_record(patients[0], resources)
