"""Session fixtures: one sekmet FHIR server per test run, loaded with the fixture patients and the Synthea records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.integration.fhir_server import REPO_ROOT, FhirServer, ensure_sekmet, load_bundle, load_bundles
from tests.needs import synthea_dir

FIXTURES = REPO_ROOT / "fhir_fixtures"


def fixture_paths() -> list[Path]:
    """Every fixture patient Bundle (manifests excluded)."""
    return sorted(p for p in FIXTURES.glob("NCT*/*.json") if p.name != "manifest.json")


@pytest.fixture(scope="session")
def fhir_server() -> Iterator[FhirServer]:
    """A sekmet server for the whole session, stopped and deleted at the end."""
    with FhirServer(ensure_sekmet()) as server:
        yield server


@pytest.fixture(scope="session")
def synthea_files() -> list[Path]:
    """Every Synthea patient Bundle there is (none on a fresh clone: the tests that read them say they need them)."""
    return sorted(synthea_dir().glob("*.json"))


@pytest.fixture(scope="session")
def loaded_fhir(fhir_server: FhirServer, synthea_files: list[Path]) -> dict[str, Any]:
    """The server with every fixture and Synthea Bundle stored: base_url, Synthea stem -> server Patient id, fixture Patient id -> path."""
    fixtures: dict[str, Path] = {}
    bundles = []
    for path in fixture_paths():
        bundle = orjson.loads(path.read_bytes())
        bundles.append(bundle)
        for entry in bundle["entry"]:
            if entry["resource"]["resourceType"] == "Patient":
                # Duplicate ids across trials: the later file wins, on the server as here.
                fixtures[entry["resource"]["id"]] = path
    synthea: dict[str, str] = {}
    with requests.Session() as http:
        load_bundles(fhir_server.base_url, bundles, http)
        for path in synthea_files:
            stored = load_bundle(fhir_server.base_url, orjson.loads(path.read_bytes()), http)
            patients = [ref.split("/", 1)[1] for ref in stored.values() if ref.startswith("Patient/")]
            assert len(patients) == 1, f"{path.name}: expected one Patient, the server stored {patients}"
            synthea[path.stem] = patients[0]
    return {"base_url": fhir_server.base_url, "synthea": synthea, "fixtures": fixtures}
