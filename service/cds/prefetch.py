"""CDS Hooks prefetch: templates derived from the rulebook, and the patient record built from what the EHR sent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

from service.errors import BadRequest
from service.fhir.client import issue_summary, outcome_is_note
from service.fhir.searches import Search, name_matched_value_sets, plan_searches
from service.record import PatientRecord, record_from_bundle
from service.rulebook import Rulebook, Trial

PATIENT_KEY = "patient"
PATIENT_TEMPLATE = "Patient/{{context.patientId}}"
# Observation categories where each value set matched by name is recorded (data, with the reasons, in the JSON file).
NAME_MATCHED_CATEGORIES: dict[str, list[str]] = orjson.loads(
    (Path(__file__).with_name("name_matched_categories.json")).read_bytes()
)["valueSets"]


@dataclass(frozen=True)
class PrefetchPlan:
    """The prefetch keys a service asks for, each with the search it stands for."""

    searches: dict[str, Search]

    def templates(self) -> dict[str, str]:
        """Return the discovery document's ``prefetch`` member."""
        return {
            PATIENT_KEY: PATIENT_TEMPLATE,
            **{key: search.template() for key, search in self.searches.items()},
        }


def prefetch_plan(book: Rulebook, trials: Iterable[Trial]) -> PrefetchPlan:
    """Return one prefetch key per planned search: ``observations``, ``observations-2``, ``conditions``…

    The Observation search for value sets matched by name (EDSS, AQP4) has no codes: in the pull it is narrowed by a
    date floor, which the prefetch subset cannot express, so here it is narrowed by category instead of asking the EHR
    for every Observation the patient has.
    """
    trials = list(trials)
    categories = name_matched_categories(book, trials)
    searches: dict[str, Search] = {}
    for search in plan_searches(book, trials):
        if search.resource_type == "Observation" and not search.codes and categories:
            search = replace(search, categories=categories)
        stem = search.resource_type[0].lower() + search.resource_type[1:] + "s"
        key, n = stem, 1
        while key in searches:
            n += 1
            key = f"{stem}-{n}"
        searches[key] = search
    return PrefetchPlan(searches)


def name_matched_categories(book: Rulebook, trials: list[Trial]) -> tuple[str, ...]:
    """Return the categories that hold the name-matched value sets' Observations; () (no filter) if one of them has none listed."""
    value_sets = name_matched_value_sets(book, trials)
    if not value_sets or any(name not in NAME_MATCHED_CATEGORIES for name in value_sets):
        return ()
    return tuple(
        sorted({category for name in value_sets for category in NAME_MATCHED_CATEGORIES[name]})
    )


@dataclass(frozen=True)
class Prefetched:
    """What the EHR's prefetch holds: the Patient (if sent), resources by key, and the keys still to fetch."""

    patient: dict[str, Any] | None
    resources: list[dict[str, Any]]
    missing: list[
        str
    ]  # keys absent (not satisfied, or failed at the EHR) or null, to fetch if a server is at hand
    null_keys: list[
        str
    ]  # keys the EHR sent as null: per the specification, "no data to populate" them
    # Keys whose query the EHR says failed (an OperationOutcome, or a Bundle holding an error one), with why: never "no data".
    failed: dict[str, str] = field(default_factory=dict)
    # Keys that hold only a first page: their next link, to follow from an allowlisted fhirServer (else the key is partial).
    next_links: dict[str, str] = field(default_factory=dict)
    # Warnings and information the EHR attached to the data it did send, by resource type.
    notes: dict[str, list[str]] = field(default_factory=dict)


