"""Tests for service.records.fhir.fetch: one patient's record from a mocked FHIR server, with
failed searches kept per type.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

import orjson
import pytest
import responses

from service.errors import FhirAuthRefused, FhirTemporaryError, PatientNotFound
from service.evaluation.evaluate import evaluate_trial
from service.evaluation.report import DataProblem, Status, Verdict
from service.facts import FactSet
from service.records.bundle import record_from_bundle
from service.records.fhir.client import ClientSettings, FhirClient
from service.records.fhir.fetch import FetchOptions, fetch_record
from service.records.record import PatientRecord
from service.rulebook.book import Rulebook, Trial
from service.rulebook.definitions import Window
from service.rulebook.kinds import RESOURCE_TYPES
from service.rulebook.search_plan import Search, plan_searches
from tests.helpers import FIXTURES
from tests.helpers.fakes import BASE, observation
from tests.helpers.fhir import FakeFhir

TRIAL = "NCT03890068"
AS_OF = date(2026, 11, 20)
MEDICATION_REQUESTS = [Search("MedicationRequest", include="MedicationRequest:medication")]


def fixture_resources(
    trial_id: str, name: str = "eligible"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Return a fixture patient's Bundle and its resources as a server stores them (no fullUrl)."""
    bundle = orjson.loads((FIXTURES / trial_id / f"{name}.json").read_bytes())
    return bundle, [entry["resource"] for entry in bundle["entry"]]


def patient_id_of(resources: list[dict[str, Any]]) -> str:
    """Return the id of the one Patient."""
    return str(next(r["id"] for r in resources if r["resourceType"] == "Patient"))


def as_of_of(trial_id: str) -> date:
    """Return the as-of date the trial's fixtures are written for."""
    return date.fromisoformat(
        orjson.loads((FIXTURES / trial_id / "manifest.json").read_bytes())["asOf"]
    )


def by_type(record: PatientRecord) -> dict[str, list[str]]:
    """Return the record's resource ids by type (types with resources only)."""
    return {
        rtype: sorted(r["id"] for r in items) for rtype, items in record.resources.items() if items
    }


@pytest.fixture
def serve(server: responses.RequestsMock) -> Any:
    """Return a function that puts a FakeFhir with the given resources on the mocked HTTP layer."""

    def install(resources: list[dict[str, Any]], **options: Any) -> FakeFhir:
        fake = FakeFhir(resources, **options)
        server.add_callback(responses.GET, re.compile(re.escape(BASE) + ".*"), callback=fake)
        return fake

    return install


@pytest.fixture
def fhir(slept: list[float]) -> FhirClient:
    """A client with small pages (so searches page) that records its sleeps."""
    return FhirClient(BASE, settings=ClientSettings(page_size=5), sleep=slept.append)


def trial_of(book: Rulebook, trial_id: str) -> Trial:
    """Return a trial that must exist."""
    trial = book.trial(trial_id)
    assert trial is not None
    return trial


# --- the record ---------------------------------------------------------------------------------


TRIAL_IDS = sorted(path.name for path in FIXTURES.iterdir() if (path / "eligible.json").is_file())


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_fetched_record_matches_the_bundle(
    book: Rulebook, serve: Any, fhir: FhirClient, trial_id: str
) -> None:
    """The record fetched for a trial's plan holds the same resources as the patient's Bundle,
    and evaluates the same.
    """
    bundle, resources = fixture_resources(trial_id)
    serve(resources)
    trial = trial_of(book, trial_id)
    pid = patient_id_of(resources)
    record = fetch_record(fhir, plan_searches(book, [trial]), pid, as_of_of(trial_id))
    expected = record_from_bundle(bundle)
    assert record.failed == {}
    assert record.patient["id"] == pid
    assert by_type(record) == by_type(expected)
    assert evaluate_trial(book, trial, record, as_of_of(trial_id)) == evaluate_trial(
        book, trial, expected, as_of_of(trial_id)
    )


