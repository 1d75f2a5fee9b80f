"""Shared fixtures: the rulebook, the app, fixture patients and the Synthea records."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from service import create_app
from service.rulebook import Rulebook, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fhir_fixtures"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="session")
def book() -> Rulebook:
    """The real rulebook, loaded once."""
    return load_rulebook()


@pytest.fixture()
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app built from the defaults (its CDS state in a throw-away SQLite file, never the checkout's var/)."""
    return create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3")})


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    """A test client of the app."""
    return app.test_client()


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return orjson.loads(path.read_bytes())


def synthea_dir() -> Path:
    """The Synthea records (SYNTHEA_DIR, set by .ci/run; else ../shared/fhir/synthea)."""
    return Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")
