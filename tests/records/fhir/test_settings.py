"""Tests for service.records.fhir.settings: the client, its auth and the fetch options from the
ELIGIBILITY_FHIR_* settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from service.config import DEFAULTS
from service.errors import ConfigError
from service.records.fhir.auth import Auth, BearerToken, NoAuth, SmartBackendServices
from service.records.fhir.client import FhirClient
from service.records.fhir.fetch import FetchOptions
from service.records.fhir.settings import fetch_options, fhir_auth, fhir_client
from service.settings import parse_fhir
from tests.helpers.fhir import pem

BASE = "https://fhir.example.org/r4"
TOKEN = "static-token-5e1d"  # noqa: S105 - a test token


def config(**overrides: Any) -> dict[str, Any]:
    """Return the defaults with a base URL and the overrides."""
    return {**DEFAULTS, "FHIR_BASE_URL": BASE, **overrides}


def client_of(raw: dict[str, Any]) -> FhirClient | None:
    """The client the raw configuration gives, through the settings parser as create_app reads
    it.
    """
    return fhir_client(parse_fhir(raw))


def auth_of(raw: dict[str, Any]) -> Auth:
    """The authentication the raw configuration gives, through the settings parser."""
    return fhir_auth(parse_fhir(raw))


def options_of(raw: dict[str, Any]) -> FetchOptions:
    """The fetch options the raw configuration gives, through the settings parser."""
    return fetch_options(parse_fhir(raw))


@pytest.fixture
def smart_config(rsa_key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """A complete SMART Backend Services configuration, key given by value."""
    return config(
        FHIR_AUTH="smart",
        FHIR_SMART_TOKEN_URL="https://auth.example.org/token",  # noqa: S106 - a URL, not a password
        FHIR_SMART_CLIENT_ID="svc",
        FHIR_SMART_PRIVATE_KEY=pem(rsa_key),
        FHIR_SMART_KID="key-1",
    )


# --- the client ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        # The default: no server, the fixtures serve ids.
        pytest.param(None, id="none"),
        # Set but empty (an empty environment variable).
        pytest.param("", id="empty"),
    ],
)
def test_no_base_url_means_no_client(base_url: str | None) -> None:
    """Without FHIR_BASE_URL there is no client."""
    assert client_of(config(FHIR_BASE_URL=base_url)) is None


def test_defaults_build_a_client() -> None:
    """The defaults plus a base URL build a client with the documented settings and no auth."""
    client = client_of(config())
    assert client is not None
    assert client.base_url == BASE + "/"
    assert isinstance(client.auth, NoAuth)
    settings = client.settings
    assert (
        settings.timeout,
        settings.tries,
        settings.backoff,
        settings.page_size,
        settings.pool_size,
    ) == (10, 3, 0.5, 200, 8)


def test_settings_are_read() -> None:
    """Each FHIR_* number reaches the client; the pool has at least 4 connections and one per
    worker.
    """
    client = client_of(
        config(
            FHIR_TIMEOUT="5", FHIR_TRIES=4, FHIR_BACKOFF=0.25, FHIR_PAGE_SIZE=50, FHIR_WORKERS=12
        )
    )
    assert client is not None
    settings = client.settings
    assert (
        settings.timeout,
        settings.tries,
        settings.backoff,
        settings.page_size,
        settings.pool_size,
    ) == (5, 4, 0.25, 50, 12)
    small = client_of(config(FHIR_WORKERS=1))
    assert small is not None
    assert small.settings.pool_size == 4


@pytest.mark.parametrize(
    "base_url",
    [
        # Another scheme.
        pytest.param("ftp://fhir.example.org/r4", id="ftp"),
        # A local file.
        pytest.param("file:///etc/passwd", id="file"),
        # No scheme.
        pytest.param("fhir.example.org/r4", id="no-scheme"),
        # A scheme and nothing else.
        pytest.param("https://", id="no-host"),
        # Script.
        pytest.param("javascript:alert(1)", id="javascript"),
    ],
)
def test_non_http_base_url_is_refused(base_url: str) -> None:
    """A base URL that is not http(s) with a host is a ConfigError naming the setting."""
    with pytest.raises(ConfigError, match="ELIGIBILITY_FHIR_BASE_URL"):
        client_of(config(FHIR_BASE_URL=base_url))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # Not a number.
        pytest.param("FHIR_TIMEOUT", "soon", id="timeout-text"),
        # Zero.
        pytest.param("FHIR_TRIES", 0, id="tries-zero"),
        # Negative.
        pytest.param("FHIR_BACKOFF", -1, id="backoff-negative"),
        # Unset.
        pytest.param("FHIR_PAGE_SIZE", None, id="page-size-none"),
        # Not a number.
        pytest.param("FHIR_WORKERS", "many", id="workers-text"),
    ],
)
def test_bad_number_names_the_setting(name: str, value: Any) -> None:
    """A missing, non-numeric or non-positive number is a ConfigError naming the setting."""
    with pytest.raises(ConfigError, match=f"ELIGIBILITY_{name} must be"):
        client_of(config(**{name: value}))


def test_smart_auth_shares_the_client_session(smart_config: dict[str, Any]) -> None:
    """The token endpoint is reached over the client's pooled session."""
    client = client_of(smart_config)
    assert client is not None
    assert isinstance(client.auth, SmartBackendServices)
    assert client.auth.session is client.session


