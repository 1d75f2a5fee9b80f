"""Tests for the CDS prefetch: its templates (service.rulebook.prefetch_plan), and reading what
the EHR sent.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import parse_qsl

import orjson
import pytest

from service.errors import BadRequest
from service.evaluation.evaluate import evaluate_trials
from service.records.bundle import record_from_bundle
from service.records.entries import deduplicate
from service.records.fhir.medications import unresolved_medications
from service.records.prefetch import Prefetched, PrefetchSource, read_prefetch
from service.records.record import PatientRecord, build_record
from service.rulebook.book import Rulebook
from service.rulebook.kinds import RESOURCE_TYPES
from service.rulebook.prefetch_plan import (
    NAME_MATCHED_CATEGORIES,
    PATIENT_KEY,
    PATIENT_TEMPLATE,
    prefetch_plan,
)
from service.rulebook.search_plan import plan_searches
from tests.helpers import FIXTURES
from tests.helpers.cds import (
    CASE,
    CODE_PARAMETERS,
    TRIAL,
    another_patients_observation,
    fixture_bundle,
    full_prefetch,
    prefetch_for,
    rulebook,
    searchset,
    templates,
)

PATIENT_ID = "nct06761417-eligible"
# The parameters a template may use within the specification's RECOMMENDED prefetch subset, less
# `date`: a fixed date would go stale, and the subset has no relative-date token, so the service's
# templates carry no date at all.
SUBSET_PARAMETERS = {
    "patient",
    *CODE_PARAMETERS,
    "category",
    "status",
    "clinical-status",
    "_count",
    "_sort",
}
CONTEXT_PATIENT_ID = "{{context.patientId}}"


def test_one_key_per_planned_search(book: Rulebook) -> None:
    """Besides 'patient', the plan has exactly one key per search the rulebook's trials need
    (same type and codes), each with its template.
    """
    searches = plan_searches(book, list(book.trials.values()))
    plan = prefetch_plan(book, book.trials.values())
    assert sorted((s.resource_type, s.codes) for s in plan.searches.values()) == sorted(
        (s.resource_type, s.codes) for s in searches
    )
    assert len(plan.searches) == len(searches)
    assert plan.templates() == {
        PATIENT_KEY: PATIENT_TEMPLATE,
        **{key: search.template() for key, search in plan.searches.items()},
    }


def test_no_template_asks_for_every_observation() -> None:
    """No Observation template is unfiltered: the name-matched search (EDSS) asks for its
    categories (it was 344 KB of a 638 KB request).
    """
    observation_templates = [t for t in templates().values() if t.startswith("Observation?")]
    assert observation_templates
    assert all("combo-code=" in t or "category=" in t for t in observation_templates)
    assert "Observation?patient={{context.patientId}}&category=exam,survey" in observation_templates


def test_every_name_matched_value_set_has_categories(book: Rulebook) -> None:
    """Each Observation value set matched by name has categories listed, and no definition of it
    reads absence as 'no' (a missed one is unknown).
    """
    observation_kinds = {kind for kind, types in RESOURCE_TYPES.items() if "Observation" in types}
    name_matched = {
        name: d
        for name, d in book.definitions.items()
        if d["kind"] in observation_kinds
        and "valueSet" in d
        and (book.value_sets[d["valueSet"]].names or book.value_sets[d["valueSet"]].prefixes)
    }
    assert {"edss", "aqp4_igg_positive"} <= set(name_matched)
    assert {d["valueSet"] for d in name_matched.values()} <= set(NAME_MATCHED_CATEGORIES)
    assert all("absentMeans" not in d for d in name_matched.values())


NMO_CASES = sorted(
    path.stem for path in (FIXTURES / "NCT02021825").glob("*.json") if path.name != "manifest.json"
)
# Cases whose deciding result is known by its name alone, in a set a prefetch carries by code only
# (name_matched_categories.json): from a prefetch they are decided as if it were absent.
BY_NAME_ONLY = {"e53-8-and-low-b12-local-code"}


NMO_AS_OF = date.fromisoformat(
    orjson.loads((FIXTURES / "NCT02021825" / "manifest.json").read_bytes())["asOf"]
)


def _both_ways(case: str) -> tuple[PatientRecord, PatientRecord]:
    """Return an NMO fixture's record from the category-filtered prefetch, and from its Bundle."""
    book = rulebook()
    bundle = fixture_bundle("NCT02021825", case)
    patient_id = next(
        e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    prefetched = read_prefetch(
        prefetch_for(bundle, templates()), prefetch_plan(book, book.trials.values()), patient_id
    )
    patient, resources = parts(prefetched)
    return build_record(patient, deduplicate(resources)[0], {}), record_from_bundle(bundle)


@pytest.mark.parametrize("case", sorted(set(NMO_CASES) - BY_NAME_ONLY))
def test_category_filtered_prefetch_loses_nothing_the_rules_read(case: str) -> None:
    """Every NMO-trial fixture (EDSS is matched by name) evaluates the same from the
    category-filtered prefetch as from its Bundle.
    """
    book = rulebook()
    trials = list(book.trials.values())
    prefetched, bundled = _both_ways(case)
    assert evaluate_trials(book, trials, prefetched, NMO_AS_OF) == evaluate_trials(
        book, trials, bundled, NMO_AS_OF
    )


def test_a_result_known_by_name_only_is_not_prefetched_and_not_a_no() -> None:
    """A B12 under a laboratory's local code (read by name from a Bundle) is not in the prefetch:
    there the B12 exclusion is for review, as with no B12 result, never a wrong 'not met'.
    """
    book = rulebook()
    (case,) = BY_NAME_ONLY
    trial = [book.trials["NCT02021825"]]
    statuses = [
        {c.id: c.status.value for c in evaluate_trials(book, trial, record, NMO_AS_OF)[0].criteria}
        for record in _both_ways(case)
    ]
    assert [s["exc-2f"] for s in statuses] == ["review", "met"]


def test_keys_name_their_resource_type(book: Rulebook) -> None:
    """Each key is its type's plural stem, numbered from the second search of one type:
    observations, observations-2…
    """
    plan = prefetch_plan(book, book.trials.values())
    assert len(plan.searches) >= 5
    for key, search in plan.searches.items():
        stem = search.resource_type[0].lower() + search.resource_type[1:] + "s"
        assert re.fullmatch(re.escape(stem) + r"(-[2-9]\d*)?", key), key


def test_templates_cover_every_resource_type_the_definitions_read(book: Rulebook) -> None:
    """The templates search every resource type some definition of some trial reads (and no
    other).
    """
    names = set().union(*(book.definitions_for(trial) for trial in book.trials.values()))
    needed = {
        rtype for name in names for rtype in RESOURCE_TYPES[book.definitions[name]["kind"]]
    } - {"Patient", "Medication"}
    searched = {
        template.partition("?")[0] for key, template in templates().items() if key != PATIENT_KEY
    }
    assert searched == needed


def test_patient_key_reads_the_context_patient() -> None:
    """The 'patient' key is the instance read Patient/{{context.patientId}}."""
    assert templates()[PATIENT_KEY] == "Patient/{{context.patientId}}"


@pytest.mark.parametrize("key", [k for k in templates() if k != PATIENT_KEY])
def test_template_stays_within_the_prefetch_subset(key: str) -> None:
    """A search template is a type-level search by patient={{context.patientId}}, with only
    subset parameters and no other token.
    """
    resource_type, separator, query = templates()[key].partition("?")
    params = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    assert separator == "?"
    assert re.fullmatch(r"[A-Z][A-Za-z]+", resource_type) is not None
    assert {
        name for name, _ in params
    } <= SUBSET_PARAMETERS  # no _include, no date, no modifier such as code:text
    assert [value for name, value in params if name == "patient"] == [CONTEXT_PATIENT_ID]
    assert re.findall(r"\{\{[^}]*\}\}", templates()[key]) == [CONTEXT_PATIENT_ID]


@pytest.mark.parametrize(
    "key", [k for k in templates() if k != PATIENT_KEY and "code=" in templates()[k]]
)
def test_code_tokens_are_bare_codes(key: str) -> None:
    """Every code in a template is an equality token of a bare code, as the CDS Hooks examples
    write them (code=4548-4): it matches any spelling of the system, which the facts check again.
    """
    params = parse_qsl(templates()[key].partition("?")[2])
    tokens = [
        token for name, value in params if name in CODE_PARAMETERS for token in value.split(",")
    ]
    assert tokens
    assert all(re.fullmatch(r"[^|,:]+", token) for token in tokens)


def test_full_prefetch_leaves_nothing_missing() -> None:
    """With the Patient and every search prefetched, nothing is left to fetch and every resource
    is read.
    """
    bundle = fixture_bundle(TRIAL, CASE)
    prefetched = read_prefetch(
        full_prefetch(), prefetch_plan(rulebook(), rulebook().trials.values()), PATIENT_ID
    )
    expected = {
        r["id"] for r in (e["resource"] for e in bundle["entry"]) if r["resourceType"] != "Patient"
    }
    assert prefetched.patient is not None
    assert prefetched.missing == []
    assert prefetched.null_keys == []
    assert {r["id"] for r in prefetched.resources} == expected


ALL = ["all"]  # stands for the Patient and every search key


@pytest.mark.parametrize(
    ("change", "missing", "null_keys"),
    [
        # No prefetch member at all: everything is still to be fetched.
        pytest.param(lambda full: None, ALL, [], id="absent"),
        # An empty prefetch object: the same.
        pytest.param(lambda full: {}, ALL, [], id="empty"),
        # A key the EHR could not satisfy is left out: it is missing, not null.
        pytest.param(
            lambda full: {k: v for k, v in full.items() if k != "conditions"},
            ["conditions"],
            [],
            id="key-left-out",
        ),
        # A key sent as null: "no data to populate" it, so it is both missing and null.
        pytest.param(
            lambda full: {**full, "conditions": None}, ["conditions"], ["conditions"], id="key-null"
        ),
        # The Patient sent as null is missing and null too.
        pytest.param(
            lambda full: {**full, PATIENT_KEY: None},
            [PATIENT_KEY],
            [PATIENT_KEY],
            id="patient-null",
        ),
        # A key the templates never asked for is ignored.
        pytest.param(
            lambda full: {**full, "user": "Practitioner/example"}, [], [], id="unasked-key"
        ),
    ],
)
def test_missing_and_null_keys(change: Any, missing: list[str], null_keys: list[str]) -> None:
    """Keys left out are missing; keys sent as null are missing and recorded as null."""
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    prefetched = read_prefetch(change(full_prefetch()), plan, PATIENT_ID)
    assert prefetched.missing == ([PATIENT_KEY, *plan.searches] if missing == ALL else missing)
    assert prefetched.null_keys == null_keys


def test_operation_outcome_entries_are_skipped() -> None:
    """An OperationOutcome in a prefetched searchset (a server's warning) is not taken for
    patient data.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    outcome = {
        "resourceType": "OperationOutcome",
        "id": "warn",
        "issue": [{"severity": "warning", "code": "informational"}],
    }
    bundle = searchset([outcome])
    prefetched = read_prefetch({**full_prefetch(), "conditions": bundle}, plan, PATIENT_ID)
    assert all(r["resourceType"] != "OperationOutcome" for r in prefetched.resources)


ERROR_OUTCOME = {
    "resourceType": "OperationOutcome",
    "id": "failed",
    "issue": [{"severity": "error", "code": "exception", "diagnostics": "Jane Doe: query failed"}],
}


@pytest.mark.parametrize(
    "value",
    [
        # The whole value an OperationOutcome (the specification: the EHR SHOULD send one for a
        # failed prefetch query).
        pytest.param(ERROR_OUTCOME, id="outcome-alone"),
        # A searchset holding an error OperationOutcome as its only entry.
        pytest.param(searchset([ERROR_OUTCOME]), id="outcome-in-bundle"),
        # A fatal OperationOutcome beside some results: those are not the whole answer.
        pytest.param(
            searchset(
                [
                    {
                        "resourceType": "Condition",
                        "id": "c1",
                        "subject": {"reference": f"Patient/{PATIENT_ID}"},
                    },
                    {**ERROR_OUTCOME, "issue": [{"severity": "fatal", "code": "exception"}]},
                ]
            ),
            id="fatal-beside-results",
        ),
        # Matches of another type than the key's query asks for: the query did not run as asked.
        pytest.param(
            searchset(
                [
                    {
                        "resourceType": "Observation",
                        "id": "o1",
                        "subject": {"reference": f"Patient/{PATIENT_ID}"},
                    }
                ]
            ),
            id="wrong-type",
        ),
    ],
)
def test_failed_prefetch_query_is_a_failed_key(value: dict[str, Any]) -> None:
    """A key the EHR says failed (an OperationOutcome, alone or in the Bundle) is a failed key,
    not "no data": nothing of it is read.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    prefetched = read_prefetch({**full_prefetch(), "conditions": value}, plan, PATIENT_ID)
    assert list(prefetched.failed) == ["conditions"]
    assert re.search(
        "OperationOutcome|query failed|with a Observation", prefetched.failed["conditions"]
    )
    assert "Jane" not in prefetched.failed["conditions"]
    assert prefetched.missing == []
    assert all(r["resourceType"] != "Condition" for r in prefetched.resources)


def test_failed_patient_key_is_missing_and_failed() -> None:
    """An OperationOutcome for the Patient leaves the Patient to fetch (or a 412), not a 400."""
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    prefetched = read_prefetch({**full_prefetch(), PATIENT_KEY: ERROR_OUTCOME}, plan, PATIENT_ID)
    assert (
        prefetched.patient,
        prefetched.missing,
        prefetched.null_keys,
        list(prefetched.failed),
    ) == (None, [PATIENT_KEY], [], [PATIENT_KEY])


def test_warning_outcome_in_prefetch_is_a_note() -> None:
    """A warning OperationOutcome in a prefetched searchset is kept as a note (severity and code,
    not its text); the key's data is read.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    warning = {
        "resourceType": "OperationOutcome",
        "id": "warn",
        "issue": [{"severity": "warning", "code": "processing", "diagnostics": "Jane Doe"}],
    }
    full = full_prefetch()
    prefetched = read_prefetch(
        {
            **full,
            "conditions": {
                **full["conditions"],
                "entry": [*full["conditions"]["entry"], {"resource": warning}],
            },
        },
        plan,
        PATIENT_ID,
    )
    assert prefetched.failed == {}
    assert prefetched.notes == {
        "Condition": ["prefetch 'conditions': the EHR noted warning 'processing'"]
    }
    assert any(r["resourceType"] == "Condition" for r in prefetched.resources)


def test_paged_prefetch_keeps_the_first_page_and_its_next_link() -> None:
    """A paged key (a next link) is not refused: its first page is read and its next link kept,
    to follow or to mark the key partial.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    full = full_prefetch()
    prefetched = read_prefetch(
        {**full, "conditions": with_next_link(full["conditions"])}, plan, PATIENT_ID
    )
    assert prefetched.next_links == {"conditions": "http://ehr.example.org/fhir/Condition?page=2"}
    assert prefetched.failed == {}
    assert any(r["resourceType"] == "Condition" for r in prefetched.resources)


def with_next_link(bundle: dict[str, Any]) -> dict[str, Any]:
    """The Bundle as a first page of several."""
    return {
        **bundle,
        "link": [
            {"relation": "self", "url": "http://ehr.example.org/fhir/Condition"},
            {"relation": "next", "url": "http://ehr.example.org/fhir/Condition?page=2"},
        ],
    }


MALFORMED: list[Any] = [
    # prefetch must be an object of keys.
    pytest.param(lambda full: [full], "'prefetch' must be an object", id="prefetch-not-object"),
    # The Patient of someone else than context.patientId.
    pytest.param(
        lambda full: {**full, PATIENT_KEY: {**full[PATIENT_KEY], "id": "someone-else"}},
        "not the Patient named",
        id="patient-of-another-id",
    ),
    # 'patient' holding another resource type.
    pytest.param(
        lambda full: {**full, PATIENT_KEY: {"resourceType": "Observation", "id": PATIENT_ID}},
        "must be a Patient",
        id="patient-not-patient",
    ),
    # 'patient' holding a string (e.g. the id instead of the resource).
    pytest.param(
        lambda full: {**full, PATIENT_KEY: PATIENT_ID}, "must be a Patient", id="patient-string"
    ),
    # A search key holding a string.
    pytest.param(
        lambda full: {**full, "conditions": "Condition?patient=x"},
        "'conditions' must be a FHIR Bundle",
        id="search-string",
    ),
    # A search key holding a bare resource rather than a Bundle.
    pytest.param(
        lambda full: {**full, "conditions": {"resourceType": "Condition", "id": "c"}},
        "'conditions' must be a FHIR Bundle",
        id="search-not-bundle",
    ),
    # A next link without a url.
    pytest.param(
        lambda full: {**full, "conditions": {**full["conditions"], "link": [{"relation": "next"}]}},
        "next link has no url",
        id="next-without-url",
    ),
    # Bundle.entry not a list.
    pytest.param(
        lambda full: {
            **full,
            "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": "x"},
        },
        "must be a list",
        id="entry-not-list",
    ),
    # An entry with no resource.
    pytest.param(
        lambda full: {
            **full,
            "conditions": {
                "resourceType": "Bundle",
                "type": "searchset",
                "entry": [{"fullUrl": "x"}],
            },
        },
        "entry[0] has no resource",
        id="entry-without-resource",
    ),
]


