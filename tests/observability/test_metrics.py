"""The Prometheus metrics in one process: each counter moves after the request that should move
it; /metrics is never public.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from prometheus_client import REGISTRY

from service import create_app
from service.observability.metrics import CONTENT_TYPE
from tests.helpers.cds import fixture_patient_id, full_prefetch
from tests.helpers.openapi import Call, check

TRIAL = "NCT06761417"
AS_OF = "2020-01-01"
METRICS_TOKEN = "scrape-token-0123456789"  # noqa: S105 - a test token
SCRAPER = {"Authorization": f"Bearer {METRICS_TOKEN}"}
JWT_ISSUERS = {
    "API_AUTH": "jwt",
    "API_JWT_ISSUERS": {"https://idp.example": "http://127.0.0.1:9/j"},
    "API_JWT_AUDIENCE": "https://api.example",
}


def value(name: str, **labels: str) -> float:
    """A sample's current value in this process's registry (0 when never observed)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def app_for(tmp_path: Path, **config: Any) -> Flask:
    """An app with its CDS store under tmp_path, JWT verification of CDS calls off, and a metrics
    token.
    """
    return create_app(
        {
            "TESTING": True,
            "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
            "CDS_JWT_VERIFY": False,
            "METRICS_TOKEN": METRICS_TOKEN,
            **config,
        }
    )


def test_a_request_moves_the_request_counter_and_latency(tmp_path: Path) -> None:
    """GET /trials adds one to requests_total and to the latency histogram's count, labelled by
    the route template.
    """
    labels = {"method": "GET", "route": "/trials/<trial_id>", "status": "200"}
    before = (
        value("eligibility_http_requests_total", **labels),
        value("eligibility_http_request_duration_seconds_count", **labels),
    )
    app_for(tmp_path).test_client().get(f"/trials/{TRIAL}")
    after = (
        value("eligibility_http_requests_total", **labels),
        value("eligibility_http_request_duration_seconds_count", **labels),
    )
    assert (after[0] - before[0], after[1] - before[1]) == (1.0, 1.0)


def test_a_report_is_counted_by_trial_and_verdict(tmp_path: Path) -> None:
    """An evaluation by id counts one report under its trial and the verdict it gave."""
    response = (
        app_for(tmp_path)
        .test_client()
        .post(
            f"/trials/{TRIAL}/eligibility", json={"patientId": "nct06761417-age-30", "asOf": AS_OF}
        )
    )
    verdict = response.get_json()["verdict"]
    before = value("eligibility_reports_total", trial_id=TRIAL, verdict=verdict)
    app_for(tmp_path).test_client().post(
        f"/trials/{TRIAL}/eligibility", json={"patientId": "nct06761417-age-30", "asOf": AS_OF}
    )
    assert value("eligibility_reports_total", trial_id=TRIAL, verdict=verdict) - before == 1.0


def test_a_cds_call_counts_its_cards_and_reports(tmp_path: Path) -> None:
    """A patient-view call answered from prefetch adds its cards to cards_issued_total (at least
    one card here).
    """
    client = app_for(tmp_path).test_client()
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/1", "patientId": fixture_patient_id(TRIAL, "eligible")},
        "prefetch": full_prefetch(),
    }
    before = value("eligibility_cds_cards_issued_total")
    response = client.post("/cds-services/trial-eligibility", json=body)
    cards = response.get_json()["cards"]
    assert len(cards) >= 1
    assert value("eligibility_cds_cards_issued_total") - before == len(cards)


def test_a_jwt_refusal_is_counted_by_surface_and_reason(tmp_path: Path) -> None:
    """A CDS call with no token (verification on) counts one refusal, surface cds, reason
    missing-authorization.
    """
    before = value("eligibility_jwt_refusals_total", surface="cds", reason="missing-authorization")
    response = (
        app_for(tmp_path, CDS_JWT_VERIFY=True)
        .test_client()
        .post("/cds-services/trial-eligibility", json={})
    )
    assert response.status_code == 401
    assert (
        value("eligibility_jwt_refusals_total", surface="cds", reason="missing-authorization")
        - before
        == 1.0
    )


