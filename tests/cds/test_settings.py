"""Tests for service.cds.settings: the CDS Hooks settings read from the configuration and the
environment.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service import create_app
from service.cds.settings import CdsSettings, cds_settings
from service.config import DEFAULTS
from service.errors import ConfigError
from service.settings import busy_timeout, parse_cds, retention_days

ISSUERS = {"https://ehr.example.com/": "https://ehr.example.com/.well-known/jwks.json"}


def make_app(tmp_path: Path, **config: Any) -> Flask:
    """An app with its feedback store under tmp_path."""
    app = create_app(
        {"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), **config}
    )
    app.extensions["cds_service"].session.close()  # no request is made here; nothing to keep open
    return app


def settings(**config: Any) -> CdsSettings:
    """The CDS settings of the defaults changed by `config`."""
    return cds_settings(parse_cds({**DEFAULTS, **config}))


@pytest.mark.parametrize(
    "public_url",
    [
        # No scheme.
        pytest.param("localhost:8000", id="no-scheme"),
        # Another scheme.
        pytest.param("ftp://cds.example.org", id="ftp"),
        # Empty.
        pytest.param("", id="empty"),
        # Unset.
        pytest.param(None, id="none"),
    ],
)
def test_public_url_must_be_http(tmp_path: Path, public_url: str | None) -> None:
    """CDS_PUBLIC_URL that is not an http(s) URL stops create_app (every JWT's aud is built from
    it).
    """
    with pytest.raises(ConfigError, match="CDS_PUBLIC_URL"):
        make_app(tmp_path, CDS_PUBLIC_URL=public_url)


@pytest.mark.parametrize(
    "issuers",
    [
        # A list, not an object.
        pytest.param(["https://ehr.example.com/"], id="list"),
        # A string that is not JSON (as a mistyped environment variable stays).
        pytest.param("https://ehr.example.com/", id="string"),
        # A JWKS URL that is not a string.
        pytest.param({"https://ehr.example.com/": 5}, id="url-not-string"),
        # A JWKS URL that is not http(s).
        pytest.param({"https://ehr.example.com/": "file:///etc/jwks.json"}, id="url-not-http"),
    ],
)
def test_trusted_issuers_must_be_an_object_of_urls(tmp_path: Path, issuers: object) -> None:
    """CDS_TRUSTED_ISSUERS that is not an object of issuer → JWKS URL stops create_app."""
    with pytest.raises(ConfigError, match="CDS_TRUSTED_ISSUERS"):
        make_app(tmp_path, CDS_TRUSTED_ISSUERS=issuers)


def test_trusted_issuers_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ELIGIBILITY_CDS_TRUSTED_ISSUERS given as a JSON object in the environment is read as that
    object.
    """
    monkeypatch.setenv(
        "ELIGIBILITY_CDS_TRUSTED_ISSUERS",
        '{"https://ehr.example.com/": "https://ehr.example.com/.well-known/jwks.json"}',
    )
    assert make_app(tmp_path).extensions["cds_settings"].trusted_issuers == ISSUERS


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # A JSON list (from a config mapping, or a JSON environment value).
        pytest.param(
            ["https://ehr.example.org/fhir", "http://127.0.0.1:8080/fhir/r4"],
            ("https://ehr.example.org/fhir", "http://127.0.0.1:8080/fhir/r4"),
            id="list",
        ),
        # A comma-separated string.
        pytest.param(
            "https://ehr.example.org/fhir,http://127.0.0.1:8080/fhir/r4",
            ("https://ehr.example.org/fhir", "http://127.0.0.1:8080/fhir/r4"),
            id="comma-separated",
        ),
        # Commas and spaces.
        pytest.param(
            "https://ehr.example.org/fhir, http://127.0.0.1:8080/fhir/r4",
            ("https://ehr.example.org/fhir", "http://127.0.0.1:8080/fhir/r4"),
            id="comma-and-space",
        ),
        # One URL.
        pytest.param("https://ehr.example.org/fhir", ("https://ehr.example.org/fhir",), id="one"),
        # Empty: nothing allowed.
        pytest.param("", (), id="empty"),
        # The default: nothing allowed.
        pytest.param(DEFAULTS["CDS_FHIR_ALLOWLIST"], (), id="default"),
    ],
)
def test_fhir_allowlist_as_list_or_comma_separated(
    tmp_path: Path, value: object, expected: tuple[str, ...]
) -> None:
    """CDS_FHIR_ALLOWLIST may be a list or a comma-separated string of base URLs."""
    assert (
        make_app(tmp_path, CDS_FHIR_ALLOWLIST=value).extensions["cds_service"].fhir_allowlist
        == expected
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # A JSON list, as JSON in the environment.
        pytest.param(
            '["https://ehr.example.org/fhir", "https://other.example.org/fhir"]',
            ("https://ehr.example.org/fhir", "https://other.example.org/fhir"),
            id="json-list",
        ),
        # A comma-separated string (not JSON, so it stays a string).
        pytest.param(
            "https://ehr.example.org/fhir,https://other.example.org/fhir",
            ("https://ehr.example.org/fhir", "https://other.example.org/fhir"),
            id="comma-separated",
        ),
    ],
)
def test_fhir_allowlist_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str, expected: tuple[str, ...]
) -> None:
    """ELIGIBILITY_CDS_FHIR_ALLOWLIST is read as a JSON list or as comma-separated URLs."""
    monkeypatch.setenv("ELIGIBILITY_CDS_FHIR_ALLOWLIST", raw)
    assert make_app(tmp_path).extensions["cds_service"].fhir_allowlist == expected


