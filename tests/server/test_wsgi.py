"""The WSGI entry point gunicorn serves: the server's own start-up steps happen there, not in
every create_app.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from service import create_app
from service.server.wsgi import serve_app


def test_create_app_leaves_the_collector_alone(tmp_path: Path) -> None:
    """Building an app (as tests and the CLI do many times) does not freeze the garbage
    collector's objects.
    """
    gc.unfreeze()
    create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3")})
    assert gc.get_freeze_count() == 0


def test_serve_app_freezes_what_lives_as_long_as_the_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """serve_app, once per server process, moves the rulebook and compiled rules out of the
    collector's scans.
    """
    monkeypatch.setenv("ELIGIBILITY_CDS_FEEDBACK_DB", str(tmp_path / "cds.sqlite3"))
    gc.unfreeze()
    try:
        serve_app()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_serve_app_collects_the_young_generation_less_often(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """serve_app raises the collector's thresholds (a request's short-lived trees), and only
    serve_app does.
    """
    monkeypatch.setenv("ELIGIBILITY_CDS_FEEDBACK_DB", str(tmp_path / "cds.sqlite3"))
    before = gc.get_threshold()
    try:
        serve_app()
        assert gc.get_threshold() == (2000, 20, 100)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
