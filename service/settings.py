"""The service's settings as one typed, frozen object: read from the raw configuration and
checked once, at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from flask import Config

from service.config import (
    DEFAULTS,
    flag,
    is_issuer_map,
    origin_list,
    positive_int,
    positive_number,
    read_secret,
    secret,
    url_list,
)
from service.errors import ConfigError
from service.observability.logs import level_number

ENV_PREFIX = "ELIGIBILITY"
FHIR_AUTH_MODES = ("none", "bearer", "smart")
API_AUTH_MODES = ("jwt", "none")
# A short key makes the hash of a guessable id (an MRN) cheap to reverse by trying ids; a short
# token cheap to guess.
MIN_SECRET_CHARS = 16


@dataclass(frozen=True)
class SmartSettings:
    """SMART Backend Services: where to ask for a token, as whom, signed with which key, for
    which scopes.
    """

    token_url: str
    client_id: str
    private_key: str = field(repr=False)  # PEM
    algorithm: str
    key_id: str
    scopes: str
    jku: str | None = None


@dataclass(frozen=True)
class FhirSettings:
    """The FHIR server patients are read from (None: the bundled fixtures), its auth, and how
    patiently it is read.
    """

    base_url: str | None
    timeout: float
    deadline: float
    tries: int
    backoff: float
    page_size: int
    # Searches run at once per evaluation (1 = one after another).
    workers: int
    date_floor: bool
    # Checked only when a base URL is set: with none, nothing authenticates to anything.
    auth: str = "none"
    token: str | None = field(default=None, repr=False)
    smart: SmartSettings | None = None


@dataclass(frozen=True)
class ApiAuthSettings:
    """Who may call the REST API: jwt, none, or None (not chosen); the issuers, audience and
    scope a jwt needs.
    """

    mode: str | None
    issuers: Mapping[str, str] = field(default_factory=dict)
    audience: str | None = None
    scope: str = DEFAULTS["API_JWT_SCOPE"]


@dataclass(frozen=True)
class CdsHooksSettings:
    """The CDS Hooks service: its public URL, whom it trusts, which fhirServer hosts it reads,
    and which cards it shows.
    """

    public_url: str
    jwt_verify: bool
    trusted_issuers: Mapping[str, str]
    jku_allowlist: tuple[str, ...]
    jwt_leeway: int
    fhir_allowlist: tuple[str, ...]
    show_ineligible: bool
    require_target_disease: bool


@dataclass(frozen=True)
class StateSettings:
    """Where the CDS state lives (a Redis or SQLite URL, else the SQLite file), the patient-hash
    key, waits and retention.
    """

    url: object = field(repr=False)  # may hold a password; its type is checked where it is opened
    feedback_db: str | None
    patient_hash_key: bytes | None = field(repr=False)
    busy_timeout: float
    comment_retention_days: float | None


@dataclass(frozen=True)
class CorsSettings:
    """The browser origins allowed on the CDS Hooks endpoints and on the REST API ("*" means
    any).
    """

    cds_origins: frozenset[str] = frozenset()
    api_origins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LimitSettings:
    """The largest request body (None: no limit) and the evaluations one process runs at once."""

    max_content_length: int | None
    evaluation_slots: int


@dataclass(frozen=True)
class PopulationSettings:
    """Screens started through the API (and shown by the pages): their directory, inputs, cluster
    and polling pace.
    """

    screens_dir: str
    ndjson_roots: tuple[str, ...]
    dask_scheduler: str | None
    workers: int | None
    retry_after: int


@dataclass(frozen=True)
class ObservabilitySettings:
    """The log level, and the bearer token a metrics scraper sends (None: the REST API's own
    authentication).
    """

    log_level: int
    metrics_token: str | None = field(repr=False)


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, typed and checked: what create_app and the command line
    build from.
    """

    rules_dir: str
    fixtures_dir: str
    limits: LimitSettings
    fhir: FhirSettings
    api: ApiAuthSettings
    cds: CdsHooksSettings
    state: StateSettings
    cors: CorsSettings
    population: PopulationSettings
    observability: ObservabilitySettings


