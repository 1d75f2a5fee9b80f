"""The service under real gunicorn with its config file: health under load, gunicorn's own errors
as problem+json, clean logs.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import requests

from tests.helpers.gunicorn import (
    gunicorn,
    health_latency,
    hung_evaluations,
    hung_fhir_server,
    slow_clients,
)

JWT = (
    "eyJhbGciOiJSUzM4NCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2Voci50ZXN0In0"
    ".c2lnbmF0dXJlLXNlY3JldA"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One gunicorn (one worker) on the bundled fixtures; yield its URL and its log directory."""
    logs = tmp_path_factory.mktemp("gunicorn")
    with gunicorn({}, logs) as url:
        yield url, logs


def test_headers_over_the_limit_are_a_problem_json_431(served: tuple[str, Path]) -> None:
    """A 15 KB header gets gunicorn's 431 as application/problem+json, not an HTML page."""
    url, _ = served
    response = requests.get(
        f"{url}/health", headers={"Authorization": "Bearer " + "a" * 15_000}, timeout=10
    )
    assert response.status_code == 431
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 431
    assert "<html" not in response.text.lower()


def test_a_malformed_request_line_is_a_problem_json_400(served: tuple[str, Path]) -> None:
    """A request line gunicorn cannot parse is a problem+json 400 that does not echo the line
    back.
    """
    url, _ = served
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GARBAGE /x?access_token=" + JWT.encode() + b" HTTP/9.9\r\n\r\n")
        answer = sock.recv(65_536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 400")
    assert "application/problem+json" in answer
    assert JWT not in answer


def test_a_wrong_method_is_a_problem_json_405(served: tuple[str, Path]) -> None:
    """DELETE on a route that has none is a 405 problem+json naming the allowed methods."""
    url, _ = served
    response = requests.delete(f"{url}/health", timeout=10)
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_no_server_banner(served: tuple[str, Path]) -> None:
    """No response carries a Server header."""
    url, _ = served
    assert "Server" not in requests.get(f"{url}/health", timeout=10).headers


def test_a_token_in_the_query_string_is_refused_and_not_logged(served: tuple[str, Path]) -> None:
    """?access_token=<JWT> is a 400; the JSON request line (stderr) has the route template, and
    no log holds the token.
    """
    url, logs = served
    response = requests.post(
        f"{url}/cds-services/trial-eligibility?access_token={JWT}", json={}, timeout=10
    )
    assert response.status_code == 400
    time.sleep(0.5)  # the request line is written as the response goes out
    lines = [
        orjson.loads(line)
        for line in (logs / "error.log").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert {
        "route": "/cds-services/<service_id>",
        "status": 400,
        "reason": "token-in-query",
    }.items() <= lines[-1].items()
    assert JWT not in (logs / "access.log").read_text(encoding="utf-8")
    assert JWT not in (logs / "error.log").read_text(encoding="utf-8")


def test_health_answers_within_a_second_with_slow_clients_and_a_hung_fhir_server(
    tmp_path: Path,
) -> None:
    """With one worker, 6 slow clients and 6 evaluations waiting on a hung FHIR server, GET
    /health still answers in under 1 s.
    """
    with (
        hung_fhir_server() as fhir,
        gunicorn(
            {"ELIGIBILITY_FHIR_BASE_URL": fhir, "ELIGIBILITY_API_AUTH": "none"}, tmp_path
        ) as url,
    ):
        stalled = slow_clients(url, 6)
        hung_evaluations(url, 6)
        time.sleep(1.5)  # every slow client and evaluation is now holding whatever it holds
        latencies = [health_latency(url) for _ in range(5)]
        for sock in stalled:
            sock.close()
    assert max(latencies) < 1.0, latencies


def test_gunicorn_refuses_to_start_with_a_fhir_server_and_no_api_auth_choice(
    tmp_path: Path,
) -> None:
    """ELIGIBILITY_FHIR_BASE_URL set and ELIGIBILITY_API_AUTH unset: gunicorn exits, its log
    naming ELIGIBILITY_API_AUTH.
    """
    with (
        pytest.raises(RuntimeError, match="exited"),
        gunicorn({"ELIGIBILITY_FHIR_BASE_URL": "http://127.0.0.1:9/fhir"}, tmp_path),
    ):
        pass
    assert "ELIGIBILITY_API_AUTH" in (tmp_path / "error.log").read_text(encoding="utf-8")
