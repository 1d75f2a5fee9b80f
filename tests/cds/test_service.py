"""Tests for service.cds.service: the discovery entry, and patient-view calls answered from
prefetch or an allowlisted fhirServer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from service.cds.cards import cards_for
from service.cds.hook import parse_hook_request
from service.cds.service import CdsService
from service.config import DEFAULTS
from service.evaluation.evaluate import evaluate_trials
from service.evaluation.report import Status
from service.facts import FactSet
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from service.rulebook.prefetch_plan import prefetch_plan
from service.rulebook.search_plan import plan_searches
from tests.helpers import FIXTURES
from tests.helpers.cds import (
    ACCESS_TOKEN,
    HOOK_INSTANCE,
    Answer,
    LocalServer,
    another_patients_observation,
    authorization,
    cds_app,
    close,
    fixture_bundle,
    fixture_patient_id,
    hook_request,
    matching,
    post,
    prefetch_for,
    rulebook,
    searchset,
)
from tests.helpers.faultmatrix import synthea_patient
from tests.needs import need, synthea_dir


@pytest.fixture(scope="module")
def plain_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for calls that need no particular settings: JWT off, no fhirServer allowed."""
    app = cds_app(tmp_path_factory.mktemp("cds"))
    yield app
    close(app)


@pytest.fixture
def client(plain_app: Flask) -> FlaskClient:
    """A test client of the plain app."""
    return plain_app.test_client()


AS_OF = date(2026, 11, 20)
MI_TRIAL, MI_CASE = "NCT06761417", "myocardial-infarction"  # ineligible through a Condition alone


@pytest.fixture(scope="module")
def templates(plain_app: Flask) -> dict[str, str]:
    """The prefetch templates the discovery document publishes."""
    prefetch: dict[str, str] = (
        plain_app.test_client().get("/cds-services").get_json()["services"][0]["prefetch"]
    )
    return prefetch


def expected_cards(
    book: Rulebook, bundle: dict[str, Any], *, show_ineligible: bool = False, gate: bool = True
) -> list[dict[str, Any]]:
    """The cards built directly from a Bundle, without the hook machinery; with `gate`, none for
    a trial whose target disease is not on record.
    """
    trials = list(book.trials.values())
    record = record_from_bundle(bundle)
    facts = FactSet(record, AS_OF, book)
    shown = [
        t
        for t in trials
        if not gate
        or not t.target_disease
        or any(facts.get(name).value is not False for name in t.target_disease)
    ]
    reports = evaluate_trials(book, shown, record, AS_OF)
    return cards_for(
        reports,
        HOOK_INSTANCE,
        {t.id: t.url for t in trials},
        show_ineligible=show_ineligible,
        report_base=DEFAULTS["CDS_PUBLIC_URL"],
    )


