"""The Redis back-end: keys that hold no token, Redis down or silent is a 503 (never a 500, never
"accepted"), and replicas share it.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
import requests
from click.testing import CliRunner
from flask import Flask

from service import create_app
from service.cds.feedback import parse_feedback
from service.cds.issued import IssuedCard
from service.cds.redis_common import PREFIX
from service.cds.report import main as report
from service.cds.state import State, StateOptions, open_state
from service.cds.trust.replay_redis import RedisReplayCache
from service.errors import ServiceUnavailable
from tests.helpers.cds import (
    FEEDBACK_URL,
    ISSUER,
    PUBLIC_URL,
    SERVICE_URL,
    LocalServer,
    accepted,
    claims,
    close,
    headers,
    no_data_call,
)
from tests.helpers.gunicorn import gunicorn
from tests.helpers.jwt import Keys, sign
from tests.helpers.redis_server import INSTALL_HINT, RedisServer, free_port

# S105: a marker the tests check never reaches a log, not a credential
PASSWORD = "hunter2-not-logged"  # noqa: S105


@pytest.fixture
def down_url() -> str:
    """A Redis URL with a password, on a port nothing listens on."""
    return f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A Redis URL whose port accepts connections but never answers (a hung server)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_the_replay_key_is_a_hash_that_expires_with_the_token(redis_url: str) -> None:
    """remember() stores one key, prefix + SHA-256 of issuer and jti (neither appears in it),
    expiring at forget_after.
    """
    state = open_state(redis_url, None, StateOptions())
    now = time.time()
    assert state.replays is not None
    assert state.replays.remember("https://ehr.example.com/", "jti-secret-123", now + 300, now)
    state.close()
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        keys = client.keys("*")
        ttl_ms = client.pttl(keys[0])
    assert keys == [RedisReplayCache.key("https://ehr.example.com/", "jti-secret-123")]
    assert keys[0].startswith(f"{PREFIX}jti:")
    assert "jti-secret-123" not in keys[0]
    assert "ehr.example.com" not in keys[0]
    assert 290_000 < ttl_ms <= 300_000


def _uses(state: State) -> dict[str, Any]:
    """Each store operation on ``state``, by name."""
    assert state.replays is not None
    assert state.issued is not None
    replays, issued, feedback = state.replays, state.issued, state.feedback
    now = datetime.now(UTC)
    return {
        "remember": lambda: replays.remember("https://ehr", "j1", time.time() + 60, time.time()),
        "issued.get": lambda: issued.get("c1"),
        "issued_since": lambda: issued.issued_since(None),
        "feedback.record": lambda: feedback.record(
            "trial-eligibility", parse_feedback({"feedback": [accepted()]}), now
        ),
        "for_card": lambda: feedback.for_card("c1"),
        "count": feedback.count,
        "latest_outcomes": lambda: feedback.latest_outcomes(["c1"]),
        "purge_comments": lambda: feedback.purge_comments(now, 1),
    }


@pytest.mark.parametrize(
    "operation",
    [
        "remember",
        "issued.get",
        "issued_since",
        "feedback.record",
        "for_card",
        "count",
        "latest_outcomes",
        "purge_comments",
    ],
)
@pytest.mark.parametrize("which", ["down", "silent"])
def test_redis_down_or_silent_is_service_unavailable(
    request: pytest.FixtureRequest, which: str, operation: str
) -> None:
    """Every store operation against a Redis that refuses connections or never answers raises
    ServiceUnavailable (503, Retry-After), within the wait.
    """
    state = open_state(request.getfixturevalue(f"{which}_url"), None, StateOptions(timeout=0.3))
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable) as caught:
        _uses(state)[operation]()
    state.close()
    assert (caught.value.status, caught.value.retry_after, caught.value.details) == (
        503,
        2,
        {"reason": "store-unavailable"},
    )
    assert time.monotonic() - started < 2.5


def test_issued_cards_not_recorded_when_redis_is_down_do_not_fail_the_call(
    down_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Recording a call's cards with Redis down returns False and logs it (the clinician still
    gets the cards), without the password.
    """
    state = open_state(down_url, None, StateOptions(timeout=0.3))
    assert state.issued is not None
    with caplog.at_level(logging.WARNING):
        recorded = state.issued.record(
            "trial-eligibility",
            "p",
            [IssuedCard("c1", "h1", "NCT06761417", "eligible", "r1")],
            datetime.now(UTC),
        )
    state.close()
    assert recorded is False
    assert "issued cards not recorded" in caplog.text
    assert PASSWORD not in caplog.text