def test_feedback_is_counted_by_outcome(tmp_path: Path) -> None:
    """Stored feedback adds one per entry under its outcome."""
    before = value("eligibility_cds_feedback_total", outcome="accepted")
    entry = {
        "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
        "outcome": "accepted",
        "outcomeTimestamp": "2026-11-20T00:00:00Z",
        "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    }
    response = (
        app_for(tmp_path)
        .test_client()
        .post(
            "/cds-services/trial-eligibility/feedback",
            json={"feedback": [entry, {**entry, "card": "c2"}]},
        )
    )
    assert response.status_code == 200
    assert value("eligibility_cds_feedback_total", outcome="accepted") - before == 2.0


def test_metrics_with_the_token_are_the_text_format(tmp_path: Path) -> None:
    """With the metrics token, /metrics is a 200 in the 0.0.4 text format listing every metric
    family of the service.
    """
    response = app_for(tmp_path).test_client().get("/metrics", headers=SCRAPER)
    text = response.get_data(as_text=True)
    assert (response.status_code, response.headers["Content-Type"]) == (200, CONTENT_TYPE)
    for name in (
        "eligibility_http_requests_total",
        "eligibility_http_request_duration_seconds",
        "eligibility_fhir_fetch_duration_seconds",
        "eligibility_fhir_fetch_failures_total",
        "eligibility_reports_total",
        "eligibility_jwt_refusals_total",
        "eligibility_cds_cards_issued_total",
        "eligibility_cds_feedback_total",
    ):
        assert f"# TYPE {name} " in text, name
    assert (
        "_created" not in text
    )  # no creation-time series: they double the series count for nothing


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing-authorization"),
        ({"Authorization": "Bearer wrong-token-0123456789"}, "wrong-metrics-token"),
        ({"Authorization": f"Basic {METRICS_TOKEN}"}, "wrong-metrics-token"),
    ],
    ids=["none", "wrong", "not-bearer"],
)
def test_metrics_without_the_right_token_are_401(
    tmp_path: Path, headers: dict[str, str], reason: str
) -> None:
    """With a metrics token set, no token, a wrong one or another scheme is a 401 naming why."""
    response = app_for(tmp_path).test_client().get("/metrics", headers=headers)
    assert (response.status_code, response.get_json()["details"]["reason"]) == (401, reason)
    assert "eligibility_" not in response.get_data(as_text=True)


def test_metrics_are_served_to_nobody_by_default(tmp_path: Path) -> None:
    """With no metrics token and no API authentication (the default), /metrics is a 404
    metrics-off.
    """
    response = app_for(tmp_path, METRICS_TOKEN=None).test_client().get("/metrics")
    assert (response.status_code, response.get_json()["error"]) == (404, "metrics-off")


def test_metrics_follow_the_api_jwt_when_no_token_is_set(tmp_path: Path) -> None:
    """With API_AUTH=jwt and no metrics token, /metrics needs the API's bearer JWT (no token:
    401).
    """
    response = app_for(tmp_path, METRICS_TOKEN=None, **JWT_ISSUERS).test_client().get("/metrics")
    assert (response.status_code, response.get_json()["details"]["reason"]) == (
        401,
        "missing-authorization",
    )


def test_a_short_metrics_token_stops_start_up(tmp_path: Path) -> None:
    """A metrics token under 16 characters is a start-up error naming the setting."""
    with pytest.raises(Exception, match="ELIGIBILITY_METRICS_TOKEN must be at least 16"):
        app_for(tmp_path, METRICS_TOKEN="short")  # noqa: S106 - a test token


def test_the_metrics_token_can_be_a_file(tmp_path: Path) -> None:
    """ELIGIBILITY_METRICS_TOKEN_FILE is read (stripped) as the token."""
    (tmp_path / "token").write_text(METRICS_TOKEN + "\n", encoding="utf-8")
    response = (
        app_for(tmp_path, METRICS_TOKEN=None, METRICS_TOKEN_FILE=str(tmp_path / "token"))
        .test_client()
        .get("/metrics", headers=SCRAPER)
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "call",
    [
        Call("GET", "/metrics", 200, config={"METRICS_TOKEN": METRICS_TOKEN}, headers=SCRAPER),
        Call(
            "GET", "/metrics", 401, config={"METRICS_TOKEN": METRICS_TOKEN}, request_conforms=False
        ),
        Call("GET", "/metrics", 404, request_conforms=False),
        Call("GET", "/metrics", 401, config=JWT_ISSUERS, request_conforms=False),
    ],
    ids=["token", "no-token", "off", "api-jwt"],
)
def test_metrics_answers_conform_to_the_spec(call: Call) -> None:
    """Each /metrics answer validates against openapi.yaml (a call without credentials breaks its
    security, and is still answered per the spec).
    """
    check(call)