def without_type(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    """The Bundle less every resource of one type."""
    return {
        **bundle,
        "entry": [e for e in bundle["entry"] if e["resource"]["resourceType"] != resource_type],
    }


def sample_cases() -> list[Any]:
    """For every trial, its first fixture case of each verdict."""
    picked = []
    for manifest_path in sorted(FIXTURES.glob("*/manifest.json")):
        manifest = orjson.loads(manifest_path.read_bytes())
        firsts: dict[str, str] = {}
        for name, item in manifest["patients"].items():
            firsts.setdefault(item["expect"]["verdict"], name)
        picked += [
            pytest.param(manifest["trial"], name, verdict, id=f"{manifest['trial']}-{name}")
            for verdict, name in sorted(firsts.items())
        ]
    return picked


# --- A local HTTP server: the fake FHIR server here, the CDS Client's JWKS in test_blueprint ------


def not_found(what: str) -> dict[str, Any]:
    """An OperationOutcome for a 404."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": what}],
    }


def fhir_answer(bundle: dict[str, Any], extra: list[dict[str, Any]] | None = None) -> Answer:
    """A fake FHIR server's answers for one fixture patient under /fhir: the Patient read and
    searchsets by type and code.

    `extra` resources are added to every search of their type, whoever they belong to (a lenient
    server).
    """
    resources = [entry["resource"] for entry in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")

    def answer(path: str, params: list[tuple[str, str]]) -> tuple[int, Any]:
        if not path.startswith("/fhir/"):
            return 404, not_found(path)
        rest = path.removeprefix("/fhir/")
        if "/" in rest:
            found = [
                r for r in resources + (extra or []) if f"{r['resourceType']}/{r['id']}" == rest
            ]
            return (200, found[0]) if found else (404, not_found(rest))
        if dict(params).get("patient") not in (f"Patient/{patient['id']}", patient["id"]):
            return 200, searchset([])
        return 200, searchset(matching(resources + (extra or []), rest, params))

    return answer


@pytest.fixture
def fhir_server() -> Iterator[LocalServer]:
    """A fake FHIR server for the myocardial-infarction fixture patient."""
    with LocalServer(fhir_answer(fixture_bundle(MI_TRIAL, MI_CASE))) as server:
        yield server


# --- Discovery ------------------------------------------------------------------------------------


def test_discovery_lists_one_patient_view_service(client: FlaskClient) -> None:
    """Discovery offers one service: the patient-view hook, id trial-eligibility, with a title
    and a description.
    """
    services = client.get("/cds-services").get_json()["services"]
    assert [(s["hook"], s["id"]) for s in services] == [("patient-view", "trial-eligibility")]
    assert services[0]["title"].strip()
    assert services[0]["description"].strip()


def test_discovery_prefetch_matches_the_rulebooks_searches(
    templates: dict[str, str], book: Rulebook
) -> None:
    """The prefetch holds the Patient read and exactly one template per search the rulebook's
    trials need.
    """
    searches = plan_searches(book, list(book.trials.values()))
    assert templates["patient"] == "Patient/{{context.patientId}}"
    assert templates == prefetch_plan(book, book.trials.values()).templates()
    assert len(templates) == len(searches) + 1


# --- Calls answered from prefetch -----------------------------------------------------------------


@pytest.mark.parametrize(("trial", "case", "verdict"), sample_cases())
def test_full_prefetch_gives_the_cards_of_the_bundle(
    client: FlaskClient,
    templates: dict[str, str],
    book: Rulebook,
    trial: str,
    case: str,
    verdict: str,
) -> None:
    """With every key prefetched, the cards are those of evaluating the fixture Bundle directly,
    and the trial's own verdict shows.
    """
    bundle = fixture_bundle(trial, case)
    status, body = post(
        client, hook_request(fixture_patient_id(trial, case), prefetch_for(bundle, templates))
    )
    assert status == 200
    assert body["cards"] == expected_cards(book, bundle)
    assert any(trial in card["summary"] for card in body["cards"]) == (verdict != "ineligible")


def test_null_key_is_no_data(
    client: FlaskClient, templates: dict[str, str], book: Rulebook
) -> None:
    """A key sent as null, with no fhirServer, is taken as "no such data": the call succeeds as
    if the patient had none.
    """
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    prefetch = {**prefetch_for(bundle, templates), "conditions": None}
    status, body = post(client, hook_request(fixture_patient_id(MI_TRIAL, MI_CASE), prefetch))
    assert status == 200
    assert body["cards"] == expected_cards(book, without_type(bundle, "Condition"))


@pytest.mark.parametrize(
    "left_out",
    [
        # One search the EHR did not satisfy.
        pytest.param(["conditions"], id="one-search"),
        # The Patient read.
        pytest.param(["patient"], id="patient"),
        # Several keys: each is named.
        pytest.param(["observations-2", "procedures"], id="several"),
    ],
)
def test_missing_key_without_fhir_server_is_412(
    client: FlaskClient, templates: dict[str, str], left_out: list[str]
) -> None:
    """A key left out, with no fhirServer to fetch it from, is 412 prefetch-unavailable naming
    the missing keys (and no other).
    """
    prefetch = {
        k: v
        for k, v in prefetch_for(fixture_bundle(MI_TRIAL, MI_CASE), templates).items()
        if k not in left_out
    }
    status, body = post(client, hook_request(fixture_patient_id(MI_TRIAL, MI_CASE), prefetch))
    named = re.search(r"prefetch keys missing: ([^;]*);", body["message"])
    assert (status, body["error"]) == (412, "prefetch-unavailable")
    assert named is not None
    assert sorted(named.group(1).split(", ")) == sorted(left_out)


def test_other_patients_prefetched_resources_are_ignored(
    client: FlaskClient, templates: dict[str, str], book: Rulebook
) -> None:
    """A stranger's very low ANC in the prefetch does not make an eligible patient ineligible."""
    bundle = fixture_bundle(MI_TRIAL, "eligible")
    prefetch = prefetch_for(bundle, templates)
    for key in (k for k in prefetch if k.startswith("observations")):
        prefetch[key]["entry"].append({"resource": another_patients_observation()})
    status, body = post(client, hook_request(fixture_patient_id(MI_TRIAL, "eligible"), prefetch))
    assert status == 200
    assert body["cards"] == expected_cards(book, bundle)
    assert any(MI_TRIAL in card["summary"] for card in body["cards"])


def test_show_ineligible_cards_every_trial(tmp_path: Path, book: Rulebook) -> None:
    """With CDS_SHOW_INELIGIBLE (given as text, as from the environment), ineligible trials get a
    card too.
    """
    app = cds_app(tmp_path, CDS_SHOW_INELIGIBLE="true", CDS_REQUIRE_TARGET_DISEASE="false")
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    templates = app.test_client().get("/cds-services").get_json()["services"][0]["prefetch"]
    status, body = post(
        app.test_client(),
        hook_request(fixture_patient_id(MI_TRIAL, MI_CASE), prefetch_for(bundle, templates)),
    )
    close(app)
    assert status == 200
    assert body["cards"] == expected_cards(book, bundle, show_ineligible=True, gate=False)
    assert len(body["cards"]) == len(book.trials)


# --- Request checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        # Another hook than the one this service is registered for.
        pytest.param({"hook": "order-select"}, "'patient-view' hook", id="wrong-hook"),
        # No hook at all.
        pytest.param({"hook": None}, "'patient-view' hook", id="no-hook"),
        # No hookInstance (REQUIRED).
        pytest.param({"hookInstance": None}, "hookInstance", id="no-hook-instance"),
        # No context (REQUIRED).
        pytest.param({"context": None}, "'context'", id="no-context"),
        # A context without patientId.
        pytest.param(
            {"context": {"userId": "Practitioner/example"}}, "context.patientId", id="no-patient-id"
        ),
        # A patientId that is not a FHIR id (it would be pasted into FHIR URLs).
        pytest.param(
            {"context": {"userId": "Practitioner/example", "patientId": "../Patient/x"}},
            "context.patientId",
            id="patient-id-not-fhir-id",
        ),
        # A patientId that is a number, not a string.
        pytest.param(
            {"context": {"userId": "Practitioner/example", "patientId": 123}},
            "context.patientId",
            id="patient-id-number",
        ),
    ],
)
def test_malformed_request_is_400(
    client: FlaskClient, changes: dict[str, Any], message: str
) -> None:
    """A request that is not a well-formed patient-view call is a 400 naming what is wrong."""
    status, body = post(client, hook_request("nct06761417-eligible", {"patient": None}, **changes))
    assert (status, body["error"]) == (400, "bad-request")
    assert message in body["message"]


