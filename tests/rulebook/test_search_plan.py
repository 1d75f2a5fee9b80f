"""Tests for service.rulebook.search_plan: the searches each trial needs, derived from the
rulebook, and their parameters.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs

import pytest

from service.rulebook import search_plan as searches_module
from service.rulebook.book import Rulebook, Trial
from service.rulebook.definitions import Window, definition_from
from service.rulebook.kinds import RESOURCE_TYPES
from service.rulebook.search_plan import CODES_PER_SEARCH, FLOOR_MARGIN_DAYS, Search, plan_searches
from tests.helpers import ROOT

TRIAL_IDS = sorted(path.stem for path in (ROOT / "rules" / "trials").glob("*.json"))
AS_OF = date(2026, 11, 20)
OBSERVATION_KINDS = {kind for kind, types in RESOURCE_TYPES.items() if "Observation" in types}


def trial_of(book: Rulebook, trial_id: str) -> Trial:
    """Return a trial that must exist."""
    trial = book.trial(trial_id)
    assert trial is not None
    return trial


def definitions_read(book: Rulebook, trial: Trial) -> set[str]:
    """Walk the trial's criteria to every definition they read, through formulas, inputs and
    absence gates (independently of the rulebook's walk).
    """
    seen: set[str] = set()
    todo = [
        name
        for criterion in trial.criteria
        if criterion.formula
        for name in criterion.formula.reads
    ]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            definition = book.definitions[name]
            todo += list(definition.get("inputs", {}).values())
            # A gate on what nothing found means is read too (a negative antibody, a cancer).
            todo += [
                definition[g] for g in ("absenceReviewWhen", "absenceNoWhen") if g in definition
            ]
            todo += list(book.formulas[name].reads) if name in book.formulas else []
    return seen


def observation_definitions(book: Rulebook, trial: Trial) -> list[dict[str, Any]]:
    """Return the trial's definitions that read Observations."""
    return [
        book.definitions[name]
        for name in definitions_read(book, trial)
        if book.definitions[name]["kind"] in OBSERVATION_KINDS
    ]


def has_codes(book: Rulebook, definition: dict[str, Any]) -> bool:
    """Say whether a definition's value set has codes to search by (a set matched by name too is
    also searched by its codes).
    """
    return bool(book.value_sets[definition["valueSet"]].codes)


def by_code(book: Rulebook, definition: dict[str, Any]) -> bool:
    """Say whether a definition's value set can be a token search (exact codes only, no names or
    prefixes).
    """
    value_set = book.value_sets[definition["valueSet"]]
    return not (value_set.names or value_set.prefixes)


def query(params: list[tuple[str, str]]) -> dict[str, str]:
    """Return parameters as a mapping, checking none repeats."""
    assert len({name for name, _ in params}) == len(params)
    return dict(params)


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_plan_searches_only_the_types_read(book: Rulebook, trial_id: str) -> None:
    """A trial's plan searches exactly the resource types its definitions read (Patient is read,
    not searched).
    """
    trial = trial_of(book, trial_id)
    wanted = {
        rtype
        for name in definitions_read(book, trial)
        for rtype in RESOURCE_TYPES[book.definitions[name]["kind"]]
    } - {"Patient"}
    assert {search.resource_type for search in plan_searches(book, [trial])} == wanted


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_observation_codes_are_the_union_of_the_value_sets(book: Rulebook, trial_id: str) -> None:
    """The Observation code tokens are exactly the codes of the value sets of the trial's
    Observation definitions, each once, with no system (so any spelling of the system matches).
    """
    trial = trial_of(book, trial_id)
    expected = {
        code
        for d in observation_definitions(book, trial)
        if has_codes(book, d)
        for _system, code in book.value_sets[d["valueSet"]].codes
    }
    tokens = [
        token
        for search in plan_searches(book, [trial])
        if search.resource_type == "Observation"
        for token in search.codes
    ]
    assert expected
    assert sorted(tokens) == sorted(expected)


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_value_sets_by_name_get_one_uncoded_search(book: Rulebook, trial_id: str) -> None:
    """Definitions whose value set matches by name or prefix (EDSS, AQP4) get one Observation
    search without codes; others none.
    """
    trial = trial_of(book, trial_id)
    uncoded = [d for d in observation_definitions(book, trial) if not by_code(book, d)]
    plain = [
        s
        for s in plan_searches(book, [trial])
        if s.resource_type == "Observation" and not s.codes and s.prefetch
    ]
    assert len(plain) == (1 if uncoded else 0)
    if uncoded:
        assert plain[0].window.days == max(d["lookbackDays"] for d in uncoded)


def named_test_days(definition: dict[str, Any]) -> int:
    """Return the days of a pregnancy definition's negative-test window, whole days up."""
    hours = definition.get("negativeWithinHours")
    return -(-hours // 24) if hours is not None else definition["negativeWithinDays"]


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_named_pregnancy_tests_are_searched_over_the_negative_window(
    book: Rulebook, trial_id: str
) -> None:
    """A trial reading a pregnancy test known by name only gets an uncoded Observation search
    reaching back at least its negative-test window (a newer named positive outranks a coded
    negative); a trial with no other uncoded search gets it as a pull-only search, never a
    prefetch template (that would ask the EHR for every Observation).
    """
    trial = trial_of(book, trial_id)
    definitions = observation_definitions(book, trial)
    named = [d for d in definitions if d.get("namedTestValueSet")]
    uncoded = [
        s for s in plan_searches(book, [trial]) if s.resource_type == "Observation" and not s.codes
    ]
    assert named
    assert len(uncoded) == 1
    search = uncoded[0]
    assert search.window.days is None or search.window.days >= max(map(named_test_days, named))
    start = (AS_OF - timedelta(days=max(map(named_test_days, named)) + 1)).isoformat()
    if search.window.days is not None:
        assert query(search.params("p1", AS_OF, 200))["date"] <= "ge" + start
    assert search.prefetch == any(not by_code(book, d) for d in definitions)


def test_a_72_hour_window_searches_from_three_days_back(book: Rulebook) -> None:
    """A negative test within 72 hours of the end of the as-of day is searched from 3 days back
    (plus the margin day), not from the definition's 300-day lookback.
    """
    definition = dataclasses.replace(book.definitions["pregnant_serum_72h"], window=Window(300))
    searches = searches_module._observation_searches(
        dataclasses.replace(book, definitions={**book.definitions, "x": definition}), ["x"]
    )
    plain = [s for s in searches if not s.codes]
    assert [(s.window, s.prefetch) for s in plain] == [(Window(3), False)]
    assert query(plain[0].params("p1", AS_OF, 50))["date"] == "ge2026-11-16"


def _unfloored(definition: dict) -> bool:
    """Say whether a definition's Observations are searched over the whole history (absence no,
    or positives persist).
    """
    return definition.get("absence") == "no" or bool(definition.get("positivesPersist"))


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_date_floor_is_the_longest_lookback(book: Rulebook, trial_id: str) -> None:
    """A coded Observation search asks from the longest lookback of its definitions, plus one
    margin day, before the as-of date.
    """
    trial = trial_of(book, trial_id)
    longest = max(
        d["lookbackDays"]
        for d in observation_definitions(book, trial)
        if has_codes(book, d) and not _unfloored(d)
    )
    coded = [
        s
        for s in plan_searches(book, [trial])
        if s.resource_type == "Observation" and s.codes and s.window.days is not None
    ]
    assert coded
    for search in coded:
        assert search.window.days == longest
        assert (
            query(search.params("p1", AS_OF, 200))["date"]
            == "ge" + (AS_OF - timedelta(days=longest + 1)).isoformat()
        )


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_definitions_where_no_result_means_no_are_searched_without_a_floor(
    book: Rulebook, trial_id: str
) -> None:
    """The codes of a definition where no result means no, or whose positives never expire (HIV),
    are searched unfloored.

    A date search skips Observations dated only by ``issued`` (or undated), which the facts would
    set aside as "cannot tell": with a floor, such a positive test would silently become "no test".
    """
    trial = trial_of(book, trial_id)
    wanted = {
        code
        for d in observation_definitions(book, trial)
        if has_codes(book, d) and _unfloored(d)
        for _system, code in book.value_sets[d["valueSet"]].codes
    }
    unfloored = {
        code
        for s in plan_searches(book, [trial])
        if s.resource_type == "Observation" and s.window.days is None
        for code in s.codes
    }
    assert wanted <= unfloored
    assert (
        wanted or trial_id != "NCT05617859"
    )  # the HIV screen, whose positives never expire, is one of them


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_date_floor_can_be_turned_off(book: Rulebook, trial_id: str) -> None:
    """date_floor=False drops the date parameter from every search (the whole history is
    fetched).
    """
    searches = plan_searches(book, [trial_of(book, trial_id)])
    assert any(s.resource_type == "Observation" for s in searches)
    for search in searches:
        assert "date" not in query(search.params("p1", AS_OF, 200, date_floor=False))


def test_margin_is_one_day() -> None:
    """The margin below the window is one day: a server compares instants, the facts compare
    local dates.
    """
    assert FLOOR_MARGIN_DAYS == 1
    assert (
        query(Search("Observation", ("s|c",), Window(14)).params("p1", date(2026, 3, 1), 200))[
            "date"
        ]
        == "ge2026-02-14"
    )


def test_unlimited_lookback_has_no_floor(book: Rulebook) -> None:
    """One Observation definition without a lookback (ever) removes the floor of its search: the
    whole history is needed.
    """
    unlimited = {**book.definitions["anc"]}
    del unlimited["lookbackDays"]
    patched = dataclasses.replace(
        book, definitions={**book.definitions, "anc": definition_from("anc", unlimited)}
    )
    trial = next(t for t in book.trials.values() if "anc" in definitions_read(book, t))
    coded = [
        s for s in plan_searches(patched, [trial]) if s.resource_type == "Observation" and s.codes
    ]
    assert [s.window.days for s in coded] == [None] * len(coded)
    assert all("date" not in query(s.params("p1", AS_OF, 200)) for s in coded)


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
@pytest.mark.parametrize(
    "chunk",
    [
        # The real limit (every trial fits in one search today).
        pytest.param(CODES_PER_SEARCH, id="real-limit"),
        # A small limit: several searches, the last one partial.
        pytest.param(7, id="seven"),
        # One code per search.
        pytest.param(1, id="one"),
    ],
)
def test_codes_are_chunked(
    book: Rulebook, monkeypatch: pytest.MonkeyPatch, trial_id: str, chunk: int
) -> None:
    """Codes are split into searches of at most CODES_PER_SEARCH tokens, covering every code
    once, per floor group.
    """
    monkeypatch.setattr(searches_module, "CODES_PER_SEARCH", chunk)
    trial = trial_of(book, trial_id)
    coded = [
        s for s in plan_searches(book, [trial]) if s.resource_type == "Observation" and s.codes
    ]
    tokens = [token for search in coded for token in search.codes]
    assert len(tokens) == len(set(tokens))
    assert all(len(search.codes) <= chunk for search in coded)
    # One floor for the windowed definitions, none for those where no result means no: each group
    # chunked on its own.
    for floor in {search.window.days for search in coded}:
        group = [search for search in coded if search.window.days == floor]
        assert len(group) == -(-sum(len(search.codes) for search in group) // chunk)
    assert len({search.window.days for search in coded}) <= 2


def test_several_trials_share_one_plan(book: Rulebook) -> None:
    """Planning several trials at once searches each type once, with the union of their codes."""
    trials = [trial_of(book, trial_id) for trial_id in TRIAL_IDS]
    together = plan_searches(book, trials)
    types = [s.resource_type for s in together if s.resource_type != "Observation"]
    assert len(types) == len(set(types))
    union = {token for trial in trials for s in plan_searches(book, [trial]) for token in s.codes}
    assert {token for s in together for token in s.codes} == union


def test_medication_searches_include_the_medication(book: Rulebook) -> None:
    """Medication order searches ask the server to include the referenced Medication; other types
    include nothing.
    """
    searches = plan_searches(book, list(book.trials.values()))
    assert {s.resource_type for s in searches} >= {"MedicationRequest", "Observation"}
    for search in searches:
        if search.resource_type.startswith("Medication"):
            assert (
                query(search.params("p1", AS_OF, 200))["_include"]
                == f"{search.resource_type}:medication"
            )
        else:
            assert "_include" not in query(search.params("p1", AS_OF, 200))


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        # Codes go in combo-code (code or component code), OR-ed in one value, with the floor and
        # page size.
        pytest.param(
            Search(
                "Observation", ("http://loinc.org|8480-6", "http://loinc.org|8462-4"), Window(14)
            ),
            [
                ("patient", "Patient/p1"),
                ("combo-code", "http://loinc.org|8480-6,http://loinc.org|8462-4"),
                ("date", "ge2026-11-05"),
                ("_count", "200"),
            ],
            id="coded-observation",
        ),
        # A whole-history search of a type: the patient and page size only.
        pytest.param(
            Search("Condition"), [("patient", "Patient/p1"), ("_count", "200")], id="condition"
        ),
        # A medication order search with its include.
        pytest.param(
            Search("MedicationRequest", include="MedicationRequest:medication"),
            [
                ("patient", "Patient/p1"),
                ("_include", "MedicationRequest:medication"),
                ("_count", "200"),
            ],
            id="medication-request",
        ),
    ],
)
def test_params(search: Search, expected: list[tuple[str, str]]) -> None:
    """params() names the patient as Patient/{id} and adds only what the search has."""
    assert search.params("p1", AS_OF, 200) == expected


@pytest.mark.parametrize("trial_id", TRIAL_IDS)
def test_template_is_a_cds_hooks_prefetch(book: Rulebook, trial_id: str) -> None:
    """template() uses {{context.patientId}} and the codes, with no date, _include or _count (the
    prefetch subset has none).
    """
    searches = plan_searches(book, [trial_of(book, trial_id)])
    assert any(s.codes for s in searches)
    for search in searches:
        template = search.template()
        rtype, _, rest = template.partition("?")
        assert rtype == search.resource_type
        params = {name: values[0] for name, values in parse_qs(rest).items()}
        assert params.pop("patient") == "{{context.patientId}}"
        if search.codes:
            assert params.pop(search.code_param).split(",") == list(search.codes)
        assert params == {}
        assert "{{context.patientId}}" in template  # not percent-encoded


def test_template_keeps_tokens_readable() -> None:
    """A template keeps '|' and ',' readable for the EHR to substitute and send."""
    template = Search(
        "Observation", ("http://loinc.org|751-8", "http://loinc.org|26499-4"), Window(14)
    ).template()
    assert (
        template
        == "Observation?patient={{context.patientId}}&combo-code=http://loinc.org|751-8,http://loinc.org|26499-4"
    )


@pytest.mark.parametrize(
    ("search", "label"),
    [
        # Codes are counted, not listed.
        pytest.param(
            Search("Observation", ("a|1", "a|2")), "Observation search (2 codes)", id="coded"
        ),
        # A plain search.
        pytest.param(Search("Condition"), "Condition search", id="plain"),
    ],
)
def test_label(search: Search, label: str) -> None:
    """A search's label names its type and code count (it appears in reasons and logs, so never a
    patient id).
    """
    assert search.label == label
