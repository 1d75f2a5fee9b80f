"""Issued cards are recorded (trial, verdict, rules version, keyed patient hash), so feedback
joins to them and rates can be reported.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from flask import Flask

from service import create_app
from service.cds.feedback import FeedbackStore, parse_feedback
from service.cds.issued import patient_hash
from service.cds.report import feedback_rates, main
from service.errors import ConfigError
from tests.helpers.cds import PATIENT_ID, close, no_data_call

KEY = "k" * 32


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """An open (JWT off) app with a patient hash key, showing every trial's card, its CDS file
    under tmp_path.
    """
    app = create_app(
        {
            "TESTING": True,
            "CDS_JWT_VERIFY": False,
            "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
            "CDS_PATIENT_HASH_KEY": KEY,
            "CDS_SHOW_INELIGIBLE": True,
            "CDS_REQUIRE_TARGET_DISEASE": False,
        }
    )
    yield app
    close(app)


def call_cards(app: Flask) -> list[dict[str, Any]]:
    """Make one hook call; return its cards."""
    response = app.test_client().post("/cds-services/trial-eligibility", json=no_data_call())
    assert response.status_code == 200, response.get_data(as_text=True)
    cards: list[dict[str, Any]] = response.get_json()["cards"]
    assert cards
    return cards


def feedback(
    card: str, outcome: str, at: str = "2026-11-20T00:00:00Z", comment: str | None = None
) -> dict[str, Any]:
    """One feedback entry."""
    if outcome == "accepted":
        return {
            "card": card,
            "outcome": outcome,
            "acceptedSuggestions": [{"id": "s1"}],
            "outcomeTimestamp": at,
        }
    return {"card": card, "outcome": outcome, "outcomeTimestamp": at} | (
        {"overrideReason": {"userComment": comment}} if comment else {}
    )


def test_each_card_issued_is_recorded_with_trial_verdict_rules_and_patient_hash(app: Flask) -> None:
    """Every card of a call has a record: its hookInstance, trial, verdict, rules version and
    HMAC-SHA256 of the patient id (not the id).
    """
    cards = call_cards(app)
    assert cards
    store = app.extensions["cds_service"].issued
    version = app.extensions["rulebook"].version
    expected_hash = hmac.new(KEY.encode(), PATIENT_ID.encode(), hashlib.sha256).hexdigest()
    for card in cards:
        record = store.get(card["uuid"])
        assert record is not None
        assert (record["hook_instance"], record["rules_version"], record["patient_hash"]) == (
            no_data_call()["hookInstance"],
            version,
            expected_hash,
        )
        assert record["trial_id"] in app.extensions["rulebook"].trials
        assert record["verdict"] in ("eligible", "insufficient-data", "ineligible")
        assert PATIENT_ID not in orjson.dumps(record).decode()


def test_feedback_rates_per_trial_join_feedback_to_the_cards(app: Flask, tmp_path: Path) -> None:
    """Accepting one card and overriding another gives, for their trials, accepted and overridden
    rates of 1.0; the latest feedback counts.
    """
    cards = call_cards(app)
    assert len(cards) >= 2
    first, second = cards[0]["uuid"], cards[1]["uuid"]
    client = app.test_client()
    body = {
        "feedback": [
            feedback(first, "overridden", "2026-11-20T00:00:00Z"),
            feedback(first, "accepted", "2026-11-20T00:05:00Z"),
            feedback(second, "overridden"),
        ]
    }
    assert client.post("/cds-services/trial-eligibility/feedback", json=body).status_code == 200
    store = app.extensions["cds_service"].issued
    rows = {row["trial"]: row for row in feedback_rates(app.extensions["cds_state"])}
    assert rows[store.get(first)["trial_id"]]["acceptedRate"] == 1.0
    assert rows[store.get(second)["trial_id"]]["overriddenRate"] == 1.0
    assert sum(row["issued"] for row in rows.values()) == len(cards)


def test_the_report_cli_prints_the_rates_as_json(app: Flask, tmp_path: Path) -> None:
    """`python -m service.cds.report rates --json` lists one row per trial and verdict with the
    counts.
    """
    cards = call_cards(app)
    result = CliRunner().invoke(main, ["rates", "--db", str(tmp_path / "cds.sqlite3"), "--json"])
    assert result.exit_code == 0, result.output
    assert sum(row["issued"] for row in orjson.loads(result.output)) == len(cards)


def test_without_a_key_no_patient_hash_is_stored() -> None:
    """No key configured: the record keeps no patient hash at all (never the bare id)."""
    assert patient_hash(None, PATIENT_ID) is None


def test_a_short_hash_key_is_a_config_error(tmp_path: Path) -> None:
    """A patient hash key under 16 characters stops start-up (a short key makes guessable ids
    cheap to reverse).
    """
    with pytest.raises(ConfigError, match="CDS_PATIENT_HASH_KEY"):
        create_app(
            {
                "TESTING": True,
                "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
                "CDS_PATIENT_HASH_KEY": "short",
            }
        )


# The retention purge on each write, on SQLite and Redis alike: tests/cds/test_state.py.


def test_the_purge_command_erases_old_comments(tmp_path: Path) -> None:
    """`report purge --older-than-days 0` erases every stored userComment and says how many."""
    store = FeedbackStore(tmp_path / "cds.sqlite3")
    store.record(
        "trial-eligibility",
        parse_feedback({"feedback": [feedback("c1", "overridden", comment="Mrs X declined")]}),
        datetime.now(UTC) - timedelta(hours=1),
    )
    result = CliRunner().invoke(
        main, ["purge", "--db", str(tmp_path / "cds.sqlite3"), "--older-than-days", "0"]
    )
    assert result.exit_code == 0
    assert "erased 1" in result.output
    assert "overrideReason" not in store.for_card("c1")[0]
