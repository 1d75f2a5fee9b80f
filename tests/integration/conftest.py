"""Session fixtures: one sekmet FHIR server per test run, loaded with the fixture patients and
the Synthea records.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from tests.golden_cases import full_sweeps, swept_cases
from tests.integration.fhir_server import (
    DEFAULT_VENV,
    REPO_ROOT,
    SEKMET_REQUIREMENT,
    FhirServer,
    ensure_sekmet,
    load_bundle,
    load_bundles,
)
from tests.needs import synthea_dir

FIXTURES = REPO_ROOT / "fhir_fixtures"


def fixture_paths() -> list[Path]:
    """The fixture patient Bundles the sweeps read: every one in CI, else the swept sample
    (tests/golden_cases.py).
    """
    if full_sweeps():
        return sorted(p for p in FIXTURES.glob("NCT*/*.json") if p.name != "manifest.json")
    return sorted({case.bundle_path for case in swept_cases()})


def say(config: pytest.Config, line: str) -> None:
    """Print a progress line to the terminal now, past pytest's output capture (a first run would
    sit silent for minutes).
    """
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        # T201: progress for the person running the tests
        print(f"\n[integration] {line}", flush=True)  # noqa: T201


@pytest.fixture(scope="session")
def fhir_server(pytestconfig: pytest.Config) -> Iterator[FhirServer]:
    """A sekmet server for the whole session, stopped and deleted at the end."""
    if not (DEFAULT_VENV / "bin" / "sekmet").exists() and not os.environ.get("SEKMET_BIN"):
        say(
            pytestconfig,
            f"installing {SEKMET_REQUIREMENT} into {DEFAULT_VENV} (first run only, about 1-2 "
            "minutes)",
        )
    executable = ensure_sekmet()
    say(pytestconfig, "starting the FHIR server on 127.0.0.1")
    with FhirServer(executable) as server:
        yield server


@pytest.fixture(scope="session")
def synthea_files() -> list[Path]:
    """Every Synthea patient Bundle there is (none on a fresh clone: the tests that read them say
    they need them).
    """
    return sorted(synthea_dir().glob("*.json"))


@pytest.fixture(scope="session")
def loaded_fhir(
    fhir_server: FhirServer, synthea_files: list[Path], pytestconfig: pytest.Config
) -> dict[str, Any]:
    """The server with every fixture and Synthea Bundle stored: base_url, Synthea stem -> server
    Patient id, fixture Patient id -> path.
    """
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
    say(
        pytestconfig,
        f"loading {len(bundles)} fixture and {len(synthea_files)} Synthea Bundles into it"
        + (
            ""
            if full_sweeps()
            else " (a sample: ELIGIBILITY_TESTS_FULL=1 or CI=true loads and sweeps every fixture)"
        ),
    )
    with requests.Session() as http:
        load_bundles(fhir_server.base_url, bundles, http)
        for path in synthea_files:
            stored = load_bundle(fhir_server.base_url, orjson.loads(path.read_bytes()), http)
            patients = [
                ref.split("/", 1)[1] for ref in stored.values() if ref.startswith("Patient/")
            ]
            assert len(patients) == 1, (
                f"{path.name}: expected one Patient, the server stored {patients}"
            )
            synthea[path.stem] = patients[0]
    return {"base_url": fhir_server.base_url, "synthea": synthea, "fixtures": fixtures}
