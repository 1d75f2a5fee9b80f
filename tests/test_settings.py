"""Tests for service.settings: the raw configuration read once into one typed, frozen Settings
object.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from service import create_app
from service.config import DEFAULTS
from service.errors import ConfigError
from service.settings import Settings, load_config, parse_fhir, parse_settings

HASH_KEY = "a-patient-hash-key-of-32-chars!!"
METRICS_TOKEN = "a-metrics-token-long-enough"  # noqa: S105 - a test token


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test without ELIGIBILITY_* variables from the calling shell."""
    for name in list(os.environ):
        if name.startswith("ELIGIBILITY_"):
            monkeypatch.delenv(name)


def test_the_defaults_parse_into_typed_sections() -> None:
    """The defaults give the documented values: 6 slots, no FHIR server, CDS on localhost, SQLite
    state.
    """
    settings = parse_settings(DEFAULTS)
    assert settings.limits.evaluation_slots == 6
    assert settings.fhir.base_url is None
    assert settings.fhir.deadline == 30
    assert settings.cds.public_url == "http://localhost:8000"
    assert settings.state.url is None
    assert settings.api.scope == "eligibility.evaluate"


def test_settings_are_frozen() -> None:
    """A section cannot be changed once parsed: every module sees what start-up checked."""
    settings = parse_settings(DEFAULTS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.fhir.timeout = 1  # type: ignore[misc]


def test_create_app_keeps_the_parsed_settings(tmp_path: Path) -> None:
    """create_app stores the one Settings it parsed on the app, with the test mapping's values."""
    app = create_app({"CDS_FEEDBACK_DB": str(tmp_path / "c.sqlite3"), "EVALUATION_SLOTS": "3"})
    settings = app.extensions["settings"]
    assert isinstance(settings, Settings)
    assert settings.limits.evaluation_slots == 3


def test_the_environment_is_read_as_json_then_the_mapping_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """load_config JSON-parses ELIGIBILITY_* values (as Flask does), and the overrides win over
    them.
    """
    monkeypatch.setenv("ELIGIBILITY_FHIR_WORKERS", "3")
    monkeypatch.setenv("ELIGIBILITY_FHIR_TRIES", "5")
    config = load_config({"FHIR_TRIES": 2})
    assert config["FHIR_WORKERS"] == 3
    assert config["FHIR_TRIES"] == 2


def test_an_unreadable_secret_file_names_the_setting(tmp_path: Path) -> None:
    """A FHIR token file that cannot be read is a ConfigError naming ELIGIBILITY_FHIR_TOKEN_FILE."""
    with pytest.raises(ConfigError, match="ELIGIBILITY_FHIR_TOKEN_FILE cannot be read"):
        parse_fhir(
            {
                "FHIR_BASE_URL": "https://fhir.example.org/r4",
                "FHIR_AUTH": "bearer",
                "FHIR_TOKEN_FILE": str(tmp_path / "missing"),
            }
        )


def test_a_bad_secret_is_refused_without_its_value() -> None:
    """A metrics token with a space is refused, and the message does not repeat the token."""
    token = "short secret"  # noqa: S105 - a test token
    with pytest.raises(ConfigError) as caught:
        parse_settings({**DEFAULTS, "METRICS_TOKEN": token})
    assert "ELIGIBILITY_METRICS_TOKEN" in caught.value.message
    assert token not in caught.value.message


def test_secrets_stay_out_of_the_repr() -> None:
    """The settings' repr (a log line, a traceback) never shows a secret's value."""
    settings = parse_settings(
        {
            **DEFAULTS,
            "FHIR_BASE_URL": "https://fhir.example.org/r4",
            "FHIR_AUTH": "bearer",
            "FHIR_TOKEN": "bearer-secret-123",
            "CDS_PATIENT_HASH_KEY": HASH_KEY,
            "METRICS_TOKEN": METRICS_TOKEN,
            "STATE_URL": "redis://:redis-password@127.0.0.1:6379/0",
        }
    )
    text = repr(settings)
    assert "bearer-secret-123" not in text
    assert HASH_KEY not in text
    assert METRICS_TOKEN not in text
    assert "redis-password" not in text


def test_auth_is_checked_only_with_a_server() -> None:
    """Without a FHIR base URL, FHIR_AUTH is not read: nothing authenticates to anything."""
    assert parse_fhir({"FHIR_AUTH": "bearer"}).auth == "none"


def test_screen_ndjson_roots_from_a_string_are_split() -> None:
    """SCREEN_NDJSON_ROOTS given as plain text is a list of directories, never one character
    each.
    """
    settings = parse_settings({**DEFAULTS, "SCREEN_NDJSON_ROOTS": "/data/a,/data/b"})
    assert settings.population.ndjson_roots == ("/data/a", "/data/b")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # Not a whole number.
        pytest.param("EVALUATION_SLOTS", "many", id="slots"),
        # Zero workers.
        pytest.param("SCREEN_WORKERS", -1, id="screen-workers"),
        # A body limit that is not a number.
        pytest.param("MAX_CONTENT_LENGTH", "big", id="max-content-length"),
        # A log level no one knows.
        pytest.param("LOG_LEVEL", "LOUD", id="log-level"),
    ],
)
def test_a_bad_value_names_its_setting(name: str, value: object) -> None:
    """A bad value of any section is a ConfigError naming ELIGIBILITY_<name>."""
    with pytest.raises(ConfigError, match=f"ELIGIBILITY_{name}"):
        parse_settings({**DEFAULTS, name: value})
