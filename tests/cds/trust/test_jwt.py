"""Tests for service.cds.trust.jwt: the CDS Client's bearer JWT, checked as CDS Hooks 2.0
requires.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import responses

from service.cds.trust.jwt import JtiReplayCache, JwtVerifier
from service.errors import Unauthorized
from tests.helpers.jwt import (
    AUDIENCE,
    DROP,
    ISSUER,
    Keys,
    claims,
    hmac_with_public_key,
    jwks,
    sign,
    unsigned,
)

JWKS_URL = "https://ehr.example.com/.well-known/jwks.json"
KEYS_HOST_JKU = "https://keys.example.com/ehr/jwks.json"  # on the allowlist
ROGUE_JKU = (
    "https://ehr.example.com.evil.example.net/jwks.json"  # off it (and shares the issuer's prefix)
)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """HTTP mocked; unregistered URLs fail, so a stray fetch shows up."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def clock() -> FakeClock:
    """The JWKS cache's clock."""
    return FakeClock()


@pytest.fixture
def verifier(keys: Keys, mocked: responses.RequestsMock, clock: FakeClock) -> JwtVerifier:
    """A verifier trusting one issuer, its JWK Set served at JWKS_URL and at the allowlisted
    KEYS_HOST_JKU.
    """
    mocked.get(JWKS_URL, json=jwks(keys))
    mocked.get(KEYS_HOST_JKU, json=jwks(keys))
    return JwtVerifier(
        trusted_issuers={ISSUER: JWKS_URL},
        jku_allowlist=(KEYS_HOST_JKU,),
        audience=AUDIENCE,
        clock=clock,
    )


def bearer(token: str) -> str:
    """The Authorization header carrying `token`."""
    return f"Bearer {token}"


def refusal(verifier: JwtVerifier, header: str | None) -> Unauthorized:
    """The Unauthorized that verifying `header` raises."""
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(header)
    return caught.value


VALID: list[Any] = [
    # RS384, a RECOMMENDED algorithm, with the key found through the issuer's agreed JWK Set.
    pytest.param(lambda k: sign(k.rsa, "RS384", "rsa-1"), id="rs384"),
    # ES384 on P-384, the other RECOMMENDED algorithm (its JWK carries no alg; kty and crv decide).
    pytest.param(lambda k: sign(k.ec, "ES384", "ec-1"), id="es384"),
    # aud may be an array containing this service's endpoint.
    pytest.param(
        lambda k: sign(
            k.rsa, payload=claims(aud=["https://other.example/cds-services/x", AUDIENCE])
        ),
        id="aud-array",
    ),
    # A jku on the allowlist is where the key is fetched from.
    pytest.param(lambda k: sign(k.rsa, jku=KEYS_HOST_JKU), id="jku-allowlisted"),
    # A jku naming the issuer's own agreed JWK Set needs no allowlist entry.
    pytest.param(lambda k: sign(k.rsa, jku=JWKS_URL), id="jku-is-the-issuers-jwks"),
    # iat slightly ahead of our clock is within the leeway.
    pytest.param(
        lambda k: sign(
            k.rsa, payload=claims(iat=int(time.time()) + 30, exp=int(time.time()) + 270)
        ),
        id="iat-within-leeway",
    ),
    # Exactly the 300 s maximum lifetime.
    pytest.param(
        lambda k: sign(k.rsa, payload=claims(exp=int(time.time()) + 300)),
        id="lifetime-at-the-limit",
    ),
]


@pytest.mark.parametrize("make_token", VALID)
def test_valid_token_returns_its_claims(
    verifier: JwtVerifier, keys: Keys, make_token: Callable[[Keys], str]
) -> None:
    """A properly signed, current, unreplayed token for this endpoint yields its claims."""
    token = make_token(keys)
    verified = verifier.verify(bearer(token))
    assert verified == jwt.decode(token, options={"verify_signature": False})


