"""Under real gunicorn with two workers: /metrics sums both workers' requests, and stderr is one
JSON stream with no access log.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import requests

from tests.helpers.gunicorn import gunicorn

METRICS_TOKEN = "scrape-token-0123456789"  # noqa: S105 - a test token
HEALTH = 'eligibility_http_requests_total{method="GET",route="/health",status="200"}'


def health_lines(log: Path) -> list[dict[str, Any]]:
    """The request lines of GET /health in gunicorn's stderr (every line there must be JSON)."""
    lines = [
        orjson.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return [
        line for line in lines if line.get("event") == "request" and line.get("route") == "/health"
    ]


def scrape(url: str) -> float:
    """The /health request count /metrics reports."""
    text = requests.get(
        f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
    ).text
    [sample] = [line for line in text.splitlines() if line.startswith(HEALTH + " ")]
    return float(sample.rsplit(" ", 1)[1])


def test_metrics_sum_the_requests_of_both_workers(tmp_path: Path) -> None:
    """Requests served by two different worker pids are all counted in one scrape, whichever
    worker answers it.
    """
    with gunicorn({"ELIGIBILITY_METRICS_TOKEN": METRICS_TOKEN}, tmp_path, workers=2) as url:
        deadline = time.monotonic() + 60
        with ThreadPoolExecutor(max_workers=8) as pool:
            # New connections in parallel until both workers have answered some (the kernel picks
            # who accepts).
            while (
                len({line["pid"] for line in health_lines(tmp_path / "error.log")}) < 2
                and time.monotonic() < deadline
            ):
                list(
                    pool.map(
                        lambda _: requests.get(
                            f"{url}/health", headers={"Connection": "close"}, timeout=10
                        ),
                        range(16),
                    )
                )
        served = health_lines(tmp_path / "error.log")
        counts = {scrape(url) for _ in range(6)}  # six scrapes, answered by either worker
    assert len({line["pid"] for line in served}) == 2
    assert counts == {float(len(served))}


def test_gunicorn_writes_no_access_log_and_its_own_lines_are_json(tmp_path: Path) -> None:
    """stdout (where an access log would go) stays empty; gunicorn's start-up lines, and its own
    431, are JSON on stderr like the app's.
    """
    with gunicorn({}, tmp_path) as url:
        requests.get(f"{url}/health", timeout=10)
        assert (
            requests.get(f"{url}/health", headers={"X-Big": "a" * 15_000}, timeout=10).status_code
            == 431
        )
        time.sleep(0.3)
    lines = [
        orjson.loads(line)
        for line in (tmp_path / "error.log").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert (tmp_path / "access.log").read_text(encoding="utf-8") == ""
    assert any(
        line.get("logger") == "gunicorn.error" and str(line["event"]).startswith("Booting worker")
        for line in lines
    )
    assert health_lines(tmp_path / "error.log")
    assert [
        (line["status"], line["reason"]) for line in lines if line.get("route") == "<unread>"
    ] == [(431, "request-header-fields-too-large")]
