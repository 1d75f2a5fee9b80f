"""Shared test helpers."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import orjson
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from service import create_app
from service.rulebook.book import Rulebook, load_rulebook
from service.rulebook.prefetch_plan import (
    PATIENT_TEMPLATE,
    prefetch_plan,
)
from tests.helpers import FIXTURES

SERVICE_URL = "/cds-services/trial-eligibility"


HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"


# S105: the specification's example, for a fake server
ACCESS_TOKEN = "some-opaque-fhir-access-token"  # noqa: S105


# Auckland is UTC+13 in November: at 08:30 there it is still 19 November in UTC, and the fixtures
# are built for the 20th.
FROZEN = datetime(2026, 11, 20, 8, 30, tzinfo=ZoneInfo("Pacific/Auckland"))


def hook_request(
    patient_id: str, prefetch: dict[str, Any] | None = None, **changes: Any
) -> dict[str, Any]:
    """A patient-view request shaped like the specification's example, changed by `changes` (None
    removes a member).
    """
    body: dict[str, Any] = {
        "hookInstance": HOOK_INSTANCE,
        "hook": "patient-view",
        "fhirServer": None,
        "fhirAuthorization": None,
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
        "prefetch": prefetch,
    }
    return {name: value for name, value in (body | changes).items() if value is not None}


def authorization(token: str = ACCESS_TOKEN, **changes: Any) -> dict[str, Any]:
    """The fhirAuthorization member of the specification's example."""
    member = {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Observation.read",
        "subject": "cds-service4",
    }
    return {name: value for name, value in (member | changes).items() if value is not None}


def cds_app(tmp_path: Path, **config: Any) -> Flask:
    """An app with JWT verification off (tested in test_blueprint) and its feedback store under
    tmp_path.
    """
    return create_app(
        {
            "TESTING": True,
            "CDS_JWT_VERIFY": False,
            "CDS_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            **config,
        }
    )


def close(app: Flask) -> None:
    """Close the app's pooled FHIR and state connections (left open, they surface as
    ResourceWarnings).
    """
    session = app.extensions["cds_service"].session
    if session is not None:
        session.close()
    app.extensions["cds_state"].close()


def post(client: FlaskClient, body: object, path: str = SERVICE_URL) -> tuple[int, Any]:
    """POST a hook call on the fixtures' as-of date (local time, not UTC) and return (status,
    JSON).
    """
    with time_machine.travel(FROZEN, tick=False):
        response = client.post(path, json=body)
    return response.status_code, response.get_json()


@dataclass(frozen=True)
class Seen:
    """One request the local server received."""

    method: str
    path: str
    params: list[tuple[str, str]]
    authorization: str | None


Answer = Callable[[str, list[tuple[str, str]]], tuple[int, Any]]


