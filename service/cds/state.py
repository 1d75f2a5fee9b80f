"""Where the CDS state shared by replicas lives (seen JWT ids, issued cards, feedback): one
setting picks SQLite or Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from service.cds.feedback import FeedbackItem, FeedbackStore
from service.cds.issued import IssuedCard, IssuedCards
from service.cds.trust.jwt import ReplayStore
from service.cds.trust.replay import SqliteReplayCache
from service.errors import ConfigError
from service.settings import StateSettings

log = logging.getLogger(__name__)

SQLITE_PREFIX = "sqlite:///"
REDIS_SCHEMES = ("redis", "rediss")


class IssuedStore(Protocol):
    """The record of each card issued, keyed by card uuid (fields as the SQLite issued_card row)."""

    def record(
        self, service_id: str, patient_id: str, cards: list[IssuedCard], issued_at: datetime
    ) -> bool:
        """Keep the cards of one call (a repeated card uuid replaces its record); False, logged,
        when the store is unavailable.
        """

    def get(self, card: str) -> dict[str, Any] | None:
        """One issued card's record, or None."""

    def issued_since(self, since: datetime | None) -> list[tuple[str, str, str]]:
        """(card, trial_id, verdict) of every card issued at or after ``since`` (all when None)."""


class FeedbackLog(Protocol):
    """The feedback entries clinicians sent, in the order they were stored."""

    def record(self, service_id: str, items: list[FeedbackItem], received_at: datetime) -> int:
        """Store one request's entries together; return how many were stored."""

    def for_card(self, card_uuid: str) -> list[dict[str, Any]]:
        """The feedback on one card, oldest outcome first, as the client sent it plus serviceId
        and receivedAt.
        """

    def count(self) -> int:
        """How many feedback entries are stored."""

    def purge_comments(self, now: datetime, retention_days: float | None = None) -> int:
        """Erase userComment from entries received more than the retention ago; return how many
        were erased.
        """

    def latest_outcomes(self, cards: Iterable[str]) -> dict[str, str]:
        """Each card's latest outcome (latest outcomeTimestamp, then latest stored), for the
        cards that have feedback.
        """


@dataclass(frozen=True)
class State:
    """The three stores of one back-end, and its kind ("sqlite" or "redis") for logs and reports."""

    kind: str
    replays: ReplayStore | None
    issued: IssuedStore | None
    feedback: FeedbackLog
    closer: Callable[[], None] = field(default=lambda: None, repr=False)

    def close(self) -> None:
        """Release the back-end's connections (Redis's pool; SQLite's per-thread connections
        close with their threads).
        """
        self.closer()


@dataclass(frozen=True)
class StateOptions:
    """What the stores need besides the URL: the patient hash key, the bounded wait and the
    comment retention.
    """

    hash_key: bytes | None = None
    timeout: float = 2.0
    retention_days: float | None = None


def open_state(
    url: object, sqlite_path: str | None = None, options: StateOptions | None = None
) -> State:
    """Open the stores ``url`` names: unset → SQLite at ``sqlite_path``; sqlite:///path → SQLite;
    redis:// or rediss:// → Redis.
    """
    options = options or StateOptions()
    if url is not None and not isinstance(url, str):
        raise ConfigError(
            "ELIGIBILITY_STATE_URL must be a URL string (sqlite:///path or redis://host:port/db)"
        )
    text = (url or "").strip()
    if not text:
        if not sqlite_path:
            raise ConfigError(
                "set ELIGIBILITY_STATE_URL (sqlite:///path or redis://host:port/db) or "
                "ELIGIBILITY_CDS_FEEDBACK_DB (a SQLite file)"
            )
        return _sqlite(sqlite_path, options)
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme == "sqlite":
        # As SQLAlchemy writes them: sqlite:///relative/path, sqlite:////absolute/path.
        if not text.startswith(SQLITE_PREFIX) or len(text) == len(SQLITE_PREFIX):
            raise ConfigError(
                "ELIGIBILITY_STATE_URL: a SQLite URL is sqlite:///relative/path or "
                "sqlite:////absolute/path"
            )
        return _sqlite(text[len(SQLITE_PREFIX) :], options)
    if scheme in REDIS_SCHEMES:
        from service.cds.state_redis import redis_state

        return redis_state(text, options)
    # Name the scheme only: the rest of the URL may hold a password.
    raise ConfigError(
        f"ELIGIBILITY_STATE_URL has the unsupported scheme {scheme!r}: use sqlite:///path, "
        "redis://host:port/db or rediss://host:port/db"
    )


def _sqlite(path: str, options: StateOptions) -> State:
    """The three stores in one SQLite file (one host; every worker process shares the file)."""
    return State(
        kind="sqlite",
        replays=SqliteReplayCache(path, busy_timeout=options.timeout),
        issued=IssuedCards(path, options.hash_key, busy_timeout=options.timeout),
        feedback=FeedbackStore(
            path, busy_timeout=options.timeout, comment_retention_days=options.retention_days
        ),
    )


def state_from_settings(state: StateSettings) -> State:
    """Open the stores the settings name (STATE_URL, else the CDS_FEEDBACK_DB file)."""
    if state.patient_hash_key is None:
        log.warning(
            "ELIGIBILITY_CDS_PATIENT_HASH_KEY is unset: issued cards are recorded without a "
            "patient hash"
        )
    options = StateOptions(
        hash_key=state.patient_hash_key,
        timeout=state.busy_timeout,
        retention_days=state.comment_retention_days,
    )
    opened = open_state(state.url, state.feedback_db, options)
    # The kind only: the URL may hold a password.
    log.info("CDS state (seen JWT ids, issued cards, feedback) in %s", opened.kind)
    return opened
