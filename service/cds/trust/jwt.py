"""Verify the bearer JWT a CDS Client sends with every call (CDS Hooks 2.0, "Trusting CDS
Clients").
"""

from __future__ import annotations

import heapq
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

import jwt
import requests

from service.errors import Unauthorized

log = logging.getLogger(__name__)

# The specification forbids `none` and every symmetric (HMAC) algorithm and RECOMMENDS ES384 and
# RS384; accepting only these two means an HS256 token "signed" with a public key is refused before
# any key lookup.
ALGORITHMS = ("RS384", "ES384")
# The JWK a token's alg may be verified with: (kty, crv). A key of another shape is never tried for
# it. The REST API's bearer tokens (service/api/auth.py) may also use the other asymmetric
# algorithms authorization servers issue.
KEY_SHAPES: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
}
# The payload fields the specification marks REQUIRED (`tenant` is OPTIONAL; 2.0 defines no `sub`).
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
# An RSA-4096 JWT is about 1 KB; refusing huge headers early keeps parsing cheap.
MAX_TOKEN_CHARS = 16_384
MAX_JWKS_BYTES = 256_000
JWKS_TIMEOUT_SECONDS = 5.0


def refuse(reason: str, message: str) -> NoReturn:
    """Raise the 401 for one failed check; `reason` is a stable code for logs and tests."""
    raise Unauthorized(f"CDS Client JWT refused: {message}", details={"reason": reason})


def _shown(value: object) -> str:
    """Quote a caller-supplied header or claim value, cut short so an error never echoes much of
    a token.
    """
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class _JwksEntry:
    """One fetched JWK Set: its keys grouped by kid, and when it was fetched (clock seconds)."""

    keys: dict[str, list[dict[str, Any]]]
    fetched_at: float


