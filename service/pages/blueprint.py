"""The pages blueprint: server-rendered HTML under /ui/ for trials, patients' reports, Bundle
uploads and screens.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from service.errors import BadRequest, EligibilityError, InvalidBundle, UnknownTrial
from service.evaluation.evaluate import evaluate_trials
from service.evaluation.report import TrialReport
from service.pages import present, screens
from service.pages.funnel import layout
from service.pages.messages import t, tn
from service.pages.readable import age_range, readable, unit_of
from service.records.bundle import record_from_bundle
from service.records.entries import is_fhir_id
from service.rulebook.book import Rulebook, Trial
from service.settings import Settings
from service.web.requests import as_of_date

blueprint = Blueprint(
    "pages",
    __name__,
    url_prefix="/ui",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
_worklists = screens.WorklistCache()
# The worklist's own query parameters: only these are carried into sort and page links.
QUERY_KEYS = ("trial", "sort", "dir", "q", "verdict", "maxUnknown", "page")
# No script runs on these pages, and nothing loads from another origin.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def _book() -> Rulebook:
    book: Rulebook = current_app.extensions["rulebook"]
    return book


def _trial(trial_id: str) -> Trial:
    trial = _book().trial(trial_id)
    if trial is None:
        raise UnknownTrial(f"no trial {trial_id!r}; known trials: {sorted(_book().trials)}")
    return trial


def _as_of() -> date:
    """Return the asOf query parameter (YYYY-MM-DD), today when absent or empty."""
    value = request.args.get("asOf") or None
    return as_of_date({"asOf": value} if value else {}, date.today())


def _patient_id(patient_id: str) -> str:
    if not is_fhir_id(patient_id):
        raise BadRequest("a patient id is a FHIR id: 1-64 letters, digits, '-' or '.'")
    return patient_id


def _screens_dir() -> Path:
    settings: Settings = current_app.extensions["settings"]
    return Path(settings.population.screens_dir)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "t": t,
        "tn": tn,
        "reason_text": present.reason_text,
        "verdict_icon": present.VERDICT_ICONS,
        "rules_version": _book().version,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Page URLs carry patient ids: never send them to another site as a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    if g.get("patient_data"):
        response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(EligibilityError)
def _error(exc: EligibilityError) -> ResponseReturnValue:
    # Keep the error's headers (WWW-Authenticate on a 401, Retry-After on a 503): the page is only
    # the body.
    return (
        render_template("pages/error.html", status=exc.status, message=exc.message),
        exc.status,
        exc.headers(),
    )


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> ResponseReturnValue:
    return render_template(
        "pages/error.html", status=exc.code or 500, message=exc.description
    ), exc.code or 500


def root_redirect() -> ResponseReturnValue:
    """Send the bare site root to the pages."""
    return redirect(url_for("pages.trials"))


@blueprint.get("/print-footer.css")
def print_footer() -> ResponseReturnValue:
    """Return the print footer (rules version, as-of date, generation time, page n of m) as @page
    margin boxes.
    """
    as_of = request.args.get("asOf") or ""
    at = request.args.get("at") or ""
    parts = [t("footer.rules", version=_book().version)]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of):
        parts.append(t("footer.asof", asOf=as_of))
    if re.fullmatch(r"[0-9: -]{10,20}UTC", at):
        parts.append(t("footer.generated", when=at))
    # Only digits, dates and the catalogue's own text reach the CSS string; quotes and backslashes
    # are escaped all the same.
    text = " · ".join(parts).replace("\\", "\\\\").replace('"', '\\"')
    css = (
        f'@page {{ @bottom-left {{ content: "{text}"; font-size: 8pt; }} '
        f'@bottom-right {{ content: "{t("footer.page")} " counter(page) " / " counter(pages); '
        "font-size: 8pt; } }\n"
    )
    return Response(css, mimetype="text/css")


@blueprint.get("/")
def trials() -> ResponseReturnValue:
    """List the trials served, with phase, ages and counts of computable and review criteria."""
    rows = [
        {
            "trial": trial,
            "counts": trial.counts(),
            "ages": age_range([c.formula.logic for c in trial.criteria if c.formula]),
        }
        for trial in _book().trials.values()
    ]
    example = next(iter(sorted(_fixture_ids())), "")
    return render_template("pages/trials.html", rows=rows, example=example)


def _fixture_ids() -> list[str]:
    index = getattr(current_app.extensions["patients"], "index", None)
    return list(index())[:1] if callable(index) else []


@blueprint.get("/trials/<trial_id>")
def trial(trial_id: str) -> ResponseReturnValue:
    """Show every criterion with its source text, how it is decided, the definitions, windows and
    value sets.
    """
    item = _trial(trial_id)
    book = _book()
    rules = _rules(item)
    names = sorted(book.definitions_for(item))
    definitions = [
        {"name": n, **book.definitions[n], "unitShown": unit_of(book.definitions[n])} for n in names
    ]
    value_sets = sorted({d["valueSet"] for d in definitions if d.get("valueSet")})
    documents = {name: book.value_set_documents.get(name, {}) for name in value_sets}
    return render_template(
        "pages/trial.html",
        trial=item,
        counts=item.counts(),
        rules=rules,
        definitions=definitions,
        value_sets=documents,
        readable_definition={
            n: readable(book.definitions[n]["logic"], book.definitions)
            for n in names
            if "logic" in book.definitions[n]
        },
    )


@blueprint.get("/patients")
def patient_lookup() -> ResponseReturnValue:
    """Open the patient named in the trials page's form."""
    return redirect(
        url_for(
            "pages.patient", patient_id=_patient_id((request.args.get("patientId") or "").strip())
        )
    )


