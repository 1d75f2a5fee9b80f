"""One log line and the HTTP metrics per request: method, route template, status, duration,
trials, refusal reason, request id.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import structlog
from flask import Flask, Response, current_app, g, has_request_context, request

from service.cds.issued import patient_hash
from service.evaluation.report import TrialReport
from service.observability.logs import get_logger
from service.observability.metrics import (
    code_label,
    count_cards,
    count_refusal,
    count_reports,
    observe_request,
)
from service.problems import PROBLEM_JSON, TYPE_PREFIX

log = get_logger("service.request")

# A caller's X-Request-ID is kept only when it is a plain token: anything else (spaces, quotes, a
# JWT's dots are fine) is replaced.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
REQUEST_ID_HEADER = "X-Request-ID"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# No route matched (a 404 or 405 from routing): one label value, never the raw path (it can hold
# anything a caller typed).
UNMATCHED = "<unmatched>"
METRICS_ROUTE = "/metrics"


@dataclass
class RequestNotes:
    """What the handlers noted for the request line: the trials reported on, a keyed patient
    hash, the cards sent.
    """

    started: float
    trial_ids: set[str] = field(default_factory=set)
    patient_hash: str | None = None
    cards: int | None = None


def start_request() -> None:
    """Start the clock, take or make the request id, and bind it to every log line written while
    the request runs.
    """
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_id = request_id
    g.observability = RequestNotes(time.perf_counter())
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)


def finish_request(response: Response) -> Response:
    """Echo the request id, count the request, and write its one line (never the path's values,
    the body or a header's secret).
    """
    notes: RequestNotes | None = g.get("observability")
    seconds = time.perf_counter() - notes.started if notes is not None else 0.0
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    method = request.method if request.method in METHODS else "OTHER"
    status = response.status_code
    fields: dict[str, Any] = {
        "method": method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    trial_ids = _trial_ids(notes)
    if trial_ids:
        fields["trial_ids"] = trial_ids
    if notes is not None and notes.patient_hash:
        fields["patient_hash"] = notes.patient_hash
    if notes is not None and notes.cards is not None:
        fields["cards"] = notes.cards
    if status >= 400:
        fields.update(refusal(response))
        if status in (401, 403) and route != METRICS_ROUTE:
            count_refusal(
                "cds" if route.startswith("/cds-services") else "api", fields.get("reason", "other")
            )
    observe_request(method, route, status, seconds)
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    (log.error if status >= 500 else log.info)("request", **fields)
    return response


def end_request(_exc: BaseException | None) -> None:
    """Unbind the request's fields: the thread's next request starts clean."""
    structlog.contextvars.clear_contextvars()


def refusal(response: Response) -> dict[str, str]:
    """The problem type, title and reason of an error answer (its problem+json body); only short
    codes, never its detail text.
    """
    if response.mimetype != PROBLEM_JSON or response.is_streamed:
        return {}
    try:
        body = orjson.loads(response.get_data())
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(body, dict):
        return {}
    fields: dict[str, str] = {}
    if isinstance(body.get("type"), str) and body["type"].startswith(TYPE_PREFIX):
        fields["problem_type"] = body["type"]
    if isinstance(body.get("title"), str):
        fields["title"] = body["title"][:80]
    details = body.get("details")
    # details.reason (a JWT check, a busy store) is a code; the error code is the reason otherwise.
    reason = details.get("reason") if isinstance(details, dict) else None
    fields["reason"] = code_label(reason if reason is not None else body.get("error"))
    return fields


def _trial_ids(notes: RequestNotes | None) -> list[str]:
    """The trials reported on, and the path's trial when the rulebook has it (an unknown id in a
    path is not repeated).
    """
    ids = set(notes.trial_ids) if notes is not None else set()
    named = (request.view_args or {}).get("trial_id")
    book = current_app.extensions.get("rulebook")
    if isinstance(named, str) and book is not None and book.trial(named) is not None:
        ids.add(named)
    return sorted(ids)


def note_reports(reports: Iterable[TrialReport], patient_id: str | None = None) -> None:
    """Count reports by trial and verdict, and note their trials (and the keyed patient hash) for
    the request line.
    """
    reports = list(reports)
    count_reports((r.trial_id, r.verdict.value) for r in reports)
    notes: RequestNotes | None = g.get("observability") if has_request_context() else None
    if notes is None:
        return
    notes.trial_ids.update(r.trial_id for r in reports)
    key = current_app.extensions.get("log_patient_key")
    if patient_id and key:
        notes.patient_hash = patient_hash(key, patient_id)


def note_cards(cards: list[Any]) -> None:
    """Count the CDS cards sent, and note how many for the request line."""
    count_cards(len(cards))
    notes: RequestNotes | None = g.get("observability") if has_request_context() else None
    if notes is not None:
        notes.cards = len(cards)


def register(app: Flask) -> None:
    """Install the hooks; call before any other app's hooks so the clock starts first and the
    line sees the final answer.
    """
    app.before_request(start_request)
    app.after_request(finish_request)
    app.teardown_request(end_request)