class JwksCache:
    """JWK Sets by URL: kept for `ttl_seconds`, refetched for an unknown kid, fetched at most
    once per `min_refetch_seconds` per URL.
    """

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        ttl_seconds: float = 300.0,
        min_refetch_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if min_refetch_seconds > ttl_seconds:
            raise ValueError("min_refetch_seconds must not exceed ttl_seconds")
        self._session = session or requests.Session()
        self._ttl = ttl_seconds
        self._min_refetch = min_refetch_seconds
        self._clock = clock
        self._entries: dict[str, _JwksEntry] = {}
        self._attempted: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def key(self, url: str, kid: str, alg: str) -> jwt.PyJWK:
        """Return the key with `kid` in the JWK Set at `url`, bound to `alg`; refuse if there is
        none.
        """
        with self._lock_for(url):
            now = self._clock()
            entry = self._entries.get(url)
            wanted = entry is None or now - entry.fetched_at >= self._ttl or kid not in entry.keys
            # The rate limit keeps forged kids from turning this service into a flood of requests at
            # the client's JWKS.
            if wanted and self._may_fetch(url, now):
                entry = self._fetch(url, now, entry)
        if entry is None:
            refuse("jwks-unavailable", "the CDS Client's JWK Set could not be fetched; retry later")
        candidates = entry.keys.get(kid, [])
        if not candidates:
            refuse("unknown-kid", f"no key in the CDS Client's JWK Set has kid {_shown(kid)}")
        if len(candidates) > 1:
            refuse("ambiguous-kid", f"kid {_shown(kid)} is not unique in the CDS Client's JWK Set")
        return _bind(candidates[0], alg)

    def _lock_for(self, url: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(url, threading.Lock())

    def _may_fetch(self, url: str, now: float) -> bool:
        last = self._attempted.get(url)
        return last is None or now - last >= self._min_refetch

    def _fetch(self, url: str, now: float, previous: _JwksEntry | None) -> _JwksEntry | None:
        """Fetch and index a JWK Set; on failure keep the previous one (if any) until the next
        allowed attempt.
        """
        self._attempted[url] = now
        try:
            entry = _JwksEntry(keys=_index(_download(self._session, url)), fetched_at=now)
        except (requests.RequestException, ValueError) as exc:
            log.warning("Fetching the JWK Set at %s failed: %s", url, exc)
            return previous
        self._entries[url] = entry
        return entry


def _download(session: requests.Session, url: str) -> object:
    """GET a JWK Set: no redirects (they could leave the allowlist), a timeout and a size cap."""
    with session.get(
        url,
        timeout=JWKS_TIMEOUT_SECONDS,
        allow_redirects=False,
        stream=True,
        headers={"Accept": "application/json"},
    ) as response:
        if response.status_code != 200:
            raise ValueError(f"HTTP {response.status_code}")
        body = bytearray()
        for chunk in response.iter_content(chunk_size=65_536):
            body += chunk
            if len(body) > MAX_JWKS_BYTES:
                raise ValueError(f"larger than {MAX_JWKS_BYTES} bytes")
    return json.loads(bytes(body))


def _index(document: object) -> dict[str, list[dict[str, Any]]]:
    """Group a JWK Set's keys by kid; keys without a kid cannot be selected by a CDS Hooks JWT
    and are dropped.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set (no keys array)")
    keys: dict[str, list[dict[str, Any]]] = {}
    for jwk in document["keys"]:
        if isinstance(jwk, dict) and isinstance(jwk.get("kid"), str):
            keys.setdefault(jwk["kid"], []).append(jwk)
    return keys


def _bind(jwk: dict[str, Any], alg: str) -> jwt.PyJWK:
    """Build the key for exactly `alg`, refusing a JWK of another type, curve, alg or use."""
    kty, crv = KEY_SHAPES[alg]
    # PyJWK binds one algorithm and refuses tokens of any other; naming it here (rather than letting
    # PyJWKSet guess RS256 for an RSA key without alg) keeps RS384 tokens verifiable.
    if (
        jwk.get("kty") != kty
        or (crv is not None and jwk.get("crv") != crv)
        or jwk.get("alg", alg) != alg
        or jwk.get("use", "sig") != "sig"
    ):
        refuse("key-mismatch", f"the key with the token's kid is not a {alg} signing key")
    try:
        return jwt.PyJWK.from_dict(jwk, algorithm=alg)
    except jwt.PyJWTError as exc:
        raise Unauthorized(
            "CDS Client JWT refused: the CDS Client's key is malformed",
            details={"reason": "bad-key"},
        ) from exc


class ReplayStore(Protocol):
    """Where accepted (iss, jti) pairs are remembered."""

    def remember(self, issuer: str, jti: str, forget_after: float, now: float) -> bool:
        """Record a token; False if the same issuer's jti is still remembered (a replay)."""


class JtiReplayCache:
    """The (iss, jti) pairs already accepted, each kept until its token could no longer be
    accepted; thread-safe, bounded.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self._max = max_entries
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._expiry)

    def remember(self, issuer: str, jti: str, forget_after: float, now: float) -> bool:
        """Record a token; False if the same issuer's jti is still remembered (a replay)."""
        key = (issuer, jti)
        with self._lock:
            self._purge(now)
            if key in self._expiry:
                return False
            # Fail closed: evicting a live entry would reopen a replay window.
            if len(self._expiry) >= self._max:
                refuse("replay-cache-full", "too many tokens in flight; retry later")
            self._expiry[key] = forget_after
            heapq.heappush(self._heap, (forget_after, key))
            return True

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] < now:
            forget_after, key = heapq.heappop(self._heap)
            if self._expiry.get(key) == forget_after:
                del self._expiry[key]