def test_a_result_whose_code_system_is_spelled_otherwise_is_fetched(
    book: Rulebook, serve: Any, fhir: FhirClient
) -> None:
    """A newer ANC written with LOINC's OID (urn:oid:2.16.840.1.113883.6.1), as some EHRs send
    it, is fetched beside the older one and decides, as in the Bundle: the plan searches bare
    codes, not system|code (probe K: the older ANC decided, a wrong met).
    """
    bundle, resources = fixture_resources("NCT07077551")
    anc = next(
        r
        for r in resources
        if r["resourceType"] == "Observation"
        and any(c.get("code") == "751-8" for c in r["code"]["coding"])
    )
    newer = orjson.loads(orjson.dumps(anc))
    newer["id"] = "anc-oid"
    newer["code"]["coding"][0]["system"] = "urn:oid:2.16.840.1.113883.6.1"
    newer["effectiveDateTime"] = "2026-11-19T08:00:00+08:00"
    newer["valueQuantity"]["value"] = 0.9
    resources.append(newer)
    bundle["entry"].append({"resource": newer})
    serve(resources)
    trial = trial_of(book, "NCT07077551")
    record = fetch_record(fhir, plan_searches(book, [trial]), patient_id_of(resources), AS_OF)
    assert "anc-oid" in by_type(record)["Observation"]
    fetched = evaluate_trial(book, trial, record, AS_OF)
    assert fetched == evaluate_trial(book, trial, record_from_bundle(bundle), AS_OF)
    assert next(c for c in fetched.criteria if c.id == "inc-8a").status is Status.NOT_MET


def test_searches_send_the_patient_and_page(book: Rulebook, serve: Any, fhir: FhirClient) -> None:
    """Every search names patient=Patient/{id}; a search with more results than a page follows
    the next links.
    """
    _bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    pid = patient_id_of(resources)
    plan = plan_searches(book, [trial_of(book, TRIAL)])
    record = fetch_record(fhir, plan, pid, AS_OF)
    searches = [
        query
        for rtype in ("Observation", "Condition", "MedicationAdministration")
        for query in fake.searched(rtype)
    ]
    assert searches
    assert all(query["patient"] == f"Patient/{pid}" for query in searches)
    observations = sum(r["resourceType"] == "Observation" for r in resources)
    assert observations > 5
    assert len(record.of_type("Observation")) == observations
    # The value sets' codes may need several Observation searches (pages of 5 here): every result
    # arrived (above), so some search had more than a page and followed its next link.
    planned = sum(search.resource_type == "Observation" for search in plan)
    assert planned >= 1
    assert len(fake.searched("Observation")) > planned


@pytest.mark.parametrize(
    ("date_floor", "sent"),
    [
        # The default: Observations from the longest lookback (plus a day) on.
        pytest.param(True, True, id="with-floor"),
        # FHIR_DATE_FLOOR=false: the whole history.
        pytest.param(False, False, id="without-floor"),
    ],
)
def test_date_floor_option(
    book: Rulebook, serve: Any, fhir: FhirClient, date_floor: bool, sent: bool
) -> None:
    """FetchOptions.date_floor decides whether Observation searches carry a date=ge… parameter."""
    _bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    fetch_record(
        fhir,
        plan_searches(book, [trial_of(book, TRIAL)]),
        patient_id_of(resources),
        AS_OF,
        FetchOptions(date_floor=date_floor),
    )
    first_pages = [query for query in fake.searched("Observation") if "_offset" not in query]
    assert first_pages
    assert all(("date" in query) == sent for query in first_pages)


# --- failed searches ----------------------------------------------------------------------------


PLANNED_TYPES = [
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "MedicationDispense",
    "Procedure",
]


