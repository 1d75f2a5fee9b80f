"""Medications that medication records point at but the record lacks: find them, and read them
from the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from service.errors import FhirError
from service.records.entries import FHIR_ID
from service.records.fhir.client import Deadline, FhirClient, within_base
from service.rulebook.kinds import MEDICATION_TYPES

# A readable Medication reference, relative to the server's base: ``Medication/id``, optionally
# ``/_history/version``.
_MEDICATION_PATH = re.compile(rf"Medication/({FHIR_ID.pattern})(?:/_history/{FHIR_ID.pattern})?")


def medication_id(reference: object, base_url: str | None = None) -> str | None:
    """Return the id of the Medication a literal reference names on this server, or None when it
    cannot be read here.

    Relative (``Medication/x``), versioned (``Medication/x/_history/2``) and absolute references
    under ``base_url`` (``https://server/fhir/Medication/x``) name one; a ``#contained`` id, a
    ``urn:uuid``, another server's URL or a logical (identifier-only) reference do not, and stay
    unresolved: their drug is unknown, never "not given".
    """
    if not isinstance(reference, str):
        return None
    path = reference
    if reference.startswith(("http://", "https://")):
        if base_url is None or not within_base(base_url, reference):
            return None
        path = reference[len(base_url.rstrip("/")) + 1 :]
    match = _MEDICATION_PATH.fullmatch(path)
    return match.group(1) if match and match.group(1) not in (".", "..") else None


def unresolved_medications(
    resources: Iterable[dict[str, Any]], base_url: str | None = None
) -> dict[str, set[str]]:
    """Return the Medication references of medication records whose Medication is not among the
    resources, each with the referring types.

    ``_include`` is optional for a server and absent from the CDS Hooks prefetch subset, so a drug
    sent as a referenced Medication leaves the service unable to say what was given unless it reads
    the Medication itself.
    """
    resources = list(resources)
    have = {str(r.get("id")) for r in resources if r.get("resourceType") == "Medication"}
    wanted: dict[str, set[str]] = {}
    for resource in resources:
        if resource.get("resourceType") not in MEDICATION_TYPES:
            continue  # most of a record: Observations, Conditions, Procedures
        reference = resource.get("medicationReference")
        ref = reference.get("reference") if isinstance(reference, dict) else None
        found = medication_id(ref, base_url)
        if found is not None and found not in have:
            wanted.setdefault(str(ref), set()).add(resource["resourceType"])
    return wanted


def read_medications(
    client: FhirClient | None,
    resources: Iterable[dict[str, Any]],
    failed: dict[str, str],
    deadline: Deadline,
    no_client: str = "{ref}: no FHIR server to read it from",
) -> list[dict[str, Any]]:
    """Read the unresolved Medications; one that cannot be read marks its referring types in
    ``failed``.

    The drug of such an order is unknown, so medication questions must not be answered "no". A
    versioned reference is read at the Medication's current version: the record resolves it by
    ``Medication/id``.
    """
    found: dict[str, dict[str, Any]] = {}
    unresolved = unresolved_medications(resources, client.base_url if client is not None else None)
    for ref, referrers in sorted(unresolved.items()):
        target = medication_id(ref, client.base_url if client is not None else None)
        if client is None or target is None:
            why = no_client.format(ref=ref)
        elif target in found:
            # the same Medication by another form of reference (absolute, versioned): read once
            continue
        else:
            try:
                found[target] = client.read("Medication", target, deadline)
                continue
            except FhirError as exc:
                why = exc.message
        for rtype in sorted(referrers):
            failed.setdefault(rtype, f"a referenced Medication could not be read ({why})")
    if client is not None:
        found.update(_read_ingredients(client, [*resources, *found.values()], found, deadline))
    return list(found.values())


def _read_ingredients(
    client: FhirClient,
    resources: list[dict[str, Any]],
    found: dict[str, dict[str, Any]],
    deadline: Deadline,
) -> dict[str, dict[str, Any]]:
    """Read the Medications that mixes (a Medication whose ingredient references another, as Epic
    writes an IV mix) name and the record lacks; one that cannot be read is left out, and the
    records of that mix read as a drug unknown (facts.history), never "not given".
    """
    have = {str(r.get("id")) for r in resources if r.get("resourceType") == "Medication"}
    read: dict[str, dict[str, Any]] = {}
    for target in sorted(ingredient_ids(resources) - have - set(found)):
        try:
            read[target] = client.read("Medication", target, deadline)
        except FhirError:
            continue
    return read


def ingredient_ids(resources: Iterable[dict[str, Any]]) -> set[str]:
    """Return the ids of the Medications that the Medications among ``resources``, or contained in
    them, name as ingredients (a mix, as Epic writes an IV mix) by a literal ``Medication/id``.
    """
    ids: set[str] = set()
    for medication in _with_contained(resources):
        if medication.get("resourceType") != "Medication":
            continue
        ingredients = medication.get("ingredient")
        for ingredient in ingredients if isinstance(ingredients, list) else []:
            item = ingredient.get("itemReference") if isinstance(ingredient, dict) else None
            target = medication_id(item.get("reference") if isinstance(item, dict) else None)
            if target is not None:
                ids.add(target)
    return ids


def _with_contained(resources: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """Yield each resource, then the resources it contains (an order's contained mix)."""
    for resource in resources:
        yield resource
        contained = resource.get("contained")
        yield from (
            (c for c in contained if isinstance(c, dict)) if isinstance(contained, list) else ()
        )
