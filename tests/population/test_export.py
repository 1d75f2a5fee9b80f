"""The $export client (HTTP mocked with responses): kick-off, polling by Retry-After, download,
and failed jobs named.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import responses

from service.population.export import BulkExporter, ExportError
from service.records.fhir.auth import BearerToken
from service.records.fhir.client import ClientSettings, FhirClient

BASE = "https://fhir.example.org/r4"
STATUS = f"{BASE}/bulk-status/42"


def _exporter(waits: list[float]) -> BulkExporter:
    client = FhirClient(BASE, BearerToken("t0ken"), ClientSettings(tries=2, backoff=0.01))
    return BulkExporter(client, sleep=waits.append)


def _outcome(text: str, severity: str = "error") -> bytes:
    return orjson.dumps(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": "processing", "diagnostics": text}],
        }
    )


@responses.activate
def test_export_polls_by_retry_after_and_downloads(tmp_path: Path) -> None:
    """Kick-off asks async with _type; polling waits what Retry-After says; files land as
    Type.N.ndjson; the token goes along.
    """
    responses.get(f"{BASE}/Group/g1/$export", status=202, headers={"Content-Location": STATUS})
    responses.get(STATUS, status=202, headers={"X-Progress": "collecting", "Retry-After": "3"})
    responses.get(
        STATUS,
        status=200,
        json={
            "transactionTime": "2026-12-01T21:00:00Z",
            "request": f"{BASE}/Group/g1/$export",
            "requiresAccessToken": True,
            "output": [{"type": "Patient", "url": f"{BASE}/files/p.ndjson"}],
            "error": [],
        },
    )
    responses.get(f"{BASE}/files/p.ndjson", body=b'{"resourceType":"Patient","id":"a"}\n')
    waits: list[float] = []
    progress: list[str] = []
    result = _exporter(waits).export(
        tmp_path, ["Patient", "Condition"], group="g1", on_progress=progress.append
    )
    kick = responses.calls[0].request
    assert kick.headers["Prefer"] == "respond-async"
    assert "_type=Patient%2CCondition" in kick.url
    assert waits == [3.0]
    assert progress == ["collecting"]
    assert [p.name for p in result.files] == ["Patient.1.ndjson"]
    assert responses.calls[-1].request.headers["Authorization"] == "Bearer t0ken"
    assert result.manifest["transactionTime"] == "2026-12-01T21:00:00Z"


@responses.activate
def test_since_is_sent_as_given(tmp_path: Path) -> None:
    """A re-screen's _since goes to the server unchanged (a UTC Z instant)."""
    responses.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": STATUS})
    responses.get(STATUS, status=200, json={"transactionTime": "t", "output": []})
    _exporter([]).export(tmp_path, ["Patient"], since="2026-12-01T21:00:00Z")
    assert "_since=2026-12-01T21%3A00%3A00Z" in responses.calls[0].request.url


@responses.activate
def test_failed_job_error_outcomes_stop_the_export(tmp_path: Path) -> None:
    """A finished job whose error[] holds error OperationOutcomes stops with their text; warnings
    alone do not.
    """
    responses.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": STATUS})
    responses.get(
        STATUS,
        status=200,
        json={
            "transactionTime": "t",
            "output": [],
            "error": [{"type": "OperationOutcome", "url": f"{BASE}/files/err.ndjson"}],
        },
    )
    responses.get(
        f"{BASE}/files/err.ndjson",
        body=_outcome("Observation store unavailable")
        + b"\n"
        + _outcome("slow", "warning")
        + b"\n",
    )
    with pytest.raises(ExportError, match=r"reported errors: Observation store unavailable$"):
        _exporter([]).export(tmp_path, ["Patient"])


@responses.activate
def test_job_failing_on_the_status_url_quotes_the_server(tmp_path: Path) -> None:
    """A status answer of 500 with an OperationOutcome (the spec's failed job) stops quoting it,
    and the job is deleted.
    """
    responses.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": STATUS})
    responses.get(STATUS, status=500, body=_outcome("export worker crashed"))
    responses.delete(STATUS, status=202)
    with pytest.raises(ExportError, match="the export job failed: 500 — export worker crashed"):
        _exporter([]).export(tmp_path, ["Patient"])
    assert responses.calls[-1].request.method == "DELETE"


@responses.activate
def test_refused_kick_off_names_the_server_reason(tmp_path: Path) -> None:
    """A kick-off the server refuses (400) stops with its OperationOutcome text, without polling."""
    responses.get(
        f"{BASE}/Patient/$export",
        status=400,
        body=_outcome("Bulk export requires the header 'Prefer: respond-async'"),
    )
    with pytest.raises(ExportError, match="kick-off: 400 — Bulk export requires"):
        _exporter([]).export(tmp_path, ["Patient"])
    assert len(responses.calls) == 1


@responses.activate
def test_output_on_another_host_gets_no_token(tmp_path: Path) -> None:
    """An output URL outside the FHIR base (signed storage) is downloaded without the bearer
    token.
    """
    responses.get(f"{BASE}/Patient/$export", status=202, headers={"Content-Location": STATUS})
    responses.get(
        STATUS,
        status=200,
        json={
            "transactionTime": "t",
            "requiresAccessToken": True,
            "output": [{"type": "Patient", "url": "https://storage.example.net/p.ndjson"}],
        },
    )
    responses.get("https://storage.example.net/p.ndjson", body=b"")
    _exporter([]).export(tmp_path, ["Patient"])
    assert "Authorization" not in responses.calls[-1].request.headers
