"""A CDS Hooks prefetch read into a patient's record: what the EHR sent, completed from its FHIR
server if allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from service.errors import BadRequest, FhirError, PrefetchUnavailable
from service.records.entries import deduplicate, entries_of, read_entries
from service.records.fhir.client import Deadline, FhirClient, issue_summary, outcome_is_note
from service.records.fhir.fetch import FetchOptions, fetch_record
from service.records.fhir.medications import read_medications, unresolved_medications
from service.records.record import PatientRecord, build_record
from service.records.searchset import next_link, total_gap
from service.rulebook.book import Trial
from service.rulebook.prefetch_plan import PATIENT_KEY, PrefetchPlan


@dataclass(frozen=True)
class Prefetched:
    """What the EHR's prefetch holds: the Patient (if sent), resources by key, and the keys still
    to fetch.
    """

    patient: dict[str, Any] | None
    resources: list[dict[str, Any]]
    # Keys absent (not satisfied, or failed at the EHR) or null, to fetch if a server is at hand.
    missing: list[str]
    # Keys the EHR sent as null: per the specification, "no data to populate" them.
    null_keys: list[str]
    # Keys whose query the EHR says failed (an OperationOutcome, or a Bundle holding an error one),
    # with why: never "no data".
    failed: dict[str, str] = field(default_factory=dict)
    # Keys that hold only a first page: their next link, to follow from an allowlisted fhirServer
    # (else the key is partial).
    next_links: dict[str, str] = field(default_factory=dict)
    # Warnings and information the EHR attached to the data it did send, by resource type.
    notes: dict[str, list[str]] = field(default_factory=dict)

    def needs_server(self) -> bool:
        """Say whether the EHR's FHIR server must complete this prefetch: keys missing, failed or
        paged, or drugs unread.
        """
        return bool(self.missing or self.failed or self.next_links) or bool(
            unresolved_medications(self.resources)
        )


# C901: one branch per shape a prefetch answer takes (absent, failed, an OperationOutcome, a Bundle)
def read_prefetch(prefetch: object, plan: PrefetchPlan, patient_id: str) -> Prefetched:  # noqa: C901
    """Split a hook request's ``prefetch`` into usable data and the keys still needed; BadRequest
    when malformed.

    The specification says an EHR SHOULD send an OperationOutcome (alone, or in the Bundle) for a
    prefetch query that failed, and MAY page prefetch results: such keys are failed or partial,
    never read as "no data".
    """
    if prefetch is None:
        prefetch = {}
    if not isinstance(prefetch, dict):
        raise BadRequest("'prefetch' must be an object of prefetch keys")
    failed: dict[str, str] = {}
    patient = prefetch.get(PATIENT_KEY)
    if isinstance(patient, dict) and _is_outcome(patient):
        # The EHR could not read the Patient: fetch it from fhirServer, or answer 412 (there is no
        # one to evaluate).
        failed[PATIENT_KEY] = (
            f"prefetch {PATIENT_KEY!r}: the EHR sent an OperationOutcome "
            f"({issue_summary(patient)}) instead of the Patient"
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
                f"prefetch {key!r}: the EHR sent an OperationOutcome ({issue_summary(value)}) "
                "instead of the search results"
            )
        else:
            found, error, next_url = _bundle_resources(
                key, value, search.resource_type, notes.setdefault(search.resource_type, [])
            )
            resources.extend(found)
            if error is not None:
                failed[key] = error
                continue
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


def _is_outcome(value: object) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _bundle_resources(  # noqa: C901 - one branch per shape a prefetch entry takes
    key: str, value: object, resource_type: str, notes: list[str]
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """Return a prefetched searchset's resources, why it is not the whole answer (an error
    OperationOutcome, matches of another type, a total above its matches) or None, and its next
    link.
    """
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise BadRequest(
            f"prefetch {key!r} must be a FHIR Bundle (searchset), an OperationOutcome or null"
        )
    where = f"prefetch {key!r}: "
    entries = read_entries(value.get("entry") or None, where, BadRequest)
    next_url = next_link(value, where, BadRequest)
    found: list[dict[str, Any]] = []
    problem = None
    for entry in entries:
        resource, included = entry.resource, entry.search_mode == "include"
        if resource["resourceType"] == "OperationOutcome":
            if not outcome_is_note(resource):
                # The specification's way for an EHR to say this prefetch query failed: what came
                # with it is not the whole.
                return (
                    [],
                    f"prefetch {key!r}: the EHR reported that its query failed "
                    f"({issue_summary(resource)})",
                    None,
                )
            if resource.get("issue"):
                notes.append(f"prefetch {key!r}: the EHR noted {issue_summary(resource)}")
            continue
        if resource["resourceType"] not in (resource_type, "Medication") and not included:
            # Matches of another type: the EHR did not run this key's query, so its own results may
            # be missing. What it did send is still the patient's record, and kept.
            problem = problem or (
                f"prefetch {key!r}: the EHR answered a {resource_type} query with a "
                f"{resource['resourceType']}"
            )
        found.append(resource)
    if problem is None and next_url is None:
        gap = total_gap(value, where, BadRequest)
        problem = f"prefetch {key!r}: {gap}" if gap else None
    return found, problem, None if problem else next_url


@dataclass(frozen=True)
class PrefetchSource:
    """What the EHR prefetched for one patient, completed from its FHIR server (``client``) when one
    is allowed.

    ``no_server`` says why there is no client, for the 412 when keys are missing and none can fetch
    them.
    """

    prefetched: Prefetched
    plan: PrefetchPlan
    patient_id: str
    client: FhirClient | None = None
    options: FetchOptions = field(default_factory=FetchOptions)
    no_server: str = "and the request has no fhirServer to fetch them from"

    def record(self, trials: Sequence[Trial], as_of: date) -> PatientRecord:
        """Build the record from prefetch, fetching missing, failed and paged keys;
        PrefetchUnavailable when impossible.
        """
        prefetched, client = self.prefetched, self.client
        patient, resources = prefetched.patient, list(prefetched.resources)
        failed: dict[str, str] = {}
        notes = {rtype: list(items) for rtype, items in prefetched.notes.items()}
        if client is None:
            if prefetched.missing and (
                prefetched.patient is None or set(prefetched.missing) != set(prefetched.null_keys)
            ):
                raise PrefetchUnavailable(self._unavailable())
            # Every missing key was sent as null: the specification's "no data to populate" it.
            # Failed and paged keys cannot be completed here: their types are failed, so the
            # criteria that read them are unknown.
            for key, why in prefetched.failed.items():
                failed.setdefault(self.plan.searches[key].resource_type, why)
            for key in prefetched.next_links:
                failed.setdefault(
                    self.plan.searches[key].resource_type,
                    f"prefetch {key!r} holds only the first page of its results, and no "
                    "allowlisted fhirServer was given to read the rest",
                )
        else:
            to_fetch = [
                key for key in (*prefetched.missing, *prefetched.failed) if key != PATIENT_KEY
            ]
            if to_fetch or patient is None:
                fetched = fetch_record(
                    client,
                    [self.plan.searches[key] for key in to_fetch],
                    self.patient_id,
                    as_of,
                    self.options,
                )
                patient = prefetched.patient or fetched.patient
                failed.update(fetched.failed)
                for rtype, items in fetched.notes.items():
                    notes.setdefault(rtype, []).extend(items)
                resources += entries_of(fetched.resources)
            resources += self._rest_of_pages(client, failed, notes)
        # S101: present, or fetched, or the call was refused above
        assert patient is not None  # noqa: S101
        # Read the Medications prefetched orders reference; without them a drug is unknown, never
        # "not given".
        resources += read_medications(
            client,
            resources,
            failed,
            Deadline(self.options.deadline),
            no_client="{ref} was not prefetched, and no allowlisted fhirServer was given to read "
            "it from",
        )
        # build_record keeps only resources whose subject is this patient: prefetch is checked, not
        # trusted.
        unique, conflicts = deduplicate(resources)
        for rtype, why in conflicts.items():
            failed.setdefault(rtype, why)
        return build_record(patient, unique, failed, notes)

    def _rest_of_pages(
        self, client: FhirClient, failed: dict[str, str], notes: dict[str, list[str]]
    ) -> list[dict[str, Any]]:
        """Follow paged prefetch keys' next links from fhirServer; a key whose rest cannot be
        read marks its type failed.
        """
        found: list[dict[str, Any]] = []
        deadline = Deadline(self.options.deadline)
        for key, url in self.prefetched.next_links.items():
            rtype = self.plan.searches[key].resource_type
            try:
                found += client.follow(
                    url,
                    rtype,
                    deadline,
                    f"prefetch {key!r} (next pages)",
                    notes.setdefault(rtype, []),
                )
            except FhirError as exc:
                failed.setdefault(rtype, exc.message)
        return found

    def _unavailable(self) -> str:
        missing, null_keys = self.prefetched.missing, self.prefetched.null_keys
        keys = ", ".join(k for k in missing if k not in null_keys) or ", ".join(missing)
        return f"prefetch keys missing: {keys}; {self.no_server}"
