"""Configuration defaults (overridden by ELIGIBILITY_* variables, then a test mapping) and
readers of raw values.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from service.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
# A wheel carries rules/ and fhir_fixtures/ as package data (setup.py copies them into
# service/_data/); a source checkout or editable install has none and reads the repository's
# folders.
PACKAGE_DATA = Path(str(files("service") / "_data"))
INSTALLED = PACKAGE_DATA.is_dir()


def data_dir(name: str) -> Path:
    """Where the rules or fixtures shipped with this installation are: package data when
    installed, else the checkout's.
    """
    return PACKAGE_DATA / name if INSTALLED else ROOT / name


# Writable state (card feedback, screening runs): the checkout's var/, or var/ under the working
# directory once installed (never site-packages).
VAR_DIR = Path.cwd() / "var" if INSTALLED else ROOT / "var"

DEFAULTS: dict[str, Any] = {
    # Where the rule documents live (baked into the image at /app/rules).
    "RULES_DIR": str(data_dir("rules")),
    # Patients served by id when no FHIR server is configured (the embedded default).
    "FIXTURES_DIR": str(data_dir("fhir_fixtures")),
    # Largest request body accepted, in bytes (a 1,100-entry Synthea record is ~4 MB).
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    # Who may call the REST API: jwt (bearer JWTs from API_JWT_ISSUERS {"<iss>": "<JWKS URL>"}, aud
    # API_JWT_AUDIENCE, with the scope API_JWT_SCOPE) or none. Unset: open on the bundled fixtures,
    # a start-up error once FHIR_BASE_URL is set.
    "API_AUTH": None,
    "API_JWT_ISSUERS": {},
    "API_JWT_AUDIENCE": None,
    "API_JWT_SCOPE": "eligibility.evaluate",
    # Evaluations (REST and CDS) running at once per worker process; one more is a 503.
    # gunicorn_conf gives each worker this many threads plus 2, so /health always finds a free
    # thread.
    "EVALUATION_SLOTS": 6,
    # The FHIR server patients are fetched from by id; unset means the bundled fixtures serve ids.
    "FHIR_BASE_URL": None,
    # none | bearer (FHIR_TOKEN or FHIR_TOKEN_FILE) | smart (SMART Backend Services, FHIR_SMART_*).
    "FHIR_AUTH": "none",
    "FHIR_TOKEN": None,
    "FHIR_TOKEN_FILE": None,
    "FHIR_SMART_TOKEN_URL": None,
    "FHIR_SMART_CLIENT_ID": None,
    "FHIR_SMART_PRIVATE_KEY": None,
    "FHIR_SMART_PRIVATE_KEY_FILE": None,
    "FHIR_SMART_ALG": "RS384",
    "FHIR_SMART_KID": None,
    "FHIR_SMART_JKU": None,
    "FHIR_SMART_SCOPES": "system/Patient.read system/Observation.read system/Condition.read "
    "system/MedicationRequest.read "
    "system/MedicationStatement.read system/MedicationAdministration.read "
    "system/MedicationDispense.read system/Medication.read "
    "system/Procedure.read system/AllergyIntolerance.read system/Immunization.read",
    # Seconds per HTTP request, and for all of one evaluation's fetches.
    "FHIR_TIMEOUT": 10,
    "FHIR_DEADLINE": 30,
    # Attempts per request (temporary errors only) and the first backoff in seconds (doubled each
    # retry).
    "FHIR_TRIES": 3,
    "FHIR_BACKOFF": 0.5,
    "FHIR_PAGE_SIZE": 200,
    # Searches run at once per evaluation (1 = one after another).
    "FHIR_WORKERS": 8,
    # Ask for Observations only from the longest lookback window on (false: the whole history).
    "FHIR_DATE_FLOOR": True,
    # CDS Hooks. This service's public base URL: a caller's JWT must carry aud = it + the endpoint
    # path.
    "CDS_PUBLIC_URL": "http://localhost:8000",
    # Verify callers' JWTs (turning it off logs a warning at start-up).
    "CDS_JWT_VERIFY": True,
    # Trusted CDS Clients: {"<iss>": "<that issuer's JWKS URL>"}, and extra JWKS URLs a token's jku
    # may name.
    "CDS_TRUSTED_ISSUERS": {},
    "CDS_JKU_ALLOWLIST": [],
    "CDS_JWT_LEEWAY": 60,
    # FHIR base URLs a hook's fhirServer may point at; no request goes to any other host.
    "CDS_FHIR_ALLOWLIST": [],
    # Show a card for trials the patient is ineligible for too.
    "CDS_SHOW_INELIGIBLE": False,
    # Show a card only when the patient may have the trial's target disease (its rules'
    # targetDisease is true or unknown).
    "CDS_REQUIRE_TARGET_DISEASE": True,
    # Browser origins (scheme://host[:port], or *) allowed to call the CDS Hooks endpoints, e.g.
    # https://sandbox.cds-hooks.org; and the REST API (none unless set).
    "CDS_CORS_ORIGINS": [],
    "API_CORS_ORIGINS": [],
    # Where the state replicas share lives (seen JWT ids, issued cards, feedback): unset → the
    # CDS_FEEDBACK_DB SQLite file; sqlite:///path; redis://[:password@]host:port/db or rediss://…
    # for a fleet (service/cds/state.py).
    "STATE_URL": None,
    # SQLite file for card feedback and the JWT ids already seen (created on first use; shared by
    # workers).
    "CDS_FEEDBACK_DB": str(VAR_DIR / "feedback.sqlite3"),
    # Key of the HMAC-SHA256 stored with each issued card instead of the patient id (value or file);
    # unset: no patient hash.
    "CDS_PATIENT_HASH_KEY": None,
    "CDS_PATIENT_HASH_KEY_FILE": None,
    # Days a feedback userComment (free text) is kept before it is erased; empty/none keeps it.
    "CDS_COMMENT_RETENTION_DAYS": 90,
    # Seconds a call waits for that file when another process holds it locked (a backup, VACUUM)
    # before answering 503.
    "CDS_DB_BUSY_TIMEOUT": 2.0,
    # DEBUG, INFO, WARNING or ERROR (or a number); unset is INFO.
    "LOG_LEVEL": None,
    # The bearer token a Prometheus scraper sends to GET /metrics (value or file); unset: the REST
    # API's own auth.
    "METRICS_TOKEN": None,
    "METRICS_TOKEN_FILE": None,
    # Population screens started through the API: where their run directories go.
    "SCREENS_DIR": str(VAR_DIR / "screens"),
    # Directories an API caller may name as NDJSON input (empty: only the configured FHIR server can
    # be screened).
    "SCREEN_NDJSON_ROOTS": [],
    # A Dask scheduler address for screens; unset: a LocalCluster of SCREEN_WORKERS processes
    # (unset: one per core).
    "DASK_SCHEDULER": None,
    "SCREEN_WORKERS": None,
    # Seconds a client polling a running screen is told to wait (Retry-After).
    "SCREEN_RETRY_AFTER": 2,
}


def read_secret(value: str | None, path: str | None) -> str | None:
    """Return a secret given as a value or as a file path (the file wins, stripped of
    whitespace).
    """
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return value


def flag(value: object, default: bool) -> bool:
    """Return a boolean setting given as a bool or as text ('false', '0', 'no', 'off' are false);
    unset or empty is the default.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return (
        value
        if isinstance(value, bool)
        else str(value).strip().lower() not in ("0", "false", "no", "off")
    )