@pytest.mark.parametrize(("change", "message"), MALFORMED)
def test_malformed_prefetch_is_a_bad_request(change: Any, message: str) -> None:
    """A prefetch that is not what the templates ask for is refused, naming the key and the
    problem.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    with pytest.raises(BadRequest, match=re.escape(message)):
        read_prefetch(change(full_prefetch()), plan, PATIENT_ID)


def parts(prefetched: Prefetched) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The Patient and resources of a complete prefetch."""
    assert prefetched.patient is not None
    return prefetched.patient, prefetched.resources


def test_record_keeps_only_the_context_patients_resources() -> None:
    """Resources of another patient in the prefetch are dropped from the record: prefetch is
    checked, not trusted.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    prefetch = full_prefetch()
    prefetch["observations-3"]["entry"].append({"resource": another_patients_observation()})
    patient, resources = parts(read_prefetch(prefetch, plan, PATIENT_ID))
    record = build_record(patient, deduplicate(resources)[0], {})
    assert "stranger-1" not in {r["id"] for r in record.of_type("Observation")}
    assert len(record.of_type("Observation")) > 0


def test_record_counts_a_resource_found_by_two_keys_once() -> None:
    """An Observation returned by a coded search and by the search of all Observations is one
    Observation.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    patient, resources = parts(read_prefetch(full_prefetch(), plan, PATIENT_ID))
    record = build_record(patient, deduplicate(resources)[0], {})
    ids = [r["id"] for r in record.of_type("Observation")]
    assert (
        len(ids)
        == len(set(ids))
        == sum(
            1
            for e in fixture_bundle(TRIAL, CASE)["entry"]
            if e["resource"]["resourceType"] == "Observation"
        )
    )