# --- auth ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mode",
    [
        # Unset.
        pytest.param(None, id="unset"),
        # Explicit.
        pytest.param("none", id="none"),
        # Case does not matter.
        pytest.param("NONE", id="upper"),
    ],
)
def test_no_auth(mode: str | None) -> None:
    """FHIR_AUTH none (or unset) is no auth."""
    assert isinstance(auth_of(config(FHIR_AUTH=mode)), NoAuth)


def test_bearer_from_value() -> None:
    """FHIR_AUTH=bearer with FHIR_TOKEN sends that token."""
    auth = auth_of(config(FHIR_AUTH="bearer", FHIR_TOKEN=TOKEN))
    assert isinstance(auth, BearerToken)
    assert auth.headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_bearer_from_file(tmp_path: Path) -> None:
    """FHIR_TOKEN_FILE is read (whitespace stripped) and wins over FHIR_TOKEN."""
    path = tmp_path / "token"
    path.write_text(f"  {TOKEN}\n", encoding="utf-8")
    auth = auth_of(
        # S106: a test token
        config(FHIR_AUTH="bearer", FHIR_TOKEN="other", FHIR_TOKEN_FILE=str(path))  # noqa: S106
    )
    assert auth.headers() == {"Authorization": f"Bearer {TOKEN}"}


def test_smart_from_value(smart_config: dict[str, Any]) -> None:
    """FHIR_AUTH=smart builds SMART Backend Services from the FHIR_SMART_* settings (RS384 and
    the default scopes).
    """
    auth = auth_of(smart_config)
    assert isinstance(auth, SmartBackendServices)
    assert (auth.token_url, auth.client_id, auth.algorithm, auth.key_id, auth.jku) == (
        "https://auth.example.org/token",
        "svc",
        "RS384",
        "key-1",
        None,
    )
    assert auth.scopes == DEFAULTS["FHIR_SMART_SCOPES"]
    assert auth.timeout == 10


def test_smart_from_file(
    tmp_path: Path, smart_config: dict[str, Any], ec_key: ec.EllipticCurvePrivateKey
) -> None:
    """The private key may be a file; the algorithm, jku and scopes are read too."""
    path = tmp_path / "key.pem"
    path.write_text(pem(ec_key), encoding="utf-8")
    auth = auth_of(
        {
            **smart_config,
            "FHIR_SMART_PRIVATE_KEY": None,
            "FHIR_SMART_PRIVATE_KEY_FILE": str(path),
            "FHIR_SMART_ALG": "ES384",
            "FHIR_SMART_JKU": "https://svc.example.org/jwks.json",
            "FHIR_SMART_SCOPES": "system/*.rs",
        }
    )
    assert isinstance(auth, SmartBackendServices)
    assert (auth.algorithm, auth.jku, auth.scopes) == (
        "ES384",
        "https://svc.example.org/jwks.json",
        "system/*.rs",
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        # An unknown mode.
        pytest.param(
            {"FHIR_AUTH": "basic"},
            "ELIGIBILITY_FHIR_AUTH must be one of none, bearer, smart",
            id="unknown-mode",
        ),
        # Bearer without a token.
        pytest.param(
            {"FHIR_AUTH": "bearer"},
            "ELIGIBILITY_FHIR_TOKEN or ELIGIBILITY_FHIR_TOKEN_FILE",
            id="bearer-no-token",
        ),
        # Bearer with an empty token.
        pytest.param(
            {"FHIR_AUTH": "bearer", "FHIR_TOKEN": ""},
            "ELIGIBILITY_FHIR_TOKEN or ELIGIBILITY_FHIR_TOKEN_FILE",
            id="bearer-empty-token",
        ),
        # Bearer with a token file that is not there.
        pytest.param(
            {"FHIR_AUTH": "bearer", "FHIR_TOKEN_FILE": "/nonexistent/token"},
            "ELIGIBILITY_FHIR_TOKEN_FILE cannot be read",
            id="bearer-missing-file",
        ),
        # Bearer with a multi-line token.
        pytest.param(
            {"FHIR_AUTH": "bearer", "FHIR_TOKEN": "abc\ndef"},
            "ELIGIBILITY_FHIR_TOKEN",
            id="bearer-multi-line",
        ),
        # SMART with nothing set.
        pytest.param(
            {"FHIR_AUTH": "smart"},
            "ELIGIBILITY_FHIR_SMART_TOKEN_URL, ELIGIBILITY_FHIR_SMART_CLIENT_ID, "
            "ELIGIBILITY_FHIR_SMART_PRIVATE_KEY\\(_FILE\\), ELIGIBILITY_FHIR_SMART_KID",
            id="smart-nothing",
        ),
    ],
)
def test_missing_or_bad_auth_setting_names_it(overrides: dict[str, Any], named: str) -> None:
    """A missing or bad auth setting is a ConfigError naming the setting."""
    with pytest.raises(ConfigError, match=named):
        auth_of(config(**overrides))


