"""Parse what REST API callers send beyond the JSON body: whose record (a Bundle or a patient
id), which trials.
"""

from __future__ import annotations

from typing import Any

from service.errors import BadRequest, UnknownTrial
from service.records.entries import is_fhir_id
from service.records.sources import BundleSource, PatientDirectory, PatientSource
from service.rulebook.book import Rulebook, Trial


def patient_source(body: dict[str, Any], patients: PatientDirectory) -> PatientSource:
    """Return the body's Bundle, or the patient its patientId names (exactly one of the two)."""
    if ("bundle" in body) == ("patientId" in body):
        raise BadRequest(
            "the body needs exactly one of 'bundle' (a FHIR Bundle) or 'patientId' (a FHIR "
            "Patient id)"
        )
    if "bundle" in body:
        return BundleSource(body["bundle"])
    if not is_fhir_id(body["patientId"]):
        raise BadRequest("'patientId' must be a FHIR id: 1-64 letters, digits, '-' or '.'")
    return patients.find(body["patientId"])


def trials_for(book: Rulebook, body: dict[str, Any]) -> list[Trial]:
    """Return the trials the body names ('trials'), or every trial."""
    wanted = body.get("trials")
    if wanted is None:
        return list(book.trials.values())
    if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
        raise BadRequest("'trials' must be a list of trial ids")
    # Each id is evaluated once: repeating one id 100,000 times once held a worker past its timeout.
    unique = list(dict.fromkeys(wanted))
    if len(unique) > len(book.trials):
        raise BadRequest(
            f"'trials' names {len(unique)} different ids; this service serves {len(book.trials)} "
            "trials"
        )
    trials = []
    for trial_id in unique:
        trial = book.trial(trial_id)
        if trial is None:
            raise UnknownTrial(f"no trial {trial_id!r}; known trials: {sorted(book.trials)}")
        trials.append(trial)
    return trials