def _reports(patient_id: str, trial_list: list[Trial], as_of: date) -> list[TrialReport]:
    g.patient_data = True
    record = current_app.extensions["patients"].find(patient_id).record(trial_list, as_of)
    return evaluate_trials(_book(), trial_list, record, as_of)


@blueprint.get("/patients/<patient_id>")
def patient(patient_id: str) -> ResponseReturnValue:
    """Show one patient against every trial, ranked, each with a one-line why."""
    g.patient_data = True
    as_of = _as_of()
    reports = _reports(_patient_id(patient_id), list(_book().trials.values()), as_of)
    return render_template(
        "pages/patient.html",
        patient_id=patient_id,
        as_of=as_of.isoformat(),
        reports=reports,
        why=present.why_line,
        print_as_of=as_of.isoformat(),
    )


@blueprint.get("/patients/<patient_id>/trials/<trial_id>")
def report(patient_id: str, trial_id: str) -> ResponseReturnValue:
    """Show the full report of one patient for one trial: banner, To obtain, To confirm, every
    criterion.
    """
    g.patient_data = True
    item = _trial(trial_id)
    as_of = _as_of()
    [result] = _reports(_patient_id(patient_id), [item], as_of)
    return render_template(
        "pages/report.html",
        report=result,
        print_as_of=result.as_of.isoformat(),
        **_report_parts(result, item),
    )


def _rules(item: Trial) -> dict[str, str]:
    """Return a trial's criteria as readable rules, rendered once per rulebook (rules do not
    change while it is loaded).
    """
    cache: dict[tuple[str, str], dict[str, str]] = current_app.extensions.setdefault(
        "pages_rules", {}
    )
    key = (_book().version, item.id)
    if key not in cache:
        cache[key] = {
            c.id: readable(c.formula.logic, _book().definitions) for c in item.criteria if c.formula
        }
    return cache[key]


def _report_parts(result: TrialReport, item: Trial) -> dict[str, Any]:
    rules = _rules(item)
    return {
        "banner": present.banner(result),
        "obtain": present.to_obtain(result),
        "other_unknown": present.unknown_without_test(result),
        "confirm": present.to_confirm(result),
        "rows": present.criterion_rows(result, rules),
        "barriers": present.barriers(result),
    }