def load_config(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the raw configuration: DEFAULTS, then ELIGIBILITY_* variables (JSON-parsed as Flask
    does), then overrides.
    """
    config = Config(".")
    config.update(DEFAULTS)
    config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        config.update(overrides)
    return dict(config)


def parse_settings(config: Mapping[str, Any]) -> Settings:
    """Check the raw configuration once; a bad value is a ConfigError naming the setting, never a
    secret's value.
    """
    config = {**DEFAULTS, **config}
    # In the order create_app used them, so the first error named is the one it always named first.
    observability = parse_observability(config)
    limits = parse_limits(config)
    fhir = parse_fhir(config)
    return Settings(
        rules_dir=str(config["RULES_DIR"]),
        fixtures_dir=str(config["FIXTURES_DIR"]),
        limits=limits,
        fhir=fhir,
        api=parse_api_auth(config),
        cds=parse_cds(config),
        state=parse_state(config),
        cors=CorsSettings(
            origin_list(config.get("CDS_CORS_ORIGINS"), "CDS_CORS_ORIGINS"),
            origin_list(config.get("API_CORS_ORIGINS"), "API_CORS_ORIGINS"),
        ),
        population=parse_population(config),
        observability=observability,
    )


def parse_limits(config: Mapping[str, Any]) -> LimitSettings:
    """Read the body-size limit and the evaluation slots."""
    length = config.get("MAX_CONTENT_LENGTH")
    return LimitSettings(
        max_content_length=None if length is None else positive_int(length, "MAX_CONTENT_LENGTH"),
        evaluation_slots=positive_int(config.get("EVALUATION_SLOTS"), "EVALUATION_SLOTS"),
    )


def parse_fhir(config: Mapping[str, Any]) -> FhirSettings:
    """Read ELIGIBILITY_FHIR_*: the server (an http(s) URL with a host), its numbers, and its
    auth when it is set.
    """
    config = {**DEFAULTS, **config}
    base_url = str(config.get("FHIR_BASE_URL") or "") or None
    if base_url is not None and (
        not base_url.startswith(("http://", "https://")) or not urlsplit(base_url).hostname
    ):
        raise ConfigError("ELIGIBILITY_FHIR_BASE_URL must be an http(s) URL")
    numbers = {
        name: positive_number(config.get(name), name)
        for name in (
            "FHIR_TIMEOUT",
            "FHIR_TRIES",
            "FHIR_BACKOFF",
            "FHIR_PAGE_SIZE",
            "FHIR_WORKERS",
            "FHIR_DEADLINE",
        )
    }
    settings = FhirSettings(
        base_url=base_url,
        timeout=numbers["FHIR_TIMEOUT"],
        deadline=numbers["FHIR_DEADLINE"],
        tries=int(numbers["FHIR_TRIES"]),
        backoff=numbers["FHIR_BACKOFF"],
        page_size=int(numbers["FHIR_PAGE_SIZE"]),
        workers=int(numbers["FHIR_WORKERS"]),
        date_floor=flag(config.get("FHIR_DATE_FLOOR"), default=True),
    )
    if base_url is None:
        return settings
    return _with_fhir_auth(settings, config)


def _with_fhir_auth(settings: FhirSettings, config: Mapping[str, Any]) -> FhirSettings:
    """Add the authentication FHIR_AUTH selects: none, bearer (FHIR_TOKEN[_FILE]) or smart
    (FHIR_SMART_*).
    """
    mode = str(config.get("FHIR_AUTH") or "none").lower()
    if mode not in FHIR_AUTH_MODES:
        raise ConfigError(f"ELIGIBILITY_FHIR_AUTH must be one of {', '.join(FHIR_AUTH_MODES)}")
    if mode == "none":
        return settings
    if mode == "bearer":
        token = secret(config, "FHIR_TOKEN")
        if not token:
            raise ConfigError(
                "ELIGIBILITY_FHIR_AUTH=bearer needs ELIGIBILITY_FHIR_TOKEN or "
                "ELIGIBILITY_FHIR_TOKEN_FILE"
            )
        return replace(settings, auth="bearer", token=token)
    key = secret(config, "FHIR_SMART_PRIVATE_KEY")
    # SMART Backend Services requires 'kid' in the assertion's header: the server picks the key from
    # the client's JWK Set by it.
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
    smart = SmartSettings(
        token_url=str(config["FHIR_SMART_TOKEN_URL"]),
        client_id=str(config["FHIR_SMART_CLIENT_ID"]),
        private_key=str(key),
        # Empty (a variable set to nothing) is the default, as unset is.
        algorithm=str(config.get("FHIR_SMART_ALG") or DEFAULTS["FHIR_SMART_ALG"]),
        key_id=str(config["FHIR_SMART_KID"]),
        scopes=str(config.get("FHIR_SMART_SCOPES") or DEFAULTS["FHIR_SMART_SCOPES"]),
        jku=config.get("FHIR_SMART_JKU") or None,
    )
    return replace(settings, auth="smart", smart=smart)


def parse_api_auth(config: Mapping[str, Any]) -> ApiAuthSettings:
    """Read ELIGIBILITY_API_AUTH, and with jwt its issuers, audience and scope."""
    raw = config.get("API_AUTH")
    mode = str(raw).strip().lower() if raw not in (None, "") else None
    if mode is not None and mode not in API_AUTH_MODES:
        raise ConfigError(
            f"ELIGIBILITY_API_AUTH must be one of {', '.join(API_AUTH_MODES)}, not {raw!r}"
        )
    if mode != "jwt":
        return ApiAuthSettings(mode)
    issuers = config.get("API_JWT_ISSUERS") or {}
    if not issuers or not is_issuer_map(issuers):
        raise ConfigError(
            "ELIGIBILITY_API_JWT_ISSUERS must be a JSON object of issuer → JWKS URL (at least "
            "one) when ELIGIBILITY_API_AUTH=jwt"
        )
    audience = config.get("API_JWT_AUDIENCE")
    if not isinstance(audience, str) or not audience.strip():
        raise ConfigError(
            "ELIGIBILITY_API_JWT_AUDIENCE must name this API (the tokens' aud) when "
            "ELIGIBILITY_API_AUTH=jwt"
        )
    scope = config.get("API_JWT_SCOPE") or DEFAULTS["API_JWT_SCOPE"]
    if not isinstance(scope, str) or len(scope.split()) != 1:
        raise ConfigError("ELIGIBILITY_API_JWT_SCOPE must be one scope name")
    return ApiAuthSettings(mode, dict(issuers), audience.strip(), scope)


def parse_cds(config: Mapping[str, Any]) -> CdsHooksSettings:
    """Read ELIGIBILITY_CDS_*: the public URL (every JWT's aud is built from it), trust, the
    fhirServer allowlist, cards.
    """
    public_url = str(config.get("CDS_PUBLIC_URL") or "")
    if not public_url.startswith(("http://", "https://")):
        raise ConfigError(
            "ELIGIBILITY_CDS_PUBLIC_URL must be this service's http(s) base URL (the JWT aud is "
            "built from it)"
        )
    issuers = config.get("CDS_TRUSTED_ISSUERS") or {}
    if not is_issuer_map(issuers):
        raise ConfigError(
            "ELIGIBILITY_CDS_TRUSTED_ISSUERS must be a JSON object of issuer → JWKS URL"
        )
    leeway = config.get("CDS_JWT_LEEWAY")
    try:
        leeway_seconds = int(60 if leeway in (None, "") else leeway)  # 0 is a leeway, not "unset"
    except (TypeError, ValueError) as exc:
        raise ConfigError("ELIGIBILITY_CDS_JWT_LEEWAY must be a whole number of seconds") from exc
    return CdsHooksSettings(
        public_url=public_url,
        # Fail closed: an empty value (a variable set to nothing) is not an explicit "off".
        jwt_verify=flag(config.get("CDS_JWT_VERIFY"), default=True),
        trusted_issuers=dict(issuers),
        jku_allowlist=url_list(config.get("CDS_JKU_ALLOWLIST"), "CDS_JKU_ALLOWLIST"),
        jwt_leeway=leeway_seconds,
        fhir_allowlist=url_list(config.get("CDS_FHIR_ALLOWLIST"), "CDS_FHIR_ALLOWLIST"),
        show_ineligible=flag(config.get("CDS_SHOW_INELIGIBLE"), default=False),
        require_target_disease=flag(config.get("CDS_REQUIRE_TARGET_DISEASE"), default=True),
    )


def parse_state(config: Mapping[str, Any]) -> StateSettings:
    """Read where the CDS state lives, the issued-card patient-hash key, the SQLite wait and the
    comment retention.
    """
    return StateSettings(
        url=config.get("STATE_URL"),
        feedback_db=str(config.get("CDS_FEEDBACK_DB") or "") or None,
        patient_hash_key=hash_key(config),
        busy_timeout=busy_timeout(config),
        comment_retention_days=retention_days(config),
    )


def hash_key(config: Mapping[str, Any]) -> bytes | None:
    """The key for the patient hash of issued cards (CDS_PATIENT_HASH_KEY or _FILE), at least 16
    characters; None when unset.
    """
    try:
        key = read_secret(
            config.get("CDS_PATIENT_HASH_KEY"), config.get("CDS_PATIENT_HASH_KEY_FILE")
        )
    except OSError as exc:
        raise ConfigError("ELIGIBILITY_CDS_PATIENT_HASH_KEY_FILE cannot be read") from exc
    if not key:
        return None
    if len(str(key)) < MIN_SECRET_CHARS:
        raise ConfigError("ELIGIBILITY_CDS_PATIENT_HASH_KEY must be at least 16 characters")
    return str(key).encode("utf-8")


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


def parse_population(config: Mapping[str, Any]) -> PopulationSettings:
    """Read the settings of screens started through the API."""
    roots = config.get("SCREEN_NDJSON_ROOTS") or []
    if isinstance(roots, str):
        roots = roots.replace(",", " ").split()
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise ConfigError("ELIGIBILITY_SCREEN_NDJSON_ROOTS must be a list of directories")
    workers = config.get("SCREEN_WORKERS")
    return PopulationSettings(
        screens_dir=str(config.get("SCREENS_DIR") or DEFAULTS["SCREENS_DIR"]),
        ndjson_roots=tuple(roots),
        dask_scheduler=str(config.get("DASK_SCHEDULER") or "") or None,
        workers=positive_int(workers, "SCREEN_WORKERS") if workers else None,
        retry_after=positive_int(config.get("SCREEN_RETRY_AFTER"), "SCREEN_RETRY_AFTER"),
    )


def parse_observability(config: Mapping[str, Any]) -> ObservabilitySettings:
    """Read the log level and the metrics token (at least 16 characters, no spaces)."""
    level = level_number(config.get("LOG_LEVEL"))
    token = secret(config, "METRICS_TOKEN")
    if token in (None, ""):
        return ObservabilitySettings(level, None)
    token = str(token)
    if len(token) < MIN_SECRET_CHARS or any(ch.isspace() for ch in token):
        raise ConfigError(
            f"ELIGIBILITY_METRICS_TOKEN must be at least {MIN_SECRET_CHARS} characters, with no "
            "spaces"
        )
    return ObservabilitySettings(level, token)
