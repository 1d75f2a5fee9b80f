"""Tests for service.cds.blueprint: the CDS Hooks routes, the caller's JWT on each call, and
feedback.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.cds.feedback import FeedbackStore
from tests.helpers.cds import (
    FEEDBACK_URL,
    ISSUER,
    PUBLIC_URL,
    SERVICE_URL,
    LocalServer,
    claims,
    close,
    headers,
    no_data_call,
)
from tests.helpers.jwt import Keys, hmac_with_public_key, jwks, sign, unsigned

CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"
REASON = {
    "system": "https://example.com/cds-hooks/override-reason-system",
    "code": "d7ecf885",
    "display": "Patient declined",
}
ACCEPTED = {
    "card": CARD,
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2026-11-20T00:00:00Z",
}
OVERRIDDEN = {
    "card": CARD,
    "outcome": "overridden",
    "overrideReason": {"reason": REASON, "userComment": "Seen by oncology."},
    "outcomeTimestamp": "2026-11-20T00:01:00Z",
}


def make_app(tmp_path: Path, **config: Any) -> Flask:
    """An app with its feedback store under tmp_path."""
    return create_app(
        {
            "TESTING": True,
            "CDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "CDS_PUBLIC_URL": PUBLIC_URL,
            **config,
        }
    )


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, jwks_server: LocalServer) -> Iterator[Flask]:
    """An app verifying callers' JWTs, trusting one issuer whose JWK Set the local server serves."""
    app = make_app(
        tmp_path_factory.mktemp("secured"),
        CDS_JWT_VERIFY=True,
        CDS_TRUSTED_ISSUERS={ISSUER: f"{jwks_server.url}/jwks.json"},
    )
    yield app
    close(app)


@pytest.fixture
def client(secured: Flask) -> FlaskClient:
    """A test client of the JWT-verifying app."""
    return secured.test_client()


# --- Routes ---------------------------------------------------------------------------------------


def test_discovery_needs_no_token(client: FlaskClient) -> None:
    """GET /cds-services answers without any Authorization, even with JWT verification on."""
    response = client.get("/cds-services")
    assert response.status_code == 200
    assert [s["id"] for s in response.get_json()["services"]] == ["trial-eligibility"]


@pytest.mark.parametrize(
    "path", ["/cds-services/no-such-service", "/cds-services/no-such-service/feedback"]
)
def test_unknown_service_is_404(client: FlaskClient, keys: Keys, path: str) -> None:
    """A call or feedback to a service id not offered here is 404 unknown-service (even with a
    valid token for that URL).
    """
    response = client.post(
        path, json=no_data_call(), headers=headers(sign(keys.rsa, payload=claims(path)))
    )
    assert (response.status_code, response.get_json()["error"]) == (404, "unknown-service")


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        # Not JSON at all.
        pytest.param(b"hook=patient-view", "application/x-www-form-urlencoded", id="form"),
        # Truncated JSON.
        pytest.param(b'{"hook": "patient-view"', "application/json", id="truncated"),
        # JSON, but not an object.
        pytest.param(b'["patient-view"]', "application/json", id="array"),
        # No body.
        pytest.param(b"", "application/json", id="empty"),
    ],
)
def test_body_not_a_json_object_is_400(
    client: FlaskClient, keys: Keys, data: bytes, content_type: str
) -> None:
    """A call whose body is not a JSON object is 400 bad-request."""
    response = client.post(
        SERVICE_URL,
        data=data,
        content_type=content_type,
        headers=headers(sign(keys.rsa, payload=claims())),
    )
    assert (response.status_code, response.get_json()["error"]) == (400, "bad-request")


# --- The caller's JWT -----------------------------------------------------------------------------


def test_valid_token_is_answered(client: FlaskClient, keys: Keys) -> None:
    """A call with a valid RS384 token for this endpoint, from the trusted issuer, is answered."""
    response = client.post(
        SERVICE_URL, json=no_data_call(), headers=headers(sign(keys.rsa, payload=claims()))
    )
    assert response.status_code == 200
    assert "cards" in response.get_json()


