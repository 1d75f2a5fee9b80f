"""CDS Hooks prefetch: templates derived from the rulebook, and the patient record built from what the EHR sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from service.errors import BadRequest
from service.fhir.searches import Search, plan_searches
from service.record import PatientRecord, record_from_bundle
from service.rulebook import Rulebook, Trial

PATIENT_KEY = "patient"
PATIENT_TEMPLATE = "Patient/{{context.patientId}}"


@dataclass(frozen=True)
class PrefetchPlan:
    """The prefetch keys a service asks for, each with the search it stands for."""

    searches: dict[str, Search]

    def templates(self) -> dict[str, str]:
        """Return the discovery document's ``prefetch`` member."""
        return {PATIENT_KEY: PATIENT_TEMPLATE, **{key: search.template() for key, search in self.searches.items()}}


def prefetch_plan(book: Rulebook, trials: Iterable[Trial]) -> PrefetchPlan:
    """Return one prefetch key per planned search: ``observations``, ``observations-2``, ``conditions``…"""
    searches: dict[str, Search] = {}
    for search in plan_searches(book, list(trials)):
        stem = search.resource_type[0].lower() + search.resource_type[1:] + "s"
        key, n = stem, 1
        while key in searches:
            n += 1
            key = f"{stem}-{n}"
        searches[key] = search
    return PrefetchPlan(searches)


@dataclass(frozen=True)
class Prefetched:
    """What the EHR's prefetch holds: the Patient (if sent), resources by key, and the keys still to fetch."""

    patient: dict[str, Any] | None
    resources: list[dict[str, Any]]
    missing: list[str]  # keys absent (not satisfied, or failed at the EHR) or null, to fetch if a server is at hand
    null_keys: list[str]  # keys the EHR sent as null: per the specification, "no data to populate" them


def read_prefetch(prefetch: object, plan: PrefetchPlan, patient_id: str) -> Prefetched:
    """Split a hook request's ``prefetch`` into usable data and the keys still needed; BadRequest when malformed."""
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise BadRequest("'prefetch' must be an object of prefetch keys")
    patient = prefetch.get(PATIENT_KEY)
    if patient is not None:
        if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
            raise BadRequest("prefetch 'patient' must be a Patient resource")
        if patient.get("id") != patient_id:
            raise BadRequest("prefetch 'patient' is not the Patient named in context.patientId")
    resources: list[dict[str, Any]] = []
    missing = [] if patient is not None else [PATIENT_KEY]
    null_keys = [PATIENT_KEY] if PATIENT_KEY in prefetch and patient is None else []
    for key in plan.searches:
        if key not in prefetch or prefetch[key] is None:
            missing.append(key)
            if key in prefetch:
                null_keys.append(key)
            continue
        resources.extend(_bundle_resources(key, prefetch[key]))
    return Prefetched(patient, resources, missing, null_keys)


def record_from_parts(patient: dict[str, Any], resources: Iterable[dict[str, Any]], failed: dict[str, str]) -> PatientRecord:
    """Build the record from the Patient and resources gathered from prefetch and fetch (each resource once)."""
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in resources:
        if resource.get("resourceType") == "Patient":
            continue
        unique[(resource["resourceType"], str(resource.get("id") or id(resource)))] = resource
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in (patient, *unique.values())]}
    # record_from_bundle keeps only resources whose subject is this patient: prefetch is checked, not trusted.
    record = record_from_bundle(bundle)
    return PatientRecord(record.patient, record.resources, dict(failed), record.index)


def _bundle_resources(key: str, value: object) -> list[dict[str, Any]]:
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise BadRequest(f"prefetch {key!r} must be a FHIR Bundle (searchset) or null")
    if any(isinstance(link, dict) and link.get("relation") == "next" for link in value.get("link") or []):
        # The specification forbids paged prefetch: a partial result must not pass for the whole.
        raise BadRequest(f"prefetch {key!r} has a next link; prefetch must hold all results at once")
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise BadRequest(f"prefetch {key!r}: Bundle.entry must be a list")
    found = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise BadRequest(f"prefetch {key!r}: Bundle.entry[{index}] has no resource")
        if resource["resourceType"] != "OperationOutcome":
            found.append(resource)
    return found
