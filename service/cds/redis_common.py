"""What every CDS store in Redis shares: the key prefix, and any Redis failure turned into a 503
with Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from service.errors import ServiceUnavailable

log = logging.getLogger(__name__)

# Every key this service writes starts with this, so the Redis database can be shared with other
# users.
PREFIX = "trial-eligibility:"
RETRY_AFTER_SECONDS = 2


@contextmanager
def unavailable_when_down(action: str) -> Iterator[None]:
    """Turn any Redis failure (down, timed out, out of memory, read-only replica) into a 503 with
    Retry-After, never a 500.
    """
    try:
        yield
    except redis.RedisError as exc:
        # The message names host and port at most, never the URL's password.
        log.warning("CDS Redis %s failed: %s: %s", action, type(exc).__name__, exc)
        raise ServiceUnavailable(
            "the CDS store (Redis) is unavailable; retry shortly",
            retry_after=RETRY_AFTER_SECONDS,
            details={"reason": "store-unavailable"},
        ) from exc
