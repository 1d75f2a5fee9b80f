"""Where a run's NDJSON comes from: a given directory/URL, or the FHIR server's $export (and,
re-screening, a _since export).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from service.errors import PatientNotFound
from service.population.export import BulkExporter
from service.population.files import read_json, write_json
from service.population.inputs import InputError
from service.population.rescreen import changed_patients, expiring_patients, read_rows
from service.records.fhir.client import FhirClient
from service.records.fhir.settings import fetch_options
from service.records.fhir.settings import fhir_client as client_for
from service.records.sources import FhirPatients
from service.rulebook.book import Rulebook
from service.settings import parse_fhir

if TYPE_CHECKING:
    from service.population.run import ScreenOptions

SHARED = {"Medication"}  # outside the patient compartment: a system-level export of its own


@dataclass
class Source:
    """The NDJSON a run reads, what it came from, and (re-screening) the patients it holds."""

    url: str
    transaction_time: str | None = None
    request: str | None = None
    since: str | None = None
    reevaluated: set[str] | None = None  # None: every patient of the input
    warnings: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """Render the manifest's input members."""
        body: dict[str, Any] = {}
        if self.transaction_time:
            body["transactionTime"] = self.transaction_time
        if self.request:
            body["request"] = self.request
        if self.since:
            body["since"] = self.since
        if self.warnings:
            body["warnings"] = self.warnings[:20]
        return body


def fhir_client(options: ScreenOptions) -> FhirClient:
    """Build the pull mode's client (retries, bearer or SMART Backend Services) for the screen's
    FHIR base URL.
    """
    settings = options.fhir
    if settings is None or settings.base_url != options.fhir_base_url:
        # Settings for another server (or none): the defaults for this one; its auth is configured
        # with its URL.
        settings = parse_fhir({"FHIR_BASE_URL": options.fhir_base_url})
    client = client_for(settings)
    assert client is not None  # noqa: S101 - a base URL was given
    return client


def fetch_input(
    options: ScreenOptions,
    types: list[str],
    run_dir: Path,
    previous: dict[str, Any] | None,
    book: Rulebook,
    note: Callable[[str], None],
) -> Source:
    """Return the run's input, exporting it first when the input is a FHIR server (a finished
    export is not repeated).
    """
    if options.ndjson:
        # A directory holds a whole export: re-screening compares each patient's data digest in the
        # buckets (run.py).
        return Source(options.ndjson)
    dest = run_dir / "input"
    done = run_dir / "export.json"
    if done.exists():
        saved = read_json(done)
        return Source(
            str(dest),
            saved["transactionTime"],
            saved.get("request"),
            saved.get("since"),
            set(saved["reevaluated"]) if saved.get("reevaluated") is not None else None,
        )
    client = fhir_client(options)
    exporter = BulkExporter(client)
    compartment = [t for t in types if t not in SHARED]
    since = (
        previous["input"].get("transactionTime")
        if previous and previous.get("rulesVersion") == book.version
        else None
    )
    if previous and since is None and previous.get("rulesVersion") == book.version:
        raise InputError(
            "--since-previous: the previous run has no transactionTime (it did not come from an "
            "export)"
        )
    if since:
        source = _since_export(
            options, exporter, client, compartment, previous or {}, since, dest, book, note
        )
    else:
        result = exporter.export(dest, compartment, options.group, "patient", None, note)
        source = Source(
            str(dest),
            result.manifest.get("transactionTime"),
            result.manifest.get("request"),
            warnings=result.warnings,
        )
    if SHARED & set(types):
        exporter.export(dest, sorted(SHARED & set(types)), None, "system", None, note)
    write_json(
        done,
        {
            "transactionTime": source.transaction_time,
            "request": source.request,
            "since": source.since,
            "reevaluated": sorted(source.reevaluated) if source.reevaluated is not None else None,
        },
    )
    return source


def _since_export(
    options: ScreenOptions,
    exporter: BulkExporter,
    client: FhirClient,
    types: list[str],
    previous: dict[str, Any],
    since: str,
    dest: Path,
    book: Rulebook,
    note: Callable[[str], None],
) -> Source:
    """Export what changed since the previous run, then fetch the whole record of every changed
    or expiring patient.
    """
    delta = dest.parent / "since"
    result = exporter.export(delta, types, options.group, "patient", since, note)
    changed = changed_patients(result.files)
    prior = Path(options.since_previous or ".") / "results.ndjson"
    expiring = expiring_patients(read_rows(prior), options.as_of) if prior.exists() else set()
    selected = changed | expiring
    note(f"{len(changed)} changed and {len(expiring)} expiring patients to re-evaluate")
    patients = FhirPatients(client, book, fetch_options(options.fhir or parse_fhir({})))
    trials = [book.trials[t] for t in (options.trials or sorted(book.trials))]
    lines: dict[str, list[bytes]] = {}
    for patient_id in sorted(selected):
        try:
            record = patients.find(patient_id).record(trials, options.as_of)
        except PatientNotFound:
            # deleted since: it leaves the results (Bulk Data has no deleted[] here to say so)
            continue
        _add_record(lines, record.patient, record.resources, record.failed)
    dest.mkdir(parents=True, exist_ok=True)
    for rtype, items in lines.items():
        (dest / f"{rtype}.ndjson").write_bytes(b"".join(items))
    return Source(
        str(dest),
        result.manifest.get("transactionTime"),
        result.manifest.get("request"),
        since,
        selected,
        result.warnings,
    )


def _add_record(
    lines: dict[str, list[bytes]],
    patient: dict[str, Any],
    resources: dict[str, list[dict[str, Any]]],
    failed: dict[str, str],
) -> None:
    if failed:
        # A search that failed now would silently become "no data" once written as NDJSON: stop
        # instead.
        raise InputError(
            "re-screening: a search failed while fetching a changed record "
            f"({'; '.join(sorted(failed.values()))[:300]})"
        )
    lines.setdefault("Patient", []).append(orjson.dumps(patient) + b"\n")
    for rtype, items in resources.items():
        lines.setdefault(rtype, []).extend(orjson.dumps(r) + b"\n" for r in items)
