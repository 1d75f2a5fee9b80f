"""Build the FHIR client and its authentication from the service's ELIGIBILITY_FHIR_* configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from service.config import DEFAULTS, flag, read_secret
from service.errors import ConfigError
from service.records.fhir.auth import Auth, BearerToken, NoAuth, SmartBackendServices
from service.records.fhir.client import ClientSettings, FhirClient, new_session
from service.records.fhir.fetch import FetchOptions

AUTH_MODES = ("none", "bearer", "smart")


def client_from_config(config: Mapping[str, Any]) -> FhirClient | None:
    """Return the configured server's client, or None when FHIR_BASE_URL is unset (fixtures serve ids)."""
    base_url = config.get("FHIR_BASE_URL")
    if not base_url:
        return None
    if (
        not str(base_url).startswith(("http://", "https://"))
        or not urlsplit(str(base_url)).hostname
    ):
        raise ConfigError("ELIGIBILITY_FHIR_BASE_URL must be an http(s) URL")
    settings = client_settings(config)
    session = new_session(settings.pool_size)
    return FhirClient(str(base_url), auth_from_config(config, session), settings, session)


def client_settings(config: Mapping[str, Any]) -> ClientSettings:
    """Return how patiently a client talks to a server (the configured one, or a CDS hook's fhirServer)."""
    return ClientSettings(
        timeout=_number(config, "FHIR_TIMEOUT"),
        tries=int(_number(config, "FHIR_TRIES")),
        backoff=_number(config, "FHIR_BACKOFF"),
        page_size=int(_number(config, "FHIR_PAGE_SIZE")),
        pool_size=max(4, int(_number(config, "FHIR_WORKERS"))),
    )


def fetch_options(config: Mapping[str, Any]) -> FetchOptions:
    """Return the per-evaluation fetch options (parallelism, date floors, deadline)."""
    return FetchOptions(
        workers=int(_number(config, "FHIR_WORKERS")),
        date_floor=flag(config.get("FHIR_DATE_FLOOR"), default=True),
        deadline=_number(config, "FHIR_DEADLINE"),
    )


def auth_from_config(config: Mapping[str, Any], session: Any = None) -> Auth:
    """Return the authentication FHIR_AUTH selects: none, bearer (FHIR_TOKEN[_FILE]) or smart (FHIR_SMART_*)."""
    mode = str(config.get("FHIR_AUTH") or "none").lower()
    if mode not in AUTH_MODES:
        raise ConfigError(f"ELIGIBILITY_FHIR_AUTH must be one of {', '.join(AUTH_MODES)}")
    if mode == "none":
        return NoAuth()
    if mode == "bearer":
        token = _secret(config, "FHIR_TOKEN")
        if not token:
            raise ConfigError(
                "ELIGIBILITY_FHIR_AUTH=bearer needs ELIGIBILITY_FHIR_TOKEN or ELIGIBILITY_FHIR_TOKEN_FILE"
            )
        try:
            return BearerToken(token)
        except ValueError as exc:
            raise ConfigError(f"ELIGIBILITY_FHIR_TOKEN(_FILE): {exc}") from exc
    key = _secret(config, "FHIR_SMART_PRIVATE_KEY")
    # SMART Backend Services requires 'kid' in the assertion's header: the server picks the key from the client's JWK Set by it.
    missing = [
        name
        for name, value in (
            ("FHIR_SMART_TOKEN_URL", config.get("FHIR_SMART_TOKEN_URL")),
            ("FHIR_SMART_CLIENT_ID", config.get("FHIR_SMART_CLIENT_ID")),
            ("FHIR_SMART_PRIVATE_KEY(_FILE)", key),
            ("FHIR_SMART_KID", config.get("FHIR_SMART_KID")),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            "ELIGIBILITY_FHIR_AUTH=smart needs " + ", ".join(f"ELIGIBILITY_{m}" for m in missing)
        )
    try:
        return SmartBackendServices(
            token_url=str(config["FHIR_SMART_TOKEN_URL"]),
            client_id=str(config["FHIR_SMART_CLIENT_ID"]),
            private_key=str(key),
            algorithm=str(config.get("FHIR_SMART_ALG") or DEFAULTS["FHIR_SMART_ALG"]),
            key_id=config.get("FHIR_SMART_KID") or None,
            scopes=str(config.get("FHIR_SMART_SCOPES") or DEFAULTS["FHIR_SMART_SCOPES"]),
            jku=config.get("FHIR_SMART_JKU") or None,
            timeout=_number(config, "FHIR_TIMEOUT"),
            session=session,
        )
    except ValueError as exc:
        raise ConfigError(f"ELIGIBILITY_FHIR_SMART_*: {exc}") from exc


def _secret(config: Mapping[str, Any], name: str) -> str | None:
    """Return a secret given as NAME or NAME_FILE; an unreadable file names the setting (never the secret)."""
    try:
        return read_secret(config.get(name), config.get(f"{name}_FILE"))
    except OSError as exc:
        raise ConfigError(
            f"ELIGIBILITY_{name}_FILE cannot be read ({exc.strerror or type(exc).__name__})"
        ) from exc


def _number(config: Mapping[str, Any], name: str) -> float:
    try:
        value = float(config[name])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"ELIGIBILITY_{name} must be a number") from exc
    if not value > 0:
        raise ConfigError(f"ELIGIBILITY_{name} must be positive")
    return value
