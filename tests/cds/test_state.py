"""The CDS state on either back-end: URL selection, issued cards, feedback and the report's
rates, the same on SQLite and Redis.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from service import create_app
from service.cds.feedback import parse_feedback
from service.cds.issued import IssuedCard
from service.cds.report import feedback_rates
from service.cds.state import State, StateOptions, open_state
from service.errors import ConfigError
from tests.helpers.cds import CARD, RECEIVED, accepted, close, overridden

KEY = b"k" * 32
ISSUED = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def card(uuid: str, trial: str = "NCT06761417", verdict: str = "eligible") -> IssuedCard:
    """One issued card of hook instance h1."""
    return IssuedCard(uuid, "h1", trial, verdict, "rules-1")


# --- Choosing the back-end ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        # Unset: today's CDS_FEEDBACK_DB file.
        (None, "sqlite"),
        ("", "sqlite"),
        # An explicit SQLite file.
        ("sqlite:///state.sqlite3", "sqlite"),
        # Redis, plain and over TLS (nothing connects until a store is used).
        ("redis://127.0.0.1:6379/0", "redis"),
        ("rediss://:secret@cache.example.org:6380/2", "redis"),
    ],
)
def test_the_url_scheme_picks_the_back_end(tmp_path: Path, url: str | None, kind: str) -> None:
    """Unset or sqlite:/// opens SQLite; redis:// and rediss:// open Redis."""
    state = open_state(url, str(tmp_path / "feedback.sqlite3"))
    state.close()
    assert state.kind == kind


def test_an_unset_url_keeps_the_cds_feedback_db_file(tmp_path: Path) -> None:
    """Without STATE_URL the stores live in the CDS_FEEDBACK_DB file, as before."""
    path = tmp_path / "feedback.sqlite3"
    state = open_state(None, str(path))
    state.feedback.count()
    assert path.is_file()


def test_a_sqlite_url_names_the_file(tmp_path: Path) -> None:
    """sqlite:////absolute/path (as SQLAlchemy writes it) puts the stores in that file, not in
    CDS_FEEDBACK_DB.
    """
    state = open_state(
        f"sqlite:///{tmp_path / 'chosen.sqlite3'}", str(tmp_path / "default.sqlite3")
    )
    state.feedback.count()
    assert (tmp_path / "chosen.sqlite3").is_file()
    assert not ((tmp_path / "default.sqlite3").exists())


def test_an_unknown_scheme_is_a_start_up_error_naming_it_not_the_password() -> None:
    """postgres://… is refused with a ConfigError naming the scheme; the URL's password is not in
    the message.
    """
    with pytest.raises(ConfigError, match="'postgres'") as caught:
        open_state("postgres://admin:hunter2@db.example.org/state")
    assert "hunter2" not in caught.value.message


@pytest.mark.parametrize(
    "url", ["redis://:hunter2@127.0.0.1:notaport/0", "redis://:hunter2@127.0.0.1:6379/notadb"]
)
def test_a_malformed_redis_url_is_a_start_up_error_without_the_password(url: str) -> None:
    """A redis:// URL redis-py cannot read is a ConfigError that does not quote the password."""
    with pytest.raises(ConfigError, match="ELIGIBILITY_STATE_URL") as caught:
        open_state(url)
    assert "hunter2" not in caught.value.message


@pytest.mark.parametrize("url", ["sqlite://state.sqlite3", "sqlite:///"])
def test_a_sqlite_url_without_a_path_is_a_start_up_error(url: str) -> None:
    """sqlite:// without the third slash or without a path is refused, naming the form expected."""
    with pytest.raises(ConfigError, match="sqlite:///"):
        open_state(url)


def test_no_url_and_no_file_is_a_start_up_error() -> None:
    """With neither STATE_URL nor CDS_FEEDBACK_DB there is nowhere to keep seen tokens: refused,
    naming both settings.
    """
    with pytest.raises(ConfigError, match=r"ELIGIBILITY_STATE_URL.*ELIGIBILITY_CDS_FEEDBACK_DB"):
        open_state(None, None)


# --- Issued cards ---------------------------------------------------------------------------------


