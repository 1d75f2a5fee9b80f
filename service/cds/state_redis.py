"""The CDS state in Redis, for a fleet of replicas: seen JWT ids, issued cards and feedback, with
the SQLite stores' fields.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from service.cds.feedback import FeedbackItem, feedback_row, from_row
from service.cds.issued import IssuedCard, patient_hash
from service.cds.redis_common import PREFIX, unavailable_when_down
from service.cds.trust.replay_redis import RedisReplayCache
from service.errors import ConfigError, ServiceUnavailable

if TYPE_CHECKING:
    from service.cds.state import State, StateOptions

log = logging.getLogger(__name__)

_STORED_INSTANT = "%Y-%m-%dT%H:%M:%S.%fZ"
_FEEDBACK_FIELDS = (
    "service_id",
    "card",
    "outcome",
    "outcome_timestamp",
    "accepted_suggestions",
    "reason_system",
    "reason_code",
    "reason_display",
    "user_comment",
    "received_at",
)

# Erase the comments received before a cutoff in one atomic step (no entry can slip between the read
# and the erase).
_PURGE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local erased = 0
for _, id in ipairs(ids) do erased = erased + redis.call('HDEL', ARGV[2] .. id, 'user_comment') end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return erased
"""


def redis_state(url: str, options: StateOptions) -> State:
    """Connect (lazily: Redis down at start-up is a 503 per call, not a crash loop) and return
    the three Redis stores.
    """
    from service.cds.state import State

    # A bounded wait, as the SQLite busy timeout; one immediate retry on a dropped pooled
    # connection, never a growing backoff.
    timeout = max(options.timeout, 0.1)
    # redis-py ignores a database path that is not a number (writing to db 0 instead): refuse it
    # here.
    database = urlsplit(url).path.strip("/")
    if database and not database.isdigit():
        raise ConfigError(
            "ELIGIBILITY_STATE_URL: the Redis database (the URL's path) must be a number, as in "
            "redis://host:6379/0"
        )
    try:
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            health_check_interval=30,
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
    except ValueError as exc:
        # redis-py's message may quote the URL (and its password): say only what is wrong.
        raise ConfigError(
            "ELIGIBILITY_STATE_URL is not a valid redis:// or rediss:// URL "
            "(redis://[:password@]host:port/db)"
        ) from exc
    return State(
        kind="redis",
        replays=RedisReplayCache(client),
        issued=RedisIssuedCards(client, options.hash_key),
        feedback=RedisFeedbackStore(client, options.retention_days),
        closer=client.close,
    )


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(_STORED_INSTANT)


class RedisIssuedCards:
    """Issued cards as one hash per card (the issued_card columns) and a sorted set of cards by
    issue time.
    """

    def __init__(self, client: redis.Redis, hash_key: bytes | None) -> None:
        self._client = client
        self._key = hash_key

    def record(
        self, service_id: str, patient_id: str, cards: list[IssuedCard], issued_at: datetime
    ) -> bool:
        """Keep the cards of one call; False (logged) if Redis is unavailable: the clinician's
        cards matter more than the record.
        """
        hashed = patient_hash(self._key, patient_id)
        when = _instant(issued_at)
        try:
            with unavailable_when_down("issued-card write"):
                pipe = self._client.pipeline(transaction=True)
                for card in cards:
                    row: dict[Any, Any] = {
                        "card": card.card,
                        "service_id": service_id,
                        "hook_instance": card.hook_instance,
                        "trial_id": card.trial_id,
                        "verdict": card.verdict,
                        "rules_version": card.rules_version,
                        "issued_at": when,
                    }
                    # A repeated card uuid replaces its record whole, as INSERT OR REPLACE does.
                    pipe.delete(f"{PREFIX}card:{card.card}")
                    pipe.hset(
                        f"{PREFIX}card:{card.card}",
                        mapping=row | ({"patient_hash": hashed} if hashed else {}),
                    )
                    pipe.zadd(f"{PREFIX}cards", {card.card: issued_at.timestamp()})
                pipe.execute()
        except ServiceUnavailable:
            log.warning(
                "issued cards not recorded (the CDS store is unavailable): their feedback will "
                "not tie back to a trial"
            )
            return False
        return True

    def get(self, card: str) -> dict[str, Any] | None:
        """One issued card's record (patient_hash None when not kept), or None."""
        with unavailable_when_down("issued-card read"):
            # decode_responses=True: every reply is text (redis-py's types do not follow that
            # setting).
            row = cast(dict[str, str], self._client.hgetall(f"{PREFIX}card:{card}"))
        if not row:
            return None
        return {"patient_hash": None} | dict(row)

    def issued_since(self, since: datetime | None) -> list[tuple[str, str, str]]:
        """(card, trial_id, verdict) of every card issued at or after ``since`` (all when None)."""
        with unavailable_when_down("issued-card read"):
            cards = cast(
                list[str],
                self._client.zrangebyscore(
                    f"{PREFIX}cards", since.timestamp() if since is not None else "-inf", "+inf"
                ),
            )
            pipe = self._client.pipeline(transaction=False)
            for card in cards:
                pipe.hmget(f"{PREFIX}card:{card}", ["trial_id", "verdict"])
            fields = cast(list[list[str | None]], pipe.execute())
        # A card whose record is gone (deleted by hand) is skipped rather than counted under no
        # trial.
        return [
            (card, trial, verdict)
            for card, (trial, verdict) in zip(cards, fields, strict=True)
            if trial is not None and verdict is not None
        ]