@pytest.mark.parametrize("failed_type", PLANNED_TYPES)
def test_failed_search_is_recorded_and_the_rest_arrives(
    book: Rulebook, serve: Any, fhir: FhirClient, slept: list[float], failed_type: str
) -> None:
    """A search failing with 503 on every try puts its type in `failed` ("after 3 tries"); every
    other type arrives whole.
    """
    bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    fake.fail[failed_type] = 503
    searches = plan_searches(book, [trial_of(book, TRIAL)])
    assert failed_type in {s.resource_type for s in searches}
    record = fetch_record(fhir, searches, patient_id_of(resources), AS_OF)
    assert list(record.failed) == [failed_type]
    assert "after 3 tries" in record.failed[failed_type]
    assert len(slept) == 2 * sum(s.resource_type == failed_type for s in searches)
    expected = {
        rtype: ids
        for rtype, ids in by_type(record_from_bundle(bundle)).items()
        if rtype != failed_type
    }
    assert by_type(record) == expected


@pytest.mark.parametrize("failed_type", PLANNED_TYPES)
def test_failed_search_leaves_its_criteria_undecided(
    book: Rulebook, serve: Any, fhir: FhirClient, failed_type: str
) -> None:
    """After a failed search, no fact reading that type has a value, its criteria are unknown, and
    the report lists the error.

    A criterion reading the type may still be decided by its other facts (no diabetes AND glucose >
    10 is not met whatever the glucose): three-valued logic is monotone, so such a criterion must
    have the status it has with the data present, and at least one reader must be unknown.
    """
    bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    fake.fail[failed_type] = 503
    trial = trial_of(book, TRIAL)
    record = fetch_record(fhir, plan_searches(book, [trial]), patient_id_of(resources), AS_OF)
    facts = FactSet(record, AS_OF, book)
    reading = sorted(
        name
        for name in book.definitions_for(trial)
        if failed_type in RESOURCE_TYPES[book.definitions[name]["kind"]]
    )
    assert reading
    assert {name: facts.get(name).value for name in reading} == dict.fromkeys(reading)
    report = evaluate_trial(book, trial, record, AS_OF)
    assert report.data_errors == (DataProblem(failed_type, record.failed[failed_type]),)
    complete = {
        c.id: c.status
        for c in evaluate_trial(book, trial, record_from_bundle(bundle), AS_OF).criteria
    }
    statuses = {c.id: c.status for c in report.criteria}
    readers = [
        c.id
        for c in trial.criteria
        if c.formula is not None
        and failed_type in book.resource_types_for(dataclasses.replace(trial, criteria=(c,)))
    ]
    assert readers
    assert all(statuses[cid] in (Status.UNKNOWN, complete[cid]) for cid in readers), {
        cid: (statuses[cid], complete[cid]) for cid in readers
    }
    assert Status.UNKNOWN in {statuses[cid] for cid in readers}
    assert report.verdict is Verdict.INSUFFICIENT_DATA


def test_failure_message_names_the_search_not_the_patient(
    book: Rulebook, serve: Any, fhir: FhirClient
) -> None:
    """The recorded failure names the search (type, code count) and never the patient id."""
    _bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    fake.fail["Observation"] = 503
    pid = patient_id_of(resources)
    record = fetch_record(fhir, plan_searches(book, [trial_of(book, TRIAL)]), pid, AS_OF)
    assert record.failed["Observation"].startswith("Observation search (")
    assert pid not in record.failed["Observation"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        # No such patient.
        pytest.param(404, PatientNotFound, id="404"),
        # Deleted.
        pytest.param(410, PatientNotFound, id="410"),
        # The server is down: the error itself, not a record with everything failed.
        pytest.param(503, FhirTemporaryError, id="503"),
        # Refused credentials on the Patient read: every search would fail too.
        pytest.param(403, FhirAuthRefused, id="403"),
    ],
)
def test_failed_patient_read_raises(
    serve: Any, fhir: FhirClient, status: int, error: type[Exception]
) -> None:
    """Without the Patient there is no one to evaluate: its read failing raises, and no search is
    run.
    """
    fake = serve([])
    fake.fail["Patient/p1"] = status
    with pytest.raises(error):
        fetch_record(fhir, MEDICATION_REQUESTS, "p1", AS_OF)
    assert not fake.searched("MedicationRequest")


