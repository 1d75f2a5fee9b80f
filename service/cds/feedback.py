"""CDS Hooks 2.0 feedback: parse what a CDS Client POSTs to {baseUrl}/cds-services/{id}/feedback,
and keep it in SQLite.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn

from service.cds.database import DEFAULT_BUSY_TIMEOUT_SECONDS, Database
from service.errors import BadRequest

OUTCOMES = ("accepted", "overridden")
# Fixed width, so that stored instants sort as text in time order.
_STORED_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Coding:
    """A CDS Hooks Coding (code and system REQUIRED, display optional), here an override reason."""

    system: str
    code: str
    display: str | None = None


@dataclass(frozen=True)
class FeedbackItem:
    """One Feedback entry: what the user did with one card, and when (outcome_timestamp is in
    UTC).
    """

    card: str
    outcome: str
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: Coding | None = None
    user_comment: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Render the entry as the specification's JSON (optional members omitted, as it
        requires).
        """
        entry: dict[str, Any] = {"card": self.card, "outcome": self.outcome}
        if self.accepted_suggestions:
            entry["acceptedSuggestions"] = [
                {"id": suggestion} for suggestion in self.accepted_suggestions
            ]
        override: dict[str, Any] = {}
        if self.override_reason is not None:
            coding = self.override_reason
            override["reason"] = {"system": coding.system, "code": coding.code} | (
                {"display": coding.display} if coding.display else {}
            )
        if self.user_comment is not None:
            override["userComment"] = self.user_comment
        if override:
            entry["overrideReason"] = override
        entry["outcomeTimestamp"] = _shown_instant(self.outcome_timestamp)
        return entry


def _bad(item: int | None, member: str, problem: str) -> NoReturn:
    """Raise the 400 naming the entry and member at fault."""
    where = member if item is None else f"feedback[{item}]" + (f".{member}" if member else "")
    raise BadRequest(
        f"Invalid CDS Hooks feedback: {where} {problem}", details={"item": item, "member": member}
    )


def _string(entry: Mapping[str, Any], name: str, item: int, prefix: str = "") -> str:
    """A member that must be a non-empty string (the specification prohibits null and "")."""
    value = entry[name]
    if not isinstance(value, str) or not value.strip():
        _bad(item, prefix + name, "must be a non-empty string")
    return value


def _required(entry: Mapping[str, Any], name: str, item: int, prefix: str = "") -> str:
    if name not in entry:
        _bad(item, prefix + name, "is required")
    return _string(entry, name, item, prefix)


def parse_feedback(body: object) -> list[FeedbackItem]:
    """Check a feedback request body against CDS Hooks 2.0 and return its entries; raise
    BadRequest naming the first problem.
    """
    if not isinstance(body, dict):
        _bad(None, "body", "must be a JSON object with a feedback array")
    entries = body.get("feedback")
    # "The request to the feedback endpoint SHALL be an object containing an array"; [] is a
    # prohibited empty element.
    if not isinstance(entries, list) or not entries:
        _bad(None, "feedback", "must be a non-empty array of Feedback")
    return [_feedback_item(entry, index) for index, entry in enumerate(entries)]


def _feedback_item(entry: object, item: int) -> FeedbackItem:
    if not isinstance(entry, dict):
        _bad(item, "", "must be an object")
    card = _required(entry, "card", item)
    outcome = _required(entry, "outcome", item)
    if outcome not in OUTCOMES:
        _bad(item, "outcome", "must be 'accepted' or 'overridden'")
    timestamp = _instant(_required(entry, "outcomeTimestamp", item), item)
    if outcome == "accepted":
        # "Note that while one or more suggestions can be accepted, an entire card is either ignored
        # or overridden."
        if "overrideReason" in entry:
            _bad(item, "overrideReason", "is only allowed with outcome 'overridden'")
        return FeedbackItem(
            card, outcome, timestamp, accepted_suggestions=_accepted_suggestions(entry, item)
        )
    if "acceptedSuggestions" in entry:
        _bad(item, "acceptedSuggestions", "is only allowed with outcome 'accepted'")
    reason, comment = _override_reason(entry, item)
    return FeedbackItem(card, outcome, timestamp, override_reason=reason, user_comment=comment)


