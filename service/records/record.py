"""One patient's record: the patient's own resources by type, what could not be read, and the one
way to build it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from service.records.checks import Unreadable, split_readable
from service.records.entries import (
    FOREIGN_TYPES,
    READ_TYPES,
    entries_of,
    index_resources,
    is_owned,
    patient_keys,
)

# A literal reference's ``Type/id`` tail (relative, or the end of an absolute URL), version suffix
# dropped.
_TYPE_ID = re.compile(r"(?:^|/)([A-Z][A-Za-z]+/[A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$")


@dataclass(frozen=True)
class PatientRecord:
    """One patient's resources, grouped by type, with the searches that filled them."""

    patient: dict[str, Any]
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Resource types whose search failed: criteria needing them are unknown, never decided.
    failed: dict[str, str] = field(default_factory=dict)
    # Literal references (``Type/id`` and fullUrl) to resources, for medicationReference and the
    # like.
    index: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Warnings and information the data source attached to its answers (OperationOutcome notes), by
    # resource type.
    notes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def patient_id(self) -> str:
        """Return the patient's logical id (or its fullUrl when it has none)."""
        return str(self.patient.get("id") or self.patient.get("_fullUrl") or "")

    def resolve(
        self, reference: object, referrer: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """Return the readable resource a Reference points at, or None.

        A ``#id`` reference is looked up in the referrer's ``contained``; ``urn:uuid`` and absolute
        URLs by the entries' fullUrl; relative ``Type/id`` (and an absolute URL's ``Type/id`` tail)
        by type and id.
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
            # An absolute URL reaches a resource by its Type/id only when nothing says that resource
            # lives elsewhere: one whose fullUrl has another base is another server's Medication/x,
            # not the one this reference names.
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
        # Checked once per record, on first use: every way a record is built (Bundle, FHIR fetch,
        # CDS prefetch) passes here.
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


def _same_base(base: str, resource: dict[str, Any]) -> bool:
    """Say whether a reference's base (what precedes Type/id; empty for a relative one) can be
    the resource's own.
    """
    full = resource.get("_fullUrl")
    if not base or not isinstance(full, str):
        return True
    tail = _TYPE_ID.search(full)
    return tail is None or full[: tail.start(1)] == base


def build_record(
    patient: dict[str, Any],
    resources: Iterable[dict[str, Any]],
    failed: dict[str, str] | None = None,
    notes: dict[str, list[str]] | None = None,
) -> PatientRecord:
    """Build a record, the one way every source does: the patient's own resources of the read types,
    grouped and indexed.

    A resource whose subject is another patient is set aside (a lenient server, or a prefetch, is
    checked, not trusted); one naming no one (a Medication) is kept.
    """
    keys = patient_keys(patient)
    grouped: dict[str, list[dict[str, Any]]] = {}
    failed = dict(failed or {})
    for resource in resources:
        rtype = resource["resourceType"]
        if rtype != "Patient" and rtype in READ_TYPES and is_owned(resource, keys):
            grouped.setdefault(rtype, []).append(resource)
        elif rtype in FOREIGN_TYPES and is_owned(resource, keys):
            # What it records is not read here: the type it stands for is unknown, never "none".
            failed.setdefault(
                FOREIGN_TYPES[rtype],
                f"the record holds a {rtype}, an earlier FHIR version's resource this service "
                f"does not read (R4: {FOREIGN_TYPES[rtype]})",
            )
    merged = merged_into(patient)
    if merged:
        # The patient's data may be under the other record: nothing can be read as absent here.
        for rtype in READ_TYPES - {"Patient", "Medication"}:
            failed.setdefault(rtype, merged)
    return PatientRecord(
        patient=patient,
        resources=grouped,
        failed=failed,
        index=index_resources([patient, *entries_of(grouped)]),
        notes=dict(notes or {}),
    )


# Patient.link types saying this record is not the whole of the person's (R4 link-type): replaced
# by a surviving record (a merge), or one of several records of the same person.
_SPLIT_LINKS = {"replaced-by": "was replaced by", "refer": "refers to"}


def merged_into(patient: dict[str, Any]) -> str | None:
    """Say why a Patient's record may not hold all of its data (Patient.link replaced-by or refer),
    or None.
    """
    links = patient.get("link")
    for link in links if isinstance(links, list) else []:
        kind = link.get("type") if isinstance(link, dict) else None
        if kind in _SPLIT_LINKS:
            # The other record's id is not quoted: reasons reach logs and pages.
            return (
                f"this Patient record {_SPLIT_LINKS[kind]} another record of the same person, "
                "where the data may be: none of it can be read as absent"
            )
    return None