@pytest.mark.parametrize(
    ("name", "named"),
    [
        # No token endpoint.
        pytest.param(
            "FHIR_SMART_TOKEN_URL", "needs ELIGIBILITY_FHIR_SMART_TOKEN_URL$", id="token-url"
        ),
        # No client id.
        pytest.param(
            "FHIR_SMART_CLIENT_ID", "needs ELIGIBILITY_FHIR_SMART_CLIENT_ID$", id="client-id"
        ),
        # No key, by value or file.
        pytest.param(
            "FHIR_SMART_PRIVATE_KEY",
            r"needs ELIGIBILITY_FHIR_SMART_PRIVATE_KEY\(_FILE\)$",
            id="private-key",
        ),
        # No kid: SMART requires it in the assertion's header.
        pytest.param("FHIR_SMART_KID", "needs ELIGIBILITY_FHIR_SMART_KID$", id="kid"),
    ],
)
def test_each_missing_smart_setting_is_named(
    smart_config: dict[str, Any], name: str, named: str
) -> None:
    """Each SMART setting left out is named on its own."""
    with pytest.raises(ConfigError, match=named):
        auth_of({**smart_config, name: None})


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        # A shared-secret algorithm.
        pytest.param({"FHIR_SMART_ALG": "HS256"}, "RS384 or ES384", id="hs256"),
        # An algorithm the RSA key cannot sign.
        pytest.param({"FHIR_SMART_ALG": "ES384"}, "cannot sign ES384", id="wrong-key-type"),
        # A key file that is not there.
        pytest.param(
            {"FHIR_SMART_PRIVATE_KEY_FILE": "/nonexistent/key.pem"},
            "ELIGIBILITY_FHIR_SMART_PRIVATE_KEY_FILE cannot be read",
            id="missing-key-file",
        ),
    ],
)
def test_bad_smart_setting_is_a_config_error(
    smart_config: dict[str, Any], overrides: dict[str, Any], named: str
) -> None:
    """A SMART setting that cannot work is a ConfigError at startup, never quoting the key."""
    with pytest.raises(ConfigError, match=named) as caught:
        auth_of({**smart_config, **overrides})
    assert "PRIVATE KEY" not in caught.value.message


def test_config_errors_never_quote_the_secret(tmp_path: Path) -> None:
    """A refused token is named by its setting, never quoted."""
    with pytest.raises(ConfigError) as caught:
        auth_of(config(FHIR_AUTH="bearer", FHIR_TOKEN=f"{TOKEN}\nsecond-line"))
    assert TOKEN not in caught.value.message


# --- fetch options ------------------------------------------------------------------------------


def test_default_fetch_options() -> None:
    """The defaults fetch with eight workers, date floors on, and a 30 s deadline."""
    assert options_of(config()) == FetchOptions(workers=8, date_floor=True, deadline=30)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A JSON false from the environment (Flask's from_prefixed_env parses it).
        pytest.param(False, False, id="false-bool"),
        # A JSON true from the environment.
        pytest.param(True, True, id="true-bool"),
        # The word.
        pytest.param("false", False, id="false"),
        # A zero.
        pytest.param("0", False, id="zero"),
        # Another spelling of off.
        pytest.param("no", False, id="no"),
        # Another spelling of off.
        pytest.param("off", False, id="off"),
        # Set but empty: the same as unset (the default, floors on).
        pytest.param("", True, id="empty"),
        # The word.
        pytest.param("true", True, id="true"),
        # A one.
        pytest.param("1", True, id="one"),
        # Anything else is on, padding ignored.
        pytest.param(" Yes ", True, id="yes-padded"),
    ],
)
def test_date_floor_flag(value: Any, expected: bool) -> None:
    """FHIR_DATE_FLOOR reads booleans and the usual spellings of off."""
    assert options_of(config(FHIR_DATE_FLOOR=value)).date_floor is expected


def test_fetch_options_are_read() -> None:
    """FHIR_WORKERS and FHIR_DEADLINE reach the fetch options."""
    assert options_of(config(FHIR_WORKERS="1", FHIR_DEADLINE=12.5)) == FetchOptions(
        workers=1, date_floor=True, deadline=12.5
    )
