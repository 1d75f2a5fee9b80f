"""The pieces every record source shares: reading Bundle entries, whose resource is whose, ids
and references.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.errors import EligibilityError

# The resource types the definitions read (the rest of a Bundle is skipped, not copied).
READ_TYPES = frozenset(
    {
        "Patient",
        "Observation",
        "Condition",
        "MedicationRequest",
        "MedicationStatement",
        "MedicationAdministration",
        "MedicationDispense",
        "Medication",
        "Procedure",
        "AllergyIntolerance",
        "Immunization",
    }
)
# Earlier FHIR versions' types holding what a read type holds here: a record carrying one is not
# read as having none of the R4 type (DSTU2 MedicationOrder is R4's MedicationRequest).
FOREIGN_TYPES = {"MedicationOrder": "MedicationRequest"}
# Every type name a record may carry, by its lower case: "condition" is a misspelt Condition, not
# an unknown type to skip.
KNOWN_TYPES = {
    name.lower(): name for name in (*READ_TYPES, *FOREIGN_TYPES, "Bundle", "OperationOutcome")
}
# A FHIR id: 1-64 of letters, digits, '-' and '.' (FHIR R4 datatypes); anything else is refused
# before a request.
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def is_fhir_id(value: object) -> bool:
    """Say whether a value is a FHIR logical id that can name a resource (not "." or "..", which
    are paths).
    """
    # "Patient/.." would resolve to the base URL itself: the id's pattern allows it, a request must
    # not.
    return isinstance(value, str) and bool(FHIR_ID.fullmatch(value)) and value not in (".", "..")


@dataclass(frozen=True)
class Entry:
    """One Bundle entry: its resource (with ``_fullUrl`` beside it when the entry has one) and
    its search mode.
    """

    resource: dict[str, Any]
    search_mode: str | None = None


def read_entries(
    entries: object,
    where: str,
    error: type[EligibilityError],
    *,
    full_urls: bool = True,
    types: frozenset[str] | None = None,
) -> list[Entry]:
    """Read a Bundle's ``entry`` list; raise ``error`` (prefixed by ``where``) naming the first
    malformed entry.

    ``full_urls``: keep each entry's fullUrl beside its resource as ``_fullUrl``, to resolve
    urn:uuid references by. ``types``: return only the entries of these resource types (every
    entry is still checked).
    """
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise error(f"{where}Bundle.entry must be a list")
    read = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise error(f"{where}Bundle.entry[{index}] has no resource with a resourceType")
        rtype = resource["resourceType"]
        if KNOWN_TYPES.get(rtype.lower(), rtype) != rtype:
            # FHIR type names are case-sensitive: skipped as unknown, a "condition" would read as
            # no Condition on record.
            raise error(
                f"{where}Bundle.entry[{index}].resource.resourceType {rtype!r} is not a FHIR "
                f"resource type (type names are case-sensitive: {KNOWN_TYPES[rtype.lower()]!r})"
            )
        if types is not None and rtype not in types:
            # Half a Synthea Bundle is Claims and Encounters: skipped before its fullUrl copy.
            continue
        if full_urls and isinstance(entry.get("fullUrl"), str):
            # Kept beside the resource so urn:uuid references can be resolved and cited.
            resource = {**resource, "_fullUrl": entry["fullUrl"]}
        search = entry.get("search")
        mode = search.get("mode") if isinstance(search, dict) else None
        read.append(Entry(resource, mode if isinstance(mode, str) else None))
    return read


# A patient key that stands for "this Patient has no identifier": a subject named only by an
# identifier cannot then be told to be someone else.
ANY_IDENTIFIER = "identifier|*"


def patient_keys(patient: dict[str, Any]) -> set[str]:
    """Return every reference by which a resource can name this Patient as its subject, and its
    identifiers (``identifier|system|value``), for a subject named by identifier alone.
    """
    identifiers = patient.get("identifier")
    keys = {
        f"identifier|{ident.get('system') or ''}|{ident['value']}"
        for ident in (identifiers if isinstance(identifiers, list) else [])
        if isinstance(ident, dict) and isinstance(ident.get("value"), str)
    } or {ANY_IDENTIFIER}
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
            # A version-specific reference (Patient/p1/_history/3) names the same patient.
            text = text.split("/_history/", 1)[0]
            if "/Patient/" in text and not text.startswith("urn:"):
                return "Patient/" + text.rsplit("/Patient/", 1)[1]
            return text
    return None


def is_owned(resource: dict[str, Any], keys: set[str]) -> bool:
    """Say whether a resource is the patient's: its subject is one of the keys, or it names no
    one (a Medication); a subject named only by an identifier must be one of the Patient's (probe
    R: another patient's optic neuritis, by MRN, counted as a relapse).
    """
    key = subject_key(resource)
    if key is not None:
        return key in keys
    ident = _subject_identifier(resource)
    if ident is None or ANY_IDENTIFIER in keys:
        return True
    system, value = ident
    # Where either side gives no system, the value alone must match.
    if system and f"identifier|{system}|{value}" in keys:
        return True
    return any(
        k == f"identifier||{value}" or (not system and k.endswith(f"|{value}"))
        for k in keys
        if k.startswith("identifier|")
    )


def _subject_identifier(resource: dict[str, Any]) -> tuple[str, str] | None:
    """Return the (system, value) of a subject given by identifier alone, or None."""
    for element in ("subject", "patient"):
        ref = resource.get(element)
        ident = ref.get("identifier") if isinstance(ref, dict) else None
        if isinstance(ident, dict) and isinstance(ident.get("value"), str):
            system = ident.get("system")
            return (system if isinstance(system, str) else "", ident["value"])
    return None


def entries_of(resources: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Flatten resources grouped by type into one list."""
    return [resource for items in resources.values() for resource in items]