def read_prefetch(prefetch: object, plan: PrefetchPlan, patient_id: str) -> Prefetched:  # noqa: C901 - one branch per shape a prefetch answer takes (absent, failed, an OperationOutcome, a Bundle)
    """Split a hook request's ``prefetch`` into usable data and the keys still needed; BadRequest when malformed.

    The specification says an EHR SHOULD send an OperationOutcome (alone, or in the Bundle) for a prefetch query
    that failed, and MAY page prefetch results: such keys are failed or partial, never read as "no data".
    """
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise BadRequest("'prefetch' must be an object of prefetch keys")
    failed: dict[str, str] = {}
    patient = prefetch.get(PATIENT_KEY)
    if isinstance(patient, dict) and _is_outcome(patient):
        # The EHR could not read the Patient: fetch it from fhirServer, or answer 412 (there is no one to evaluate).
        failed[PATIENT_KEY] = (
            f"prefetch {PATIENT_KEY!r}: the EHR sent an OperationOutcome ({issue_summary(patient)}) instead of the Patient"
        )
        patient = None
    elif patient is not None:
        if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
            raise BadRequest("prefetch 'patient' must be a Patient resource")
        if patient.get("id") != patient_id:
            raise BadRequest("prefetch 'patient' is not the Patient named in context.patientId")
    resources: list[dict[str, Any]] = []
    missing = [] if patient is not None else [PATIENT_KEY]
    null_keys = [PATIENT_KEY] if PATIENT_KEY in prefetch and prefetch[PATIENT_KEY] is None else []
    next_links: dict[str, str] = {}
    notes: dict[str, list[str]] = {}
    for key, search in plan.searches.items():
        value = prefetch.get(key)
        if value is None:
            missing.append(key)
            if key in prefetch:
                null_keys.append(key)
        elif _is_outcome(value):
            failed[key] = (
                f"prefetch {key!r}: the EHR sent an OperationOutcome ({issue_summary(value)}) instead of the search results"
            )
        else:
            found, error, next_url = _bundle_resources(
                key, value, search.resource_type, notes.setdefault(search.resource_type, [])
            )
            if error is not None:
                failed[key] = error
                continue
            resources.extend(found)
            if next_url is not None:
                next_links[key] = next_url
    return Prefetched(
        patient,
        resources,
        missing,
        null_keys,
        failed,
        next_links,
        {k: v for k, v in notes.items() if v},
    )


def record_from_parts(
    patient: dict[str, Any],
    resources: Iterable[dict[str, Any]],
    failed: dict[str, str],
    notes: dict[str, list[str]] | None = None,
) -> PatientRecord:
    """Build the record from the Patient and resources gathered from prefetch and fetch (each resource once)."""
    unique: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in resources:
        if resource.get("resourceType") == "Patient":
            continue
        unique[(resource["resourceType"], str(resource.get("id") or id(resource)))] = resource
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (patient, *unique.values())],
    }
    # record_from_bundle keeps only resources whose subject is this patient: prefetch is checked, not trusted.
    record = record_from_bundle(bundle)
    return PatientRecord(
        record.patient, record.resources, dict(failed), record.index, dict(notes or {})
    )


def _is_outcome(value: object) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _bundle_resources(  # noqa: C901 - one branch per shape a prefetch entry takes
    key: str, value: object, resource_type: str, notes: list[str]
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """Return a prefetched searchset's resources, why it failed (an error OperationOutcome in it) or None, and its next link."""
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise BadRequest(
            f"prefetch {key!r} must be a FHIR Bundle (searchset), an OperationOutcome or null"
        )
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise BadRequest(f"prefetch {key!r}: Bundle.entry must be a list")
    links = value.get("link") or []
    if not isinstance(links, list):
        raise BadRequest(f"prefetch {key!r}: Bundle.link must be a list")
    next_url = None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            if not isinstance(link.get("url"), str) or not link["url"]:
                raise BadRequest(f"prefetch {key!r}: a next link has no url")
            next_url = link["url"]
    found = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise BadRequest(f"prefetch {key!r}: Bundle.entry[{index}] has no resource")
        search = entry.get("search")
        included = isinstance(search, dict) and search.get("mode") == "include"
        if (
            resource["resourceType"] not in (resource_type, "OperationOutcome", "Medication")
            and not included
        ):
            # Matches of another type: the EHR did not run this key's query, so its own results may be missing.
            return (
                [],
                f"prefetch {key!r}: the EHR answered a {resource_type} query with a {resource['resourceType']}",
                None,
            )
        if resource["resourceType"] != "OperationOutcome":
            found.append(resource)
        elif not outcome_is_note(resource):
            # The specification's way for an EHR to say this prefetch query failed: what came with it is not the whole.
            return (
                [],
                f"prefetch {key!r}: the EHR reported that its query failed ({issue_summary(resource)})",
                None,
            )
        elif resource.get("issue"):
            notes.append(f"prefetch {key!r}: the EHR noted {issue_summary(resource)}")
    return found, None, next_url
