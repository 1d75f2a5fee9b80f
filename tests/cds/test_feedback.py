"""Tests for service.cds.feedback: parsing CDS Hooks 2.0 feedback and keeping it in SQLite (what
is SQLite's own).
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.cds.feedback import Coding, FeedbackItem, FeedbackStore, parse_feedback
from service.errors import BadRequest
from tests.helpers.cds import CARD, REASON, RECEIVED, SUGGESTION, accepted, overridden

WHEN = datetime(2020, 12, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        # Suggestion accepted (the specification's example).
        pytest.param(
            accepted(),
            FeedbackItem(CARD, "accepted", WHEN, accepted_suggestions=(SUGGESTION,)),
            id="accepted",
        ),
        # Overridden with a reason Coding and a comment.
        pytest.param(
            overridden(),
            FeedbackItem(
                CARD,
                "overridden",
                WHEN,
                override_reason=Coding(REASON["system"], REASON["code"], REASON["display"]),
                user_comment="Seen by oncology.",
            ),
            id="overridden-with-reason",
        ),
        # Overridden without any reason: dismissed.
        pytest.param(
            overridden(overrideReason=None),
            FeedbackItem(CARD, "overridden", WHEN),
            id="overridden-without-reason",
        ),
        # Overridden with only a free-text comment.
        pytest.param(
            overridden(overrideReason={"userComment": "Not today."}),
            FeedbackItem(CARD, "overridden", WHEN, user_comment="Not today."),
            id="comment-only",
        ),
        # A reason Coding without display (display is optional in feedback).
        pytest.param(
            overridden(overrideReason={"reason": {"system": "s", "code": "c"}}),
            FeedbackItem(CARD, "overridden", WHEN, override_reason=Coding("s", "c")),
            id="reason-without-display",
        ),
        # An offset other than Z is the same instant in UTC.
        pytest.param(
            accepted(outcomeTimestamp="2020-12-11T09:00:00+09:00"),
            FeedbackItem(CARD, "accepted", WHEN, accepted_suggestions=(SUGGESTION,)),
            id="offset",
        ),
        # Unknown members (extensions) are ignored.
        pytest.param(
            accepted(extension={"com.example.x": 1}),
            FeedbackItem(CARD, "accepted", WHEN, accepted_suggestions=(SUGGESTION,)),
            id="extension",
        ),
    ],
)
def test_parse_valid_feedback(entry: dict[str, Any], expected: FeedbackItem) -> None:
    """A valid Feedback entry parses to the expected item."""
    assert parse_feedback({"feedback": [entry]}) == [expected]


def test_parse_keeps_every_entry_in_order() -> None:
    """A request carrying several entries yields them all, in order."""
    items = parse_feedback({"feedback": [accepted(), overridden(card="other-card")]})
    assert [(item.card, item.outcome) for item in items] == [
        (CARD, "accepted"),
        ("other-card", "overridden"),
    ]


@pytest.mark.parametrize(
    ("body", "item", "member"),
    [
        # The body must be an object...
        pytest.param([accepted()], None, "body", id="body-not-object"),
        # ... whose feedback is an array ...
        pytest.param({"feedback": accepted()}, None, "feedback", id="feedback-not-list"),
        pytest.param({}, None, "feedback", id="feedback-missing"),
        # ... and not empty (empty arrays are prohibited).
        pytest.param({"feedback": []}, None, "feedback", id="feedback-empty"),
        # Each entry is an object.
        pytest.param({"feedback": ["accepted"]}, 0, "", id="entry-not-object"),
        # card, outcome and outcomeTimestamp are REQUIRED.
        pytest.param({"feedback": [accepted(card=None)]}, 0, "card", id="missing-card"),
        pytest.param({"feedback": [accepted(card="")]}, 0, "card", id="empty-card"),
        pytest.param({"feedback": [accepted(outcome=None)]}, 0, "outcome", id="missing-outcome"),
        pytest.param(
            {"feedback": [accepted(outcomeTimestamp=None)]},
            0,
            "outcomeTimestamp",
            id="missing-timestamp",
        ),
        # outcome is accepted or overridden, nothing else.
        pytest.param({"feedback": [accepted(outcome="ignored")]}, 0, "outcome", id="bad-outcome"),
        # The timestamp must be an instant: parseable, with an offset.
        pytest.param(
            {"feedback": [accepted(outcomeTimestamp="yesterday")]},
            0,
            "outcomeTimestamp",
            id="timestamp-unparseable",
        ),
        pytest.param(
            {"feedback": [accepted(outcomeTimestamp="2020-12-11T00:00:00")]},
            0,
            "outcomeTimestamp",
            id="timestamp-naive",
        ),
        pytest.param(
            {"feedback": [accepted(outcomeTimestamp="2020-12-11")]},
            0,
            "outcomeTimestamp",
            id="timestamp-date-only",
        ),
        # acceptedSuggestions is required for accepted outcomes, non-empty, each with an id.
        pytest.param(
            {"feedback": [accepted(acceptedSuggestions=None)]},
            0,
            "acceptedSuggestions",
            id="accepted-without-suggestions",
        ),
        pytest.param(
            {"feedback": [accepted(acceptedSuggestions=[])]},
            0,
            "acceptedSuggestions",
            id="accepted-empty-suggestions",
        ),
        pytest.param(
            {"feedback": [accepted(acceptedSuggestions=[{}])]},
            0,
            "acceptedSuggestions[0].id",
            id="suggestion-without-id",
        ),
        pytest.param(
            {"feedback": [accepted(acceptedSuggestions=["x"])]},
            0,
            "acceptedSuggestions[0]",
            id="suggestion-not-object",
        ),
        # An override reason on an accepted card, or accepted suggestions on an overridden one,
        # contradict the outcome.
        pytest.param(
            {"feedback": [accepted(overrideReason={"userComment": "x"})]},
            0,
            "overrideReason",
            id="override-reason-on-accepted",
        ),
        pytest.param(
            {"feedback": [overridden(acceptedSuggestions=[{"id": SUGGESTION}])]},
            0,
            "acceptedSuggestions",
            id="suggestions-on-overridden",
        ),
        # overrideReason needs a reason or a comment; null and {} are prohibited.
        pytest.param(
            {"feedback": [overridden(overrideReason={})]},
            0,
            "overrideReason",
            id="override-reason-empty",
        ),
        pytest.param(
            {"feedback": [{**overridden(), "overrideReason": None}]},
            0,
            "overrideReason",
            id="override-reason-null",
        ),
        # The reason is a Coding: system and code REQUIRED.
        pytest.param(
            {"feedback": [overridden(overrideReason={"reason": {"code": "c"}})]},
            0,
            "overrideReason.reason.system",
            id="reason-without-system",
        ),
        pytest.param(
            {"feedback": [overridden(overrideReason={"reason": {"system": "s"}})]},
            0,
            "overrideReason.reason.code",
            id="reason-without-code",
        ),
        pytest.param(
            {"feedback": [overridden(overrideReason={"reason": "d7ecf885"})]},
            0,
            "overrideReason.reason",
            id="reason-not-coding",
        ),
        pytest.param(
            {"feedback": [overridden(overrideReason={"userComment": ""})]},
            0,
            "overrideReason.userComment",
            id="empty-comment",
        ),
        # The error names the entry at fault, not just the first.
        pytest.param(
            {"feedback": [accepted(), overridden(outcome="rejected")]},
            1,
            "outcome",
            id="second-entry",
        ),
    ],
)
def test_parse_invalid_feedback_names_the_problem(
    body: object, item: int | None, member: str
) -> None:
    """Invalid feedback raises BadRequest (400) naming the entry and member at fault."""
    with pytest.raises(BadRequest) as caught:
        parse_feedback(body)
    where = member if item is None else f"feedback[{item}]" + (f".{member}" if member else "")
    assert caught.value.status == 400
    assert caught.value.details == {"item": item, "member": member}
    assert where in caught.value.message


# Reading back and ordering, on SQLite and Redis alike: tests/cds/test_state.py.


def test_store_survives_a_restart(tmp_path: Path) -> None:
    """A new FeedbackStore on the same file (as after a restart) sees everything recorded before."""
    path = tmp_path / "data" / "feedback.sqlite3"
    FeedbackStore(path).record(
        "trial-eligibility", parse_feedback({"feedback": [accepted(), overridden()]}), RECEIVED
    )
    reopened = FeedbackStore(path)
    assert (reopened.count(), [entry["outcome"] for entry in reopened.for_card(CARD)]) == (
        2,
        ["accepted", "overridden"],
    )


def test_store_creates_its_directory_and_uses_wal(tmp_path: Path) -> None:
    """The database file and its missing parent directories are created on first use, in WAL
    mode.
    """
    path = tmp_path / "nested" / "dir" / "feedback.sqlite3"
    assert FeedbackStore(path).count() == 0
    with closing(sqlite3.connect(path)) as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_store_keeps_no_patient_identifier(tmp_path: Path) -> None:
    """The table has only feedback columns: nothing about the patient is kept."""
    path = tmp_path / "feedback.sqlite3"
    FeedbackStore(path).count()
    with closing(sqlite3.connect(path)) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(feedback)")]
    assert not [column for column in columns if "patient" in column or "subject" in column]


def test_store_records_a_request_in_one_transaction(tmp_path: Path) -> None:
    """If one entry cannot be stored, none of the request's entries are."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    good = parse_feedback({"feedback": [accepted()]})[0]
    bad = FeedbackItem(CARD, "rejected", WHEN)  # violates the table's CHECK on outcome
    with pytest.raises(sqlite3.IntegrityError):
        store.record("trial-eligibility", [good, bad], RECEIVED)
    assert store.count() == 0


def test_store_refuses_a_naive_receipt_time(tmp_path: Path) -> None:
    """A receipt time without a timezone is refused rather than guessed."""
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record(
            "trial-eligibility", parse_feedback({"feedback": [accepted()]}), datetime(2020, 12, 11)
        )  # naive on purpose


def test_store_accepts_concurrent_writers(tmp_path: Path) -> None:
    """Threads recording at once on a new file (each with its own connection) all succeed and lose
    nothing.

    It once failed: every thread created the file and switched it to WAL at once, and one got
    "database is locked" (lost silently, as an exception in a thread). The file is now created once,
    under a lock; errors are collected.
    """
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    items = parse_feedback({"feedback": [accepted()]})
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def record() -> None:
        start.wait()
        try:
            store.record("trial-eligibility", items, RECEIVED)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=record) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count() == 16


def test_store_uses_wal_and_synchronous_normal(tmp_path: Path) -> None:
    """The file is in WAL mode and each connection commits with synchronous=NORMAL (the GUIDE's
    measured setup).
    """
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.count()
    with store._db.read() as connection:  # noqa: SLF001 - the settings are the behaviour under test
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
