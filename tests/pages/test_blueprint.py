"""Tests for the pages blueprint through Flask's test client: headers, errors, escaping, data
errors and the auth hook.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import orjson
import pytest
from flask import Flask, Response
from flask.testing import FlaskClient
from markupsafe import escape

from service import create_app, pages
from service.errors import PatientNotFound
from service.pages.messages import catalogue, t
from service.records.bundle import record_from_bundle
from service.records.record import PatientRecord
from service.rulebook.book import Trial
from tests.helpers.cds import fixture_bundle
from tests.helpers.pages import RUN_ID, pages_app

TRIAL = "NCT03890068"
PATIENT = "nct03890068-creatinine-high-no-weight"
REPORT = f"/ui/patients/{PATIENT}/trials/{TRIAL}?asOf=2026-11-20"
MARKUP = '<script>alert("x")</script><b>bold</b>'
TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "pages" / "templates" / "pages"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """One app with the hand-made screening run."""
    return pages_app(tmp_path_factory.mktemp("pages"))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


def test_root_redirects_to_the_pages(client: FlaskClient) -> None:
    """The bare site root sends the browser to /ui/."""
    response = client.get("/")
    assert (response.status_code, response.headers["Location"]) == (302, "/ui/")


def test_trial_list_shows_each_trial_with_the_apis_counts(client: FlaskClient) -> None:
    """Every trial of GET /trials is listed with its computable and review counts."""
    page = client.get("/ui/").get_data(as_text=True)
    trials = client.get("/trials").get_json()["trials"]
    rows = {
        m[0]: (int(m[1]), int(m[2]))
        for m in re.findall(
            r'/ui/trials/(NCT\d+)".*?<td class="num">\d+</td>\s*<td class="num">(\d+)</td>\s*'
            r'<td class="num">(\d+)</td>',
            page,
            re.S,
        )
    }
    assert rows == {x["id"]: (x["counts"]["computable"], x["counts"]["review"]) for x in trials}


@pytest.mark.parametrize(
    "path",
    [
        REPORT,  # patient data
        f"/ui/patients/{PATIENT}?asOf=2026-11-20",
        "/ui/evaluate",
        f"/ui/screens/{RUN_ID}",  # a worklist of patients
    ],
)
def test_pages_with_patient_data_are_not_stored(client: FlaskClient, path: str) -> None:
    """Pages that show patient data say Cache-Control: no-store (the service sends it on every
    answer).
    """
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") == "no-store"


def test_pages_allow_no_script_and_send_no_referrer(client: FlaskClient) -> None:
    """The CSP allows no script at all, and the URL (which holds the patient id) is never sent as
    a Referer.
    """
    response = client.get(REPORT)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "<script" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/ui/trials/NCT00000000", 404, "no trial 'NCT00000000'"),
        ("/ui/patients/no-such-patient", 404, "no bundled fixture patient"),
        ("/ui/patients/bad$id", 400, "a patient id is a FHIR id"),
        (f"/ui/patients/{PATIENT}?asOf=2026-13-40", 400, "is not a date"),
        ("/ui/screens/no-such-run", 404, "no screening run"),
        ("/ui/screens/..%2Fetc", 404, ""),  # a slash never reaches the run id (no such route)
        (f"/ui/screens/{RUN_ID}?trial=NCT99999999", 404, "is not part of run"),
        (f"/ui/screens/{RUN_ID}?sort=password", 400, "'sort' must be one of"),
        (f"/ui/screens/{RUN_ID}?page=-1", 400, "'page' must be a whole number"),
    ],
)
def test_bad_requests_get_an_html_page_naming_the_problem(
    client: FlaskClient, path: str, status: int, words: str
) -> None:
    """Each bad parameter gets its 4xx, and the page names the problem in words (never a 500)."""
    response = client.get(path)
    assert response.status_code == status
    assert words in html.unescape(response.get_data(as_text=True))


def test_record_text_is_escaped_on_the_result_page(client: FlaskClient) -> None:
    """Markup in a Bundle's text is shown as text: no tag from the record reaches the page."""
    bundle = fixture_bundle(TRIAL, "creatinine-high-no-weight")
    for entry in bundle["entry"]:
        code = entry["resource"].get("code") or {}
        for coding in code.get("coding", []):
            coding["display"] = MARKUP
        if "text" in code:
            code["text"] = MARKUP  # the evidence shows code.text first
    response = client.post(
        "/ui/evaluate",
        data={
            "bundle_text": orjson.dumps(bundle).decode(),
            "trials": [TRIAL],
            "asOf": "2026-11-20",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in page
    assert "<b>bold</b>" not in page
    assert str(escape(MARKUP)) in page


@pytest.mark.parametrize(
    ("form", "status", "words"),
    [
        ({}, 400, t("evaluate.none")),
        ({"bundle_text": "{not json"}, 400, "The Bundle is not valid JSON"),
        ({"bundle_text": '{"resourceType": "Patient"}'}, 422, "is not a FHIR Bundle"),
        (
            {
                "bundle_text": '{"resourceType": "Bundle", "type": "collection", "entry": []}',
                "trials": ["NCT00000000"],
            },
            404,
            "no trial",
        ),
    ],
)
def test_evaluate_form_explains_what_is_wrong(
    client: FlaskClient, form: dict[str, object], status: int, words: str
) -> None:
    """A missing, malformed or unusable Bundle is refused on the form itself, with the reason."""
    response = client.post("/ui/evaluate", data=form)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == status
    assert words in page
    assert 'id="bundle_text"' in page


class FailingSource:
    """A patient directory whose Observation search failed, as the FHIR fetch reports it."""

    def find(self, patient_id: str) -> FailingSource:
        """Return this source for the one fixture patient; PatientNotFound for anyone else."""
        if patient_id != PATIENT:
            raise PatientNotFound(patient_id)
        return self

    def record(self, trials: Sequence[Trial], as_of: date) -> PatientRecord:
        """Return the fixture record with every Observation dropped and the search marked failed."""
        full = record_from_bundle(fixture_bundle(TRIAL, "creatinine-high-no-weight"))
        resources = {k: v for k, v in full.resources.items() if k != "Observation"}
        return PatientRecord(
            full.patient,
            resources,
            {"Observation": "the FHIR server answered 503 after 3 tries"},
            full.index,
        )


def test_data_errors_come_first_in_words(app: Flask) -> None:
    """Data that did not arrive is named at the top of the report, before the banner."""
    app.extensions["patients"], saved = FailingSource(), app.extensions["patients"]
    try:
        page = app.test_client().get(REPORT).get_data(as_text=True)
    finally:
        app.extensions["patients"] = saved
    errors = page.find(t("report.dataerrors.title"))
    assert 0 < errors < page.find('class="banner')
    assert "Observation: the FHIR server answered 503 after 3 tries" in page


def test_before_request_hook_guards_only_the_pages(tmp_path: Path) -> None:
    """A hook passed to pages.register runs before every page (here refusing), and not before the
    API.
    """
    from flask import Blueprint

    app = create_app({"TESTING": True, "CDS_FEEDBACK_DB": str(tmp_path / "c.sqlite3")})
    other = Flask("guarded")
    other.config.update(app.config)
    other.extensions.update(app.extensions)
    other.register_blueprint(Blueprint("api_stub", __name__))
    pages.register(other, before_request=lambda: Response("sign in first", status=401))
    guarded = other.test_client()
    assert (guarded.get("/ui/").status_code, guarded.get("/ui/static/pages.css").status_code) == (
        401,
        401,
    )
    assert app.test_client().get("/ui/").status_code == 200  # the embedded demo stays open


def test_worklist_sorts_filters_and_pages(client: FlaskClient) -> None:
    """Sorting by a column, filtering by text and paging are query parameters the server applies."""
    page = client.get(f"/ui/screens/{RUN_ID}?sort=patientId&dir=desc&q=nct03890068").get_data(
        as_text=True
    )
    ids = re.findall(r'<th scope="row"><a href="/ui/patients/([^/]+)/trials', page)
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == 3
    assert 'aria-sort="descending"' in page


def test_worklist_escapes_record_text(client: FlaskClient) -> None:
    """An MRN holding markup is shown as text in the worklist."""
    page = client.get(f"/ui/screens/{RUN_ID}").get_data(as_text=True)
    assert "&lt;b&gt;MRN-0003&lt;/b&gt;" in page
    assert "<b>MRN-0003</b>" not in page


def test_csv_download_holds_the_filtered_rows(client: FlaskClient) -> None:
    """The CSV has the contract's header and only the rows that pass the filters; formula-like
    cells are quoted as text.
    """
    response = client.get(f"/ui/screens/{RUN_ID}/trials/{TRIAL}/worklist.csv?q=ast")
    lines = response.get_data(as_text=True).splitlines()
    assert (
        lines[0] == "rank,patientId,mrn,verdict,unknownCount,reviewCount,toObtain,reviewReasons,"
        "newestEvidence"
    )
    assert len(lines) == 2
    assert lines[1].split(",")[1] == "nct03890068-ast-missing"
    assert "'=HYPERLINK" in lines[1]
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="{RUN_ID}-{TRIAL}-worklist.csv"'
    )


def test_print_footer_carries_rules_and_as_of_but_no_injected_text(client: FlaskClient) -> None:
    """The print footer CSS names the rules version and as-of date, and drops a parameter that is
    not a date.
    """
    css = client.get("/ui/print-footer.css?asOf=2026-11-20").get_data(as_text=True)
    bad = client.get('/ui/print-footer.css?asOf=2026-11-20"}body{display:none').get_data(
        as_text=True
    )
    assert "as of 2026-11-20" in css
    assert "display:none" not in bad
    assert "counter(pages)" in css


def test_every_message_key_the_templates_use_exists() -> None:
    """Each literal t("…")/tn("…") key in the templates is in the messages file."""
    keys = {
        m
        for path in TEMPLATES.glob("*.html")
        for m in re.findall(r'\bt\("([a-z][\w.-]*\w)"', path.read_text(encoding="utf-8"))
    }
    assert len(keys) > 50
    assert sorted(keys - catalogue().keys()) == []


@pytest.mark.parametrize("prefix", ["status.", "verdict.", "effect.", "trial.kind."])
def test_dynamic_message_keys_cover_every_value(prefix: str) -> None:
    """The keys built from a status, verdict, effect or kind exist for every value those can
    take.
    """
    values = {
        "status.": ["met", "not-met", "unknown", "review"],
        "verdict.": ["eligible", "insufficient-data", "ineligible"],
        "effect.": ["passes", "excludes", "undecided", "review"],
        "trial.kind.": ["inclusion", "exclusion"],
    }[prefix]
    assert [v for v in values if prefix + v not in catalogue()] == []