def _instant(text: str, item: int) -> datetime:
    """Parse outcomeTimestamp ("ISO timestamp in UTC"); any explicit offset is accepted and
    converted to UTC.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _bad(item, "outcomeTimestamp", "must be an ISO 8601 timestamp such as 2020-12-11T00:00:00Z")
    # CAUTION: naive datetime; without an offset the instant is unknown.
    if moment.tzinfo is None:
        _bad(item, "outcomeTimestamp", "must include its UTC offset (e.g. end in Z)")
    return moment.astimezone(UTC)


def _accepted_suggestions(entry: Mapping[str, Any], item: int) -> tuple[str, ...]:
    """acceptedSuggestions is CONDITIONAL: "Required for accepted outcomes"; each
    AcceptedSuggestion REQUIRES id.
    """
    if "acceptedSuggestions" not in entry:
        _bad(item, "acceptedSuggestions", "is required when outcome is 'accepted'")
    suggestions = entry["acceptedSuggestions"]
    if not isinstance(suggestions, list) or not suggestions:
        _bad(item, "acceptedSuggestions", "must be a non-empty array of {id}")
    ids = []
    for index, suggestion in enumerate(suggestions):
        if not isinstance(suggestion, dict):
            _bad(item, f"acceptedSuggestions[{index}]", "must be an object with an id")
        ids.append(_required(suggestion, "id", item, f"acceptedSuggestions[{index}]."))
    return tuple(ids)


def _override_reason(entry: Mapping[str, Any], item: int) -> tuple[Coding | None, str | None]:
    """overrideReason is OPTIONAL; when sent it needs a reason Coding, a userComment or both (an
    empty object is prohibited).
    """
    if "overrideReason" not in entry:
        return None, None
    override = entry["overrideReason"]
    if not isinstance(override, dict) or not ("reason" in override or "userComment" in override):
        _bad(item, "overrideReason", "must be an object with a reason, a userComment or both")
    comment = (
        _string(override, "userComment", item, "overrideReason.")
        if "userComment" in override
        else None
    )
    if "reason" not in override:
        return None, comment
    reason = override["reason"]
    if not isinstance(reason, dict):
        _bad(item, "overrideReason.reason", "must be a Coding object")
    prefix = "overrideReason.reason."
    display = _string(reason, "display", item, prefix) if "display" in reason else None
    return Coding(
        _required(reason, "system", item, prefix), _required(reason, "code", item, prefix), display
    ), comment


def _stored_instant(moment: datetime) -> str:
    # CAUTION: naive datetime; refused rather than guessed.
    if moment.tzinfo is None:
        raise ValueError("a stored instant must be timezone-aware")
    return moment.astimezone(UTC).strftime(_STORED_INSTANT)


def _shown_instant(moment: datetime) -> str:
    """An instant as the specification writes them: UTC with a Z, fractions only when present."""
    spec = "seconds" if moment.microsecond == 0 else "microseconds"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    service_id TEXT NOT NULL,
    card TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
    outcome_timestamp TEXT NOT NULL,
    accepted_suggestions TEXT NOT NULL,
    reason_system TEXT,
    reason_code TEXT,
    reason_display TEXT,
    user_comment TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_card ON feedback (card);
"""

# Whole statements as literals, values always bound: no SQL is ever assembled from data.
_INSERT = """
INSERT INTO feedback (service_id, card, outcome, outcome_timestamp, accepted_suggestions,
                      reason_system, reason_code, reason_display, user_comment, received_at)
VALUES (:service_id, :card, :outcome, :outcome_timestamp, :accepted_suggestions,
        :reason_system, :reason_code, :reason_display, :user_comment, :received_at)
"""
_SELECT_FOR_CARD = """
SELECT service_id, card, outcome, outcome_timestamp, accepted_suggestions,
       reason_system, reason_code, reason_display, user_comment, received_at
FROM feedback WHERE card = ? ORDER BY outcome_timestamp, id
"""


# A clinician may override a card, then accept it: the latest entry is the one that counts.
_LATEST = """
SELECT card, outcome FROM (
    SELECT card, outcome,
           ROW_NUMBER() OVER (PARTITION BY card ORDER BY outcome_timestamp DESC, id DESC) AS n
    FROM feedback
) WHERE n = 1
"""