def test_an_issued_card_reads_back_with_every_field(state: State) -> None:
    """A recorded card reads back with its call, trial, verdict, rules version, keyed patient
    hash and UTC issue time.
    """
    assert state.issued is not None
    assert state.issued.record("trial-eligibility", "patient-1", [card("c1")], ISSUED)
    assert state.issued.get("c1") == {
        "card": "c1",
        "service_id": "trial-eligibility",
        "hook_instance": "h1",
        "trial_id": "NCT06761417",
        "verdict": "eligible",
        "rules_version": "rules-1",
        "patient_hash": hmac.new(KEY, b"patient-1", hashlib.sha256).hexdigest(),
        "issued_at": "2026-11-20T01:00:00.000000Z",
    }


def test_an_unknown_card_is_none(state: State) -> None:
    """get() of a card never issued is None."""
    assert state.issued is not None
    assert state.issued.get("never") is None


def test_without_a_key_the_card_keeps_no_patient_hash(state_url: str) -> None:
    """Without a hash key the record's patient_hash is None (never the id)."""
    opened = open_state(state_url, None, StateOptions(hash_key=None))
    assert opened.issued is not None
    opened.issued.record("trial-eligibility", "patient-1", [card("c1")], ISSUED)
    record = opened.issued.get("c1")
    opened.close()
    assert record is not None
    assert record["patient_hash"] is None


def test_a_card_issued_again_replaces_its_record(state: State) -> None:
    """The same card uuid issued again (a repeated hookInstance) keeps only the latest verdict
    and time.
    """
    assert state.issued is not None
    state.issued.record(
        "trial-eligibility", "patient-1", [card("c1", verdict="insufficient-data")], ISSUED
    )
    state.issued.record(
        "trial-eligibility",
        "patient-1",
        [card("c1", verdict="eligible")],
        ISSUED + timedelta(hours=1),
    )
    record = state.issued.get("c1")
    assert record is not None
    assert (record["verdict"], record["issued_at"]) == ("eligible", "2026-11-20T02:00:00.000000Z")
    assert state.issued.issued_since(None) == [("c1", "NCT06761417", "eligible")]


def test_issued_since_keeps_the_cards_issued_from_that_instant(state: State) -> None:
    """issued_since(t) lists the cards issued at or after t, not before."""
    assert state.issued is not None
    state.issued.record("trial-eligibility", "p", [card("old")], ISSUED - timedelta(days=1))
    state.issued.record("trial-eligibility", "p", [card("new")], ISSUED)
    assert [c for c, _, _ in state.issued.issued_since(ISSUED)] == ["new"]


# --- Feedback -------------------------------------------------------------------------------------


def test_feedback_reads_back_as_sent(state: State) -> None:
    """Recorded entries read back per card as the client sent them, with the service id and
    receipt time in UTC.
    """
    assert (
        state.feedback.record(
            "trial-eligibility",
            parse_feedback({"feedback": [overridden(), accepted(card="another-card")]}),
            RECEIVED,
        )
        == 2
    )
    assert state.feedback.for_card(CARD) == [
        {"serviceId": "trial-eligibility", **overridden(), "receivedAt": "2020-12-11T00:30:00Z"}
    ]
    assert state.feedback.count() == 2


def test_feedback_comes_back_oldest_outcome_first(state: State) -> None:
    """A card's entries come back oldest outcome first, fractions of a second included, whatever
    order they were sent in.
    """
    times = ["2020-12-11T00:00:01Z", "2020-12-11T00:00:00.500000Z", "2020-12-11T00:00:00Z"]
    state.feedback.record(
        "trial-eligibility",
        parse_feedback({"feedback": [overridden(outcomeTimestamp=t) for t in times]}),
        RECEIVED,
    )
    assert [entry["outcomeTimestamp"] for entry in state.feedback.for_card(CARD)] == sorted(
        times, key=datetime.fromisoformat
    )


def test_a_card_without_feedback_has_none(state: State) -> None:
    """for_card() of a card nobody answered is an empty list."""
    assert state.feedback.for_card("unanswered") == []