def test_the_redis_server_fixture_fails_without_redis_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no redis-server on PATH the fixture fails (never skips) with the line that installs
    it.
    """
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="apt-get install -y redis-server"):
        RedisServer(tmp_path)
    assert "apt-get install -y redis-server" in INSTALL_HINT


# --- Apps (replicas) sharing Redis ----------------------------------------------------------------


def replica(state_url: str, jwks: LocalServer, **config: Any) -> Flask:
    """One service instance verifying JWTs from the test issuer, its state at ``state_url``."""
    return create_app(
        {
            "TESTING": True,
            "STATE_URL": state_url,
            "CDS_FEEDBACK_DB": None,
            "CDS_PUBLIC_URL": PUBLIC_URL,
            "CDS_JWT_VERIFY": True,
            "CDS_TRUSTED_ISSUERS": {ISSUER: f"{jwks.url}/jwks.json"},
            "CDS_REQUIRE_TARGET_DISEASE": False,
            **config,
        }
    )


def test_a_token_replayed_to_another_replica_sharing_redis_is_refused(
    redis_url: str, jwks_server: LocalServer, keys: Keys
) -> None:
    """Two service instances on one Redis: the token is answered by the first and refused (401
    replayed-jti) by the second.
    """
    first, second = replica(redis_url, jwks_server), replica(redis_url, jwks_server)
    token = sign(keys.rsa, payload=claims())
    answered = first.test_client().post(SERVICE_URL, json=no_data_call(), headers=headers(token))
    replayed = second.test_client().post(SERVICE_URL, json=no_data_call(), headers=headers(token))
    close(first)
    close(second)
    assert (
        answered.status_code,
        replayed.status_code,
        replayed.get_json()["details"]["reason"],
    ) == (200, 401, "replayed-jti")


def test_the_same_token_to_two_replicas_on_separate_sqlite_files_is_not_caught(
    tmp_path: Path, jwks_server: LocalServer, keys: Keys
) -> None:
    """The contrast that motivates Redis: replicas on their own SQLite files accept the same
    token once each.
    """
    first = replica(f"sqlite:///{tmp_path / 'a.sqlite3'}", jwks_server)
    second = replica(f"sqlite:///{tmp_path / 'b.sqlite3'}", jwks_server)
    token = sign(keys.rsa, payload=claims())
    statuses = [
        app.test_client().post(SERVICE_URL, json=no_data_call(), headers=headers(token)).status_code
        for app in (first, second)
    ]
    close(first)
    close(second)
    assert statuses == [200, 200]


@pytest.mark.parametrize(("path", "body"), [(SERVICE_URL, "call"), (FEEDBACK_URL, "feedback")])
def test_redis_down_is_a_503_problem_with_retry_after(
    down_url: str,
    jwks_server: LocalServer,
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: str,
) -> None:
    """A JWT-verified call or feedback with Redis down: 503 problem+json with Retry-After, never
    a 500 or an answer; the password is not logged.
    """
    app = replica(down_url, jwks_server, CDS_DB_BUSY_TIMEOUT=0.3)
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().post(
            path,
            json=no_data_call() if body == "call" else {"feedback": [accepted()]},
            headers=headers(sign(keys.rsa, payload=claims(path))),
        )
    close(app)
    assert (response.status_code, response.mimetype, response.get_json()["error"]) == (
        503,
        "application/problem+json",
        "service-unavailable",
    )
    assert int(response.headers["Retry-After"]) >= 1
    assert "cards" not in response.get_json()
    assert PASSWORD not in caplog.text
    assert PASSWORD not in response.get_data(as_text=True)


def test_the_report_reads_rates_from_redis(
    redis_url: str, jwks_server: LocalServer, keys: Keys
) -> None:
    """Cards issued and feedback sent through a Redis-backed app are counted by `report rates
    --state-url redis://… --json`.
    """
    app = replica(redis_url, jwks_server, CDS_JWT_VERIFY=False)
    response = app.test_client().post(SERVICE_URL, json=no_data_call())
    cards = response.get_json()["cards"]
    feedback = {"feedback": [accepted(card=cards[0]["uuid"])]}
    assert app.test_client().post(FEEDBACK_URL, json=feedback).status_code == 200
    close(app)
    result = CliRunner().invoke(report, ["rates", "--state-url", redis_url, "--json"])
    assert result.exit_code == 0, result.output
    rows = orjson.loads(result.output)
    assert (sum(row["issued"] for row in rows), sum(row["accepted"] for row in rows)) == (
        len(cards),
        1,
    )


def test_the_report_on_a_down_redis_is_a_clear_error(down_url: str) -> None:
    """`report rates` against a Redis that is down exits non-zero saying the store is unavailable
    (no traceback, no password).
    """
    result = CliRunner().invoke(report, ["rates", "--state-url", down_url, "--json"])
    assert result.exit_code == 1
    assert "unavailable" in result.output
    assert PASSWORD not in result.output


def test_a_token_replayed_to_another_gunicorn_sharing_redis_is_refused(
    redis_url: str, jwks_server: LocalServer, keys: Keys, tmp_path: Path
) -> None:
    """Two real gunicorn services (separate processes, separate SQLite defaults) on one Redis:
    the replay to the second is 401 replayed-jti.
    """
    env = {
        "ELIGIBILITY_STATE_URL": redis_url,
        "ELIGIBILITY_CDS_PUBLIC_URL": PUBLIC_URL,
        "ELIGIBILITY_CDS_TRUSTED_ISSUERS": orjson.dumps(
            {ISSUER: f"{jwks_server.url}/jwks.json"}
        ).decode(),
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    token = sign(keys.rsa, payload=claims())
    with gunicorn(env, tmp_path / "a") as first, gunicorn(env, tmp_path / "b") as second:
        answered = requests.post(
            first + SERVICE_URL, json=no_data_call(), headers=headers(token), timeout=30
        )
        replayed = requests.post(
            second + SERVICE_URL, json=no_data_call(), headers=headers(token), timeout=30
        )
    assert (answered.status_code, replayed.status_code, replayed.json()["details"]["reason"]) == (
        200,
        401,
        "replayed-jti",
    )
