"""POST /population-screens and its status URL: the Bulk Data async pattern (202 +
Content-Location, X-Progress, DELETE cancels).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, send_from_directory, url_for
from flask import request as flask_request
from flask.typing import ResponseReturnValue

from service.api.auth import check_current_request
from service.errors import BadRequest, EligibilityError
from service.population.jobs import Jobs
from service.population.manifest import RUN_ID, new_run_id
from service.population.run import ScreenOptions
from service.settings import Settings
from service.web.requests import as_of_date, json_body

blueprint = Blueprint("population", __name__)


class UnknownScreen(EligibilityError):
    """No screen with that run id."""

    status = 404
    code = "unknown-screen"


def init_app(app: Flask) -> None:
    """Register the blueprint with its settings and job table (the one line service/__init__.py
    calls).
    """
    settings: Settings = app.extensions["settings"]
    app.extensions["population_jobs"] = Jobs(Path(settings.population.screens_dir))
    app.register_blueprint(blueprint)


@blueprint.before_request
def authenticate() -> None:
    """Check the caller exactly as the REST API does (ELIGIBILITY_API_AUTH): screens read every
    patient of a hospital.
    """
    check_current_request()


def _settings() -> Settings:
    settings: Settings = current_app.extensions["settings"]
    return settings


def _jobs() -> Jobs:
    jobs: Jobs = current_app.extensions["population_jobs"]
    return jobs


def _options(body: dict[str, Any], run_dir: Path) -> ScreenOptions:
    """Turn the request body into screen options; BadRequest naming the member at fault."""
    book = current_app.extensions["rulebook"]
    trials = body.get("trials", "all")
    if trials != "all" and not (
        isinstance(trials, list)
        and trials
        and all(isinstance(t, str) and t in book.trials for t in trials)
    ):
        raise BadRequest(
            f"'trials' must be \"all\" or a list of known trial ids: {sorted(book.trials)}"
        )
    if "asOf" not in body:
        raise BadRequest("'asOf' (YYYY-MM-DD) is required")
    as_of: date = as_of_date(body, date.today())
    source = body.get("input")
    if not isinstance(source, dict) or source.get("kind") not in ("ndjson", "fhir"):
        raise BadRequest(
            '\'input\' must be {"kind": "fhir", "group"?: id} or {"kind": "ndjson", "url": path}'
        )
    ndjson = fhir = group = None
    if source["kind"] == "ndjson":
        ndjson = _allowed_ndjson(source.get("url"))
    else:
        fhir = _settings().fhir.base_url
        if not fhir:
            raise BadRequest(
                "no FHIR server is configured (ELIGIBILITY_FHIR_BASE_URL); screen an NDJSON "
                "input instead"
            )
        group = source.get("group")
        if group is not None and not (isinstance(group, str) and RUN_ID.fullmatch(group)):
            raise BadRequest("'input.group' must be a FHIR id")
    previous = body.get("sincePrevious")
    since = None
    if previous is not None:
        if (
            not isinstance(previous, str)
            or not RUN_ID.fullmatch(previous)
            or _jobs().manifest(previous) is None
        ):
            raise BadRequest("'sincePrevious' must be the run id of an earlier screen")
        since = _jobs().root / previous
    return ScreenOptions(
        out=run_dir,
        as_of=as_of,
        trials=None if trials == "all" else list(trials),
        ndjson=ndjson,
        fhir_base_url=fhir,
        group=group,
        scheduler=_settings().population.dask_scheduler,
        workers=_settings().population.workers,
        since_previous=since,
        rules_dir=_settings().rules_dir,
        fhir=_settings().fhir,
    )


def _allowed_ndjson(url: object) -> str:
    """Accept an NDJSON directory only under a configured root: a caller must not make the
    service read arbitrary paths.
    """
    if not isinstance(url, str) or not url:
        raise BadRequest("'input.url' must name an NDJSON directory")
    path = Path(url).resolve()
    for root in _settings().population.ndjson_roots:
        if path.is_relative_to(Path(root).resolve()):
            return str(path)
    raise BadRequest(
        "'input.url' is not under a directory this service may read "
        "(ELIGIBILITY_SCREEN_NDJSON_ROOTS)"
    )


@blueprint.post("/population-screens")
def start_screen() -> ResponseReturnValue:
    """Start a screen; 202 with Content-Location to poll."""
    body = json_body(flask_request)
    run_id = new_run_id()
    run_dir = _jobs().root / run_id
    options = _options(body, run_dir)
    _jobs().start(run_id, options)
    location = url_for("population.screen_status", run_id=run_id, _external=True)
    return jsonify({"runId": run_id, "status": "accepted"}), 202, {"Content-Location": location}


@blueprint.get("/population-screens/<run_id>")
def screen_status(run_id: str) -> ResponseReturnValue:
    """Poll a screen: 202 with X-Progress while it runs, then 200 with the manifest and links to
    the outputs.
    """
    manifest = _manifest(run_id)
    if manifest["status"] == "running" or (manifest["status"] == "accepted"):
        p = manifest["progress"]
        headers = {
            "X-Progress": f"{p['bucketsDone']}/{p['buckets']} buckets, {p['patientsEvaluated']} "
            "patients",
            "Retry-After": str(_settings().population.retry_after),
        }
        return jsonify({"runId": run_id, "status": "running", "progress": p}), 202, headers
    links = {}
    if manifest["status"] == "completed":
        outputs = manifest.get("outputs", {})
        links = {
            "results": _link(run_id, outputs.get("results")),
            "diff": _link(run_id, outputs.get("diff")),
            "trials": {
                t: {k: _link(run_id, v) for k, v in files.items()}
                for t, files in outputs.get("trials", {}).items()
            },
        }
    return jsonify({"manifest": manifest, "links": {k: v for k, v in links.items() if v}}), 200


@blueprint.delete("/population-screens/<run_id>")
def cancel_screen(run_id: str) -> ResponseReturnValue:
    """Cancel a running screen (finished buckets stay); 202, or 404 when there is no such screen."""
    manifest = _manifest(run_id)
    cancelled = _jobs().cancel(run_id)
    return jsonify(
        {"runId": run_id, "status": "cancelling" if cancelled else manifest["status"]}
    ), 202


@blueprint.get("/population-screens/<run_id>/files/<path:name>")
def screen_file(run_id: str, name: str) -> ResponseReturnValue:
    """Serve one output of a finished screen (results.ndjson, trials/<id>/attrition.json,
    worklist.csv, group.json, diff.json).
    """
    manifest = _manifest(run_id)
    allowed = {manifest.get("outputs", {}).get("results"), manifest.get("outputs", {}).get("diff")}
    allowed |= {
        f
        for files in manifest.get("outputs", {}).get("trials", {}).values()
        for f in files.values()
    }
    if name not in allowed - {None}:
        raise UnknownScreen(f"screen {run_id} has no output {name!r}")
    return send_from_directory(_jobs().root / run_id, name)


def _manifest(run_id: str) -> dict[str, Any]:
    if not RUN_ID.fullmatch(run_id):
        raise UnknownScreen("no screen with that run id")
    manifest = _jobs().manifest(run_id)
    if manifest is None:
        if run_id in _jobs()._jobs:  # started, manifest not yet written
            return {
                "status": "running",
                "progress": {"bucketsDone": 0, "buckets": 0, "patientsEvaluated": 0},
            }
        raise UnknownScreen("no screen with that run id")
    return manifest


def _link(run_id: str, name: str | None) -> str | None:
    return (
        url_for("population.screen_file", run_id=run_id, name=name, _external=True)
        if name
        else None
    )