def test_record_keeps_the_context_patient_over_a_patient_in_a_searchset() -> None:
    """A Patient inside a searchset (an _include, or a careless EHR) never replaces the context
    Patient.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    prefetch = full_prefetch()
    prefetch["conditions"]["entry"].append(
        {"resource": {"resourceType": "Patient", "id": "stranger", "birthDate": "1950-01-01"}}
    )
    patient, resources = parts(read_prefetch(prefetch, plan, PATIENT_ID))
    assert build_record(patient, deduplicate(resources)[0], {}).patient_id == PATIENT_ID


def test_record_carries_fetch_failures() -> None:
    """Searches that failed while fetching the rest are kept on the record, so their criteria
    stay unknown.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    patient, resources = parts(read_prefetch(full_prefetch(), plan, PATIENT_ID))
    assert build_record(
        patient, deduplicate(resources)[0], {"Condition": "Condition search failed: 503"}
    ).failed == {"Condition": "Condition search failed: 503"}


def order(rtype: str, reference: str | None, **more: Any) -> dict[str, Any]:
    """A medication record of a type, its drug given by reference."""
    resource: dict[str, Any] = {
        "resourceType": rtype,
        "id": f"{rtype}-1",
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        **more,
    }
    if reference is not None:
        resource["medicationReference"] = {"reference": reference}
    return resource


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # A request naming a Medication that was not sent.
        pytest.param(
            [order("MedicationRequest", "Medication/m1")],
            {"Medication/m1": {"MedicationRequest"}},
            id="unsent",
        ),
        # The same Medication from two kinds of record.
        pytest.param(
            [
                order("MedicationRequest", "Medication/m1"),
                order("MedicationAdministration", "Medication/m1"),
            ],
            {"Medication/m1": {"MedicationRequest", "MedicationAdministration"}},
            id="two-referrers",
        ),
        # The Medication was sent too: nothing to read.
        pytest.param(
            [
                order("MedicationStatement", "Medication/m1"),
                {"resourceType": "Medication", "id": "m1"},
            ],
            {},
            id="sent",
        ),
        # A coded drug needs no Medication.
        pytest.param(
            [order("MedicationRequest", None, medicationCodeableConcept={"text": "mitoxantrone"})],
            {},
            id="coded",
        ),
        # A reference that is not a relative Medication/id (absolute, contained) is not read from
        # the server.
        pytest.param(
            [
                order("MedicationRequest", "https://other.example/fhir/Medication/m1"),
                order("MedicationStatement", "#med"),
            ],
            {},
            id="not-relative",
        ),
        # medicationReference on another type is not a medication record's.
        pytest.param([order("Observation", "Medication/m1")], {}, id="other-type"),
    ],
)
def test_unresolved_medications(
    resources: list[dict[str, Any]], expected: dict[str, set[str]]
) -> None:
    """The Medications that medication records reference but the prefetch did not hold are listed
    with who refers to them.
    """
    assert unresolved_medications(resources) == expected


