"""POST /population-screens: 202 + Content-Location, polling with X-Progress, 200 with the
manifest and links, DELETE, bad input.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from service import create_app


@pytest.fixture
def screen_app(tmp_path: Path, population_dir: Path) -> Flask:
    """An app whose screens live under tmp and may read the test population's directory."""
    return create_app(
        {
            "TESTING": True,
            "CDS_FEEDBACK_DB": str(tmp_path / "cds.sqlite3"),
            "SCREENS_DIR": str(tmp_path / "screens"),
            "SCREEN_NDJSON_ROOTS": [str(population_dir.parent)],
            "SCREEN_RETRY_AFTER": 1,
            "SCREEN_WORKERS": 1,
        }
    )


def _poll(client: FlaskClient, location: str, seconds: float = 120) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(location)
        if response.status_code != 202:
            return response
        assert response.headers["Retry-After"] == "1"
        assert "buckets" in response.headers["X-Progress"]
        time.sleep(0.05)  # a small screen finishes within a second: do not oversleep it
    raise AssertionError("the screen did not finish")


def test_screen_runs_async_and_links_its_outputs(screen_app: Flask, population_dir: Path) -> None:
    """A screen answers 202 with Content-Location, then 200 with the completed manifest and links
    that serve the outputs.
    """
    client = screen_app.test_client()
    body = {
        "trials": ["NCT06761417"],
        "asOf": "2026-10-10",
        "input": {"kind": "ndjson", "url": str(population_dir)},
    }
    started = client.post("/population-screens", json=body)
    assert started.status_code == 202
    location = started.headers["Content-Location"]
    done = _poll(client, location)
    assert done.status_code == 200
    body = done.get_json()
    assert body["manifest"]["status"] == "completed"
    assert body["manifest"]["trials"] == ["NCT06761417"]
    worklist = client.get(body["links"]["trials"]["NCT06761417"]["worklist"])
    assert worklist.status_code == 200
    assert worklist.data.startswith(b"rank,patientId")
    worklist.close()
    assert client.get(location + "/files/../manifest.json").status_code == 404


def test_delete_cancels_a_running_screen(screen_app: Flask, population_dir: Path) -> None:
    """DELETE on the status URL stops the screen; polling then shows it cancelled."""
    client = screen_app.test_client()
    started = client.post(
        "/population-screens",
        json={"asOf": "2026-10-10", "input": {"kind": "ndjson", "url": str(population_dir)}},
    )
    location = started.headers["Content-Location"]
    assert client.delete(location).status_code == 202
    done = _poll(client, location)
    assert done.get_json()["manifest"]["status"] in ("cancelled", "completed")
    assert done.get_json()["manifest"]["status"] == "cancelled", (
        "the run finished before the DELETE took effect"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"asOf": "2026-10-10", "input": {"kind": "ndjson", "url": "/etc"}},
            "not under a directory this service may read",
        ),
        ({"asOf": "2026-10-10", "input": {"kind": "fhir"}}, "no FHIR server is configured"),
        ({"asOf": "2026-10-10", "trials": ["NCT0"], "input": {"kind": "fhir"}}, "'trials' must be"),
        ({"input": {"kind": "fhir"}}, "'asOf'"),
        ({"asOf": "2026-10-10", "input": "x"}, "'input' must be"),
    ],
)
def test_bad_requests_are_400_naming_the_member(
    screen_app: Flask, body: dict[str, Any], message: str
) -> None:
    """Each malformed request is a 400 whose message names what is wrong; nothing starts."""
    response = screen_app.test_client().post("/population-screens", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["message"]


def test_unknown_screen_is_404(screen_app: Flask) -> None:
    """Polling or cancelling a run id that does not exist is a 404 JSON error."""
    client = screen_app.test_client()
    assert client.get("/population-screens/nope-1").status_code == 404
    assert client.delete("/population-screens/nope-1").get_json()["error"] == "unknown-screen"