def test_other_patient_answered_is_not_found(
    server: responses.RequestsMock, fhir: FhirClient
) -> None:
    """A server answering the read with a different Patient is PatientNotFound, not that
    patient's record.
    """
    server.get(BASE + "Patient/p1", json={"resourceType": "Patient", "id": "p2"})
    with pytest.raises(PatientNotFound, match="different Patient"):
        fetch_record(fhir, MEDICATION_REQUESTS, "p1", AS_OF)
    assert len(server.calls) == 1


def test_all_searches_refused_raises(book: Rulebook, serve: Any, fhir: FhirClient) -> None:
    """When every search is refused (401/403), the credentials are wrong: FhirAuthRefused is
    raised, not a record of unknowns.
    """
    _bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    for rtype in PLANNED_TYPES:
        fake.fail[rtype] = 403
    with pytest.raises(FhirAuthRefused):
        fetch_record(
            fhir, plan_searches(book, [trial_of(book, TRIAL)]), patient_id_of(resources), AS_OF
        )


def test_refusals_mixed_with_outages_are_recorded_not_blamed_on_credentials(
    book: Rulebook, serve: Any, fhir: FhirClient
) -> None:
    """Some searches refused and the others failing with 503: not every search was refused, so
    the record comes back with each failure.
    """
    _bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    for n, rtype in enumerate(PLANNED_TYPES):
        fake.fail[rtype] = 403 if n % 2 == 0 else 503
    record = fetch_record(
        fhir, plan_searches(book, [trial_of(book, TRIAL)]), patient_id_of(resources), AS_OF
    )
    assert sorted(record.failed) == sorted(PLANNED_TYPES)


def test_one_search_refused_is_recorded(book: Rulebook, serve: Any, fhir: FhirClient) -> None:
    """One type refused (a scope missing) is a failed search like any other; the rest of the
    record arrives.
    """
    _bundle, resources = fixture_resources(TRIAL)
    fake = serve(resources)
    fake.fail["Procedure"] = 403
    record = fetch_record(
        fhir, plan_searches(book, [trial_of(book, TRIAL)]), patient_id_of(resources), AS_OF
    )
    assert list(record.failed) == ["Procedure"]
    assert "(403)" in record.failed["Procedure"]


def test_refused_search_and_unreadable_medication_is_not_all_refused(
    serve: Any, fhir: FhirClient
) -> None:
    """A refused Observation search plus a Medication that cannot be read is not 'every search
    refused': the record is returned.
    """
    fake = serve(
        [
            {"resourceType": "Patient", "id": "p1"},
            {
                "resourceType": "MedicationRequest",
                "id": "mr1",
                "subject": {"reference": "Patient/p1"},
                "medicationReference": {"reference": "Medication/m1"},
            },
        ],
        includes=False,
    )
    fake.fail["Observation"] = 403
    searches = [
        Search("Observation", ("http://loinc.org|751-8",), Window(14)),
        *MEDICATION_REQUESTS,
    ]
    record = fetch_record(fhir, searches, "p1", AS_OF)
    assert sorted(record.failed) == ["MedicationRequest", "Observation"]
    assert "a referenced Medication could not be read" in record.failed["MedicationRequest"]
    assert by_type(record) == {"MedicationRequest": ["mr1"]}


# --- medications --------------------------------------------------------------------------------


