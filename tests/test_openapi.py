"""openapi.yaml is a valid OpenAPI 3.1 document, and the real app's requests and responses
conform to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate

from service import create_app
from service.rulebook.book import Rulebook
from tests.helpers.openapi import Call, base_url, check, openapi, perform, spec_document
from tests.needs import synthea_dir

AS_OF = "2020-01-01"
TRIAL = "NCT06761417"

PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "2010-05-05", "gender": "female"}
ANC = {
    "resourceType": "Observation",
    "id": "anc-1",
    "status": "final",
    "code": {
        "coding": [
            {
                "system": "http://loinc.org",
                "code": "751-8",
                "display": "Neutrophils [#/volume] in Blood",
            }
        ]
    },
    "subject": {"reference": "Patient/p1"},
    "effectiveDateTime": "2019-12-28T08:00:00+08:00",
    "valueQuantity": {
        "value": 2.1,
        "unit": "10*9/L",
        "system": "http://unitsofmeasure.org",
        "code": "10*9/L",
    },
}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A collection Bundle of the given resources."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


SMALL = bundle(PATIENT, ANC)
CDS_CALL = {
    "hook": "patient-view",
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "context": {"userId": "Practitioner/1", "patientId": "p1"},
}
# JWT verification is tested in tests/cds; here the shapes of the answers are.
CDS_OPEN = {"CDS_JWT_VERIFY": False}
CDS_BEARER = {"Authorization": "Bearer not-checked-here"}


def synthea_records() -> list[Path]:
    """The Synthea patient records."""
    return sorted(synthea_dir().glob("*.json"))


def test_spec_is_valid_openapi_3_1() -> None:
    """openapi.yaml passes openapi-spec-validator as an OpenAPI 3.1 document."""
    document = spec_document()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_spec_documents_every_route_of_the_app() -> None:
    """Every route the app serves (but Flask's static files and the HTML pages) is a path of the
    spec, with the same methods.
    """
    app = create_app({"TESTING": True})
    served: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        # The pages under /ui/ (and the / redirect to them) are HTML for people, not the API's
        # contract.
        if (
            rule.endpoint == "static"
            or rule.endpoint.startswith("pages.")
            or rule.endpoint == "root"
        ):
            continue
        path = rule.rule.replace("<trial_id>", "{trialId}").replace("<service_id>", "{serviceId}")
        path = path.replace("<run_id>", "{runId}").replace(
            "<path:name>", "{name}"
        )  # population screens (branch population)
        served.setdefault(path, set()).update(
            m.lower() for m in (rule.methods or ()) if m not in {"HEAD", "OPTIONS"}
        )
    documented = {
        path: {m for m in item if m in {"get", "post", "put", "patch", "delete"}}
        for path, item in spec_document()["paths"].items()
    }
    assert served == documented


def test_a_drifted_response_fails_validation() -> None:
    """The response schemas are closed: a report with an extra member does not validate (so drift
    is caught).
    """
    request = MockRequest(
        base_url(),
        "post",
        f"/trials/{TRIAL}/eligibility",
        data=orjson.dumps({"bundle": SMALL, "asOf": AS_OF}),
    )
    _, response = perform(
        Call("POST", f"/trials/{TRIAL}/eligibility", 200, body={"bundle": SMALL, "asOf": AS_OF})
    )
    drifted = {**response.get_json(), "score": 0.5}
    with pytest.raises(InvalidData, match="score"):
        openapi().validate_response(request, MockResponse(orjson.dumps(drifted), status_code=200))


CALLS = [
    # Liveness, the trial list, and one trial's criteria.
    Call("GET", "/health", 200),
    Call("GET", "/trials", 200),
    Call("GET", f"/trials/{TRIAL}", 200),
    # An unknown trial is a JSON 404 on both endpoints that name one.
    Call("GET", "/trials/NCT00000000", 404),
    Call("POST", "/trials/NCT00000000/eligibility", 404, body={"bundle": SMALL, "asOf": AS_OF}),
    # The small inline bundle, against one trial, against all, and against a chosen list.
    Call("POST", f"/trials/{TRIAL}/eligibility", 200, body={"bundle": SMALL, "asOf": AS_OF}),
    Call("POST", "/eligibility", 200, body={"bundle": SMALL, "asOf": AS_OF}),
    Call("POST", "/eligibility", 200, body={"bundle": SMALL, "asOf": AS_OF, "trials": [TRIAL]}),
    # asOf may be left out (today).
    Call("POST", f"/trials/{TRIAL}/eligibility", 200, body={"bundle": SMALL}),
    # An unknown trial in 'trials' is a 404.
    Call("POST", "/eligibility", 404, body={"bundle": SMALL, "trials": [TRIAL, "NCT00000000"]}),
    # A Bundle with two Patients conforms to the schema, but the service cannot use it.
    Call("POST", "/eligibility", 422, body={"bundle": bundle(PATIENT, {**PATIENT, "id": "p2"})}),
    Call("POST", f"/trials/{TRIAL}/eligibility", 422, body={"bundle": bundle()}),
    # Requests that break the spec: the answer is still a documented error.
    Call("POST", f"/trials/{TRIAL}/eligibility", 400, raw=b"{not json", request_conforms=False),
    Call("POST", "/eligibility", 400, body=[SMALL], request_conforms=False),
    Call("POST", "/eligibility", 400, body={"asOf": AS_OF}, request_conforms=False),
    Call(
        "POST",
        f"/trials/{TRIAL}/eligibility",
        400,
        body={"bundle": SMALL, "asOf": "2020-13-01"},
        request_conforms=False,
    ),
    Call(
        "POST", "/eligibility", 400, body={"bundle": SMALL, "trials": TRIAL}, request_conforms=False
    ),
    Call(
        "POST",
        f"/trials/{TRIAL}/eligibility",
        422,
        body={"bundle": PATIENT},
        request_conforms=False,
    ),
    Call(
        "POST",
        "/eligibility",
        422,
        body={"bundle": {"resourceType": "Bundle", "type": "nonsense"}},
        request_conforms=False,
    ),
    # By id: a bundled fixture patient (no FHIR server configured), and an unknown id (404).
    Call(
        "POST",
        f"/trials/{TRIAL}/eligibility",
        200,
        body={"patientId": "nct06761417-age-30", "asOf": AS_OF},
    ),
    Call(
        "POST",
        "/eligibility",
        200,
        body={"patientId": "nct06761417-age-30", "asOf": AS_OF, "trials": [TRIAL]},
    ),
    Call("POST", "/eligibility", 404, body={"patientId": "no-such-patient"}),
    # Both a bundle and a patientId, and an id that is not a FHIR id: 400.
    Call(
        "POST",
        "/eligibility",
        400,
        body={"bundle": SMALL, "patientId": "p1"},
        request_conforms=False,
    ),
    Call("POST", "/eligibility", 400, body={"patientId": "a/b"}, request_conforms=False),
    # CDS Hooks: discovery; a call with no prefetch and no fhirServer is a 412; an unknown service a
    # 404.
    Call("GET", "/cds-services", 200),
    Call(
        "POST",
        "/cds-services/trial-eligibility",
        412,
        body=CDS_CALL,
        config=CDS_OPEN,
        headers=CDS_BEARER,
    ),
    Call("POST", "/cds-services/other", 404, body=CDS_CALL, config=CDS_OPEN, headers=CDS_BEARER),
    # With verification on (the default), no token is a 401.
    Call("POST", "/cds-services/trial-eligibility", 401, body=CDS_CALL, request_conforms=False),
    # REST API with jwt auth and no token: 401; a FHIR server and no API_AUTH choice: 503.
    Call(
        "POST",
        "/eligibility",
        401,
        body={"bundle": SMALL},
        config={
            "API_AUTH": "jwt",
            "API_JWT_ISSUERS": {"https://idp.example": "http://127.0.0.1:9/j"},
            "API_JWT_AUDIENCE": "https://api.example",
        },
    ),
    Call("GET", "/trials", 503, config={"FHIR_BASE_URL": "http://127.0.0.1:9/fhir"}),
    # A token in the query string: 400 on any route.
    Call("GET", "/health?access_token=abc", 400),
    # Over the size limit: a JSON 413.
    Call(
        "POST",
        "/eligibility",
        413,
        body={"bundle": SMALL, "asOf": AS_OF},
        config={"MAX_CONTENT_LENGTH": 100},
    ),
    Call(
        "POST",
        f"/trials/{TRIAL}/eligibility",
        413,
        body={"bundle": SMALL, "asOf": AS_OF},
        config={"MAX_CONTENT_LENGTH": 100},
    ),
]


def test_every_operation_documents_the_statuses_any_request_can_get() -> None:
    """Every operation lists 400 (query credentials, bad request line), 405, 431 and 500; every
    POST also 413 and 503.
    """
    methods = {"get", "post"}
    assert len(spec_document()["paths"]) > 10
    for path, item in spec_document()["paths"].items():
        for method, operation in item.items():
            if method not in methods:
                continue
            statuses = set(operation["responses"])
            assert {"400", "405", "431", "500"} <= statuses, (path, method)
            if method == "post":
                assert {"413", "503"} <= statuses, (path, method)


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.method} {c.path} {c.status}")
def test_request_and_response_conform(call: Call) -> None:
    """The real request/response pair validates against the spec (requests that break it on
    purpose are rejected by it).
    """
    check(call)


def test_every_trial_detail_conforms(book: Rulebook) -> None:
    """GET /trials/{id} conforms for every trial in the rulebook."""
    for trial_id in book.trials:
        assert check(Call("GET", f"/trials/{trial_id}", 200)).get_json()["id"] == trial_id


@pytest.mark.needs("synthea")
def test_there_are_synthea_records() -> None:
    """The Synthea records are where SYNTHEA_DIR (or ../shared/fhir/synthea) says."""
    assert synthea_records(), f"no Synthea records in {synthea_dir()}; set SYNTHEA_DIR"


@pytest.mark.needs("synthea")
@pytest.mark.parametrize("path", synthea_records(), ids=lambda p: p.stem.split("_")[0])
def test_synthea_record_against_every_trial_conforms(path: Path) -> None:
    """POST /eligibility with a real Synthea record, as of 2020-01-01, conforms for every trial's
    report.
    """
    response = check(
        Call(
            "POST",
            "/eligibility",
            200,
            body={"bundle": orjson.loads(path.read_bytes()), "asOf": AS_OF},
        )
    )
    assert response.get_json()["asOf"] == AS_OF


@pytest.mark.needs("synthea")
def test_synthea_record_against_one_trial_conforms() -> None:
    """POST /trials/{id}/eligibility with a real Synthea record conforms, and cites evidence."""
    path = synthea_records()[0]
    report = check(
        Call(
            "POST",
            f"/trials/{TRIAL}/eligibility",
            200,
            body={"bundle": orjson.loads(path.read_bytes()), "asOf": AS_OF},
        )
    ).get_json()
    assert any(c["evidence"] for c in report["criteria"])


@pytest.mark.parametrize("value", [".", ".."])
def test_the_spec_refuses_the_patient_ids_the_service_refuses(value: str) -> None:
    """openapi.yaml's patient id schemas refuse "." and "..", as is_fhir_id does."""
    import jsonschema  # noqa: PLC0415 - only this test validates a schema on its own

    schemas = spec_document()["components"]["schemas"]
    api_id = jsonschema.Draft202012Validator(schemas["PatientId"])
    hook_id = jsonschema.Draft202012Validator(
        schemas["CdsRequest"]["properties"]["context"]["properties"]["patientId"]
    )
    assert not api_id.is_valid(value)
    assert not hook_id.is_valid(value)
    assert api_id.is_valid("p.1")
    assert hook_id.is_valid("p.1")