REFUSED: list[Any] = [
    # No header at all, or an empty one.
    pytest.param(lambda k: None, "missing-authorization", id="no-header"),
    pytest.param(lambda k: "", "missing-authorization", id="empty-header"),
    # Basic credentials are not a CDS Hooks JWT.
    pytest.param(lambda k: "Basic dXNlcjpwYXNz", "not-bearer", id="basic"),
    # The scheme without a token.
    pytest.param(lambda k: "Bearer ", "malformed-token", id="bearer-without-token"),
    # Not three base64url segments.
    pytest.param(lambda k: "Bearer not-a-jwt", "malformed-token", id="garbage"),
    # alg none: no signature at all (SHALL NOT be used).
    pytest.param(
        lambda k: bearer(unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims())),
        "alg-not-allowed",
        id="alg-none",
    ),
    # HS256 keyed with the public key (symmetric algorithms SHALL NOT be used).
    pytest.param(
        lambda k: bearer(hmac_with_public_key(k)),
        "alg-not-allowed",
        id="hs256-public-key-as-secret",
    ),
    # RS256 is a fine algorithm but not one this service accepts.
    pytest.param(lambda k: bearer(sign(k.rsa, "RS256")), "alg-not-allowed", id="rs256"),
    # kid is REQUIRED in the header.
    pytest.param(lambda k: bearer(sign(k.rsa, kid=None)), "missing-kid", id="missing-kid"),
    # typ is REQUIRED and fixed to JWT.
    pytest.param(lambda k: bearer(sign(k.rsa, typ="at+jwt")), "wrong-typ", id="wrong-typ"),
    pytest.param(lambda k: bearer(sign(k.rsa, typ=None)), "wrong-typ", id="missing-typ"),
    # An issuer not in trusted_issuers.
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(iss="https://rogue.example/"))),
        "unknown-iss",
        id="unknown-iss",
    ),
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(iss=DROP))), "missing-iss", id="missing-iss"
    ),
    # A jku off the allowlist, even one sharing the issuer's host name as a prefix.
    pytest.param(
        lambda k: bearer(sign(k.rsa, jku=ROGUE_JKU)), "jku-not-allowed", id="jku-off-allowlist"
    ),
    # A kid the JWK Set does not have.
    pytest.param(lambda k: bearer(sign(k.rsa, kid="rsa-9")), "unknown-kid", id="unknown-kid"),
    # Signed by a stranger's key under the client's kid.
    pytest.param(lambda k: bearer(sign(k.stranger)), "bad-signature", id="bad-signature"),
    # An ES384 token naming the client's RSA key.
    pytest.param(
        lambda k: bearer(sign(k.ec, "ES384", "rsa-1")), "key-mismatch", id="alg-does-not-fit-key"
    ),
    # Expired beyond the 60 s leeway.
    pytest.param(
        lambda k: bearer(
            sign(k.rsa, payload=claims(iat=int(time.time()) - 400, exp=int(time.time()) - 120))
        ),
        "expired",
        id="expired",
    ),
    # Issued ten minutes in the future.
    pytest.param(
        lambda k: bearer(
            sign(k.rsa, payload=claims(iat=int(time.time()) + 600, exp=int(time.time()) + 800))
        ),
        "not-yet-valid",
        id="iat-in-future",
    ),
    # Meant for another CDS Service endpoint.
    pytest.param(
        lambda k: bearer(
            sign(k.rsa, payload=claims(aud="https://cds.example.org/cds-services/other"))
        ),
        "wrong-aud",
        id="wrong-aud",
    ),
    # The discovery endpoint's aud is not this service's.
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(aud=["https://cds.example.org/cds-services"]))),
        "wrong-aud",
        id="wrong-aud-array",
    ),
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(aud=DROP))), "missing-aud", id="missing-aud"
    ),
    # exp and iat are REQUIRED numbers.
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(exp=DROP))), "missing-exp", id="missing-exp"
    ),
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(iat=DROP))), "missing-iat", id="missing-iat"
    ),
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(exp=str(int(time.time()) + 100)))),
        "malformed-token",
        id="exp-as-string",
    ),
    # jti is REQUIRED and must not be empty.
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(jti=DROP))), "missing-jti", id="missing-jti"
    ),
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(jti=""))), "missing-jti", id="empty-jti"
    ),
    # Valid for an hour: longer than the 300 s this service accepts.
    pytest.param(
        lambda k: bearer(sign(k.rsa, payload=claims(exp=int(time.time()) + 3600))),
        "lifetime-too-long",
        id="lifetime-too-long",
    ),
]