@pytest.mark.parametrize(
    "change",
    [
        # The Patient of someone other than context.patientId.
        pytest.param(
            lambda p: {**p, "patient": {**p["patient"], "id": "someone-else"}},
            id="patient-of-another-id",
        ),
        # A next link without a url (a paged key with a usable next link is followed or partial: see
        # below).
        pytest.param(
            lambda p: {**p, "conditions": {**p["conditions"], "link": [{"relation": "next"}]}},
            id="next-link-without-url",
        ),
        # A string where a Bundle belongs.
        pytest.param(lambda p: {**p, "conditions": "Condition?patient=x"}, id="string"),
        # prefetch itself not an object.
        pytest.param(lambda p: [p], id="prefetch-list"),
    ],
)
def test_malformed_prefetch_is_400(
    client: FlaskClient, templates: dict[str, str], change: Callable[[dict[str, Any]], Any]
) -> None:
    """A prefetch that does not answer the templates is a 400, not cards built from it."""
    prefetch = change(prefetch_for(fixture_bundle(MI_TRIAL, MI_CASE), templates))
    status, body = post(client, hook_request(fixture_patient_id(MI_TRIAL, MI_CASE), prefetch))
    assert (status, body["error"]) == (400, "bad-request")


# --- Calls that fetch from the EHR's fhirServer ---------------------------------------------------


@pytest.mark.parametrize(
    ("allowlist", "server"),
    [
        # Nothing is allowlisted (the default).
        pytest.param([], "{url}/fhir", id="empty-allowlist"),
        # Another base on the same host: a sibling path sharing the prefix is not under it.
        pytest.param(["{url}/fhir"], "{url}/fhir-evil", id="path-prefix"),
        # The parent of the allowlisted base.
        pytest.param(["{url}/fhir"], "{url}/", id="parent-path"),
        # The same path climbed out of with a dot segment.
        pytest.param(["{url}/fhir"], "{url}/fhir/../other", id="dot-segment"),
        # The same machine under another host name.
        pytest.param(["{url}/fhir"], "http://localhost:{port}/fhir", id="other-host-name"),
        # Userinfo in front of the allowlisted host: the request would still go to the server after
        # '@'.
        pytest.param(
            ["http://127.0.0.1:1/fhir"], "http://127.0.0.1:1@127.0.0.1:{port}/fhir", id="userinfo"
        ),
        # Another scheme.
        pytest.param(["https://127.0.0.1:{port}/fhir"], "{url}/fhir", id="other-scheme"),
        # The allowlisted base with a query: joining "Patient/x" onto it would climb to the parent
        # path.
        pytest.param(["{url}/fhir/r4"], "{url}/fhir/r4?x=1", id="query"),
        # The allowlisted base with a fragment: the same.
        pytest.param(["{url}/fhir/r4"], "{url}/fhir/r4#x", id="fragment"),
        # A bare '?' (an empty query).
        pytest.param(["{url}/fhir/r4"], "{url}/fhir/r4?", id="empty-query"),
    ],
)
def test_fhir_server_off_the_allowlist_is_never_contacted(
    tmp_path: Path,
    fhir_server: LocalServer,
    templates: dict[str, str],
    allowlist: list[str],
    server: str,
) -> None:
    """A fhirServer not under an allowlisted base gets no request (not even with the token): the
    call is 412.
    """
    port = fhir_server.url.rsplit(":", 1)[1]
    app = cds_app(
        tmp_path, CDS_FHIR_ALLOWLIST=[a.format(url=fhir_server.url, port=port) for a in allowlist]
    )
    prefetch = {
        k: v
        for k, v in prefetch_for(fixture_bundle(MI_TRIAL, MI_CASE), templates).items()
        if k != "conditions"
    }
    body = hook_request(
        fixture_patient_id(MI_TRIAL, MI_CASE),
        prefetch,
        fhirServer=server.format(url=fhir_server.url, port=port),
        fhirAuthorization=authorization(),
    )
    status, answer = post(app.test_client(), body)
    close(app)
    assert (status, answer["error"]) == (412, "prefetch-unavailable")
    assert fhir_server.seen == []


