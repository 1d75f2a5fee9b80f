"""A record of each card issued (trial, verdict, rules version, a keyed hash of the patient), so
feedback ties back to them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.cds.database import DEFAULT_BUSY_TIMEOUT_SECONDS, Database
from service.errors import ServiceUnavailable
from service.evaluation.report import TrialReport

if TYPE_CHECKING:
    from service.cds.state import IssuedStore

log = logging.getLogger(__name__)

_STORED_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS issued_card (
    card TEXT PRIMARY KEY,
    service_id TEXT NOT NULL,
    hook_instance TEXT NOT NULL,
    trial_id TEXT NOT NULL,
    verdict TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    patient_hash TEXT,
    issued_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS issued_card_trial ON issued_card (trial_id);
"""
# A repeated call with the same hookInstance yields the same card uuids: the latest answer is the
# one the user saw.
_UPSERT = """
INSERT OR REPLACE INTO issued_card
    (card, service_id, hook_instance, trial_id, verdict, rules_version, patient_hash, issued_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""


def patient_hash(key: bytes | None, patient_id: str) -> str | None:
    """HMAC-SHA256 of the patient id under the configured key: joins one patient's cards without
    storing the id; None without a key.
    """
    if not key:
        return None
    return hmac.new(key, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class IssuedCard:
    """One card as issued: its uuid, the call and trial it answered, the verdict shown and the
    rules that gave it.
    """

    card: str
    hook_instance: str
    trial_id: str
    verdict: str
    rules_version: str


class IssuedCards:
    """The issued-card records in the CDS SQLite file (the Redis twin is
    service/cds/state_redis.py).
    """

    def __init__(
        self,
        path: str | Path,
        hash_key: bytes | None,
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self._db = Database(path, _SCHEMA, busy_timeout=busy_timeout)
        self._key = hash_key

    def record(
        self, service_id: str, patient_id: str, cards: list[IssuedCard], issued_at: datetime
    ) -> bool:
        """Keep the cards of one call; False (logged) if the file stays locked: the clinician's
        cards matter more than the record.
        """
        hashed = patient_hash(self._key, patient_id)
        when = issued_at.astimezone(UTC).strftime(_STORED_INSTANT)
        rows = [
            (
                c.card,
                service_id,
                c.hook_instance,
                c.trial_id,
                c.verdict,
                c.rules_version,
                hashed,
                when,
            )
            for c in cards
        ]
        try:
            with self._db.write() as connection:
                connection.executemany(_UPSERT, rows)
        except ServiceUnavailable:
            log.warning(
                "issued cards not recorded (the CDS store is busy): their feedback will not tie "
                "back to a trial"
            )
            return False
        return True

    def get(self, card: str) -> dict[str, Any] | None:
        """One issued card's record, or None."""
        with self._db.read() as connection:
            row = connection.execute("SELECT * FROM issued_card WHERE card = ?", (card,)).fetchone()
        return dict(row) if row is not None else None

    def issued_since(self, since: datetime | None) -> list[tuple[str, str, str]]:
        """(card, trial_id, verdict) of every card issued at or after ``since`` (all when None)."""
        # Stored instants are fixed-width UTC text, so text order is time order.
        start = since.astimezone(UTC).strftime(_STORED_INSTANT) if since is not None else ""
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT card, trial_id, verdict FROM issued_card WHERE issued_at >= ?", (start,)
            ).fetchall()
        return [(row["card"], row["trial_id"], row["verdict"]) for row in rows]


def issued_cards(
    reports: list[TrialReport], cards: list[dict[str, Any]], hook_instance: str, card_uuid: Any
) -> list[IssuedCard]:
    """Pair each card shown with the report it came from (matched by the card uuid the trial and
    hook instance give).
    """
    by_uuid = {card_uuid(hook_instance, r.trial_id): r for r in reports}
    # The stores keep the verdict as its plain string value.
    return [
        IssuedCard(
            c["uuid"],
            hook_instance,
            by_uuid[c["uuid"]].trial_id,
            by_uuid[c["uuid"]].verdict.value,
            by_uuid[c["uuid"]].rules_version,
        )
        for c in cards
        if c.get("uuid") in by_uuid
    ]


def note_issued(
    store: IssuedStore | None,
    service_id: str,
    patient_id: str,
    hook_instance: str,
    reports: list[TrialReport],
    cards: list[dict[str, Any]],
) -> None:
    """Record one call's cards, if a store is configured (the one call service.py makes into this
    module).
    """
    if store is not None and cards:
        from service.cds.cards import card_uuid

        store.record(
            service_id,
            patient_id,
            issued_cards(reports, cards, hook_instance, card_uuid),
            datetime.now(UTC),
        )