@blueprint.route("/evaluate", methods=["GET", "POST"])
def evaluate() -> ResponseReturnValue:
    """Evaluate an uploaded or pasted Bundle against the chosen trials; nothing is stored."""
    g.patient_data = True
    all_trials = list(_book().trials.values())
    if request.method == "GET":
        return render_template(
            "pages/evaluate.html", trials=all_trials, chosen=set(), error=None, text="", as_of=""
        )
    chosen = request.form.getlist("trials")
    text = request.form.get("bundle_text") or ""
    as_of_text = (request.form.get("asOf") or "").strip()
    try:
        wanted = [_trial(tid) for tid in chosen] or all_trials
        as_of = as_of_date({"asOf": as_of_text} if as_of_text else {}, date.today())
        record = record_from_bundle(_uploaded_bundle(text))
    except (BadRequest, InvalidBundle, UnknownTrial) as exc:
        return render_template(
            "pages/evaluate.html",
            trials=all_trials,
            chosen=set(chosen),
            error=exc.message,
            text=text,
            as_of=as_of_text,
        ), exc.status
    reports = evaluate_trials(_book(), wanted, record, as_of)
    parts = {r.trial_id: _report_parts(r, _trial(r.trial_id)) for r in reports}
    return render_template(
        "pages/evaluated.html",
        patient_id=record.patient_id,
        as_of=as_of.isoformat(),
        reports=reports,
        parts=parts,
        why=present.why_line,
        print_as_of=as_of.isoformat(),
    )


def _uploaded_bundle(text: str) -> Any:
    upload = request.files.get("bundle_file")
    raw = upload.read() if upload and upload.filename else b""
    if raw and text.strip():
        raise BadRequest(t("evaluate.both"))
    raw = raw or text.strip().encode()
    if not raw:
        raise BadRequest(t("evaluate.none"))
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(t("evaluate.notjson", error=str(exc))) from exc


@blueprint.get("/screens")
def screen_runs() -> ResponseReturnValue:
    """List the population-screening runs."""
    g.patient_data = True
    root = _screens_dir()
    return render_template("pages/screens.html", runs=screens.list_runs(root), directory=root.name)


@blueprint.get("/screens/<run_id>")
def screen_run(run_id: str) -> ResponseReturnValue:
    """Show a run: its trials, the chosen trial's attrition funnel and its worklist (sorted,
    filtered, paged).
    """
    g.patient_data = True
    path = screens.run_dir(_screens_dir(), run_id)
    data = screens.manifest(path)
    trial_id = screens.trial_of(data, request.args.get("trial"))
    query = screens.parse_query(request.args)
    context: dict[str, Any] = {
        "run": data,
        "run_id": run_id,
        "trial_id": trial_id,
        "query": query,
        "columns": screens.WORKLIST_COLUMNS,
    }
    if trial_id:
        attrition = screens.attrition(path, trial_id)
        context["bars"], context["chart_height"] = layout(attrition) if attrition else (None, 0)
        context["attrition"] = attrition
        rows = _worklists.rows(path, trial_id)
        if rows is not None:
            chosen = screens.select(rows, query)
            page_rows, page, pages = screens.page_of(chosen, query.page)
            context.update(
                total=len(rows), matched=len(chosen), rows=page_rows, page=page, pages=pages
            )
        context["has_worklist"] = rows is not None
    return render_template(
        "pages/run.html", **context, params=_params, print_as_of=data.get("asOf")
    )


def _params(**changes: Any) -> dict[str, Any]:
    """Return the current query parameters with changes (None drops one), for sort and page
    links.
    """
    params = {k: v for k, v in request.args.items() if v != "" and k in QUERY_KEYS}
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return params


@blueprint.get("/screens/<run_id>/trials/<trial_id>/worklist.csv")
def worklist_csv(run_id: str, trial_id: str) -> ResponseReturnValue:
    """Download the worklist rows that match the current filters, in the current order."""
    g.patient_data = True
    path = screens.run_dir(_screens_dir(), run_id)
    chosen_trial = screens.trial_of(screens.manifest(path), trial_id)
    rows = _worklists.rows(path, str(chosen_trial))
    if rows is None:
        raise screens.UnknownRun(t("run.worklist.missing"))
    body = screens.to_csv(screens.select(rows, screens.parse_query(request.args)))
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{run_id}-{chosen_trial}-worklist.csv"'
        },
    )