def test_missing_keys_are_fetched_from_an_allowlisted_fhir_server(
    tmp_path: Path, fhir_server: LocalServer, templates: dict[str, str], book: Rulebook
) -> None:
    """Keys the EHR left out are searched on its fhirServer with its bearer token and
    patient=Patient/<id>; the cards use what came back.
    """
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=f"{fhir_server.url}/fhir")
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    patient_id = fixture_patient_id(MI_TRIAL, MI_CASE)
    prefetch = {
        k: v
        for k, v in prefetch_for(bundle, templates).items()
        if k == "patient" or k.startswith("observations")
    }
    status, body = post(
        app.test_client(),
        hook_request(
            patient_id,
            prefetch,
            fhirServer=f"{fhir_server.url}/fhir",
            fhirAuthorization=authorization(),
        ),
    )
    close(app)
    searched = {
        s.path.removeprefix("/fhir/") for s in fhir_server.seen if "patient" in dict(s.params)
    }
    assert status == 200
    assert body["cards"] == expected_cards(book, bundle)
    assert all(
        MI_TRIAL not in card["summary"] for card in body["cards"]
    )  # the fetched Condition excludes the patient
    assert {s.authorization for s in fhir_server.seen} == {f"Bearer {ACCESS_TOKEN}"}
    assert {dict(s.params)["patient"] for s in fhir_server.seen if "patient" in dict(s.params)} == {
        f"Patient/{patient_id}"
    }
    assert searched == {
        t.partition("?")[0]
        for k, t in templates.items()
        if k != "patient" and not k.startswith("observations")
    }


def test_no_prefetch_fetches_everything(
    tmp_path: Path, fhir_server: LocalServer, book: Rulebook
) -> None:
    """Without any prefetch, the Patient and every search come from the allowlisted fhirServer."""
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=[f"{fhir_server.url}/fhir"])
    body = hook_request(
        fixture_patient_id(MI_TRIAL, MI_CASE),
        fhirServer=f"{fhir_server.url}/fhir/",
        fhirAuthorization=authorization(),
    )
    status, answer = post(app.test_client(), body)
    close(app)
    assert status == 200
    assert answer["cards"] == expected_cards(book, fixture_bundle(MI_TRIAL, MI_CASE))
    assert f"/fhir/Patient/{fixture_patient_id(MI_TRIAL, MI_CASE)}" in {
        s.path for s in fhir_server.seen
    }


def test_fetched_resources_of_another_patient_are_ignored(tmp_path: Path, book: Rulebook) -> None:
    """A lenient server's Observations of someone else do not count for the patient."""
    bundle = fixture_bundle(MI_TRIAL, "eligible")
    with LocalServer(fhir_answer(bundle, extra=[another_patients_observation()])) as server:
        app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=[f"{server.url}/fhir"])
        body = hook_request(
            fixture_patient_id(MI_TRIAL, "eligible"),
            fhirServer=f"{server.url}/fhir",
            fhirAuthorization=authorization(),
        )
        status, answer = post(app.test_client(), body)
        close(app)
    assert status == 200
    assert answer["cards"] == expected_cards(book, bundle)