class FeedbackStore:
    """Feedback entries in one SQLite file (a connection per thread, WAL); a lock held elsewhere
    past the wait is a 503.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
        comment_retention_days: float | None = None,
    ) -> None:
        self._db = Database(path, _SCHEMA, busy_timeout=busy_timeout)
        self.path = Path(path)
        # userComment is free text a clinician typed (it may name the patient): kept this many days,
        # then erased.
        self._retention = comment_retention_days

    def purge_comments(self, now: datetime, retention_days: float | None = None) -> int:
        """Erase userComment from entries received more than the retention ago; return how many
        were erased.
        """
        days = self._retention if retention_days is None else retention_days
        if days is None:
            return 0
        with self._db.write() as connection:
            return _purge(connection, now, days)

    def record(self, service_id: str, items: list[FeedbackItem], received_at: datetime) -> int:
        """Store the entries of one feedback request in one transaction; return how many were
        stored.
        """
        rows = [feedback_row(service_id, item, received_at) for item in items]
        with self._db.write() as connection:
            connection.executemany(_INSERT, rows)
            if self._retention is not None:
                _purge(connection, received_at, self._retention)
        return len(rows)

    def for_card(self, card_uuid: str) -> list[dict[str, Any]]:
        """The feedback on one card, oldest outcome first: each entry as the client sent it, plus
        serviceId and receivedAt.
        """
        with self._db.read() as connection:
            rows = connection.execute(_SELECT_FOR_CARD, (card_uuid,)).fetchall()
        return [from_row(row) for row in rows]

    def count(self) -> int:
        """How many feedback entries are stored."""
        with self._db.read() as connection:
            (total,) = connection.execute("SELECT COUNT(*) FROM feedback").fetchone()
        return int(total)

    def latest_outcomes(self, cards: Iterable[str]) -> dict[str, str]:
        """Each card's latest outcome (latest outcomeTimestamp, then latest stored), for the
        cards that have feedback.
        """
        wanted = set(cards)
        with self._db.read() as connection:
            rows = connection.execute(_LATEST).fetchall()
        return {row["card"]: row["outcome"] for row in rows if row["card"] in wanted}


def _purge(connection: sqlite3.Connection, now: datetime, days: float) -> int:
    cutoff = _stored_instant(now - timedelta(days=days))
    erased = connection.execute(
        "UPDATE feedback SET user_comment = NULL WHERE user_comment IS NOT NULL AND received_at "
        "< ?",
        (cutoff,),
    )
    return int(erased.rowcount)


def feedback_row(service_id: str, item: FeedbackItem, received_at: datetime) -> dict[str, Any]:
    """One entry as a stored row (the SQLite columns, and the fields of its Redis hash): text,
    JSON text or None.
    """
    reason = item.override_reason
    return {
        "service_id": service_id,
        "card": item.card,
        "outcome": item.outcome,
        "outcome_timestamp": _stored_instant(item.outcome_timestamp),
        "accepted_suggestions": json.dumps(list(item.accepted_suggestions)),
        "reason_system": reason.system if reason else None,
        "reason_code": reason.code if reason else None,
        "reason_display": reason.display if reason else None,
        "user_comment": item.user_comment,
        "received_at": _stored_instant(received_at),
    }


def from_row(row: Mapping[str, Any] | sqlite3.Row) -> dict[str, Any]:
    """A stored row (SQLite row or Redis hash, missing fields as None) as the entry the client
    sent, plus serviceId and receivedAt.
    """
    reason = (
        Coding(row["reason_system"], row["reason_code"], row["reason_display"])
        if row["reason_code"] is not None
        else None
    )
    item = FeedbackItem(
        card=row["card"],
        outcome=row["outcome"],
        outcome_timestamp=datetime.strptime(row["outcome_timestamp"], _STORED_INSTANT).replace(
            tzinfo=UTC
        ),
        accepted_suggestions=tuple(json.loads(row["accepted_suggestions"])),
        override_reason=reason,
        user_comment=row["user_comment"],
    )
    received = datetime.strptime(row["received_at"], _STORED_INSTANT).replace(tzinfo=UTC)
    return {
        "serviceId": row["service_id"],
        **item.to_json(),
        "receivedAt": _shown_instant(received),
    }