def deduplicate(
    resources: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Return each resource once (by type and id), the Patient aside, and the types whose copies
    of one resource disagree, with why.

    Of two differing copies the later version (meta.versionId, else meta.lastUpdated) is kept; when
    nothing says which is later, the type is reported: the last copy winning would let an
    entered-in-error copy erase a real record.
    """
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    conflicts: dict[str, str] = {}
    for resource in resources:
        rtype = resource["resourceType"]
        if rtype == "Patient":
            continue
        key = (rtype, str(resource.get("id") or id(resource)))
        kept = unique.get(key)
        if kept is None or _same_copy(kept, resource):
            unique.setdefault(key, resource)
            continue
        newer = _later_copy(kept, resource)
        if newer is None:
            conflicts.setdefault(
                key[0],
                f"two different copies of {key[0]}/{key[1]} were sent and nothing says which is "
                "current",
            )
        else:
            unique[key] = newer
    return list(unique.values()), conflicts


def _same_copy(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Say whether two copies of a resource say the same (where each came from aside)."""
    return {k: v for k, v in one.items() if k != "_fullUrl"} == {
        k: v for k, v in other.items() if k != "_fullUrl"
    }


def _later_copy(one: dict[str, Any], other: dict[str, Any]) -> dict[str, Any] | None:
    """Return the later of two copies by meta.versionId (whole numbers) or meta.lastUpdated; None
    when neither tells.
    """
    first, second = _version_number(one), _version_number(other)
    if first is not None and second is not None and first != second:
        return one if first > second else other
    early, late = _instant(one), _instant(other)
    if early is not None and late is not None and early != late:
        return one if early > late else other
    return None


def _version_number(resource: dict[str, Any]) -> int | None:
    meta = resource.get("meta")
    value = meta.get("versionId") if isinstance(meta, dict) else None
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _instant(resource: dict[str, Any]) -> datetime | None:
    meta = resource.get("meta")
    value = meta.get("lastUpdated") if isinstance(meta, dict) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # An instant has an offset by definition; one without cannot be ordered against one with.
    return moment if moment.tzinfo is not None else None


def index_resources(resources: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Index resources by every literal reference that can point at them."""
    index: dict[str, dict[str, Any]] = {}
    for resource in resources:
        if resource.get("id"):
            index[f"{resource['resourceType']}/{resource['id']}"] = resource
        if resource.get("_fullUrl"):
            index[str(resource["_fullUrl"])] = resource
    return index


def reference_of(resource: dict[str, Any]) -> str:
    """Return the literal reference a report cites for a resource (``Type/id``)."""
    rid = resource.get("id")
    rtype = resource.get("resourceType", "Resource")
    return f"{rtype}/{rid}" if rid else str(resource.get("_fullUrl") or rtype)