class LocalServer:
    """A real HTTP server on 127.0.0.1 in a thread, answering GETs with `answer(path, params)`
    and keeping every request.
    """

    def __init__(self, answer: Answer) -> None:
        self.seen: list[Seen] = []
        lock = threading.Lock()
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> tuple[str, list[tuple[str, str]]]:
                url = urlsplit(self.path)
                params = parse_qsl(url.query, keep_blank_values=True)
                with lock:
                    seen.append(
                        Seen(self.command, url.path, params, self.headers.get("Authorization"))
                    )
                return url.path, params

            def do_GET(self) -> None:
                status, body = answer(*self._record())
                payload = orjson.dumps(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self._record()
                self.send_error(405)

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Polled every 20 ms, not the default 0.5 s: shutdown() waits one poll, and ~40 tests stop a
        # server.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


TRIAL = "NCT06761417"


CASE = "eligible"


# Token parameters that name what a resource is (the subset allows any token parameter, by
# equality).
CODE_PARAMETERS = ("code", "combo-code", "component-code")


@cache
def rulebook() -> Rulebook:
    """The real rulebook, loaded once for parametrizing by prefetch key."""
    return load_rulebook()


def templates() -> dict[str, str]:
    """The discovery document's prefetch member for every trial of the rulebook."""
    book = rulebook()
    return prefetch_plan(book, book.trials.values()).templates()


def fixture_bundle(trial: str, case: str) -> dict[str, Any]:
    """A fixture patient's collection Bundle."""
    bundle: dict[str, Any] = orjson.loads((FIXTURES / trial / f"{case}.json").read_bytes())
    return bundle


def fixture_patient_id(trial: str, case: str) -> str:
    """The Patient id of a fixture case (its trial, lower-cased, then the case)."""
    return f"{trial.lower()}-{case}"


def searchset(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A complete (unpaged) searchset Bundle holding `resources` as matches."""
    entries = [
        {
            "fullUrl": f"http://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
            "resource": r,
            "search": {"mode": "match"},
        }
        for r in resources
    ]
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}


def tokens_of(concept: object) -> set[str]:
    """The tokens a CodeableConcept matches: ``system|code``, and the bare code (a token without a
    system matches the code in any system).
    """
    codings = concept.get("coding") if isinstance(concept, dict) else None
    found = [c for c in codings or [] if isinstance(c, dict)]
    return {f"{c.get('system', '')}|{c.get('code')}" for c in found} | {
        str(c.get("code")) for c in found
    }


def codes_of(resource: dict[str, Any], parameter: str) -> set[str]:
    """The tokens a code search parameter matches: code, a component's code, or either
    (combo-code).
    """
    own = tokens_of(resource.get("code")) if parameter in ("code", "combo-code") else set()
    components = (
        set().union(*(tokens_of(c.get("code")) for c in resource.get("component") or []))
        if parameter != "code"
        else set()
    )
    return own | components


def categories_of(resource: dict[str, Any]) -> set[str]:
    """The category codes of a resource (token search without a system matches a code in any
    system).
    """
    return {
        c.get("code")
        for concept in resource.get("category") or []
        if isinstance(concept, dict)
        for c in concept.get("coding") or []
        if isinstance(c, dict)
    }


def matching(
    resources: Iterable[dict[str, Any]], resource_type: str, params: list[tuple[str, str]]
) -> list[dict[str, Any]]:
    """The resources a FHIR server would return for a search of one type (code and category
    parameters honoured; others ignored).
    """
    found = [r for r in resources if r["resourceType"] == resource_type]
    for name, value in params:
        if name in CODE_PARAMETERS:
            found = [r for r in found if codes_of(r, name) & set(value.split(","))]
        elif name == "category":
            found = [r for r in found if categories_of(r) & set(value.split(","))]
    return found


def prefetch_for(bundle: dict[str, Any], wanted: dict[str, str]) -> dict[str, Any]:
    """Satisfy each prefetch template from a fixture Bundle as an EHR would: the Patient read,
    and a searchset per search.
    """
    resources = [entry["resource"] for entry in bundle["entry"]]
    prefetch: dict[str, Any] = {}
    for key, template in wanted.items():
        if template == PATIENT_TEMPLATE:
            prefetch[key] = next(r for r in resources if r["resourceType"] == "Patient")
            continue
        resource_type, _, query = template.partition("?")
        prefetch[key] = searchset(matching(resources, resource_type, parse_qsl(query)))
    return prefetch


def full_prefetch(trial: str = TRIAL, case: str = CASE) -> dict[str, Any]:
    """Every prefetch key satisfied from a fixture case."""
    return prefetch_for(fixture_bundle(trial, case), templates())


def another_patients_observation() -> dict[str, Any]:
    """An Observation of someone else, as a careless EHR might put in a searchset."""
    return {
        "resourceType": "Observation",
        "id": "stranger-1",
        "status": "final",
        "subject": {"reference": "Patient/stranger"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "751-8"}]},
        "effectiveDateTime": "2026-11-19",
        "valueQuantity": {
            "value": 0.1,
            "unit": "10*9/L",
            "system": "http://unitsofmeasure.org",
            "code": "10*9/L",
        },
    }


CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"


SUGGESTION = "e56e1945-20b3-4393-8503-a1a20fd73152"


REASON = {
    "system": "https://example.com/cds-hooks/override-reason-system",
    "code": "d7ecf885",
    "display": "Patient declined",
}


# Received at a non-UTC wall-clock time, to show it is stored as the same instant in UTC.
RECEIVED = datetime(2020, 12, 11, 9, 30, tzinfo=timezone(timedelta(hours=9)))


def accepted(**changes: Any) -> dict[str, Any]:
    """The specification's accepted-suggestion example, changed by `changes` (None removes a
    member).
    """
    entry = {
        "card": CARD,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": SUGGESTION}],
        "outcomeTimestamp": "2020-12-11T00:00:00Z",
    }
    return {name: value for name, value in (entry | changes).items() if value is not None}


def overridden(**changes: Any) -> dict[str, Any]:
    """The specification's overridden-with-reason example, changed by `changes` (None removes a
    member).
    """
    entry = {
        "card": CARD,
        "outcome": "overridden",
        "overrideReason": {"reason": REASON, "userComment": "Seen by oncology."},
        "outcomeTimestamp": "2020-12-11T00:00:00Z",
    }
    return {name: value for name, value in (entry | changes).items() if value is not None}


ISSUER = "https://ehr.example.com/"


PUBLIC_URL = "http://localhost:8000"


FEEDBACK_URL = f"{SERVICE_URL}/feedback"


PATIENT_ID = "nct06761417-eligible"


def claims(path: str = SERVICE_URL, **overrides: Any) -> dict[str, Any]:
    """A valid payload for an endpoint (aud = public URL + path), changed by `overrides`."""
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": PUBLIC_URL + path,
        "iat": now,
        "exp": now + 240,
        "jti": str(uuid.uuid4()),
        **overrides,
    }


def no_data_call() -> dict[str, Any]:
    """A patient-view call whose prefetch says the patient has no data: answerable on any date,
    without a FHIR server.
    """
    patient = {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "birthDate": "2010-01-01",
        "gender": "female",
    }
    return hook_request(
        PATIENT_ID, {"patient": patient, **dict.fromkeys(k for k in templates() if k != "patient")}
    )


def headers(token: str | None) -> dict[str, str]:
    """The Authorization header for a token (none for None)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}
