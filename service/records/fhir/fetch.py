"""Fetch one patient's record: the Patient read, then the planned searches in parallel; failures
are kept, not hidden.
"""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.errors import FhirAuthRefused, FhirError, PatientNotFound
from service.records.entries import deduplicate, is_owned, patient_keys
from service.records.fhir.client import Deadline, FhirClient
from service.records.fhir.medications import read_medications
from service.records.record import PatientRecord, build_record
from service.rulebook.search_plan import Search

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchOptions:
    """How one evaluation fetches: in parallel or one after another, with or without date floors."""

    workers: int = 8
    date_floor: bool = True
    deadline: float = 30.0


def fetch_record(
    client: FhirClient,
    searches: list[Search],
    patient_id: str,
    as_of: date,
    options: FetchOptions | None = None,
) -> PatientRecord:
    """Read the Patient and run the searches; a failed search is recorded in ``failed``, never
    dropped.

    The Patient read must succeed (PatientNotFound, or the FhirError, otherwise): without it there
    is no one to evaluate. Refused credentials on the Patient read raise too, since every search
    would fail.
    """
    options = options or FetchOptions()
    deadline = Deadline(options.deadline)
    patient = client.read("Patient", patient_id, deadline)
    if patient.get("id") not in (None, patient_id):
        raise PatientNotFound(
            "the FHIR server answered with a different Patient than the one asked for"
        )
    # Read as Patient/<id>, it is that Patient even when the server left its id out: its resources
    # name it so.
    patient = patient if patient.get("id") else {**patient, "id": patient_id}
    results: dict[Search, list[dict[str, Any]] | FhirError] = {}
    notes: dict[Search, list[str]] = {search: [] for search in searches}

    def run(search: Search) -> None:
        try:
            results[search] = client.search(
                search.resource_type,
                search.params(
                    patient_id, as_of, client.settings.page_size, date_floor=options.date_floor
                ),
                deadline,
                search.label,
                notes[search],
            )
        except FhirError as exc:
            results[search] = exc

    if options.workers > 1 and len(searches) > 1:
        with ThreadPoolExecutor(
            max_workers=min(options.workers, len(searches)), thread_name_prefix="fhir-search"
        ) as pool:
            # Each search runs in a copy of the request's context, so its log lines carry the
            # request id (service/observability).
            list(
                pool.map(
                    lambda search, context: context.run(run, search),
                    searches,
                    [contextvars.copy_context() for _ in searches],
                )
            )
    else:
        for search in searches:
            run(search)
    found: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    kept_notes: dict[str, list[str]] = {}
    for search in searches:
        outcome = results[search]
        if isinstance(outcome, FhirError):
            failed.setdefault(search.resource_type, outcome.message)
            # The message may quote the server's OperationOutcome text, which can hold patient data:
            # not logged.
            log.warning(
                "fhir search failed: %s (%s, HTTP %s)",
                search.label,
                type(outcome).__name__,
                outcome.http_status or "-",
            )
            continue
        if notes[search]:
            kept_notes.setdefault(search.resource_type, []).extend(notes[search])
        found.extend(outcome)
    # Checked before the Medication reads, whose failures mark types whose searches succeeded.
    if searches and all(isinstance(outcome, FhirAuthRefused) for outcome in results.values()):
        # Every search refused: the credentials are wrong, not one scope missing; say so as an
        # error.
        raise next(outcome for outcome in results.values() if isinstance(outcome, FhirAuthRefused))
    # Another patient's orders (from a lenient server) are dropped first: their Medications are not
    # read.
    keys = patient_keys(patient)
    # Each resource once: Observation searches overlap (by code and by date) and includes repeat.
    # Copies that differ with nothing to say which is current fail their type, as in a Bundle.
    unique, conflicts = deduplicate(found)
    for rtype, why in conflicts.items():
        failed.setdefault(rtype, why)
    owned = [r for r in unique if is_owned(r, keys)]
    medications = read_medications(client, owned, failed, deadline)
    return build_record(patient, [*owned, *medications], failed, kept_notes)
