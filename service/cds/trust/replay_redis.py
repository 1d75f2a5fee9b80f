"""Remember accepted JWT ids in Redis, so a token replayed to any replica of the fleet is
refused.
"""

from __future__ import annotations

import hashlib

import redis

from service.cds.redis_common import PREFIX, unavailable_when_down


class RedisReplayCache:
    """Accepted (iss, jti) pairs as keys that expire by themselves when their token could no
    longer be accepted.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._client = client

    @staticmethod
    def key(issuer: str, jti: str) -> str:
        """The key of one pair: a hash, so neither the raw jti nor anything token-like is stored;
        the length prefix keeps iss|jti unambiguous.
        """
        digest = hashlib.sha256(f"{len(issuer)}:{issuer}{jti}".encode()).hexdigest()
        return f"{PREFIX}jti:{digest}"

    def remember(self, issuer: str, jti: str, forget_after: float, now: float) -> bool:
        """Record a token; False if the same issuer's jti is still remembered (a replay); 503 if
        Redis is unavailable.
        """
        # Never an expiry in the past (the key would vanish at once and the replay pass).
        expire_at_ms = max(int(forget_after * 1000), int(now * 1000) + 1)
        with unavailable_when_down("replay check"):
            # SET NX is the check and the insert in one atomic step, across every replica.
            return bool(self._client.set(self.key(issuer, jti), b"1", nx=True, pxat=expire_at_ms))
