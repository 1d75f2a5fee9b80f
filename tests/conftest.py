"""Shared fixtures: the rulebook, the app, fixture patients and the Synthea records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from service import create_app
from service.rulebook.book import Rulebook, load_rulebook
from tests.needs import need

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fhir_fixtures"
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="session")
def book() -> Rulebook:
    """The real rulebook, loaded once."""
    return load_rulebook()


@pytest.fixture
def app(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app built from the defaults (its CDS state in a throw-away SQLite file, never the checkout's var/)."""
    return create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3")})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    """A test client of the app."""
    return app.test_client()


def load_json(path: Path) -> Any:
    """Read a JSON file."""
    return orjson.loads(path.read_bytes())


def pytest_configure(config: pytest.Config) -> None:
    """Register the `needs` marker."""
    config.addinivalue_line(
        "markers",
        "needs(*names): the test needs something from outside the repository (tests/needs.py)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test marked `needs(...)` runs (even one left with an empty parameter set), skip it or, in CI, fail it."""
    for mark in item.iter_markers("needs"):
        need(*mark.args)
