"""The CDS Hooks blueprint: discovery, the patient-view service, and feedback. Routes parse,
check, call and render.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Blueprint, current_app, jsonify
from flask import request as flask_request
from flask.typing import ResponseReturnValue

from service.cds.feedback import parse_feedback
from service.cds.hook import parse_hook_request
from service.cds.service import SERVICE_ID, CdsService
from service.cds.settings import CdsSettings
from service.cds.state import FeedbackLog
from service.errors import UnknownService
from service.observability import count_feedback
from service.web.gate import EvaluationGate
from service.web.requests import json_body

blueprint = Blueprint("cds", __name__)


def _service(service_id: str) -> CdsService:
    if service_id != SERVICE_ID:
        raise UnknownService(f"no CDS service {service_id!r}; this server offers {SERVICE_ID!r}")
    service: CdsService = current_app.extensions["cds_service"]
    return service


def _authenticate(endpoint: str) -> None:
    """Verify the caller's bearer JWT for one endpoint (its URL is the token's required aud)."""
    settings: CdsSettings = current_app.extensions["cds_settings"]
    verifier = settings.verifier(endpoint)
    if verifier is not None:
        verifier.verify(flask_request.headers.get("Authorization"))


@blueprint.get("/cds-services")
def discovery() -> ResponseReturnValue:
    """List the CDS services offered here (one: patient-view trial eligibility)."""
    service: CdsService = current_app.extensions["cds_service"]
    return jsonify({"services": [service.discovery()]})


@blueprint.post("/cds-services/<service_id>")
def call_service(service_id: str) -> ResponseReturnValue:
    """Answer a patient-view hook call with cards."""
    service = _service(service_id)
    _authenticate(f"/cds-services/{service_id}")
    gate: EvaluationGate = current_app.extensions["evaluation_gate"]
    with gate.slot():
        body = json_body(flask_request)
        return jsonify(service.call(parse_hook_request(body), date.today()))


@blueprint.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str) -> ResponseReturnValue:
    """Store what the clinician did with each card (accepted, or overridden with a reason)."""
    _service(service_id)
    _authenticate(f"/cds-services/{service_id}/feedback")
    items = parse_feedback(json_body(flask_request))
    store: FeedbackLog = current_app.extensions["cds_feedback"]
    stored = store.record(service_id, items, datetime.now(UTC))
    count_feedback(item.outcome for item in items)  # Prometheus (service/observability)
    return jsonify({"stored": stored})