@pytest.mark.parametrize(
    "fhir_authorization",
    [
        # A token type other than Bearer.
        pytest.param(authorization(token_type="MAC"), id="not-bearer"),  # noqa: S106 - a test value
        # No access_token.
        pytest.param(authorization(token=None), id="no-access-token"),
        # A token with a line break (it would split the Authorization header).
        # S106: a test value
        pytest.param(authorization(token="abc\r\nX-Injected: 1"), id="header-injection"),  # noqa: S106
        # Not an object.
        pytest.param("Bearer abc", id="not-object"),
    ],
)
def test_unusable_fhir_authorization_is_400(
    tmp_path: Path, fhir_server: LocalServer, fhir_authorization: Any
) -> None:
    """A fhirAuthorization the service cannot use as a bearer token is a 400, and nothing is sent
    to the server.
    """
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=[f"{fhir_server.url}/fhir"])
    body = hook_request(
        fixture_patient_id(MI_TRIAL, MI_CASE),
        fhirServer=f"{fhir_server.url}/fhir",
        fhirAuthorization=fhir_authorization,
    )
    status, answer = post(app.test_client(), body)
    close(app)
    assert (status, answer["error"]) == (400, "bad-request")
    assert fhir_server.seen == []


# --- Medications that prefetched orders point at --------------------------------------------------

MITOXANTRONE_TRIAL, MITOXANTRONE_CASE = (
    "NCT02021825",
    "prior-mitoxantrone",
)  # ineligible through one mitoxantrone administration


def mitoxantrone_by_reference() -> tuple[dict[str, Any], dict[str, Any]]:
    """The prior-mitoxantrone patient with the drug as a Medication the administration references
    (as many EHRs send it), and that Medication.
    """
    bundle = fixture_bundle(MITOXANTRONE_TRIAL, MITOXANTRONE_CASE)
    medication: dict[str, Any] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if (
            resource["resourceType"] == "MedicationAdministration"
            and resource["medicationCodeableConcept"]["text"] == "mitoxantrone"
        ):
            medication = {
                "resourceType": "Medication",
                "id": "mitoxantrone-1",
                "code": resource.pop("medicationCodeableConcept"),
            }
            resource["medicationReference"] = {"reference": "Medication/mitoxantrone-1"}
    assert medication
    return bundle, medication


def test_unresolvable_medication_reference_leaves_medication_criteria_unknown(
    client: FlaskClient, templates: dict[str, str]
) -> None:
    """A prefetched administration whose Medication was not sent, with no fhirServer to read it
    from, does not count as "no such drug".
    """
    bundle, _medication = mitoxantrone_by_reference()
    status, body = post(
        client,
        hook_request(
            fixture_patient_id(MITOXANTRONE_TRIAL, MITOXANTRONE_CASE),
            prefetch_for(bundle, templates),
        ),
    )
    summaries = [card["summary"] for card in body["cards"]]
    assert status == 200
    assert not any(
        s.startswith(f"Meets the computable criteria of {MITOXANTRONE_TRIAL}") for s in summaries
    )
    assert any(s.startswith(f"May be eligible for {MITOXANTRONE_TRIAL}") for s in summaries)


def test_referenced_medication_is_read_from_an_allowlisted_fhir_server(
    tmp_path: Path, templates: dict[str, str], book: Rulebook
) -> None:
    """With every key prefetched, a Medication an administration references is read from the
    allowlisted fhirServer, with the token.
    """
    bundle, medication = mitoxantrone_by_reference()
    with LocalServer(fhir_answer(bundle, extra=[medication])) as server:
        app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=[f"{server.url}/fhir"])
        body = hook_request(
            fixture_patient_id(MITOXANTRONE_TRIAL, MITOXANTRONE_CASE),
            prefetch_for(bundle, templates),
            fhirServer=f"{server.url}/fhir",
            fhirAuthorization=authorization(),
        )
        status, answer = post(app.test_client(), body)
        close(app)
    assert status == 200
    assert answer["cards"] == expected_cards(
        book, {**bundle, "entry": [*bundle["entry"], {"resource": medication}]}
    )
    assert all(MITOXANTRONE_TRIAL not in card["summary"] for card in answer["cards"])
    assert [(s.path, s.authorization) for s in server.seen] == [
        ("/fhir/Medication/mitoxantrone-1", f"Bearer {ACCESS_TOKEN}")
    ]


def test_missing_medication_on_the_fhir_server_leaves_medication_criteria_unknown(
    tmp_path: Path, templates: dict[str, str]
) -> None:
    """A referenced Medication the fhirServer does not have (404) leaves the drug unknown, and
    the card says what was not received.
    """
    bundle, _medication = mitoxantrone_by_reference()
    with LocalServer(fhir_answer(bundle)) as server:
        app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=[f"{server.url}/fhir"])
        body = hook_request(
            fixture_patient_id(MITOXANTRONE_TRIAL, MITOXANTRONE_CASE),
            prefetch_for(bundle, templates),
            fhirServer=f"{server.url}/fhir",
            fhirAuthorization=authorization(),
        )
        status, answer = post(app.test_client(), body)
        close(app)
    (card,) = [c for c in answer["cards"] if MITOXANTRONE_TRIAL in c["summary"]]
    assert status == 200
    assert card["summary"].startswith(f"May be eligible for {MITOXANTRONE_TRIAL}")
    assert "**Data not received:** a referenced Medication could not be read" in card["detail"]


