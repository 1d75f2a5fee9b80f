"""Turn a FHIR Bundle (collection, searchset, transaction) into one patient's record of plain
dicts.
"""

from __future__ import annotations

from typing import Any

from service.errors import InvalidBundle
from service.records.entries import READ_TYPES, read_entries
from service.records.fhir.client import issue_summary, outcome_is_note
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
    gap = searchset_gap(bundle) if bundle["type"] == "searchset" else None
    # A search result the Bundle itself says is partial holds no "nothing found": every type it
    # could carry is failed, so the criteria it serves are unknown with the reason.
    failed = {t: gap for t in READ_TYPES if t != "Patient"} if gap else None
    return build_record(patients[0], resources, failed=failed)


def searchset_gap(bundle: dict[str, Any]) -> str | None:
    """Say why a searchset Bundle is not the whole result: an error OperationOutcome entry, a next
    page, or a total above its matches; None when it is whole.
    """
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    for entry in entries:
        resource = entry.get("resource")
        if (
            isinstance(resource, dict)
            and resource.get("resourceType") == "OperationOutcome"
            and not outcome_is_note(resource)
        ):
            return f"the searchset reports an error ({issue_summary(resource)}): it is not complete"
    links, total = bundle.get("link") or [], bundle.get("total")
    # What says whether the search is whole must be readable: never guessed to be.
    if not isinstance(links, list):
        raise InvalidBundle("Bundle.link must be a list")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or total < 0):
        raise InvalidBundle(f"Bundle.total must be a whole number of matches, not {total!r}")
    for link in links:
        if isinstance(link, dict) and str(link.get("relation", "")).lower() == "next":
            return "the searchset is one page of several (it has a next link): it is not complete"
    matches = sum(
        1
        for e in entries
        if isinstance(e.get("search"), dict) and e["search"].get("mode") == "match"
    ) or sum(
        1
        for e in entries
        if isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") != "OperationOutcome"
    )
    if total is not None and total > matches:
        return (
            f"the searchset's total is {total} but it holds {matches} matches: it is not complete"
        )
    return None