def medication_orders() -> list[dict[str, Any]]:
    """Return a patient with three orders pointing at two Medications (one twice) and the
    Medications.
    """
    return [
        {"resourceType": "Patient", "id": "p1"},
        {
            "resourceType": "MedicationRequest",
            "id": "mr1",
            "subject": {"reference": "Patient/p1"},
            "medicationReference": {"reference": "Medication/m1"},
        },
        {
            "resourceType": "MedicationRequest",
            "id": "mr2",
            "subject": {"reference": "Patient/p1"},
            "medicationReference": {"reference": "Medication/m2"},
        },
        {
            "resourceType": "MedicationRequest",
            "id": "mr3",
            "subject": {"reference": "Patient/p1"},
            "medicationReference": {"reference": "Medication/m1"},
        },
        {"resourceType": "Medication", "id": "m1", "code": {"text": "doxorubicin"}},
        {"resourceType": "Medication", "id": "m2", "code": {"text": "ifosfamide"}},
    ]


@pytest.mark.parametrize(
    ("includes", "read"),
    [
        # The server honours _include: nothing is left to read.
        pytest.param(True, [], id="included"),
        # The server ignores _include (it may): each referenced Medication is read once.
        pytest.param(False, ["Medication/m1", "Medication/m2"], id="not-included"),
    ],
)
def test_referenced_medications_are_in_the_record(
    serve: Any, fhir: FhirClient, includes: bool, read: list[str]
) -> None:
    """Medications the orders reference end up in the record (resolvable by reference), read only
    when not included.
    """
    fake = serve(medication_orders(), includes=includes)
    record = fetch_record(fhir, MEDICATION_REQUESTS, "p1", AS_OF)
    assert [url for url in fake.requests if url.startswith("Medication/")] == read
    assert record.failed == {}
    assert sorted(r["id"] for r in record.of_type("Medication")) == ["m1", "m2"]
    medication = record.resolve(record.of_type("MedicationRequest")[0]["medicationReference"])
    assert medication is not None
    assert medication["code"]["text"] == "doxorubicin"


def test_unreadable_medication_marks_the_orders_failed(serve: Any, fhir: FhirClient) -> None:
    """A referenced Medication that cannot be read makes the order type failed: the drug of some
    order is unknown.
    """
    fake = serve(medication_orders(), includes=False)
    fake.fail["Medication/m2"] = 404
    record = fetch_record(fhir, MEDICATION_REQUESTS, "p1", AS_OF)
    assert list(record.failed) == ["MedicationRequest"]
    assert record.failed["MedicationRequest"].startswith(
        "a referenced Medication could not be read"
    )


@pytest.mark.parametrize(
    "reference",
    [
        # A malformed medicationReference (a string, not a Reference).
        pytest.param("Medication/m1", id="string"),
        # A contained Medication: resolved within the resource, not read.
        pytest.param({"reference": "#med"}, id="contained"),
        # Another server's Medication (versioned and absolute references to this server are read:
        # test_medication_references).
        pytest.param({"reference": "https://other.example/fhir/Medication/m1"}, id="other-server"),
    ],
)
def test_unusual_medication_references_are_not_read(
    serve: Any, fhir: FhirClient, reference: Any
) -> None:
    """Only references to a Medication on this server are read; anything else is left alone (and
    never crashes the fetch).
    """
    fake = serve(
        [
            {"resourceType": "Patient", "id": "p1"},
            {
                "resourceType": "MedicationRequest",
                "id": "mr1",
                "subject": {"reference": "Patient/p1"},
                "medicationReference": reference,
            },
        ],
        includes=False,
    )
    record = fetch_record(fhir, MEDICATION_REQUESTS, "p1", AS_OF)
    assert by_type(record) == {"MedicationRequest": ["mr1"]}
    assert not [url for url in fake.requests if url.startswith("Medication/")]


# --- parallelism and ownership ------------------------------------------------------------------