def test_failed_search_is_shown_as_data_not_received(
    tmp_path: Path, templates: dict[str, str]
) -> None:
    """A search the fhirServer refuses leaves its criteria unknown (not "no such condition"), and
    the card says so.
    """
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    answer_bundle = fhir_answer(bundle)

    def refuse_conditions(path: str, params: list[tuple[str, str]]) -> tuple[int, Any]:
        return (
            (400, not_found("Condition search not supported"))
            if path == "/fhir/Condition"
            else answer_bundle(path, params)
        )

    with LocalServer(refuse_conditions) as server:
        app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=[f"{server.url}/fhir"])
        prefetch = {k: v for k, v in prefetch_for(bundle, templates).items() if k != "conditions"}
        body = hook_request(
            fixture_patient_id(MI_TRIAL, MI_CASE),
            prefetch,
            fhirServer=f"{server.url}/fhir",
            fhirAuthorization=authorization(),
        )
        status, answer = post(app.test_client(), body)
        close(app)
    (card,) = [c for c in answer["cards"] if MI_TRIAL in c["summary"]]
    assert status == 200
    assert card["summary"].startswith(f"May be eligible for {MI_TRIAL}")
    assert "**Data not received:** Condition search" in card["detail"]


@pytest.mark.parametrize(
    ("server", "allowed"),
    [
        # The base itself.
        pytest.param("https://ehr.example.org/fhir/r4", True, id="exact"),
        # With a trailing slash.
        pytest.param("https://ehr.example.org/fhir/r4/", True, id="trailing-slash"),
        # Host names are case-insensitive.
        pytest.param("https://EHR.example.org/fhir/r4", True, id="host-case"),
        # A path below the base.
        pytest.param("https://ehr.example.org/fhir/r4/tenant-1", True, id="below"),
        # The parent path.
        pytest.param("https://ehr.example.org/fhir", False, id="parent"),
        # A sibling sharing the prefix.
        pytest.param("https://ehr.example.org/fhir/r4-test", False, id="sibling-prefix"),
        # A host sharing the prefix.
        pytest.param("https://ehr.example.org.evil.example/fhir/r4", False, id="host-prefix"),
        # Plain http for an https base.
        pytest.param("http://ehr.example.org/fhir/r4", False, id="http"),
        # Another port.
        pytest.param("https://ehr.example.org:8443/fhir/r4", False, id="port"),
        # A query.
        pytest.param("https://ehr.example.org/fhir/r4?_format=json", False, id="query"),
        # A fragment.
        pytest.param("https://ehr.example.org/fhir/r4#top", False, id="fragment"),
        # Dot segments.
        pytest.param("https://ehr.example.org/fhir/r4/../../admin", False, id="dot-segments"),
    ],
)
def test_allowed_fhir_servers(book: Rulebook, server: str, allowed: bool) -> None:
    """A fhirServer is allowed only under an allowlisted base: same scheme, host and port, at or
    below its path.
    """
    assert (
        CdsService(book, fhir_allowlist=("https://ehr.example.org/fhir/r4",)).allowed(server)
        is allowed
    )


# --- Prefetch the EHR says failed, and paged prefetch ---------------------------------------------

PREGNANT_TRIAL, PREGNANT_CASE = "NCT06761417", "pregnant-positive-hcg"
FAILED_QUERY = {
    "resourceType": "OperationOutcome",
    "id": "failed",
    "issue": [
        {
            "severity": "error",
            "code": "exception",
            "diagnostics": "prefetch query failed for Jane Doe",
        }
    ],
}


def statuses_of(book: Rulebook, record: Any, trial_id: str) -> dict[str, Status]:
    """The criterion statuses of one trial's report over a record."""
    trial = book.trial(trial_id)
    assert trial is not None
    report = evaluate_trials(book, [trial], record, AS_OF)[0]
    return {c.id: c.status for c in report.criteria}


