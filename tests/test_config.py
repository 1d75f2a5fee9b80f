"""Configuration: defaults, then ELIGIBILITY_* environment variables, then the test mapping;
secrets by value or file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from service import create_app
from service.config import read_secret
from tests.helpers import ROOT


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test without ELIGIBILITY_* variables from the calling shell."""
    for name in list(os.environ):
        if name.startswith("ELIGIBILITY_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    """create_app() reads rules/ and fhir_fixtures/ from the checkout and accepts bodies up to 20
    MiB.
    """
    config = create_app().config
    assert config["RULES_DIR"] == str(ROOT / "rules")
    assert config["FIXTURES_DIR"] == str(ROOT / "fhir_fixtures")
    assert config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024


def test_environment_overrides_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """ELIGIBILITY_MAX_CONTENT_LENGTH sets the limit, parsed as a number, and requests over it
    get a 413.
    """
    monkeypatch.setenv("ELIGIBILITY_MAX_CONTENT_LENGTH", "1000")
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 1000
    response = app.test_client().post(
        "/eligibility", data=b"x" * 1001, content_type="application/json"
    )
    assert response.status_code == 413


def test_environment_sets_the_rules_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ELIGIBILITY_RULES_DIR points the app at another rules directory (as the container image
    does).
    """
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules)
    kept = sorted((rules / "trials").glob("*.json"))[0]
    for path in (rules / "trials").glob("*.json"):
        if path != kept:
            path.unlink()
    monkeypatch.setenv("ELIGIBILITY_RULES_DIR", str(rules))
    app = create_app()
    assert app.config["RULES_DIR"] == str(rules)
    assert app.test_client().get("/health").get_json()["trials"] == 1


def test_mapping_overrides_a_default() -> None:
    """The mapping given to create_app overrides a default."""
    assert create_app({"MAX_CONTENT_LENGTH": 5000}).config["MAX_CONTENT_LENGTH"] == 5000


def test_mapping_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mapping given to create_app wins over ELIGIBILITY_* variables."""
    monkeypatch.setenv("ELIGIBILITY_MAX_CONTENT_LENGTH", "1000")
    assert create_app({"MAX_CONTENT_LENGTH": 5000}).config["MAX_CONTENT_LENGTH"] == 5000


@pytest.mark.parametrize(
    ("value", "file_text", "expected"),
    [
        # A file wins over a value, and is stripped of the trailing newline editors add.
        ("from-value", "from-file\n", "from-file"),
        # Surrounding whitespace in the file is dropped.
        (None, "  from-file  \n", "from-file"),
        # No file: the value.
        ("from-value", None, "from-value"),
        # Neither: None.
        (None, None, None),
    ],
)
def test_read_secret_prefers_the_file(
    tmp_path: Path, value: str | None, file_text: str | None, expected: str | None
) -> None:
    """read_secret returns the file's content when a path is given, else the value."""
    path = None
    if file_text is not None:
        secret_file = tmp_path / "secret"
        secret_file.write_text(file_text, encoding="utf-8")
        path = str(secret_file)
    assert read_secret(value, path) == expected


def test_read_secret_ignores_an_empty_path() -> None:
    """An empty path (an unset variable rendered as '') means no file: the value is used."""
    assert read_secret("from-value", "") == "from-value"


FLAGS = [
    # Unset or empty: the setting's default, whichever it is.
    (None, True, True),
    (None, False, False),
    ("", True, True),
    ("  ", False, False),
    # Booleans as they come from JSON-parsed environment variables, and the usual words.
    (True, False, True),
    (False, True, False),
    ("false", True, False),
    ("0", True, False),
    ("off", True, False),
    ("no", True, False),
    ("true", False, True),
    ("1", False, True),
    ("yes", False, True),
]


@pytest.mark.parametrize(("value", "default", "expected"), FLAGS)
def test_flag_reads_booleans_and_keeps_the_default_when_unset(
    value: object, default: bool, expected: bool
) -> None:
    """flag() reads a boolean setting; None or an empty string is the default (never a silent
    True).
    """
    from service.config import flag

    assert flag(value, default=default) is expected


def test_defaults_of_the_http_settings() -> None:
    """The API is open only until a FHIR server is set (API_AUTH unset), no CORS origins, 6
    evaluation slots, a 2 s SQLite wait, 90-day comments.
    """
    config = create_app().config
    assert (config["API_AUTH"], config["API_CORS_ORIGINS"], config["CDS_CORS_ORIGINS"]) == (
        None,
        [],
        [],
    )
    assert (
        config["EVALUATION_SLOTS"],
        config["CDS_DB_BUSY_TIMEOUT"],
        config["CDS_COMMENT_RETENTION_DAYS"],
    ) == (6, 2.0, 90)
    assert config["API_JWT_SCOPE"] == "eligibility.evaluate"
