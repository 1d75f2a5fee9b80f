"""Fetch one patient's record: the Patient read, then the planned searches in parallel; failures are kept, not hidden."""

from __future__ import annotations

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from service.errors import FhirAuthRefused, FhirError, PatientNotFound
from service.fhir.client import Deadline, FhirClient
from service.fhir.medications import read_medications
from service.fhir.searches import Search
from service.record import PatientRecord, entries_of, index_resources, subject_key

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
    """Read the Patient and run the searches; a failed search is recorded in ``failed``, never dropped.

    The Patient read must succeed (PatientNotFound, or the FhirError, otherwise): without it there is
    no one to evaluate. Refused credentials on the Patient read raise too, since every search would fail.
    """
    options = options or FetchOptions()
    deadline = Deadline(options.deadline)
    patient = client.read("Patient", patient_id, deadline)
    if patient.get("id") not in (None, patient_id):
        raise PatientNotFound(
            "the FHIR server answered with a different Patient than the one asked for"
        )
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
            # Each search runs in a copy of the request's context, so its log lines carry the request id (service/observability).
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
    resources: dict[str, dict[str, dict[str, Any]]] = {}
    failed: dict[str, str] = {}
    kept_notes: dict[str, list[str]] = {}
    for search in searches:
        outcome = results[search]
        if isinstance(outcome, FhirError):
            failed.setdefault(search.resource_type, outcome.message)
            # The message may quote the server's OperationOutcome text, which can hold patient data: not logged.
            log.warning(
                "fhir search failed: %s (%s, HTTP %s)",
                search.label,
                type(outcome).__name__,
                outcome.http_status or "-",
            )
            continue
        if notes[search]:
            kept_notes.setdefault(search.resource_type, []).extend(notes[search])
        for resource in outcome:
            # Keyed by id: Observation searches overlap (by code and by date) and includes repeat.
            key = str(resource.get("id") or id(resource))
            resources.setdefault(resource["resourceType"], {})[key] = resource
    grouped = {
        rtype: list(items.values()) for rtype, items in resources.items() if rtype != "Patient"
    }
    # Checked before the Medication reads, whose failures mark types whose searches succeeded.
    if searches and all(isinstance(outcome, FhirAuthRefused) for outcome in results.values()):
        # Every search refused: the credentials are wrong, not one scope missing; say so as an error.
        raise next(outcome for outcome in results.values() if isinstance(outcome, FhirAuthRefused))
    # Another patient's orders (from a lenient server) are dropped first: their Medications are not read.
    owned = _owned_by(patient_id, grouped)
    medications = read_medications(client, entries_of(owned), failed, deadline)
    if medications:
        owned.setdefault("Medication", []).extend(medications)
    return PatientRecord(
        patient=patient,
        resources=owned,
        failed=failed,
        index=index_resources([patient, *entries_of(owned)]),
        notes=kept_notes,
    )


def _owned_by(
    patient_id: str, grouped: dict[str, list[dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Keep the resources that belong to the patient (a lenient server may return others); Medications are shared."""
    key = f"Patient/{patient_id}"
    owned: dict[str, list[dict[str, Any]]] = {}
    for rtype, items in grouped.items():
        if rtype == "Medication":
            owned[rtype] = items
            continue
        owned[rtype] = [r for r in items if subject_key(r) in (key, None)]
    return owned
