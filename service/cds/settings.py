"""The CDS Hooks settings (ELIGIBILITY_CDS_*): JWT trust, the fhirServer allowlist, cards and the feedback store."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from service.cds.trust.jwt import JwtVerifier, ReplayStore
from service.config import flag, read_secret
from service.errors import ConfigError

log = logging.getLogger(__name__)


@dataclass
class CdsSettings:
    """How callers are trusted: issuers and their JWKS URLs, allowed jku URLs, and this service's public URL."""

    public_url: str
    verify_jwt: bool = True
    trusted_issuers: dict[str, str] = field(default_factory=dict)
    jku_allowlist: tuple[str, ...] = ()
    leeway_seconds: int = 60
    replays: ReplayStore | None = None
    _verifiers: dict[str, JwtVerifier] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def verifier(self, path: str) -> JwtVerifier | None:
        """Return the verifier for an endpoint path (aud = public URL + path), or None when verification is off."""
        if not self.verify_jwt:
            return None
        audience = self.public_url.rstrip("/") + path
        with self._lock:
            if audience not in self._verifiers:
                self._verifiers[audience] = JwtVerifier(
                    trusted_issuers=self.trusted_issuers,
                    audience=audience,
                    jku_allowlist=self.jku_allowlist,
                    leeway_seconds=self.leeway_seconds,
                    replays=self.replays,
                )
            return self._verifiers[audience]


def cds_settings(config: Mapping[str, Any], replays: ReplayStore | None = None) -> CdsSettings:
    """Read the CDS settings (seen jti values kept in ``replays``, else in memory); turning JWT verification off is logged as a warning."""
    public_url = str(config.get("CDS_PUBLIC_URL") or "")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError(
            "ELIGIBILITY_CDS_PUBLIC_URL must be this service's http(s) base URL (the JWT aud is built from it)"
        )
    issuers = config.get("CDS_TRUSTED_ISSUERS") or {}
    if not isinstance(issuers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith(("http://", "https://"))
        for k, v in issuers.items()
    ):
        raise ConfigError(
            "ELIGIBILITY_CDS_TRUSTED_ISSUERS must be a JSON object of issuer → JWKS URL"
        )
    # Fail closed: an empty value (a variable set to nothing) is not an explicit "off".
    verify = flag(config.get("CDS_JWT_VERIFY"), default=True)
    if not verify:
        log.warning(
            "CDS Hooks JWT verification is OFF (ELIGIBILITY_CDS_JWT_VERIFY=false): any caller is trusted"
        )
    leeway = config.get("CDS_JWT_LEEWAY")
    try:
        leeway_seconds = int(60 if leeway in (None, "") else leeway)  # 0 is a leeway, not "unset"
    except (TypeError, ValueError) as exc:
        raise ConfigError("ELIGIBILITY_CDS_JWT_LEEWAY must be a whole number of seconds") from exc
    return CdsSettings(
        public_url=public_url,
        verify_jwt=verify,
        trusted_issuers=dict(issuers),
        jku_allowlist=tuple(url_list(config.get("CDS_JKU_ALLOWLIST"), "CDS_JKU_ALLOWLIST")),
        leeway_seconds=leeway_seconds,
        replays=replays,
    )


def busy_timeout(config: Mapping[str, Any]) -> float:
    """The bounded wait for the CDS SQLite file, in seconds (CDS_DB_BUSY_TIMEOUT, 0 to 30)."""
    value = config.get("CDS_DB_BUSY_TIMEOUT")
    try:
        seconds = float(2.0 if value in (None, "") else value)
    except (TypeError, ValueError) as exc:
        raise ConfigError("ELIGIBILITY_CDS_DB_BUSY_TIMEOUT must be a number of seconds") from exc
    # Longer than this would hold a worker thread on every call while a backup runs.
    if not 0 <= seconds <= 30:
        raise ConfigError("ELIGIBILITY_CDS_DB_BUSY_TIMEOUT must be between 0 and 30 seconds")
    return seconds


def hash_key(config: Mapping[str, Any]) -> bytes | None:
    """The key for the patient hash of issued cards (CDS_PATIENT_HASH_KEY or _FILE); None, with a warning, when unset."""
    try:
        secret = read_secret(
            config.get("CDS_PATIENT_HASH_KEY"), config.get("CDS_PATIENT_HASH_KEY_FILE")
        )
    except OSError as exc:
        raise ConfigError("ELIGIBILITY_CDS_PATIENT_HASH_KEY_FILE cannot be read") from exc
    if not secret:
        log.warning(
            "ELIGIBILITY_CDS_PATIENT_HASH_KEY is unset: issued cards are recorded without a patient hash"
        )
        return None
    # A short key makes the hash of a guessable id (an MRN) cheap to reverse by trying ids.
    if len(secret) < 16:
        raise ConfigError("ELIGIBILITY_CDS_PATIENT_HASH_KEY must be at least 16 characters")
    return secret.encode("utf-8")


def retention_days(config: Mapping[str, Any]) -> float | None:
    """Days a feedback userComment is kept (CDS_COMMENT_RETENTION_DAYS); None keeps it."""
    value = config.get("CDS_COMMENT_RETENTION_DAYS")
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    try:
        days = float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            "ELIGIBILITY_CDS_COMMENT_RETENTION_DAYS must be a number of days (or none)"
        ) from exc
    if days < 0:
        raise ConfigError("ELIGIBILITY_CDS_COMMENT_RETENTION_DAYS must not be negative")
    return days


def url_list(value: object, name: str) -> list[str]:
    """Return a list of URLs given as a JSON list or a comma/space separated string."""
    if value is None or value == "":
        return []
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in items
    ):
        raise ConfigError(f"ELIGIBILITY_{name} must be a list of http(s) URLs")
    return items