REFUSED: list[Any] = [
    # No Authorization header at all.
    pytest.param(lambda k: None, "missing-authorization", id="no-authorization"),
    # Expired a while ago (beyond the leeway).
    pytest.param(
        lambda k: sign(
            k.rsa, payload=claims(iat=int(time.time()) - 400, exp=int(time.time()) - 200)
        ),
        "expired",
        id="expired",
    ),
    # aud is another service's endpoint.
    pytest.param(
        lambda k: sign(k.rsa, payload=claims("/cds-services/other")), "wrong-aud", id="wrong-aud"
    ),
    # aud is the right path on another host.
    pytest.param(
        lambda k: sign(k.rsa, payload=claims(aud=f"https://cds.example.org{SERVICE_URL}")),
        "wrong-aud",
        id="wrong-aud-host",
    ),
    # An issuer nobody registered.
    pytest.param(
        lambda k: sign(k.rsa, payload=claims(iss="https://rogue.example.com/")),
        "unknown-iss",
        id="unknown-iss",
    ),
    # alg none, unsigned.
    pytest.param(
        lambda k: unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims()),
        "alg-not-allowed",
        id="alg-none",
    ),
    # HS256 keyed with the client's public key.
    pytest.param(hmac_with_public_key, "alg-not-allowed", id="hs256"),
    # A kid the client's JWK Set does not have.
    pytest.param(
        lambda k: sign(k.stranger, kid="not-published", payload=claims()),
        "unknown-kid",
        id="unknown-kid",
    ),
    # A published kid, signed with another key.
    pytest.param(
        lambda k: sign(k.stranger, kid="rsa-1", payload=claims()),
        "bad-signature",
        id="forged-signature",
    ),
]


@pytest.mark.parametrize(("make_token", "reason"), REFUSED)
def test_bad_token_is_401(
    client: FlaskClient, keys: Keys, make_token: Callable[[Keys], str | None], reason: str
) -> None:
    """A call without a valid token for this endpoint is 401 unauthorized, saying why."""
    response = client.post(SERVICE_URL, json=no_data_call(), headers=headers(make_token(keys)))
    body = response.get_json()
    assert (response.status_code, body["error"], body["details"]["reason"]) == (
        401,
        "unauthorized",
        reason,
    )
    assert "cards" not in body


def test_replayed_token_is_401(client: FlaskClient, keys: Keys) -> None:
    """The same token sent twice is answered once; the replay is 401 replayed-jti."""
    token = sign(keys.rsa, payload=claims())
    first = client.post(SERVICE_URL, json=no_data_call(), headers=headers(token))
    second = client.post(SERVICE_URL, json=no_data_call(), headers=headers(token))
    assert (first.status_code, second.status_code, second.get_json()["details"]["reason"]) == (
        200,
        401,
        "replayed-jti",
    )


def test_replay_to_another_worker_or_after_a_restart_is_401(
    tmp_path: Path, jwks_server: LocalServer, keys: Keys
) -> None:
    """Two apps on one CDS database (two gunicorn workers, or a restart) share seen jti values:
    the replay is refused.
    """
    config = {
        "CDS_JWT_VERIFY": True,
        "CDS_TRUSTED_ISSUERS": {ISSUER: f"{jwks_server.url}/jwks.json"},
    }
    first_worker, second_worker = make_app(tmp_path, **config), make_app(tmp_path, **config)
    token = sign(keys.rsa, payload=claims())
    first = first_worker.test_client().post(
        SERVICE_URL, json=no_data_call(), headers=headers(token)
    )
    replay = second_worker.test_client().post(
        SERVICE_URL, json=no_data_call(), headers=headers(token)
    )
    assert (first.status_code, replay.status_code, replay.get_json()["details"]["reason"]) == (
        200,
        401,
        "replayed-jti",
    )
    close(first_worker)
    close(second_worker)


def test_token_is_checked_before_the_body(client: FlaskClient) -> None:
    """Without a token, even a malformed body gets 401, not a 400 that would tell a stranger
    about the service.
    """
    response = client.post(SERVICE_URL, data=b"not json", content_type="application/json")
    assert response.status_code == 401
    assert response.get_json()["details"]["reason"] == "missing-authorization"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # A token for the feedback URL is accepted there.
        pytest.param(FEEDBACK_URL, 200, id="feedback-aud"),
        # A token for the service URL is not: each endpoint is its own audience.
        pytest.param(SERVICE_URL, 401, id="service-aud"),
    ],
)
def test_feedback_token_audience_is_the_feedback_url(
    client: FlaskClient, keys: Keys, path: str, status: int
) -> None:
    """Feedback needs a JWT whose aud is the feedback endpoint's URL."""
    response = client.post(
        FEEDBACK_URL,
        json={"feedback": [ACCEPTED]},
        headers=headers(sign(keys.rsa, payload=claims(path))),
    )
    assert response.status_code == status


def test_feedback_without_token_is_401(client: FlaskClient) -> None:
    """Feedback without a token is 401 and nothing is stored."""
    response = client.post(FEEDBACK_URL, json={"feedback": [ACCEPTED]})
    assert (response.status_code, response.get_json()["details"]["reason"]) == (
        401,
        "missing-authorization",
    )


