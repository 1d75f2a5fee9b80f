"""The REST API blueprint: health, trials, and eligibility reports. Routes parse, call and
render.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, jsonify
from flask import request as flask_request
from flask.typing import ResponseReturnValue

from service.api.auth import check_current_request
from service.api.requests import patient_source, trials_for
from service.errors import UnknownTrial
from service.evaluation.evaluate import evaluate_trial, evaluate_trials
from service.observability import note_reports
from service.rulebook.book import Rulebook, Trial
from service.web.gate import EvaluationGate
from service.web.requests import as_of_date, json_body

blueprint = Blueprint("api", __name__)


def _book() -> Rulebook:
    book: Rulebook = current_app.extensions["rulebook"]
    return book


def _gate() -> EvaluationGate:
    gate: EvaluationGate = current_app.extensions["evaluation_gate"]
    return gate


def _trial(trial_id: str) -> Trial:
    trial = _book().trial(trial_id)
    if trial is None:
        raise UnknownTrial(f"no trial {trial_id!r}; known trials: {sorted(_book().trials)}")
    return trial


@blueprint.before_request
def authenticate() -> None:
    """Check the caller of every REST route but /health (liveness must answer without
    credentials).
    """
    if flask_request.endpoint != "api.health":
        check_current_request()


@blueprint.get("/health")
def health() -> ResponseReturnValue:
    """Say the service is up, with the rules version it serves."""
    return jsonify({"status": "ok", "rulesVersion": _book().version, "trials": len(_book().trials)})


@blueprint.get("/trials")
def list_trials() -> ResponseReturnValue:
    """List trials with counts of criteria by kind and by computable / review."""
    return jsonify(
        {"rulesVersion": _book().version, "trials": [t.summary() for t in _book().trials.values()]}
    )


@blueprint.get("/trials/<trial_id>")
def show_trial(trial_id: str) -> ResponseReturnValue:
    """Show one trial's criteria."""
    trial = _trial(trial_id)
    return jsonify(
        {
            **trial.summary(),
            "source": trial.source,
            "criteria": [c.to_json() for c in trial.criteria],
        }
    )


@blueprint.post("/trials/<trial_id>/eligibility")
def trial_eligibility(trial_id: str) -> ResponseReturnValue:
    """Evaluate one patient against one trial."""
    trial = _trial(trial_id)
    with _gate().slot():
        body = json_body(flask_request, bundle_key="bundle")
        as_of = as_of_date(body, date.today())
        record = patient_source(body, current_app.extensions["patients"]).record([trial], as_of)
        report = evaluate_trial(_book(), trial, record, as_of)
        note_reports(
            [report], record.patient_id
        )  # metrics and the request line (service/observability)
        return jsonify(report.to_json())


@blueprint.post("/eligibility")
def eligibility() -> ResponseReturnValue:
    """Evaluate one patient against several trials (all by default), eligible first."""
    with _gate().slot():
        body = json_body(flask_request, bundle_key="bundle")
        trials = trials_for(_book(), body)
        as_of = as_of_date(body, date.today())
        record = patient_source(body, current_app.extensions["patients"]).record(trials, as_of)
        reports = evaluate_trials(_book(), trials, record, as_of)
        note_reports(
            reports, record.patient_id
        )  # metrics and the request line (service/observability)
    return jsonify(
        {
            "patientId": record.patient_id,
            "asOf": as_of.isoformat(),
            "rulesVersion": _book().version,
            "reports": [report.to_json() for report in reports],
        }
    )
