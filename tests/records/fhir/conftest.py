"""Fixtures for the FHIR client tests: a mocked HTTP layer, a sleep recorder and signing keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service.records.fhir.client import FhirClient
from tests.helpers.fakes import BASE


@pytest.fixture
def server() -> Iterator[responses.RequestsMock]:
    """The mocked HTTP layer: every request must match a registered answer (others raise
    ConnectionError).
    """
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def slept() -> list[float]:
    """The delays the client slept, recorded instead of waited."""
    return []


@pytest.fixture
def client(slept: list[float]) -> FhirClient:
    """A client of BASE with no auth that records its sleeps."""
    return FhirClient(BASE, sleep=slept.append)


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """An RSA key for RS384, generated once per run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    """An EC P-384 key for ES384, generated once per run."""
    return ec.generate_private_key(ec.SECP384R1())