def test_a_total_above_the_matches_fails_the_key() -> None:
    """A key whose total says there are more matches than it holds (no next link) is partial:
    failed, never read as complete.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    full = full_prefetch()
    held = len(full["conditions"]["entry"])
    prefetched = read_prefetch(
        {**full, "conditions": {**full["conditions"], "total": held + 2}}, plan, PATIENT_ID
    )
    assert prefetched.failed == {
        "conditions": f"prefetch 'conditions': the searchset's total is {held + 2} but it holds "
        f"{held} matches: it is not complete"
    }


def test_a_next_link_in_upper_case_is_still_a_next_page() -> None:
    """relation "NEXT" says there is more, like "next"."""
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    full = full_prefetch()
    paged = with_next_link(full["conditions"])
    paged["link"][1]["relation"] = "NEXT"
    prefetched = read_prefetch({**full, "conditions": paged}, plan, PATIENT_ID)
    assert prefetched.next_links == {"conditions": "http://ehr.example.org/fhir/Condition?page=2"}


def _first_condition(prefetch: dict[str, Any]) -> dict[str, Any]:
    """Return the first Condition of a prefetch's conditions key."""
    return next(
        e["resource"]
        for e in prefetch["conditions"]["entry"]
        if e["resource"]["resourceType"] == "Condition"
    )