class RedisFeedbackStore:
    """Feedback entries as one hash each (the feedback columns), a list of entry ids per card,
    and sorted sets by time received.
    """

    def __init__(self, client: redis.Redis, comment_retention_days: float | None = None) -> None:
        self._client = client
        # userComment is free text a clinician typed (it may name the patient): kept this many days,
        # then erased.
        self._retention = comment_retention_days

    def record(self, service_id: str, items: list[FeedbackItem], received_at: datetime) -> int:
        """Store the entries of one feedback request in one MULTI/EXEC; return how many were
        stored.
        """
        rows = [feedback_row(service_id, item, received_at) for item in items]
        score = received_at.timestamp()
        with unavailable_when_down("feedback write"):
            last = int(self._client.incrby(f"{PREFIX}feedback:next", len(rows)))
            pipe = self._client.pipeline(transaction=True)
            for entry_id, row in enumerate(rows, start=last - len(rows) + 1):
                fields: dict[Any, Any] = {
                    name: value for name, value in row.items() if value is not None
                } | {"id": entry_id}
                pipe.hset(f"{PREFIX}feedback:entry:{entry_id}", mapping=fields)
                pipe.rpush(f"{PREFIX}feedback:card:{row['card']}", entry_id)
                pipe.zadd(f"{PREFIX}feedback:ids", {str(entry_id): score})
                if row["user_comment"] is not None:
                    pipe.zadd(f"{PREFIX}feedback:comments", {str(entry_id): score})
            pipe.execute()
        if self._retention is not None:
            self.purge_comments(received_at, self._retention)
        return len(rows)

    def _entries(self, card: str) -> list[dict[str, Any]]:
        """The stored rows of one card's entries, missing fields as None, in storage order."""
        ids = cast(list[str], self._client.lrange(f"{PREFIX}feedback:card:{card}", 0, -1))
        pipe = self._client.pipeline(transaction=False)
        for entry_id in ids:
            pipe.hgetall(f"{PREFIX}feedback:entry:{entry_id}")
        rows = []
        for stored in cast(list[dict[str, str]], pipe.execute()):
            rows.append(
                {name: stored.get(name) for name in _FEEDBACK_FIELDS} | {"id": int(stored["id"])}
            )
        return rows

    def for_card(self, card_uuid: str) -> list[dict[str, Any]]:
        """The feedback on one card, oldest outcome first: each entry as the client sent it, plus
        serviceId and receivedAt.
        """
        with unavailable_when_down("feedback read"):
            rows = self._entries(card_uuid)
        return [
            from_row(row)
            for row in sorted(rows, key=lambda row: (row["outcome_timestamp"], row["id"]))
        ]

    def count(self) -> int:
        """How many feedback entries are stored."""
        with unavailable_when_down("feedback read"):
            return int(self._client.zcard(f"{PREFIX}feedback:ids"))

    def latest_outcomes(self, cards: Iterable[str]) -> dict[str, str]:
        """Each card's latest outcome (latest outcomeTimestamp, then latest stored), for the
        cards that have feedback.
        """
        latest = {}
        with unavailable_when_down("feedback read"):
            for card in cards:
                rows = self._entries(card)
                if rows:
                    latest[card] = max(rows, key=lambda row: (row["outcome_timestamp"], row["id"]))[
                        "outcome"
                    ]
        return latest

    def purge_comments(self, now: datetime, retention_days: float | None = None) -> int:
        """Erase userComment from entries received more than the retention ago; return how many
        were erased.
        """
        days = self._retention if retention_days is None else retention_days
        if days is None:
            return 0
        cutoff = (now - timedelta(days=days)).timestamp()
        with unavailable_when_down("comment purge"):
            return int(
                self._client.eval(
                    _PURGE,
                    1,
                    f"{PREFIX}feedback:comments",
                    repr(cutoff),
                    f"{PREFIX}feedback:entry:",
                )
            )