# PyJWT's errors, most specific first, as (reason, message) for the 401.
PYJWT_REFUSALS: tuple[tuple[type[jwt.PyJWTError], str, str], ...] = (
    (jwt.ExpiredSignatureError, "expired", "the token has expired (exp)"),
    (
        jwt.ImmatureSignatureError,
        "not-yet-valid",
        "the token is issued in the future (iat) or not yet valid (nbf)",
    ),
    (jwt.InvalidAudienceError, "wrong-aud", "aud is not this CDS Service's endpoint"),
    (jwt.InvalidIssuerError, "unknown-iss", "iss is not a trusted CDS Client"),
    (jwt.InvalidSignatureError, "bad-signature", "the signature does not verify"),
    (jwt.InvalidAlgorithmError, "alg-not-allowed", "alg does not match the CDS Client's key"),
    (jwt.InvalidKeyError, "bad-key", "the CDS Client's key is unusable (malformed or too short)"),
    (jwt.exceptions.InvalidJTIError, "missing-jti", "jti must be a string"),
    (jwt.InvalidIssuedAtError, "malformed-token", "iat must be a number"),
    (jwt.DecodeError, "malformed-token", "the token is not a well-formed JWT"),
)


class JwtVerifier:
    """Check a CDS Client's bearer JWT: algorithm, trusted issuer, key, signature, audience, times
    and replay.

    `trusted_issuers` maps each trusted `iss` to the URL of its JWK Set (the set agreed out of
    band). A token's `jku` header must EXACTLY equal one of `jku_allowlist` or the issuer's own JWK
    Set URL (no prefix matching: a prefix like `https://ehr.example` would also admit
    `https://ehr.example.evil`). Note that any key in an allowlisted JWK Set can sign for any
    trusted issuer, so allowlist only JWK Sets of clients trusted as much as each other.
    `max_lifetime_seconds` bounds exp - iat (both from the client's clock, so no leeway applies);
    the specification sets no limit, and this one also bounds how long a jti must be remembered.
    """

    def __init__(
        self,
        *,
        trusted_issuers: Mapping[str, str],
        audience: str,
        jku_allowlist: tuple[str, ...] = (),
        leeway_seconds: int = 60,
        max_lifetime_seconds: int = 300,
        session: requests.Session | None = None,
        jwks_ttl_seconds: float = 300.0,
        jwks_min_refetch_seconds: float = 30.0,
        max_remembered_jtis: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
        replays: ReplayStore | None = None,
    ) -> None:
        if not audience:
            raise ValueError("audience (this CDS Service's endpoint URL) is required")
        self._issuers = dict(trusted_issuers)
        self._jku_allowlist = frozenset(jku_allowlist)
        self._audience = audience
        self._leeway = leeway_seconds
        self._max_lifetime = max_lifetime_seconds
        self._jwks = JwksCache(
            session,
            ttl_seconds=jwks_ttl_seconds,
            min_refetch_seconds=jwks_min_refetch_seconds,
            clock=clock,
        )
        # In memory by default; a shared store (service/cds/state.py: SQLite or Redis) makes replay
        # checks hold across workers and replicas.
        self._replays: ReplayStore = (
            replays if replays is not None else JtiReplayCache(max_remembered_jtis)
        )

    def verify(self, authorization_header: str | None) -> dict[str, Any]:
        """Return the verified claims of the `Authorization: Bearer <JWT>` header, or raise
        Unauthorized saying why not.
        """
        token = bearer_token(authorization_header)
        header, unverified = unverified_parts(token)
        alg = header.get("alg")
        # Checked before anything is fetched, so `none` and HMAC tokens never reach a key.
        if alg not in ALGORITHMS:
            refuse("alg-not-allowed", f"alg {_shown(alg)} is not allowed; use RS384 or ES384")
        typ = header.get("typ")
        if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "jwt":
            refuse("wrong-typ", "the typ header must be JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            refuse("missing-kid", "the token has no kid header")
        issuer = unverified.get("iss")
        if issuer is None:
            refuse("missing-iss", "the token lacks the required iss claim")
        if not isinstance(issuer, str) or issuer not in self._issuers:
            refuse("unknown-iss", f"iss {_shown(issuer)} is not a trusted CDS Client")
        key = self._jwks.key(self._jwks_url(issuer, header), kid, alg)
        claims = self._decode(token, key, issuer)
        self._check_lifetime(claims)
        self._check_replay(issuer, claims)
        return claims

    def _jwks_url(self, issuer: str, header: Mapping[str, Any]) -> str:
        """The issuer's agreed JWK Set, or the one `jku` names if it is allowlisted."""
        configured = self._issuers[issuer]
        if "jku" not in header:
            return configured
        jku = header["jku"]
        if not isinstance(jku, str) or (jku != configured and jku not in self._jku_allowlist):
            refuse("jku-not-allowed", f"jku {_shown(jku)} is not an allowlisted JWK Set URL")
        return jku

    def _decode(self, token: str, key: jwt.PyJWK, issuer: str) -> dict[str, Any]:
        return decode_token(
            token,
            key,
            algorithms=ALGORITHMS,
            required=REQUIRED_CLAIMS,
            issuer=issuer,
            audience=self._audience,
            leeway=self._leeway,
            refuse=refuse,
        )

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        exp, iat = claims["exp"], claims["iat"]
        # PyJWT accepts numeric strings; the specification says *number*.
        if not all(
            isinstance(value, int | float) and not isinstance(value, bool) for value in (exp, iat)
        ):
            refuse("malformed-token", "exp and iat must be numbers")
        lifetime = exp - iat
        if lifetime > self._max_lifetime:
            refuse(
                "lifetime-too-long",
                f"exp is {lifetime:g} s after iat; at most {self._max_lifetime} s is accepted",
            )

    def _check_replay(self, issuer: str, claims: Mapping[str, Any]) -> None:
        jti = claims["jti"]
        if not jti:
            refuse("missing-jti", "jti must not be empty")
        # Remember until PyJWT would refuse the token as expired anyway (exp + leeway).
        if not self._replays.remember(
            issuer, jti, float(claims["exp"]) + self._leeway, time.time()
        ):
            refuse("replayed-jti", "this jti was already used (a replay)")


def decode_token(
    token: str,
    key: jwt.PyJWK,
    *,
    algorithms: tuple[str, ...],
    required: tuple[str, ...],
    issuer: str,
    audience: str,
    leeway: float,
    refuse: Callable[[str, str], NoReturn],
) -> dict[str, Any]:
    """Verify a JWT's signature and registered claims with PyJWT and return its claims; a failure
    calls ``refuse(reason, message)`` (the CDS Hooks verifier and the REST API word theirs).
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=list(algorithms),
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(required), "enforce_minimum_key_length": True},
        )
    except jwt.MissingRequiredClaimError as exc:
        refuse(f"missing-{exc.claim}", f"the token lacks the required {exc.claim} claim")
    except jwt.PyJWTError as exc:
        refuse(
            *next(
                ((r, m) for kind, r, m in PYJWT_REFUSALS if isinstance(exc, kind)),
                ("invalid-token", "the token failed verification"),
            )
        )
    return claims


def bearer_token(authorization_header: str | None) -> str:
    """The JWT of an `Authorization: Bearer <JWT>` header (the scheme is case-insensitive, RFC
    7235).
    """
    if not authorization_header or not authorization_header.strip():
        refuse(
            "missing-authorization",
            "no Authorization header; CDS Hooks requires 'Authorization: Bearer <JWT>'",
        )
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer":
        refuse("not-bearer", "the Authorization scheme must be Bearer")
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_CHARS or any(ch.isspace() for ch in token):
        refuse("malformed-token", "the bearer token is not a well-formed JWT")
    return token


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload, unverified: only used to choose the key, never trusted."""
    try:
        header = jwt.get_unverified_header(token)
        payload = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized(
            "CDS Client JWT refused: the token is not a well-formed JWT",
            details={"reason": "malformed-token"},
        ) from exc
    return header, payload