def test_verification_off_warns_at_start_and_accepts_calls(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """CDS_JWT_VERIFY=false logs a warning when the app is created, then calls and feedback need
    no token.
    """
    with caplog.at_level(logging.WARNING):
        app = make_app(tmp_path, CDS_JWT_VERIFY=False)
    client = app.test_client()
    call = client.post(SERVICE_URL, json=no_data_call())
    feedback = client.post(FEEDBACK_URL, json={"feedback": [ACCEPTED]})
    close(app)
    assert [r.levelno for r in caplog.records if "verification is OFF" in r.getMessage()] == [
        logging.WARNING
    ]
    assert (call.status_code, feedback.status_code) == (200, 200)


def test_verification_on_logs_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """With verification on (the default), creating the app logs no such warning."""
    with caplog.at_level(logging.WARNING):
        close(make_app(tmp_path))
    assert not [r for r in caplog.records if "verification is OFF" in r.getMessage()]


# --- Feedback -------------------------------------------------------------------------------------


def test_feedback_is_stored_and_survives_a_restart(tmp_path: Path) -> None:
    """Accepted and overridden feedback is stored (200 with the count) and a new app on the same
    file still has it.
    """
    first = make_app(tmp_path, CDS_JWT_VERIFY=False)
    response = first.test_client().post(FEEDBACK_URL, json={"feedback": [ACCEPTED, OVERRIDDEN]})
    close(first)
    restarted = make_app(tmp_path, CDS_JWT_VERIFY=False)
    store: FeedbackStore = restarted.extensions["cds_feedback"]
    close(restarted)
    assert (response.status_code, response.get_json()) == (200, {"stored": 2})
    stored = store.for_card(CARD)
    assert [(e["serviceId"], e["outcome"]) for e in stored] == [
        ("trial-eligibility", "accepted"),
        ("trial-eligibility", "overridden"),
    ]
    assert stored[1]["overrideReason"] == OVERRIDDEN["overrideReason"]


@pytest.mark.parametrize(
    "body",
    [
        # No feedback array.
        pytest.param({}, id="no-feedback"),
        # feedback not an array.
        pytest.param({"feedback": ACCEPTED}, id="feedback-object"),
        # An outcome the specification does not define.
        pytest.param({"feedback": [{**ACCEPTED, "outcome": "ignored"}]}, id="unknown-outcome"),
        # No card uuid.
        pytest.param(
            {"feedback": [{k: v for k, v in ACCEPTED.items() if k != "card"}]}, id="no-card"
        ),
        # No outcomeTimestamp.
        pytest.param(
            {"feedback": [{k: v for k, v in OVERRIDDEN.items() if k != "outcomeTimestamp"}]},
            id="no-timestamp",
        ),
        # A second entry malformed: nothing of the request is stored.
        pytest.param(
            {"feedback": [ACCEPTED, {**OVERRIDDEN, "overrideReason": "not an object"}]},
            id="second-entry",
        ),
    ],
)
def test_malformed_feedback_is_400_and_stores_nothing(tmp_path: Path, body: dict[str, Any]) -> None:
    """Feedback that is not CDS Hooks 2.0 feedback is a 400 bad-request, and no entry of it is
    stored.
    """
    app = make_app(tmp_path, CDS_JWT_VERIFY=False)
    response = app.test_client().post(FEEDBACK_URL, json=body)
    close(app)
    assert (response.status_code, response.get_json()["error"]) == (400, "bad-request")
    assert app.extensions["cds_feedback"].count() == 0


def test_feedback_body_not_json_is_400(tmp_path: Path) -> None:
    """A feedback body that is not JSON is 400."""
    app = make_app(tmp_path, CDS_JWT_VERIFY=False)
    response = app.test_client().post(FEEDBACK_URL, data=b"accepted", content_type="text/plain")
    close(app)
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad-request"


def test_jwks_fetched_over_http_once_for_many_calls(tmp_path: Path, keys: Keys) -> None:
    """Several verified calls fetch the client's JWK Set from its URL once (it is cached), with
    no token sent to it.
    """
    served = jwks(keys)
    with LocalServer(lambda path, params: (200, served)) as server:
        app = make_app(
            tmp_path, CDS_JWT_VERIFY=True, CDS_TRUSTED_ISSUERS={ISSUER: f"{server.url}/keys"}
        )
        client = app.test_client()
        statuses = [
            client.post(
                SERVICE_URL, json=no_data_call(), headers=headers(sign(keys.rsa, payload=claims()))
            ).status_code
            for _ in range(3)
        ]
        close(app)
    assert statuses == [200, 200, 200]
    assert [(s.path, s.authorization) for s in server.seen] == [("/keys", None)]


def test_es384_token_is_accepted(client: FlaskClient, keys: Keys) -> None:
    """An ES384 token (the other RECOMMENDED algorithm) signed with the published P-384 key is
    accepted.
    """
    response = client.post(
        SERVICE_URL,
        json=no_data_call(),
        headers=headers(sign(keys.ec, "ES384", "ec-1", payload=claims())),
    )
    assert response.status_code == 200


def test_token_signed_by_pyjwt_defaults_is_refused(client: FlaskClient, keys: Keys) -> None:
    """An RS256 token (PyJWT's usual choice, not allowed by the specification) is refused."""
    token = jwt.encode(
        claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1", "typ": "JWT"}
    )
    response = client.post(SERVICE_URL, json=no_data_call(), headers=headers(token))
    assert (response.status_code, response.get_json()["details"]["reason"]) == (
        401,
        "alg-not-allowed",
    )


# --- The SQLite file locked by another process ----------------------------------------------------


@pytest.fixture
def locked_app(tmp_path: Path, jwks_server: LocalServer) -> Iterator[Flask]:
    """A JWT-verifying app with a 0.5 s busy wait, whose SQLite file another process holds an
    exclusive lock on (as a backup would).
    """
    app = make_app(
        tmp_path,
        CDS_JWT_VERIFY=True,
        CDS_TRUSTED_ISSUERS={ISSUER: f"{jwks_server.url}/jwks.json"},
        CDS_DB_BUSY_TIMEOUT=0.5,
    )
    # Create the file first, as a running service would have.
    app.extensions["cds_feedback"].count()
    holder = subprocess.Popen(  # noqa: S603 - our own script
        [sys.executable, "-c", LOCK_HOLDER, str(tmp_path / "feedback.sqlite3")],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == b"locked"
    yield app
    holder.kill()
    holder.wait()
    holder.stdout.close()
    close(app)


LOCK_HOLDER = (
    "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
    "c.execute('BEGIN EXCLUSIVE'); "
    "print('locked', flush=True); time.sleep(60)"
)


@pytest.mark.parametrize(("path", "body"), [(SERVICE_URL, "call"), (FEEDBACK_URL, "feedback")])
def test_a_locked_store_is_a_503_with_retry_after_after_a_bounded_wait(
    locked_app: Flask, keys: Keys, path: str, body: str
) -> None:
    """A JWT-verified call or feedback while another process locks the SQLite file: 503
    service-unavailable with Retry-After, within the wait.
    """
    started = time.monotonic()
    response = locked_app.test_client().post(
        path,
        json=no_data_call() if body == "call" else {"feedback": [ACCEPTED]},
        headers=headers(sign(keys.rsa, payload=claims(path))),
    )
    assert (response.status_code, response.get_json()["error"]) == (503, "service-unavailable")
    assert int(response.headers["Retry-After"]) >= 1
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "server",
    [
        # Encoded twice: a proxy that decodes twice reads "..".
        "http://127.0.0.1:18480/fhir/%252e%252e/admin",
        "http://127.0.0.1:18480/fhir/%252E%252E/admin",
        # Encoded three times.
        "http://127.0.0.1:18480/fhir/%25252e%25252e/admin",
        # Once, for comparison.
        "http://127.0.0.1:18480/fhir/%2e%2e/admin",
    ],
)
def test_the_allowlist_refuses_encoded_dot_segments(tmp_path: Path, server: str) -> None:
    """A fhirServer under the allowed base only through dot segments encoded once or more is not
    allowed.
    """
    service = make_app(tmp_path, CDS_FHIR_ALLOWLIST=["http://127.0.0.1:18480/fhir"]).extensions[
        "cds_service"
    ]
    assert not service.allowed(server)
    assert service.allowed("http://127.0.0.1:18480/fhir/tenant-1")


def test_a_401_names_the_bearer_scheme_and_why(client: FlaskClient, keys: Keys) -> None:
    """No token: WWW-Authenticate names Bearer; a bad token: error="invalid_token" with the
    reason (RFC 6750 section 3).
    """
    missing = client.post(SERVICE_URL, json=no_data_call())
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="trial-eligibility"'
    expired = client.post(
        SERVICE_URL,
        json=no_data_call(),
        headers=headers(sign(keys.rsa, payload=claims(exp=int(time.time()) - 3600))),
    )
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]
    assert "expired" in expired.headers["WWW-Authenticate"]
