"""Every error is one problem+json answer; an unexpected exception is a 500 that tells the caller
nothing of its inside.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask

from service import create_app

RECORD_TEXT = "patient Jane Doe 1970-01-01"


@pytest.fixture
def crashing_app(tmp_path: Path) -> Flask:
    """An app with one extra route that raises an exception no handler expects."""
    app = create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3")})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError(RECORD_TEXT)

    return app


def test_an_unexpected_exception_is_a_problem_json_500(crashing_app: Flask) -> None:
    """The catch-all handler answers 500 application/problem+json with code internal-error."""
    response = crashing_app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == 500
    assert response.get_json()["error"] == "internal-error"
    assert response.get_json()["type"] == "urn:trial-eligibility:problem:internal-error"


def test_the_500_body_never_carries_the_exception_text(crashing_app: Flask) -> None:
    """Neither the exception's message (which may quote patient data) nor a traceback reaches the
    caller.
    """
    body = crashing_app.test_client().get("/boom").get_data(as_text=True)
    assert RECORD_TEXT not in body
    assert "Traceback" not in body


def test_the_500_is_logged_with_where_it_happened_but_not_the_exception_text(
    crashing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """The log names the exception type and the frames (file, line, code) but not its message,
    which may quote patient data.
    """
    with caplog.at_level(logging.ERROR):
        crashing_app.test_client().get("/boom")
    logged = caplog.text
    assert "RuntimeError" in logged
    assert "test_errorhandlers.py" in logged
    assert RECORD_TEXT not in logged
