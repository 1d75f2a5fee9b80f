"""Shared fixtures: the rulebook, the app, fixture patients and the Synthea records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service import create_app
from service.rulebook.book import Rulebook, load_rulebook
from tests.helpers.cds import LocalServer
from tests.helpers.jwt import Keys, jwks
from tests.needs import need


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


# The CDS Client's (and the API issuer's) keys and JWK Set: the CDS and the REST API auth tests share them.
@pytest.fixture(scope="module")
def keys() -> Keys:
    """The CDS Client's RSA and EC P-384 keys, and a stranger's key it never published."""
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP384R1()),
        stranger=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


@pytest.fixture(scope="module")
def jwks_server(keys: Keys) -> Iterator[LocalServer]:
    """The CDS Client's JWK Set, served over real HTTP on 127.0.0.1."""
    with LocalServer(
        lambda path, params: (200, jwks(keys)) if path == "/jwks.json" else (404, {})
    ) as server:
        yield server
