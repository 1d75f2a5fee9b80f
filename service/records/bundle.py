"""Turn a FHIR Bundle (collection, searchset, transaction) into one patient's record of plain
dicts.
"""

from __future__ import annotations

from typing import Any

from service.errors import InvalidBundle
from service.records.entries import FOREIGN_TYPES, READ_TYPES, deduplicate, read_entries
from service.records.fhir.client import issue_summary, outcome_is_note
from service.records.record import PatientRecord, build_record
from service.records.searchset import next_link, total_gap

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
        for entry in read_entries(
            bundle.get("entry") or None, "", InvalidBundle, types=READ_TYPES | FOREIGN_TYPES.keys()
        )
    ]
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if len(patients) != 1:
        raise InvalidBundle(f"the Bundle must hold exactly one Patient; it holds {len(patients)}")
    gap = searchset_gap(bundle) if bundle["type"] == "searchset" else None
    # A search result the Bundle itself says is partial holds no "nothing found": every type it
    # could carry is failed, so the criteria it serves are unknown with the reason.
    failed = {t: gap for t in READ_TYPES if t != "Patient"} if gap else {}
    # Each resource once, as from a server: of two versions the later is read (a condition
    # withdrawn as entered-in-error in version 2 no longer excludes: probe R), and copies that
    # differ with nothing to say which is current fail their type.
    unique, conflicts = deduplicate(resources)
    for rtype, why in conflicts.items():
        failed.setdefault(rtype, why)
    return build_record(patients[0], unique, failed=failed or None)


def searchset_gap(bundle: dict[str, Any]) -> str | None:
    """Say why a searchset Bundle is not the whole result: an error OperationOutcome entry, a next
    page, or a total above its matches; None when it is whole.
    """
    for entry in bundle.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "OperationOutcome"
            and not outcome_is_note(resource)
        ):
            return f"the searchset reports an error ({issue_summary(resource)}): it is not complete"
    if next_link(bundle, "", InvalidBundle) is not None:
        return "the searchset is one page of several (it has a next link): it is not complete"
    return total_gap(bundle, "", InvalidBundle)