@pytest.mark.parametrize(
    "failed_value",
    [
        # The red-team/UX shape: each Observation key a searchset holding only an error
        # OperationOutcome.
        pytest.param(searchset([FAILED_QUERY]), id="outcome-in-bundle"),
        # Each Observation key the OperationOutcome itself (a 400 before).
        pytest.param(FAILED_QUERY, id="outcome-alone"),
    ],
)
def test_failed_observation_prefetch_decides_nothing(
    plain_app: Flask, templates: dict[str, str], book: Rulebook, failed_value: Any
) -> None:
    """Observation keys the EHR says failed leave the pregnancy exclusion unknown (it passed as
    "not pregnant" before), with a dataError.
    """
    bundle = fixture_bundle(PREGNANT_TRIAL, PREGNANT_CASE)
    patient_id = fixture_patient_id(PREGNANT_TRIAL, PREGNANT_CASE)
    prefetch = {
        k: (failed_value if k.startswith("observations") else v)
        for k, v in prefetch_for(bundle, templates).items()
    }
    service: CdsService = plain_app.extensions["cds_service"]
    record = service.source(parse_hook_request(hook_request(patient_id, prefetch))).record(
        service.trials, AS_OF
    )
    full = statuses_of(book, record_from_bundle(bundle), PREGNANT_TRIAL)
    faulted = statuses_of(book, record, PREGNANT_TRIAL)
    assert "EHR" in record.failed["Observation"]
    assert "Jane" not in record.failed["Observation"]
    pregnancy = [
        cid for cid, status in full.items() if status is Status.MET and cid.startswith("exc")
    ]
    assert pregnancy
    assert all(faulted[cid] is Status.UNKNOWN for cid in pregnancy)
    status, body = post(plain_app.test_client(), hook_request(patient_id, prefetch))
    assert status == 200
    assert isinstance(body["cards"], list)


def test_failed_key_is_fetched_from_an_allowlisted_fhir_server(
    tmp_path: Path, fhir_server: LocalServer, templates: dict[str, str], book: Rulebook
) -> None:
    """A key the EHR says failed is searched again on its allowlisted fhirServer, and the cards
    use what came back.
    """
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=f"{fhir_server.url}/fhir")
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    prefetch = {**prefetch_for(bundle, templates), "conditions": FAILED_QUERY}
    status, body = post(
        app.test_client(),
        hook_request(
            fixture_patient_id(MI_TRIAL, MI_CASE), prefetch, fhirServer=f"{fhir_server.url}/fhir"
        ),
    )
    close(app)
    assert status == 200
    assert body["cards"] == expected_cards(book, bundle)
    assert [s.path for s in fhir_server.seen if "patient" in dict(s.params)] == ["/fhir/Condition"]


def test_paged_prefetch_is_followed_from_an_allowlisted_fhir_server(
    tmp_path: Path, fhir_server: LocalServer, templates: dict[str, str], book: Rulebook
) -> None:
    """A paged key's next link is read from the allowlisted fhirServer (with the hook's token),
    and the cards use every page.
    """
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=f"{fhir_server.url}/fhir")
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    patient_id = fixture_patient_id(MI_TRIAL, MI_CASE)
    first_page = {
        **searchset([]),
        "link": [
            {
                "relation": "next",
                "url": f"{fhir_server.url}/fhir/Condition?patient=Patient/{patient_id}&page=2",
            }
        ],
    }
    prefetch = {**prefetch_for(bundle, templates), "conditions": first_page}
    status, body = post(
        app.test_client(),
        hook_request(
            patient_id,
            prefetch,
            fhirServer=f"{fhir_server.url}/fhir",
            fhirAuthorization=authorization(),
        ),
    )
    close(app)
    assert status == 200
    assert body["cards"] == expected_cards(book, bundle)
    assert [(s.path, dict(s.params).get("page"), s.authorization) for s in fhir_server.seen] == [
        ("/fhir/Condition", "2", f"Bearer {ACCESS_TOKEN}")
    ]


def test_paged_prefetch_without_fhir_server_is_partial(
    plain_app: Flask, templates: dict[str, str]
) -> None:
    """A paged key with no fhirServer to read the rest from is partial: its type is failed
    (criteria unknown), not a 400.
    """
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    patient_id = fixture_patient_id(MI_TRIAL, MI_CASE)
    prefetch = {
        **prefetch_for(bundle, templates),
        "conditions": {
            **searchset([]),
            "link": [{"relation": "next", "url": "http://ehr.example.org/fhir/x"}],
        },
    }
    service: CdsService = plain_app.extensions["cds_service"]
    record = service.source(parse_hook_request(hook_request(patient_id, prefetch))).record(
        service.trials, AS_OF
    )
    assert "first page" in record.failed["Condition"]
    assert post(plain_app.test_client(), hook_request(patient_id, prefetch))[0] == 200


def test_paged_prefetch_off_the_fhir_server_is_not_followed(
    tmp_path: Path, fhir_server: LocalServer, templates: dict[str, str]
) -> None:
    """A next link outside the fhirServer's base is never requested: the key is partial."""
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=f"{fhir_server.url}/fhir")
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    patient_id = fixture_patient_id(MI_TRIAL, MI_CASE)
    prefetch = {
        **prefetch_for(bundle, templates),
        "conditions": {
            **searchset([]),
            "link": [{"relation": "next", "url": f"{fhir_server.url}/other/Condition"}],
        },
    }
    service: CdsService = app.extensions["cds_service"]
    request = parse_hook_request(
        hook_request(patient_id, prefetch, fhirServer=f"{fhir_server.url}/fhir")
    )
    record = service.source(request).record(service.trials, AS_OF)
    close(app)
    assert "outside the FHIR base URL" in record.failed["Condition"]
    assert fhir_server.seen == []


