"""Find a patient's record by id: from the configured FHIR server, or from the bundled fixtures when there is none."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Protocol

import orjson

from service.errors import PatientNotFound
from service.fhir.client import FhirClient
from service.fhir.fetch import FetchOptions, fetch_record
from service.fhir.searches import plan_searches
from service.record import PatientRecord, record_from_bundle
from service.rulebook import Rulebook, Trial

# A FHIR id: 1-64 of letters, digits, '-' and '.' (FHIR R4 datatypes); anything else is refused before a request.
ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.")


class PatientSource(Protocol):
    """Where records by id come from."""

    def record(self, patient_id: str, trials: Iterable[Trial], as_of: date) -> PatientRecord:
        """Return the patient's record with what the trials need; PatientNotFound when there is none."""


def is_fhir_id(value: object) -> bool:
    """Say whether a value is a valid FHIR logical id."""
    return isinstance(value, str) and 1 <= len(value) <= 64 and set(value) <= ID_CHARS


class FixturePatients:
    """The bundled fixture Bundles, indexed by their Patient's id on first use (the embedded default)."""

    def __init__(self, fixtures_dir: str | Path) -> None:
        self.directory = Path(fixtures_dir)
        self._index: dict[str, Path] | None = None
        self._lock = threading.Lock()

    def record(self, patient_id: str, trials: Iterable[Trial], as_of: date) -> PatientRecord:
        """Return the fixture patient's whole record (a fixture holds only what its trial reads)."""
        path = self.index().get(patient_id)
        if path is None:
            raise PatientNotFound(
                f"no bundled fixture patient with id {patient_id!r} (and no FHIR server is configured)"
            )
        return record_from_bundle(orjson.loads(path.read_bytes()))

    def index(self) -> dict[str, Path]:
        """Return patient id → Bundle file, scanning the fixture directory once."""
        with self._lock:
            if self._index is None:
                index: dict[str, Path] = {}
                for path in sorted(self.directory.glob("*/*.json")):
                    if path.name == "manifest.json":
                        continue
                    bundle = orjson.loads(path.read_bytes())
                    for entry in bundle.get("entry", []):
                        resource = entry.get("resource") or {}
                        if resource.get("resourceType") == "Patient" and resource.get("id"):
                            index[resource["id"]] = path
                self._index = index
            return self._index


class FhirPatients:
    """A FHIR server: the searches the trials' definitions need, run for one patient."""

    def __init__(self, client: FhirClient, book: Rulebook, options: FetchOptions) -> None:
        self.client = client
        self.book = book
        self.options = options

    def record(self, patient_id: str, trials: Iterable[Trial], as_of: date) -> PatientRecord:
        """Fetch the Patient and the planned searches."""
        return fetch_record(
            self.client, plan_searches(self.book, list(trials)), patient_id, as_of, self.options
        )
