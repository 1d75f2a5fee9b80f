"""Where a patient's record comes from: a Bundle, the bundled fixtures, a FHIR server, or a bulk
export's lines.

Every source is a ``PatientSource``: one patient's data, read into a record holding what the trials
need. The CDS prefetch is one too (service/records/prefetch.py). A ``PatientDirectory`` finds a
patient's source by id.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import orjson

from service.errors import InvalidBundle, PatientNotFound
from service.records.bundle import record_from_bundle
from service.records.entries import entries_of, read_entries
from service.records.fhir.client import FhirClient
from service.records.fhir.fetch import FetchOptions, fetch_record
from service.records.fhir.medications import ingredient_ids, read_medications
from service.records.record import PatientRecord, build_record
from service.rulebook.book import Rulebook, Trial
from service.rulebook.search_plan import plan_searches


class PatientSource(Protocol):
    """One patient's data, wherever it lives."""

    def record(self, trials: Sequence[Trial], as_of: date) -> PatientRecord:
        """Return the patient's record with what the trials need."""


class PatientDirectory(Protocol):
    """Where patients are found by id."""

    def find(self, patient_id: str) -> PatientSource:
        """Return the patient's source; PatientNotFound when there is no such patient."""


@dataclass(frozen=True)
class BundleSource:
    """A FHIR Bundle holding one patient's resources (an API body, a CLI file, a fixture)."""

    bundle: object

    def record(self, trials: Sequence[Trial], as_of: date) -> PatientRecord:
        """Return the Bundle's record (it holds what it holds, whatever the trials read)."""
        return record_from_bundle(self.bundle)


@dataclass(frozen=True)
class FhirSource:
    """One patient on a FHIR server: the searches the trials' definitions need."""

    client: FhirClient
    book: Rulebook
    options: FetchOptions
    patient_id: str

    def record(self, trials: Sequence[Trial], as_of: date) -> PatientRecord:
        """Fetch the Patient and the planned searches."""
        searches = plan_searches(self.book, list(trials))
        return fetch_record(self.client, searches, self.patient_id, as_of, self.options)


class FhirPatients:
    """A FHIR server's patients."""

    def __init__(self, client: FhirClient, book: Rulebook, options: FetchOptions) -> None:
        self.client = client
        self.book = book
        self.options = options

    def find(self, patient_id: str) -> FhirSource:
        """Return the patient's source (the Patient read itself says whether there is one)."""
        return FhirSource(self.client, self.book, self.options, patient_id)


class FixturePatients:
    """The bundled fixture Bundles, indexed by their Patient's id on first use (the embedded
    default).
    """

    def __init__(self, fixtures_dir: str | Path) -> None:
        self.directory = Path(fixtures_dir)
        self._index: dict[str, Path] | None = None
        self._lock = threading.Lock()

    def find(self, patient_id: str) -> BundleSource:
        """Return the fixture patient's Bundle (a fixture holds only what its trial reads)."""
        path = self.index().get(patient_id)
        if path is None:
            raise PatientNotFound(
                f"no bundled fixture patient with id {patient_id!r} (and no FHIR server is "
                "configured)"
            )
        return BundleSource(orjson.loads(path.read_bytes()))

    def index(self) -> dict[str, Path]:
        """Return patient id → Bundle file, scanning the fixture directory once."""
        with self._lock:
            if self._index is None:
                index: dict[str, Path] = {}
                for path in sorted(self.directory.glob("*/*.json")):
                    if path.name == "manifest.json":
                        continue
                    bundle = orjson.loads(path.read_bytes())
                    for entry in read_entries(bundle.get("entry"), f"{path.name}: ", InvalidBundle):
                        resource = entry.resource
                        if resource["resourceType"] == "Patient" and resource.get("id"):
                            index[resource["id"]] = path
                self._index = index
            return self._index


@dataclass
class ExportedPatient:
    """One patient's lines of a bulk export: the Patient, its resources by type, and the export's
    shared Medications.
    """

    patient: dict[str, Any] | None = None
    resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lines: int = 0

    def record(
        self,
        trials: Sequence[Trial],
        as_of: date,
        medications: dict[str, dict[str, Any]] | None = None,
    ) -> PatientRecord:
        """Build the record as the pull mode does: the Medications the orders point at, or their
        types marked failed.
        """
        # S101: the bucket evaluates only groups that hold their Patient
        assert self.patient is not None  # noqa: S101
        medications = medications or {}
        resources = entries_of(self.resources)
        refs = {
            r["medicationReference"]["reference"]
            for r in resources
            if isinstance(r.get("medicationReference"), dict)
            and isinstance(r["medicationReference"].get("reference"), str)
        }
        found = [medications[ref] for ref in sorted(refs) if ref in medications]
        # The ingredients of a mix found above (an IV mix naming its drug's Medication), as the
        # pull reads them: without them the drug given was unknown here and known there.
        found += [
            medications[f"Medication/{mid}"]
            for mid in sorted(
                ingredient_ids([*resources, *found]) - {str(m.get("id")) for m in found}
            )
            if f"Medication/{mid}" in medications
        ]
        failed: dict[str, str] = {}
        # A drug whose Medication is not in the export is unknown, never "not given"
        # (read_medications marks its types).
        read_medications(
            None,  # no client: nothing is fetched, the export holds what there is
            [*resources, *found],
            failed,
            None,  # type: ignore[arg-type]
            no_client="{ref} is not in the export",
        )
        return build_record(self.patient, [*resources, *found], failed)