# --- The target-disease gate ----------------------------------------------------------------------

NMO_TRIAL = "NCT02021825"


def synthea_call(
    name: str, prefetch_change: Callable[[dict[str, Any]], dict[str, Any]] = lambda p: p
) -> tuple[dict[str, Any], date]:
    """A hook request for a Synthea patient (references as a server holds them), with the full
    prefetch, and its as-of date.
    """
    need("synthea")
    paths = sorted(synthea_dir().glob(f"{name}_*.json"))
    assert paths, f"no {name} record in {synthea_dir()}; set SYNTHEA_DIR"
    patient = synthea_patient(paths[0])
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in patient.resources],
    }
    book = rulebook()
    prefetch = prefetch_for(bundle, prefetch_plan(book, book.trials.values()).templates())
    return hook_request(patient.id, prefetch_change(prefetch)), patient.as_of


def nmo_cards(service: CdsService, body: dict[str, Any], as_of: date) -> list[dict[str, Any]]:
    """The cards of a call that are about the NMO trial."""
    return [
        card
        for card in service.call(parse_hook_request(body), as_of)["cards"]
        if NMO_TRIAL in card["summary"]
    ]


def test_no_card_for_a_trial_whose_target_disease_is_not_on_record(book: Rulebook) -> None:
    """Courtney_Schinner (Synthea, no NMO diagnosis) gets no NMO-trial card; with the gate off
    she gets 'May be eligible' (the UX finding).
    """
    body, as_of = synthea_call("Courtney_Schinner")
    assert nmo_cards(CdsService(book), body, as_of) == []
    assert [
        card["indicator"]
        for card in nmo_cards(CdsService(book, require_target_disease=False), body, as_of)
    ] == ["info"]


def test_card_for_a_patient_with_the_target_disease(
    book: Rulebook, templates: dict[str, str]
) -> None:
    """An NMO patient (the trial's eligible fixture) still gets the NMO-trial card with the gate
    on.
    """
    bundle = fixture_bundle(NMO_TRIAL, "eligible")
    body = hook_request(fixture_patient_id(NMO_TRIAL, "eligible"), prefetch_for(bundle, templates))
    assert len(nmo_cards(CdsService(book), body, AS_OF)) == 1


def test_unknown_target_disease_keeps_the_card(book: Rulebook) -> None:
    """With the Condition search failed at the EHR, "no NMO on record" is not established: the
    NMO-trial card stays.
    """
    body, as_of = synthea_call("Courtney_Schinner", lambda p: {**p, "conditions": FAILED_QUERY})
    assert len(nmo_cards(CdsService(book), body, as_of)) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [pytest.param(None, True, id="default-on"), pytest.param("false", False, id="off")],
)
def test_target_disease_setting(tmp_path: Path, value: str | None, expected: bool) -> None:
    """ELIGIBILITY_CDS_REQUIRE_TARGET_DISEASE is on by default; 'false' turns the gate off."""
    app = cds_app(tmp_path, **({} if value is None else {"CDS_REQUIRE_TARGET_DISEASE": value}))
    close(app)
    assert app.extensions["cds_service"].require_target_disease is expected


def test_failed_patient_key_is_read_from_an_allowlisted_fhir_server(
    tmp_path: Path, fhir_server: LocalServer, templates: dict[str, str], book: Rulebook
) -> None:
    """A Patient key the EHR says failed is read from the allowlisted fhirServer; without one the
    call is 412 (no one to evaluate).
    """
    bundle = fixture_bundle(MI_TRIAL, MI_CASE)
    patient_id = fixture_patient_id(MI_TRIAL, MI_CASE)
    prefetch = {**prefetch_for(bundle, templates), "patient": FAILED_QUERY}
    app = cds_app(tmp_path, CDS_FHIR_ALLOWLIST=f"{fhir_server.url}/fhir")
    fetched = post(
        app.test_client(), hook_request(patient_id, prefetch, fhirServer=f"{fhir_server.url}/fhir")
    )
    refused = post(app.test_client(), hook_request(patient_id, prefetch))
    close(app)
    assert fetched == (200, {"cards": expected_cards(book, bundle)})
    assert [s.path for s in fhir_server.seen] == [f"/fhir/Patient/{patient_id}"]
    assert (refused[0], refused[1]["error"]) == (412, "prefetch-unavailable")
