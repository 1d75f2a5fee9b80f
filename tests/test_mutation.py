"""Wrongly typed FHIR fields never give a 5xx, and a resource set aside never decides a criterion
(REST and CDS Hooks).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.records.entries import reference_of
from tests.helpers import FIXTURES
from tests.helpers.cds import SERVICE_URL, cds_app, close, hook_request, post, prefetch_for
from tests.helpers.mutants import cited_references, paths, replaced, wrong_for

CASES = sorted(p for p in FIXTURES.glob("*/*.json") if p.name != "manifest.json")
# The eligible base patients hold the most resources; a CDS call is slower than a REST one, so it
# gets fewer examples.
CDS_CASES = sorted(FIXTURES.glob("*/eligible.json"))
SETTINGS = settings(
    max_examples=3 * settings.default.max_examples // 2,  # 150 in CI (tests/conftest.py's profiles)
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for every mutant (JWT verification off: the body is what is tested)."""
    made = cds_app(tmp_path_factory.mktemp("mutation"))
    yield made
    close(made)


def mutate(data: st.DataObject, document: Any) -> tuple[Any, tuple[str | int, ...]]:
    """Draw one element of a document and replace it by a value of another JSON type."""
    path = data.draw(st.sampled_from(list(paths(document))), label="path")
    node = document
    for step in path:
        node = node[step]
    return replaced(
        document, path, data.draw(st.sampled_from(wrong_for(node)), label="value")
    ), path


def set_aside(report: dict[str, Any]) -> set[str]:
    """Return the references a report set aside as unreadable."""
    return {note["reference"] for note in report.get("dataQuality", [])}


@SETTINGS
@given(case=st.sampled_from(CASES), data=st.data())
def test_mutated_fixture_never_gives_5xx_nor_decides_from_a_set_aside_resource(
    app: Flask, case: Path, data: st.DataObject
) -> None:
    """POST a fixture Bundle with one element retyped: the answer is below 500, and no decided
    criterion cites a resource set aside.
    """
    bundle, _path = mutate(data, orjson.loads(case.read_bytes()))
    response = app.test_client().post(
        f"/trials/{case.parent.name}/eligibility", json={"bundle": bundle, "asOf": "2026-11-20"}
    )
    report = response.get_json() if response.status_code == 200 else {"criteria": []}
    assert response.status_code < 500
    assert set_aside(report) & cited_references(report) == set()


@SETTINGS
@given(case=st.sampled_from(CDS_CASES), data=st.data())
def test_mutated_cds_prefetch_never_gives_5xx(app: Flask, case: Path, data: st.DataObject) -> None:
    """A patient-view call whose prefetch has one element retyped is answered below 500."""
    templates = app.test_client().get("/cds-services").get_json()["services"][0]["prefetch"]
    bundle = orjson.loads(case.read_bytes())
    prefetch, _path = mutate(data, prefetch_for(bundle, templates))
    patient = next(
        r for r in (e["resource"] for e in bundle["entry"]) if r["resourceType"] == "Patient"
    )
    status, _body = post(app.test_client(), hook_request(patient["id"], prefetch), SERVICE_URL)
    assert status < 500


def test_the_reviewed_500s_are_set_aside_with_a_note(app: Flask) -> None:
    """The review's reproduction (an Observation whose status is a list) is a 200 whose report
    sets that Observation aside.
    """
    obs = {
        "resourceType": "Observation",
        "id": "o1",
        "status": ["final"],
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "26499-4"}]},
        "effectiveDateTime": "2026-11-18",
        "valueQuantity": {"value": 2, "unit": "10*9/L"},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}, {"resource": obs}],
    }
    response = app.test_client().post(
        "/trials/NCT02021825/eligibility", json={"bundle": bundle, "asOf": "2026-11-20"}
    )
    assert (response.status_code, set_aside(response.get_json())) == (200, {reference_of(obs)})


def test_bundle_type_that_is_an_object_is_a_422(app: Flask) -> None:
    """Bundle.type {} is refused as an invalid Bundle (422), not a 500."""
    bundle = {
        "resourceType": "Bundle",
        "type": {},
        "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}],
    }
    response = app.test_client().post(
        "/trials/NCT02021825/eligibility", json={"bundle": bundle, "asOf": "2026-11-20"}
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid-bundle"
