"""Medications that medication records point at but the record lacks: find them, and read them from the server."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.errors import FhirError
from service.facts.history import MEDICATION_TYPES
from service.fhir.client import Deadline, FhirClient


def unresolved_medications(resources: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """Return the ``Medication/id`` references of medication records whose Medication is not among the resources, each with the referring types.

    ``_include`` is optional for a server and absent from the CDS Hooks prefetch subset, so a drug sent as a
    referenced Medication leaves the service unable to say what was given unless it reads the Medication itself.
    """
    resources = list(resources)
    have = {f"Medication/{r.get('id')}" for r in resources if r.get("resourceType") == "Medication"}
    wanted: dict[str, set[str]] = {}
    for resource in resources:
        reference = resource.get("medicationReference")
        ref = reference.get("reference") if isinstance(reference, dict) else None
        if resource.get("resourceType") in MEDICATION_TYPES and isinstance(ref, str) and ref.startswith("Medication/") and ref.count("/") == 1 \
                and ref not in have:
            wanted.setdefault(ref, set()).add(resource["resourceType"])
    return wanted


def read_medications(client: FhirClient | None, resources: Iterable[dict[str, Any]], failed: dict[str, str], deadline: Deadline,
                     no_client: str = "{ref}: no FHIR server to read it from") -> list[dict[str, Any]]:
    """Read the unresolved Medications; one that cannot be read marks its referring types in ``failed``.

    The drug of such an order is unknown, so medication questions must not be answered "no".
    """
    found = []
    for ref, referrers in sorted(unresolved_medications(resources).items()):
        if client is None:
            why = no_client.format(ref=ref)
        else:
            try:
                found.append(client.read("Medication", ref.split("/", 1)[1], deadline))
                continue
            except FhirError as exc:
                why = exc.message
        for rtype in sorted(referrers):
            failed.setdefault(rtype, f"a referenced Medication could not be read ({why})")
    return found