@pytest.mark.parametrize(
    "failing",
    [
        # Everything answers.
        pytest.param(None, id="all-succeed"),
        # One type fails.
        pytest.param("Condition", id="one-fails"),
    ],
)
def test_parallel_and_sequential_give_the_same_record(
    book: Rulebook, serve: Any, fhir: FhirClient, failing: str | None
) -> None:
    """Eight workers and one worker fetch the same record (same resources in the same order, same
    failures).
    """
    _bundle, resources = fixture_resources("NCT05617859")
    fake = serve(resources)
    if failing:
        fake.fail[failing] = 503
    searches = plan_searches(book, [trial_of(book, "NCT05617859")])
    pid = patient_id_of(resources)
    parallel = fetch_record(fhir, searches, pid, AS_OF, FetchOptions(workers=8))
    sequential = fetch_record(fhir, searches, pid, AS_OF, FetchOptions(workers=1))
    assert parallel.resources == sequential.resources
    assert parallel.failed == sequential.failed
    assert parallel.index.keys() == sequential.index.keys()
    assert parallel.patient == sequential.patient


def test_other_patients_resources_are_dropped(serve: Any, fhir: FhirClient) -> None:
    """A lenient server returning another patient's resources: they are dropped, and their
    Medications are not read.
    """
    fake = serve(
        [
            {"resourceType": "Patient", "id": "p1"},
            {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}},
            # An absolute reference to the same patient is theirs.
            {
                "resourceType": "Condition",
                "id": "c2",
                "subject": {"reference": BASE + "Patient/p1"},
            },
            {"resourceType": "Condition", "id": "c3", "subject": {"reference": "Patient/p2"}},
            {
                "resourceType": "AllergyIntolerance",
                "id": "a1",
                "patient": {"reference": "Patient/p2"},
            },
            {
                "resourceType": "MedicationRequest",
                "id": "mr9",
                "subject": {"reference": "Patient/p2"},
                "medicationReference": {"reference": "Medication/m9"},
            },
        ],
        includes=False,
        lenient=True,
    )
    searches = [Search("Condition"), Search("AllergyIntolerance"), *MEDICATION_REQUESTS]
    record = fetch_record(fhir, searches, "p1", AS_OF)
    assert by_type(record) == {"Condition": ["c1", "c2"]}
    assert record.failed == {}
    assert not [url for url in fake.requests if url.startswith("Medication/")]


def test_overlapping_searches_keep_one_copy(serve: Any, fhir: FhirClient) -> None:
    """A resource returned by two searches of the same type (by code and by date) is kept once."""
    anc = {
        "code": {"coding": [{"system": "http://loinc.org", "code": "751-8"}]},
        "effectiveDateTime": "2026-11-18",
    }
    serve(
        [
            {"resourceType": "Patient", "id": "p1"},
            {**observation("o1"), **anc},
            {**observation("o2"), **anc},
        ]
    )
    searches = [
        Search("Observation", ("http://loinc.org|751-8",), Window(14)),
        Search("Observation", window=Window(90)),
    ]
    record = fetch_record(fhir, searches, "p1", AS_OF)
    assert by_type(record) == {"Observation": ["o1", "o2"]}


def _condition_copy(status: str, **meta: str) -> dict[str, Any]:
    """Return a copy of Condition c1 with the given verification status and meta."""
    copy: dict[str, Any] = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": "Patient/p1"},
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": status,
                }
            ]
        },
    }
    return {**copy, "meta": meta} if meta else copy


def test_differing_copies_with_nothing_to_order_them_fail_their_type(
    serve: Any, fhir: FhirClient
) -> None:
    """Two different copies of one resource, neither with a version: the type is failed (as for a
    Bundle), never decided by whichever copy came last.
    """
    serve(
        [
            {"resourceType": "Patient", "id": "p1"},
            _condition_copy("confirmed"),
            _condition_copy("entered-in-error"),
        ]
    )
    record = fetch_record(fhir, [Search("Condition")], "p1", AS_OF)
    assert "two different copies of Condition/c1" in record.failed["Condition"]


