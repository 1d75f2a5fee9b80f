"""Trusting CDS Clients, as the CDS Hooks settings say: one JWT verifier per endpoint, built on
first use.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from service.cds.trust.jwt import JwtVerifier, ReplayStore
from service.settings import CdsHooksSettings

log = logging.getLogger(__name__)


@dataclass
class CdsSettings:
    """How callers are trusted: issuers and their JWKS URLs, allowed jku URLs, and this service's
    public URL.
    """

    public_url: str
    verify_jwt: bool = True
    trusted_issuers: dict[str, str] = field(default_factory=dict)
    jku_allowlist: tuple[str, ...] = ()
    leeway_seconds: int = 60
    replays: ReplayStore | None = None
    _verifiers: dict[str, JwtVerifier] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def verifier(self, path: str) -> JwtVerifier | None:
        """Return the verifier for an endpoint path (aud = public URL + path), or None when
        verification is off.
        """
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


def cds_settings(cds: CdsHooksSettings, replays: ReplayStore | None = None) -> CdsSettings:
    """Build the callers' trust from the settings (seen jti values kept in ``replays``, else in
    memory); verification off is a warning.
    """
    if not cds.jwt_verify:
        log.warning(
            "CDS Hooks JWT verification is OFF (ELIGIBILITY_CDS_JWT_VERIFY=false): any caller is "
            "trusted"
        )
    return CdsSettings(
        public_url=cds.public_url,
        verify_jwt=cds.jwt_verify,
        trusted_issuers=dict(cds.trusted_issuers),
        jku_allowlist=cds.jku_allowlist,
        leeway_seconds=cds.jwt_leeway,
        replays=replays,
    )