def positive_int(value: object, name: str) -> int:
    """Return a setting that must be a whole number >= 1, or raise ConfigError naming it."""
    try:
        number: int = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"ELIGIBILITY_{name} must be a whole number") from exc
    if number < 1 or isinstance(value, bool):
        raise ConfigError(f"ELIGIBILITY_{name} must be at least 1")
    return number


def positive_number(value: object, name: str) -> float:
    """Return a setting that must be a number > 0, or raise ConfigError naming it."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"ELIGIBILITY_{name} must be a number") from exc
    if not number > 0:
        raise ConfigError(f"ELIGIBILITY_{name} must be positive")
    return number


def secret(config: Mapping[str, Any], name: str) -> str | None:
    """Return a secret given as NAME or NAME_FILE; an unreadable file names the setting (never
    the secret).
    """
    try:
        return read_secret(config.get(name), config.get(f"{name}_FILE"))
    except OSError as exc:
        raise ConfigError(
            f"ELIGIBILITY_{name}_FILE cannot be read ({exc.strerror or type(exc).__name__})"
        ) from exc


def url_list(value: object, name: str) -> tuple[str, ...]:
    """Return a list of URLs given as a JSON list or a comma/space separated string."""
    if value is None or value == "":
        return ()
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in items
    ):
        raise ConfigError(f"ELIGIBILITY_{name} must be a list of http(s) URLs")
    return tuple(items)


def origin_list(value: object, name: str) -> frozenset[str]:
    """Read a list of origins (scheme://host[:port], or "*") given as a JSON list or a
    comma/space separated string.
    """
    if value is None or value == "":
        return frozenset()
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(
        isinstance(o, str)
        and (o == "*" or (o.startswith(("http://", "https://")) and o.count("/") == 2))
        for o in items
    ):
        raise ConfigError(
            f"ELIGIBILITY_{name} must be a list of origins such as https://sandbox.cds-hooks.org "
            "(no path), or *"
        )
    return frozenset(o.rstrip("/") for o in items)


def is_issuer_map(value: object) -> bool:
    """Say whether a setting is a mapping of issuer → http(s) JWKS URL (as ..._ISSUERS settings
    are).
    """
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) and v.startswith(("http://", "https://"))
        for k, v in value.items()
    )
