"""Tests for service.cds.hook: a patient-view request parsed once into a HookRequest."""

from __future__ import annotations

from typing import Any

import pytest

from service.cds.hook import HookRequest, parse_hook_request
from service.errors import BadRequest
from service.records.fhir.auth import BearerToken, NoAuth
from tests.helpers.cds import authorization, hook_request


def test_a_request_is_read_into_its_typed_parts() -> None:
    """The hook instance, patient id, prefetch and fhirServer are kept; a token becomes bearer
    auth.
    """
    body = hook_request(
        "p1",
        {"patient": None},
        fhirServer="https://ehr.example.org/fhir",
        fhirAuthorization=authorization(),
    )
    request = parse_hook_request(body)
    assert isinstance(request, HookRequest)
    assert request.patient_id == "p1"
    assert request.hook_instance == body["hookInstance"]
    assert request.prefetch == {"patient": None}
    assert request.fhir_server == "https://ehr.example.org/fhir"
    assert isinstance(request.fhir_auth, BearerToken)


def test_no_fhir_authorization_is_no_auth() -> None:
    """Without fhirAuthorization the EHR's server is read without credentials."""
    assert isinstance(parse_hook_request(hook_request("p1")).fhir_auth, NoAuth)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"hook": "order-select"}, "answers the 'patient-view' hook"),
        ({"hookInstance": ""}, "'hookInstance' must be a non-empty string"),
        ({"context": "p1"}, "'context' must be an object"),
        ({"context": {"patientId": "a/b"}}, "must be a FHIR id"),
        ({"fhirAuthorization": {"token_type": "Bearer"}}, "must hold a Bearer access_token"),
        ({"fhirAuthorization": {"access_token": "t", "token_type": "MAC"}}, "must hold a Bearer"),
        ({"fhirAuthorization": "token"}, "must hold a Bearer access_token"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_member(
    changes: dict[str, Any], problem: str
) -> None:
    """Each member that is wrong is a BadRequest saying which and why."""
    with pytest.raises(BadRequest, match=problem):
        parse_hook_request(hook_request("p1", **changes))


@pytest.mark.parametrize(
    ("server", "why"),
    [
        (None, "has no fhirServer"),
        ("https://elsewhere.example.org/fhir", "not on this service's allowlist"),
        (42, "fhirServer is not a URL"),
    ],
)
def test_the_412_says_why_the_fhir_server_cannot_be_used(server: object, why: str) -> None:
    """The reason names the request's own problem with fhirServer."""
    body = {**hook_request("p1"), "fhirServer": server}
    assert why in parse_hook_request(body).why_no_server()
