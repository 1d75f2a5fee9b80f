"""Build the FHIR client, its authentication and the fetch options from the service's typed FHIR
settings.
"""

from __future__ import annotations

from typing import Any

from service.errors import ConfigError
from service.records.fhir.auth import Auth, BearerToken, NoAuth, SmartBackendServices
from service.records.fhir.client import ClientSettings, FhirClient, new_session
from service.records.fhir.fetch import FetchOptions
from service.settings import FhirSettings


def fhir_client(fhir: FhirSettings) -> FhirClient | None:
    """Return the configured server's client, or None when no base URL is set (fixtures serve
    ids).
    """
    if fhir.base_url is None:
        return None
    settings = client_settings(fhir)
    session = new_session(settings.pool_size)
    return FhirClient(fhir.base_url, fhir_auth(fhir, session), settings, session)


def client_settings(fhir: FhirSettings) -> ClientSettings:
    """Return how patiently a client talks to a server (the configured one, or a CDS hook's
    fhirServer).
    """
    return ClientSettings(
        timeout=fhir.timeout,
        tries=fhir.tries,
        backoff=fhir.backoff,
        page_size=fhir.page_size,
        pool_size=max(4, fhir.workers),
    )


def fetch_options(fhir: FhirSettings) -> FetchOptions:
    """Return the per-evaluation fetch options (parallelism, date floors, deadline)."""
    return FetchOptions(workers=fhir.workers, date_floor=fhir.date_floor, deadline=fhir.deadline)


def fhir_auth(fhir: FhirSettings, session: Any = None) -> Auth:
    """Return the authentication the settings chose: none, a bearer token, or SMART Backend
    Services.
    """
    if fhir.auth == "bearer":
        try:
            return BearerToken(str(fhir.token))
        except ValueError as exc:
            raise ConfigError(f"ELIGIBILITY_FHIR_TOKEN(_FILE): {exc}") from exc
    if fhir.auth == "smart" and fhir.smart is not None:
        smart = fhir.smart
        try:
            return SmartBackendServices(
                token_url=smart.token_url,
                client_id=smart.client_id,
                private_key=smart.private_key,
                algorithm=smart.algorithm,
                key_id=smart.key_id,
                scopes=smart.scopes,
                jku=smart.jku,
                timeout=fhir.timeout,
                session=session,
            )
        except ValueError as exc:
            raise ConfigError(f"ELIGIBILITY_FHIR_SMART_*: {exc}") from exc
    return NoAuth()