@pytest.mark.parametrize(
    "value",
    [
        # A host without a scheme.
        pytest.param("ehr.example.org/fhir", id="no-scheme"),
        # A list with a non-URL.
        pytest.param(["https://ehr.example.org/fhir", 5], id="list-with-number"),
        # An object.
        pytest.param({"url": "https://ehr.example.org/fhir"}, id="object"),
    ],
)
def test_fhir_allowlist_must_hold_http_urls(tmp_path: Path, value: object) -> None:
    """A CDS_FHIR_ALLOWLIST entry that is not an http(s) URL stops create_app."""
    with pytest.raises(ConfigError, match="CDS_FHIR_ALLOWLIST"):
        make_app(tmp_path, CDS_FHIR_ALLOWLIST=value)


@pytest.mark.parametrize(
    ("value", "verify"),
    [
        # The default: verify.
        pytest.param(DEFAULTS["CDS_JWT_VERIFY"], True, id="default"),
        # Off, as a boolean.
        pytest.param(False, False, id="false"),
        # Off, as text from the environment.
        pytest.param("off", False, id="off"),
        # An empty value (an environment variable set to nothing) keeps verification on: only an
        # explicit "off" turns it off.
        pytest.param("", True, id="empty"),
    ],
)
def test_jwt_verify_flag(value: object, verify: bool) -> None:
    """CDS_JWT_VERIFY turns verification off only when it says so."""
    assert settings(CDS_JWT_VERIFY=value).verify_jwt is verify


def test_jwt_verify_off_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Reading CDS_JWT_VERIFY=false logs a warning naming the setting."""
    with caplog.at_level(logging.WARNING, logger="service.cds.settings"):
        settings(CDS_JWT_VERIFY="false")
    assert [
        r.levelno for r in caplog.records if "ELIGIBILITY_CDS_JWT_VERIFY=false" in r.getMessage()
    ] == [logging.WARNING]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The default.
        pytest.param(DEFAULTS["CDS_JWT_LEEWAY"], 60, id="default"),
        # Text from the environment.
        pytest.param("30", 30, id="text"),
        # Zero: no leeway at all, not the default.
        pytest.param(0, 0, id="zero"),
    ],
)
def test_jwt_leeway(value: object, expected: int) -> None:
    """CDS_JWT_LEEWAY sets the clock-skew leeway in seconds, zero included."""
    assert settings(CDS_JWT_LEEWAY=value).leeway_seconds == expected


@pytest.mark.parametrize(
    ("public_url", "path", "audience"),
    [
        # The endpoint path after the host.
        pytest.param(
            "https://cds.example.org",
            "/cds-services/trial-eligibility",
            "https://cds.example.org/cds-services/trial-eligibility",
            id="host",
        ),
        # A trailing slash on the public URL is not doubled.
        pytest.param(
            "https://cds.example.org/",
            "/cds-services/trial-eligibility",
            "https://cds.example.org/cds-services/trial-eligibility",
            id="slash",
        ),
        # A public URL with a path prefix (behind a proxy) keeps it.
        pytest.param(
            "https://example.org/eligibility",
            "/cds-services/trial-eligibility/feedback",
            "https://example.org/eligibility/cds-services/trial-eligibility/feedback",
            id="prefix",
        ),
    ],
)
def test_verifier_audience_is_public_url_and_path(
    public_url: str, path: str, audience: str
) -> None:
    """Each endpoint's verifier requires aud = the public URL + that endpoint's path."""
    verifier = settings(CDS_PUBLIC_URL=public_url, CDS_TRUSTED_ISSUERS=ISSUERS).verifier(path)
    assert verifier is not None
    assert verifier._audience == audience


def test_verifier_is_one_per_endpoint() -> None:
    """One verifier per endpoint, kept: its jti replay cache and JWKS cache live as long as the
    app.
    """
    cds = settings(CDS_TRUSTED_ISSUERS=ISSUERS)
    call, again, feedback = (
        cds.verifier("/cds-services/x"),
        cds.verifier("/cds-services/x"),
        cds.verifier("/cds-services/x/feedback"),
    )
    assert call is again
    assert feedback is not call


def test_no_verifier_when_verification_is_off() -> None:
    """With verification off there is no verifier to call."""
    assert settings(CDS_JWT_VERIFY=False).verifier("/cds-services/x") is None


def test_show_ineligible_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ELIGIBILITY_CDS_SHOW_INELIGIBLE=true turns ineligible cards on; the default leaves them
    off.
    """
    assert make_app(tmp_path).extensions["cds_service"].show_ineligible is False
    monkeypatch.setenv("ELIGIBILITY_CDS_SHOW_INELIGIBLE", "true")
    assert make_app(tmp_path).extensions["cds_service"].show_ineligible is True


@pytest.mark.parametrize("value", ["soon", -1, 31])
def test_a_bad_busy_timeout_is_a_config_error(value: object) -> None:
    """CDS_DB_BUSY_TIMEOUT must be a number of seconds from 0 to 30."""
    with pytest.raises(ConfigError, match="CDS_DB_BUSY_TIMEOUT"):
        busy_timeout({"CDS_DB_BUSY_TIMEOUT": value})


@pytest.mark.parametrize(
    ("value", "days"), [(None, None), ("none", None), ("", None), ("30", 30.0), (0, 0.0)]
)
def test_comment_retention_reads_days_or_none(value: object, days: float | None) -> None:
    """CDS_COMMENT_RETENTION_DAYS is a number of days; unset, empty or 'none' keeps comments."""
    assert retention_days({"CDS_COMMENT_RETENTION_DAYS": value}) == days