def test_a_resource_under_another_key_is_kept_and_the_key_failed() -> None:
    """A Condition sent in the procedures key is the patient's record: kept, and the key failed
    (its own query was not answered).
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    full = full_prefetch()
    condition = _first_condition(full)
    moved = {**condition, "id": "moved-1"}
    procedures = {
        **full["procedures"],
        "entry": [*full["procedures"]["entry"], {"resource": moved}],
    }
    prefetched = read_prefetch({**full, "procedures": procedures}, plan, PATIENT_ID)
    assert "answered a Procedure query with a Condition" in prefetched.failed["procedures"]
    assert "moved-1" in {r["id"] for r in prefetched.resources}


def test_an_entered_in_error_copy_under_another_key_does_not_erase_the_record() -> None:
    """The same Condition id twice, the later copy entered-in-error and nothing saying which is
    current: the Condition type is failed, not the last copy kept.
    """
    plan = prefetch_plan(rulebook(), rulebook().trials.values())
    full = full_prefetch()
    condition = _first_condition(full)
    voided = {
        **condition,
        "verificationStatus": {"coding": [{"code": "entered-in-error"}]},
    }
    procedures = {
        **full["procedures"],
        "entry": [
            *full["procedures"]["entry"],
            {"resource": voided, "search": {"mode": "include"}},
        ],
    }
    prefetched = read_prefetch({**full, "procedures": procedures}, plan, PATIENT_ID)
    record = PrefetchSource(prefetched, plan, PATIENT_ID).record(
        list(rulebook().trials.values()), date(2026, 12, 1)
    )
    assert "two different copies of Condition/" in record.failed["Condition"]
