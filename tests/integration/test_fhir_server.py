"""The FHIR server harness: it starts, stores every Bundle, and answers the searches the service
makes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

FHIR_JSON = {"Accept": "application/fhir+json"}


def search_all(
    http: requests.Session, url: str, params: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Every matching resource of a search, following Bundle.link next; also the number of pages
    read.
    """
    matches: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        resp = http.get(
            next_url, params=params if pages == 0 else None, headers=FHIR_JSON, timeout=30
        )
        assert resp.status_code == 200, resp.text[:500]
        bundle = resp.json()
        pages += 1
        matches += [
            e["resource"]
            for e in bundle.get("entry", [])
            if e.get("search", {}).get("mode", "match") == "match"
        ]
        next_url = next(
            (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
        )
    return matches, pages


def resources(path: Path, resource_type: str) -> list[dict[str, Any]]:
    """The resources of one type in a Bundle file."""
    bundle = orjson.loads(path.read_bytes())
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def codings(resource: dict[str, Any]) -> set[tuple[str, str]]:
    """(system, code) pairs of a resource's code."""
    return {
        (c.get("system", ""), c.get("code", "")) for c in resource.get("code", {}).get("coding", [])
    }


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    """One HTTP session for the module's many small requests."""
    with requests.Session() as session:
        yield session


def test_metadata_is_an_r4_capability_statement(fhir_server, http):
    """The server answers /metadata with an R4 CapabilityStatement."""
    resp = http.get(f"{fhir_server.base_url}/metadata", headers=FHIR_JSON, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["resourceType"] == "CapabilityStatement"
    assert resp.json()["fhirVersion"].startswith("4.0")


def test_every_fixture_patient_is_readable_by_its_id(loaded_fhir, http):
    """Each fixture Patient reads back by its own id, unchanged apart from meta."""
    assert loaded_fhir["fixtures"], "no fixture patients were loaded"
    for patient_id, path in loaded_fhir["fixtures"].items():
        resp = http.get(
            f"{loaded_fhir['base_url']}/Patient/{patient_id}", headers=FHIR_JSON, timeout=10
        )
        assert resp.status_code == 200, f"{path}: {resp.text[:300]}"
        stored = {k: v for k, v in resp.json().items() if k != "meta"}
        assert stored == resources(path, "Patient")[0], path


def test_unknown_patient_is_404_with_an_operation_outcome(loaded_fhir, http):
    """Reading a Patient id the server does not hold gives 404 and an OperationOutcome."""
    resp = http.get(
        f"{loaded_fhir['base_url']}/Patient/no-such-patient", headers=FHIR_JSON, timeout=10
    )
    assert resp.status_code == 404
    assert resp.json()["resourceType"] == "OperationOutcome"


@pytest.mark.needs("synthea")
def test_synthea_observations_are_all_found_by_patient_across_pages(
    loaded_fhir, synthea_files, http
):
    """Observation?patient=Patient/{id}, paged by next links, returns each Synthea patient's
    Observations exactly once.
    """
    assert synthea_files, "no Synthea records"
    assert {p.stem for p in synthea_files} == set(loaded_fhir["synthea"])
    most_pages = 0
    for path in synthea_files:
        patient_ref = f"Patient/{loaded_fhir['synthea'][path.stem]}"
        found, pages = search_all(
            http,
            f"{loaded_fhir['base_url']}/Observation",
            {"patient": patient_ref, "_count": "100"},
        )
        ids = [o["id"] for o in found]
        assert len(ids) == len(set(ids)), f"{path.stem}: an Observation came back on two pages"
        assert len(ids) == len(resources(path, "Observation")), path.stem
        assert {o["subject"]["reference"] for o in found} <= {patient_ref}, path.stem
        most_pages = max(most_pages, pages)
    # Fletcher_Hyatt has 351 Observations; if no search needed a second page, paging went untested.
    assert most_pages > 1


def test_fixture_observation_search_by_code_returns_exactly_that_code(loaded_fhir, http):
    """For the fixture with the most distinct lab codes, each system|code search returns just the
    Observations with that code.
    """
    path = max(
        loaded_fhir["fixtures"].values(),
        key=lambda p: len({c for o in resources(p, "Observation") for c in codings(o)}),
    )
    observations = resources(path, "Observation")
    patient_id = resources(path, "Patient")[0]["id"]
    per_code = Counter(c for o in observations for c in codings(o))
    assert len(per_code) > 1, path
    for system, code in per_code:
        expected = {o["id"] for o in observations if (system, code) in codings(o)}
        found, _ = search_all(
            http,
            f"{loaded_fhir['base_url']}/Observation",
            {"patient": f"Patient/{patient_id}", "code": f"{system}|{code}"},
        )
        assert {o["id"] for o in found} == expected, f"{path}: {system}|{code}"