def test_differing_copies_keep_the_later_version(serve: Any, fhir: FhirClient) -> None:
    """Of two versions of one resource, the higher meta.versionId is kept and nothing fails."""
    serve(
        [
            {"resourceType": "Patient", "id": "p1"},
            _condition_copy("entered-in-error", versionId="3"),
            _condition_copy("confirmed", versionId="2"),
        ]
    )
    record = fetch_record(fhir, [Search("Condition")], "p1", AS_OF)
    assert record.failed == {}
    [kept] = record.resources["Condition"]
    assert kept["meta"] == {"versionId": "3"}


def test_every_trial_has_an_eligible_fixture(book: Rulebook) -> None:
    """Each trial in the rulebook has the eligible fixture the round-trip test serves (an empty
    list would test nothing).
    """
    assert sorted(book.trials) == TRIAL_IDS


def test_blood_pressure_components_are_fetched(
    book: Rulebook, serve: Any, fhir: FhirClient
) -> None:
    """A blood-pressure panel carrying systolic and diastolic as components is found by their
    codes and read as BP.
    """
    panel = {
        **observation("bp1"),
        "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        "effectiveDateTime": "2026-11-18",
        "component": [
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": {"value": 128, "unit": "mm[Hg]", "code": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": {"value": 82, "unit": "mm[Hg]", "code": "mm[Hg]"},
            },
        ],
    }
    serve([{"resourceType": "Patient", "id": "p1"}, panel])
    trial = trial_of(book, TRIAL)
    assert "systolic_bp" in book.definitions_for(trial)
    record = fetch_record(fhir, plan_searches(book, [trial]), "p1", AS_OF)
    assert by_type(record) == {"Observation": ["bp1"]}
    facts = FactSet(record, AS_OF, book)
    assert (facts.get("systolic_bp").value, facts.get("diastolic_bp").value) == (128, 82)


# --- OperationOutcome notes and errors in searchsets ----------------------------------------------


class OutcomeFhir(FakeFhir):
    """A FakeFhir whose Condition searchsets also carry an OperationOutcome entry of a given
    severity.
    """

    severity = "warning"

    def searchset(self, rtype: str, query: dict[str, str]) -> dict[str, Any]:
        """Add the outcome entry to Condition searchsets."""
        bundle = super().searchset(rtype, query)
        if rtype == "Condition":
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": self.severity, "code": "processing", "diagnostics": "for Jane Doe"}
                ],
            }
            bundle["entry"] = [
                *bundle["entry"],
                {"resource": outcome, "search": {"mode": "outcome"}},
            ]
        return bundle


@pytest.mark.parametrize("severity", ["warning", "error"])
def test_search_outcomes_become_notes_or_errors(
    book: Rulebook, server: responses.RequestsMock, fhir: FhirClient, severity: str
) -> None:
    """A warning outcome in a searchset is a report note and the data counts; an error outcome
    fails the search (its criteria unknown).
    """
    bundle, resources = fixture_resources(TRIAL)
    fake = OutcomeFhir(resources)
    fake.severity = severity
    server.add_callback(responses.GET, re.compile(re.escape(BASE) + ".*"), callback=fake)
    trial = trial_of(book, TRIAL)
    record = fetch_record(fhir, plan_searches(book, [trial]), patient_id_of(resources), AS_OF)
    report = evaluate_trial(book, trial, record, AS_OF)
    expected = evaluate_trial(book, trial, record_from_bundle(bundle), AS_OF)
    if severity == "warning":
        assert report.data_notes == (
            DataProblem("Condition", "Condition search: the server noted warning 'processing'"),
        )
        assert report.data_errors == ()
        assert report.criteria == expected.criteria
    else:
        assert report.data_notes == ()
        assert report.data_errors[0].resource_type == "Condition"
        assert "error 'processing'" in report.data_errors[0].message
        assert all(
            c.status in (Status.UNKNOWN, e.status)
            for c, e in zip(report.criteria, expected.criteria, strict=True)
        )
        assert any(
            c.status != e.status for c, e in zip(report.criteria, expected.criteria, strict=True)
        )