@pytest.mark.parametrize(("make_header", "reason"), REFUSED)
def test_invalid_token_is_refused_with_its_reason(
    verifier: JwtVerifier, keys: Keys, make_header: Callable[[Keys], str | None], reason: str
) -> None:
    """Each failed check raises Unauthorized (401) naming the reason."""
    error = refusal(verifier, make_header(keys))
    assert (error.status, error.details) == (401, {"reason": reason})


@pytest.mark.parametrize(("make_header", "reason"), REFUSED)
def test_refusal_never_echoes_the_token(
    verifier: JwtVerifier,
    keys: Keys,
    make_header: Callable[[Keys], str | None],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither the error (message or JSON body) nor the log contains the token."""
    caplog.set_level(logging.DEBUG)
    header = make_header(keys)
    error = refusal(verifier, header)
    token = (header or "").removeprefix("Bearer ").strip()
    shown = json.dumps(error.to_json()) + str(error) + caplog.text
    # Nor any of its segments (the signature is what makes a captured token usable).
    pieces = [token, *token.split(".")]
    assert [piece for piece in pieces if len(piece) >= 16 and piece in shown] == []


@pytest.mark.parametrize(
    "make_header",
    [
        # alg none and an HMAC token are refused from the header alone.
        pytest.param(
            lambda k: bearer(unsigned({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims())),
            id="alg-none",
        ),
        pytest.param(lambda k: bearer(hmac_with_public_key(k)), id="hs256"),
        # A jku off the allowlist is never fetched.
        pytest.param(lambda k: bearer(sign(k.rsa, jku=ROGUE_JKU)), id="rogue-jku"),
    ],
)
def test_refused_before_any_key_is_fetched(
    verifier: JwtVerifier,
    keys: Keys,
    mocked: responses.RequestsMock,
    make_header: Callable[[Keys], str],
) -> None:
    """Forbidden algorithms and unlisted jku URLs cause no HTTP request."""
    refusal(verifier, make_header(keys))
    assert len(mocked.calls) == 0


def test_replayed_jti_is_refused(verifier: JwtVerifier, keys: Keys) -> None:
    """The same token presented twice is accepted once, then refused as a replay."""
    header = bearer(sign(keys.rsa))
    verifier.verify(header)
    assert refusal(verifier, header).details == {"reason": "replayed-jti"}


def test_concurrent_replays_accept_exactly_one(verifier: JwtVerifier, keys: Keys) -> None:
    """Of one token sent by many threads at once, exactly one is accepted."""
    header = bearer(sign(keys.rsa))
    verifier.verify(
        bearer(sign(keys.rsa))
    )  # warm the JWKS cache so the threads race on the jti alone
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            verifier.verify(header)
            outcomes.append("accepted")
        except Unauthorized as error:
            outcomes.append(str(error.details))

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["accepted"] + ["{'reason': 'replayed-jti'}"] * 15


def test_jwks_fetched_once_across_many_verifications(
    verifier: JwtVerifier, keys: Keys, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    """Within its 300 s lifetime the JWK Set is fetched once, however many tokens are verified."""
    for step in range(20):
        clock.now += 10
        verifier.verify(
            bearer(
                sign(
                    keys.ec if step % 2 else keys.rsa,
                    "ES384" if step % 2 else "RS384",
                    "ec-1" if step % 2 else "rsa-1",
                )
            )
        )
    assert [call.request.url for call in mocked.calls] == [JWKS_URL]


def test_jwks_refetched_after_its_lifetime(
    verifier: JwtVerifier, keys: Keys, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    """After 300 s the JWK Set is fetched again."""
    verifier.verify(bearer(sign(keys.rsa)))
    clock.now += 301
    verifier.verify(bearer(sign(keys.rsa)))
    assert len(mocked.calls) == 2


def test_unknown_kid_refetches_the_jwks_after_rotation(
    keys: Keys, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    """A token with a new kid makes the verifier refetch the JWK Set, and the rotated key is then
    found.
    """
    mocked.get(JWKS_URL, json=jwks(keys))
    mocked.get(
        JWKS_URL, json=jwks(keys, with_rotated=True)
    )  # responses serves registrations in order
    verifier = JwtVerifier(trusted_issuers={ISSUER: JWKS_URL}, audience=AUDIENCE, clock=clock)
    verifier.verify(bearer(sign(keys.rsa, kid="rsa-1")))
    clock.now += 60
    verifier.verify(bearer(sign(keys.rsa, kid="rsa-2")))
    assert len(mocked.calls) == 2


@pytest.mark.parametrize(
    ("seconds_later", "fetches"),
    [
        # The first token fetches the JWK Set.
        (0, 1),
        # An unknown kid 5 s after a fetch: too soon to fetch again.
        (5, 1),
        # 40 s after the first fetch: one refetch (still unknown).
        (40, 2),
        # 20 s after that refetch: not again.
        (60, 2),
        # 31 s after the refetch: once more.
        (71, 3),
    ],
)
def test_refetch_for_unknown_kid_is_rate_limited(
    verifier: JwtVerifier,
    keys: Keys,
    mocked: responses.RequestsMock,
    clock: FakeClock,
    seconds_later: int,
    fetches: int,
) -> None:
    """Tokens with unknown kids cause at most one JWK Set fetch per 30 s, so they cannot make us
    flood the client.
    """
    start = clock.now
    verifier.verify(bearer(sign(keys.rsa)))
    for at in (5, 40, 60, 71):
        if at > seconds_later:
            break
        clock.now = start + at
        assert refusal(verifier, bearer(sign(keys.rsa, kid="forged"))).details == {
            "reason": "unknown-kid"
        }
    assert len(mocked.calls) == fetches


def test_failing_jwks_endpoint_is_refused_and_not_hammered(
    keys: Keys, mocked: responses.RequestsMock, clock: FakeClock
) -> None:
    """A JWK Set that cannot be fetched refuses the token, and the next tries within 30 s send no
    request.
    """
    mocked.get(JWKS_URL, status=503)
    verifier = JwtVerifier(trusted_issuers={ISSUER: JWKS_URL}, audience=AUDIENCE, clock=clock)
    reasons = []
    for _ in range(3):
        clock.now += 5
        reasons.append(refusal(verifier, bearer(sign(keys.rsa))).details)
    assert (reasons, len(mocked.calls)) == ([{"reason": "jwks-unavailable"}] * 3, 1)


@pytest.mark.parametrize(
    ("steps", "expected_size"),
    [
        # Two different jtis are both remembered.
        ([("iss-a", "1", 100.0, 10.0), ("iss-a", "2", 100.0, 11.0)], 2),
        # The same jti from two issuers is two tokens.
        ([("iss-a", "1", 100.0, 10.0), ("iss-b", "1", 100.0, 11.0)], 2),
        # An entry is dropped once its token can no longer be accepted.
        ([("iss-a", "1", 100.0, 10.0), ("iss-a", "2", 300.0, 101.0)], 1),
    ],
)
def test_replay_cache_purges_expired_entries(
    steps: list[tuple[str, str, float, float]], expected_size: int
) -> None:
    """The replay cache keeps only entries whose tokens are still acceptable, so its memory stays
    bounded.
    """
    cache = JtiReplayCache()
    assert all(cache.remember(*step) for step in steps)
    assert len(cache) == expected_size


def test_replay_cache_refuses_when_full() -> None:
    """A full replay cache refuses new tokens rather than forgetting live ones (which would allow
    replays).
    """
    cache = JtiReplayCache(max_entries=2)
    cache.remember("iss", "1", 100.0, 0.0)
    cache.remember("iss", "2", 100.0, 0.0)
    with pytest.raises(Unauthorized) as caught:
        cache.remember("iss", "3", 100.0, 0.0)
    assert caught.value.details == {"reason": "replay-cache-full"}