def test_the_latest_outcome_of_each_card_counts(state: State) -> None:
    """Overridden then accepted: the card's latest outcome is accepted; a card with no feedback
    is absent.
    """
    body = {
        "feedback": [
            overridden(outcomeTimestamp="2020-12-11T00:00:00Z"),
            accepted(outcomeTimestamp="2020-12-11T00:05:00Z"),
        ]
    }
    state.feedback.record("trial-eligibility", parse_feedback(body), RECEIVED)
    assert state.feedback.latest_outcomes([CARD, "unanswered"]) == {CARD: "accepted"}


def test_comments_past_the_retention_are_purged(state: State) -> None:
    """purge_comments(now, 30) erases the comment received 31 days ago, keeps the recent one, and
    says how many it erased.
    """
    now = datetime(2026, 11, 20, tzinfo=UTC)
    state.feedback.record(
        "trial-eligibility",
        parse_feedback({"feedback": [overridden(card="old")]}),
        now - timedelta(days=31),
    )
    state.feedback.record(
        "trial-eligibility", parse_feedback({"feedback": [overridden(card="new")]}), now
    )
    assert state.feedback.purge_comments(now, 30) == 1
    assert "userComment" not in state.feedback.for_card("old")[0]["overrideReason"]
    assert (
        state.feedback.for_card("new")[0]["overrideReason"]["userComment"]
        == overridden()["overrideReason"]["userComment"]
    )


def test_a_configured_retention_purges_on_each_write(state_url: str) -> None:
    """With a 30-day retention, a comment received 31 days before a new write is erased by that
    write.
    """
    opened = open_state(state_url, None, StateOptions(retention_days=30))
    now = datetime(2026, 11, 20, tzinfo=UTC)
    opened.feedback.record(
        "trial-eligibility",
        parse_feedback({"feedback": [overridden(card="old")]}),
        now - timedelta(days=31),
    )
    opened.feedback.record("trial-eligibility", parse_feedback({"feedback": [accepted()]}), now)
    entry = opened.feedback.for_card("old")[0]
    opened.close()
    assert "userComment" not in entry["overrideReason"]


# --- The report -----------------------------------------------------------------------------------


def test_the_rates_join_the_latest_feedback_to_the_cards(state: State) -> None:
    """Per trial and verdict: issued, answered, accepted and overridden counts and rates, each
    card's latest feedback counting once.
    """
    assert state.issued is not None
    state.issued.record(
        "trial-eligibility",
        "p",
        [card("a"), card("b"), card("c"), card("d", "NCT00000001", "insufficient-data")],
        ISSUED,
    )
    body = {
        "feedback": [
            overridden(card="a", outcomeTimestamp="2020-12-11T00:00:00Z"),
            accepted(card="a", outcomeTimestamp="2020-12-11T00:05:00Z"),
            overridden(card="b"),
        ]
    }
    state.feedback.record("trial-eligibility", parse_feedback(body), RECEIVED)
    assert feedback_rates(state) == [
        {
            "trial": "NCT00000001",
            "verdict": "insufficient-data",
            "issued": 1,
            "answered": 0,
            "accepted": 0,
            "overridden": 0,
            "acceptedRate": None,
            "overriddenRate": None,
        },
        {
            "trial": "NCT06761417",
            "verdict": "eligible",
            "issued": 3,
            "answered": 2,
            "accepted": 1,
            "overridden": 1,
            "acceptedRate": 0.5,
            "overriddenRate": 0.5,
        },
    ]


def test_a_url_that_is_not_text_is_a_start_up_error() -> None:
    """STATE_URL parsed as JSON into a number (ELIGIBILITY_STATE_URL=5) is refused, not crashed
    on.
    """
    with pytest.raises(ConfigError, match="must be a URL string"):
        open_state(5)  # type: ignore[arg-type]


def test_the_app_reads_eligibility_state_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ELIGIBILITY_STATE_URL in the environment becomes STATE_URL: feedback goes to that file,
    not to CDS_FEEDBACK_DB.
    """
    monkeypatch.setenv("ELIGIBILITY_STATE_URL", f"sqlite:///{tmp_path / 'chosen.sqlite3'}")
    app = create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "default.sqlite3")})
    app.extensions["cds_feedback"].count()
    close(app)
    assert app.extensions["cds_state"].kind == "sqlite"
    assert (tmp_path / "chosen.sqlite3").is_file()
    assert not ((tmp_path / "default.sqlite3").exists())
