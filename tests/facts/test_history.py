"""Tests for service.facts.history: Conditions, medications, Procedures, allergies and
immunizations.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from service.facts.base import unknown
from service.facts.context import Context
from service.facts.history import procedure as procedure_fact
from service.facts.history import unread_code
from service.facts.spans import medication_span
from service.records.bundle import record_from_bundle
from service.rulebook.book import Rulebook
from service.rulebook.definitions import Definition, definition_from
from service.rulebook.valuesets import ValueSet
from tests.helpers.records import (
    AS_OF,
    ICD10,
    ICDO3,
    MCODE_HISTOLOGY,
    RXNORM,
    SNOMED,
    bundle,
    concept,
    condition,
    day,
    fact,
    facts,
    medication,
    moment,
    procedure,
    resource,
)

LIVER_METS = "94381002"
MI = "22298006"
DOXORUBICIN = concept(RXNORM, "3639", "doxorubicin")
SURGERY = "387713003"


def liver_mets(**options: Any) -> dict[str, Any]:
    """Return a liver metastasis Condition (SNOMED CT)."""
    return condition(SNOMED, LIVER_METS, text="Metastasis to liver", **options)


def doxorubicin(kind: str, days_before: int | None, **options: Any) -> dict[str, Any]:
    """Return a doxorubicin medication record."""
    return medication(kind, days_before, medicationCodeableConcept=DOXORUBICIN, **options)


# --- Conditions -------------------------------------------------------------------------------


def test_active_condition_is_true(book: Rulebook) -> None:
    """An active, confirmed liver metastasis is on record, cited in the evidence."""
    cond = liver_mets()
    result = fact(book, "liver_metastases", cond)
    assert result.value is True
    assert [e.reference for e in result.evidence] == [f"Condition/{cond['id']}"]


def test_no_condition_is_false_saying_what_was_searched(book: Rulebook) -> None:
    """No matching Condition is false (a history question), and the evidence says what was
    searched.
    """
    result = fact(book, "liver_metastases", condition(SNOMED, MI))
    assert result.value is False
    assert result.evidence[0].note == (
        "searched 1 Condition records for Secondary malignant neoplasm of liver (liver "
        "metastases / invasion): none found; nothing found means no: "
        "It only relaxes a limit, so a missed record applies the stricter limit and can never "
        "let a patient in wrongly."
    )


@pytest.mark.parametrize(
    "verification",
    [
        # Ruled out.
        pytest.param("refuted", id="refuted"),
        # Recorded by mistake.
        pytest.param("entered-in-error", id="entered-in-error"),
    ],
)
def test_refuted_or_void_condition_ignored(book: Rulebook, verification: str) -> None:
    """A refuted or entered-in-error Condition is not on record."""
    assert fact(book, "liver_metastases", liver_mets(verification=verification)).value is False


@pytest.mark.parametrize("verification", ["provisional", "unconfirmed", "differential"])
def test_uncertain_condition_is_unknown(book: Rulebook, verification: str) -> None:
    """A provisional, unconfirmed or differential diagnosis is unknown, and the reason says so."""
    result = fact(book, "liver_metastases", liver_mets(verification=verification))
    assert result.value is None
    assert f"its verification status is {verification}" in result.summary


def test_confirmed_beats_provisional(book: Rulebook) -> None:
    """A confirmed diagnosis decides even beside a provisional one."""
    assert (
        fact(book, "liver_metastases", liver_mets(verification="provisional"), liver_mets()).value
        is True
    )


@pytest.mark.parametrize(
    ("clinical", "expected"),
    [
        # Active.
        pytest.param("active", True, id="active"),
        # A recurrence is active.
        pytest.param("recurrence", True, id="recurrence"),
        # Resolved.
        pytest.param("resolved", False, id="resolved"),
        # Inactive.
        pytest.param("inactive", False, id="inactive"),
        # In remission.
        pytest.param("remission", False, id="remission"),
    ],
)
def test_active_only(book: Rulebook, clinical: str, expected: bool) -> None:
    """An active-only definition ignores resolved, inactive and remitted Conditions."""
    assert fact(book, "liver_metastases", liver_mets(clinical=clinical)).value is expected


def test_history_counts_resolved(book: Rulebook) -> None:
    """A definition about history (not active-only) counts a resolved myocardial infarction."""
    old_mi = condition(
        SNOMED, MI, clinical="resolved", onset_days_before=3000, abatementDateTime=day(2900)
    )
    assert fact(book, "history_mi", old_mi).value is True


def test_undated_condition_counts_without_window(book: Rulebook) -> None:
    """Without a window, a Condition with no date still counts."""
    assert fact(book, "history_mi", condition(SNOMED, MI, onset_days_before=None)).value is True


@pytest.mark.parametrize(
    ("onset_days_before", "expected"),
    [
        # The first day of the 183-day window.
        pytest.param(183, True, id="first-day"),
        # The day before the window.
        pytest.param(184, False, id="day-before-window"),
        # The as-of day.
        pytest.param(0, True, id="as-of-day"),
        # After the as-of date.
        pytest.param(-1, False, id="after-as-of"),
        # Long ago, though still active: the onset decides.
        pytest.param(300, False, id="old-but-active"),
    ],
)
def test_onset_window(book: Rulebook, onset_days_before: int, expected: bool) -> None:
    """A 'windowBy onset' definition asks whether the Condition began in the window."""
    assert (
        fact(book, "mi_6m", condition(SNOMED, MI, onset_days_before=onset_days_before)).value
        is expected
    )


def test_recorded_date_in_window_leaves_onset_unknown(book: Rulebook) -> None:
    """Without onset[x], a recordedDate in the window bounds the onset but cannot place it:
    unknown (it may be an old MI noted now).
    """
    cond = condition(SNOMED, MI, onset_days_before=None, recordedDate=day(10))
    assert fact(book, "mi_6m", cond).value is None


def test_recorded_date_before_window_puts_onset_outside(book: Rulebook) -> None:
    """A Condition recorded before the window began before it too."""
    cond = condition(SNOMED, MI, onset_days_before=None, recordedDate=day(400))
    assert fact(book, "mi_6m", cond).value is False


def test_recorded_date_shows_an_active_condition_present(book: Rulebook) -> None:
    """An active arrhythmia with only a recordedDate is on record (no window)."""
    cond = condition(ICD10, "I48.0", onset_days_before=None, recordedDate=day(10))
    assert fact(book, "active_arrhythmia", cond).value is True


@pytest.mark.parametrize(
    ("onset", "expected"),
    [
        # At age 58 (born 1965-03-10, as of 2025-03-10): ended a year before the 6-month window.
        pytest.param(
            {
                "onsetAge": {
                    "value": 58,
                    "unit": "years",
                    "system": "http://unitsofmeasure.org",
                    "code": "a",
                }
            },
            False,
            id="age-58",
        ),
        # At age 59: any day of the last year, so maybe in the window.
        pytest.param(
            {
                "onsetAge": {
                    "value": 59,
                    "unit": "years",
                    "system": "http://unitsofmeasure.org",
                    "code": "a",
                }
            },
            None,
            id="age-59",
        ),
        # At age 60: from the 60th birthday (the as-of day) on: in the window.
        pytest.param(
            {
                "onsetAge": {
                    "value": 60,
                    "unit": "years",
                    "system": "http://unitsofmeasure.org",
                    "code": "a",
                }
            },
            True,
            id="age-60",
        ),
        # A range of ages 55-60: it may or may not be in the window.
        pytest.param(
            {"onsetRange": {"low": {"value": 55, "code": "a"}, "high": {"value": 60, "code": "a"}}},
            None,
            id="range-55-60",
        ),
        # A Period that began 30 days ago.
        pytest.param({"onsetPeriod": {"start": day(30), "end": day(20)}}, True, id="period"),
    ],
)
def test_onset_age_range_and_period_date_the_condition(
    book: Rulebook, onset: dict[str, Any], expected: bool | None
) -> None:
    """onsetAge, onsetRange and onsetPeriod date a Condition through the birth date."""
    cond = condition(SNOMED, MI, onset_days_before=None, **onset)
    assert fact(book, "mi_6m", cond).value is expected


def test_undated_condition_in_window_is_unknown(book: Rulebook) -> None:
    """With a window, a Condition with no date is unknown, and the reason says the window cannot
    be checked.
    """
    result = fact(book, "mi_6m", condition(SNOMED, MI, onset_days_before=None))
    assert result.value is None
    assert "without a date" in result.summary


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        # Began ten years ago, still active: it overlaps the 5-year window.
        pytest.param({"onset_days_before": 3650}, True, id="ongoing-since-long-ago"),
        # Resolved six years ago.
        pytest.param(
            {"onset_days_before": 3650, "clinical": "resolved", "abatementDateTime": day(2200)},
            False,
            id="resolved-before-window",
        ),
        # Resolved two years ago: active inside the window.
        pytest.param(
            {"onset_days_before": 3650, "clinical": "resolved", "abatementDateTime": day(730)},
            True,
            id="resolved-in-window",
        ),
        # Resolved with no abatement date: known present only at its onset, ten years ago.
        pytest.param(
            {"onset_days_before": 3650, "clinical": "resolved"},
            False,
            id="resolved-undated-long-ago",
        ),
        # Diagnosed in the window and resolved since.
        pytest.param(
            {"onset_days_before": 400, "clinical": "resolved", "abatementDateTime": day(100)},
            True,
            id="diagnosed-in-window",
        ),
        # Abatement given as a Period's end.
        pytest.param(
            {
                "onset_days_before": 3650,
                "clinical": "remission",
                "abatementPeriod": {"start": day(900), "end": day(800)},
            },
            True,
            id="abatement-period",
        ),
    ],
)
def test_overlap_window(book: Rulebook, options: dict[str, Any], expected: bool) -> None:
    """A windowed definition (by overlap) counts a Condition active at any time in the window."""
    lung_cancer = condition(ICD10, "C34.1", **options)
    assert fact(book, "other_malignancy_5y_nct03890068", lung_cancer).value is expected


def test_mcode_histology_extension_matches(book: Rulebook) -> None:
    """A Condition coded only by site matches a sarcoma through its mCODE ICD-O-3 histology
    extension.
    """
    extension = [
        {"url": MCODE_HISTOLOGY, "valueCodeableConcept": concept(ICDO3, "8800/3", "Sarcoma, NOS")}
    ]
    tumour = condition(SNOMED, "126689002", text="Neoplasm of thigh", extension=extension)
    assert fact(book, "has_bone_soft_tissue_sarcoma", tumour).value is True


def test_other_extension_ignored(book: Rulebook) -> None:
    """The same ICD-O-3 code in some other extension does not match."""
    extension = [
        {
            "url": "http://example.org/other",
            "valueCodeableConcept": concept(ICDO3, "8800/3", "Sarcoma, NOS"),
        }
    ]
    tumour = condition(SNOMED, "126689002", text="Neoplasm of thigh", extension=extension)
    assert fact(book, "has_bone_soft_tissue_sarcoma", tumour).value is False


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        # The category with its dot.
        pytest.param(ICD10, "C78.7", True, id="with-dot"),
        # Without the dot, as some systems send it.
        pytest.param(ICD10, "C787", True, id="without-dot"),
        # In lower case under the R4 ICD-10 URI.
        pytest.param("http://hl7.org/fhir/sid/icd-10", "c78.7", True, id="alias-lower-case"),
        # The peritoneum, a sibling category.
        pytest.param(ICD10, "C78.6", False, id="sibling"),
    ],
)
def test_icd10_prefix(book: Rulebook, system: str, code: str, expected: bool) -> None:
    """An ICD-10-CM code under a value set's prefix matches with or without its dot."""
    assert fact(book, "liver_metastases", condition(system, code)).value is expected


def test_failed_condition_search_is_unknown(book: Rulebook) -> None:
    """When the Condition search failed, the fact is unknown (not 'no record'), quoting the
    failure.
    """
    result = fact(book, "liver_metastases", failed={"Condition": "HTTP 502 Bad Gateway"})
    assert (result.value, result.summary) == (
        None,
        "Liver metastases / invasion: Condition search failed (HTTP 502 Bad Gateway); not decided",
    )


@pytest.mark.parametrize(
    ("onsets", "expected"),
    [
        # Two attacks in the year.
        pytest.param([300, 30], 2, id="two"),
        # Two records of the same attack (same day) are one episode.
        pytest.param([30, 30], 1, id="same-day"),
        # One attack before the 365-day window.
        pytest.param([400, 30], 1, id="one-outside"),
        # None.
        pytest.param([], 0, id="none"),
    ],
)
def test_condition_count(book: Rulebook, onsets: list[int], expected: int) -> None:
    """Episodes are counted by distinct onset day within the window."""
    records = [
        condition(SNOMED, "66760008", text="Optic neuritis", onset_days_before=n) for n in onsets
    ]
    assert fact(book, "nmo_relapses_12m", *records).value == expected


@pytest.mark.parametrize(
    ("onsets", "expected"),
    [
        # One optic neuritis recorded twice 9 days apart (ED, then clinic): one attack.
        pytest.param([100, 91], 1, id="one-attack-recorded-twice"),
        # 29 days after the first record: still that attack.
        pytest.param([100, 71], 1, id="29-days"),
        # 30 days after: a new attack.
        pytest.param([100, 70], 2, id="30-days"),
        # Records 20 days apart chain to the episode's first record, not to each other: day 60 is 40
        # days after day 100.
        pytest.param([100, 80, 60], 2, id="chained"),
    ],
)
def test_condition_count_joins_records_of_one_episode(
    book: Rulebook, onsets: list[int], expected: int
) -> None:
    """With episodeGapDays, records less than that many days after an episode's first record are
    that episode.
    """
    records = [
        condition(SNOMED, "66760008", text="Optic neuritis", onset_days_before=n) for n in onsets
    ]
    assert fact(book, "nmo_relapses_12m", *records).value == expected


def test_condition_count_groups_episodes_before_the_window_cut(book: Rulebook) -> None:
    """An attack first recorded before the 365-day window, with a follow-up record inside it, is
    not counted as an attack in the window.
    """
    # Optic neuritis first recorded 370 days ago, followed up 352 days ago (18 days later: the same
    # attack), and one real attack 60 days ago.
    records = [
        condition(SNOMED, "66760008", text="Optic neuritis", onset_days_before=n)
        for n in (370, 352, 60)
    ]
    assert fact(book, "nmo_relapses_12m", *records).value == 1


def test_condition_count_undated_widens_to_range(book: Rulebook) -> None:
    """An episode without an onset date may or may not be in the window: the count becomes a
    range.
    """
    records = [
        condition(SNOMED, "66760008", onset_days_before=30),
        condition(SNOMED, "66760008", onset_days_before=None),
    ]
    assert fact(book, "nmo_relapses_12m", *records).bounds() == (1, 2)


# --- medications ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["MedicationAdministration", "MedicationStatement", "MedicationRequest"]
)
def test_medication_kinds(book: Rulebook, kind: str) -> None:
    """An administration, statement or request of an anthracycline is a prior anthracycline."""
    assert fact(book, "prior_anthracycline", doxorubicin(kind, 200)).value is True


def test_medication_by_name_only(book: Rulebook) -> None:
    """Anlotinib (no standard code) is matched by name in text, and the evidence says so."""
    record = medication(
        "MedicationStatement",
        90,
        medicationCodeableConcept={"text": "Anlotinib hydrochloride capsules 12 mg"},
    )
    result = fact(book, "prior_anlotinib", record)
    note = result.evidence[0].note or ""
    assert result.value is True
    assert "(matched by name)" in result.summary
    assert "matched by" in note
    assert "name" in note


def test_medication_reference_resolved(book: Rulebook) -> None:
    """medicationReference to a Medication in the Bundle is resolved and its code matched."""
    drug = resource("Medication", code=concept(RXNORM, "3639", "Adriamycin"))
    given = medication(
        "MedicationAdministration",
        30,
        medicationReference={"reference": f"Medication/{drug['id']}"},
    )
    result = fact(book, "prior_anthracycline", drug, given)
    assert result.value is True
    assert result.evidence[0].note is None


def test_medication_reference_by_full_url(book: Rulebook) -> None:
    """medicationReference by the Medication entry's urn:uuid fullUrl is resolved."""
    drug = resource("Medication", code=concept(RXNORM, "3639", "Adriamycin"))
    given = medication(
        "MedicationAdministration", 30, medicationReference={"reference": f"urn:uuid:{drug['id']}"}
    )
    assert fact(book, "prior_anthracycline", drug, given).value is True


def test_medication_ingredient_matched(book: Rulebook) -> None:
    """A Medication whose own code is a brand matches through its ingredient's code."""
    ingredient = [
        {"itemCodeableConcept": concept("http://www.whocc.no/atc", "L01DB01", "doxorubicin")}
    ]
    drug = resource(
        "Medication",
        code=concept("http://example.org/brands", "B1", "Brand X"),
        ingredient=ingredient,
    )
    given = medication(
        "MedicationAdministration",
        30,
        medicationReference={"reference": f"Medication/{drug['id']}"},
    )
    assert fact(book, "prior_anthracycline", drug, given).value is True


def test_unresolved_reference_display_matched_by_name(book: Rulebook) -> None:
    """A medicationReference not in the Bundle is matched by its display, by name."""
    given = medication(
        "MedicationStatement",
        30,
        medicationReference={"reference": "Medication/elsewhere", "display": "anlotinib"},
    )
    assert fact(book, "prior_anlotinib", given).value is True


def dispensed_doxorubicin(days_before: int, **options: Any) -> dict[str, Any]:
    """Return a MedicationDispense of doxorubicin handed over ``days_before`` days ago."""
    fields = {"whenHandedOver": moment(days_before), "medicationCodeableConcept": DOXORUBICIN}
    return resource("MedicationDispense", **{"status": "completed", **fields, **options})


@pytest.mark.parametrize("days", [1, 30, 7.5])
def test_a_dispense_lasts_as_long_as_an_order_of_the_same_supply(days: float) -> None:
    """A 30-day supply handed over on a day ends on the day a 30-day order written that day ends:
    the pharmacy's and the prescriber's record of one course must not disagree by a day at a
    window's edge.
    """
    supply = {"value": days, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"}
    order = {
        "resourceType": "MedicationRequest",
        "status": "completed",
        "authoredOn": "2026-03-01",
        "dispenseRequest": {"expectedSupplyDuration": supply},
    }
    dispense = {
        "resourceType": "MedicationDispense",
        "status": "completed",
        "whenHandedOver": "2026-03-01T10:00:00Z",
        "daysSupply": supply,
    }
    assert medication_span(dispense)[:2] == medication_span(order)[:2]


def test_a_dispense_is_a_prior_medication(book: Rulebook) -> None:
    """A pharmacy that only records what it handed over still shows the drug was given."""
    result = fact(book, "prior_anthracycline", dispensed_doxorubicin(200))
    assert result.value is True
    assert (result.evidence[0].reference or "").startswith("MedicationDispense/")


@pytest.mark.parametrize("status", ["cancelled", "declined", "entered-in-error"])
def test_a_dispense_that_handed_nothing_over_is_ignored(book: Rulebook, status: str) -> None:
    """A cancelled, declined or mistaken dispense gave no drug."""
    dispense = dispensed_doxorubicin(200, status=status)
    assert fact(book, "prior_anthracycline", dispense).value is False


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        # An administration that did not happen.
        pytest.param("MedicationAdministration", "not-done", id="administration-not-done"),
        # An administration recorded by mistake.
        pytest.param("MedicationAdministration", "entered-in-error", id="administration-error"),
        # A cancelled order.
        pytest.param("MedicationRequest", "cancelled", id="request-cancelled"),
        # A draft order.
        pytest.param("MedicationRequest", "draft", id="request-draft"),
        # A statement that the drug was not taken.
        pytest.param("MedicationStatement", "not-taken", id="statement-not-taken"),
    ],
)
def test_void_medication_ignored(book: Rulebook, kind: str, status: str) -> None:
    """A medication record that is void or did not happen is not a prior medication."""
    assert fact(book, "prior_anthracycline", doxorubicin(kind, 200, status=status)).value is False


@pytest.mark.parametrize("intent", ["plan", "proposal", "option"])
def test_a_request_that_orders_nothing_is_no_prior_medication(book: Rulebook, intent: str) -> None:
    """A MedicationRequest whose intent is a plan, a proposal or an option gave no drug."""
    planned = doxorubicin("MedicationRequest", 200, status="active", intent=intent)
    assert fact(book, "prior_anthracycline", planned).value is False
    ordered = doxorubicin("MedicationRequest", 200, status="active", intent="order")
    assert fact(book, "prior_anthracycline", ordered).value is True


def test_medication_after_as_of_ignored(book: Rulebook) -> None:
    """A medication given after the as-of date is not prior."""
    assert (
        fact(book, "prior_anthracycline", doxorubicin("MedicationAdministration", -5)).value
        is False
    )


def test_failed_medication_search_is_unknown(book: Rulebook) -> None:
    """If any medication search failed, a medication fact is unknown, naming the failed search."""
    result = fact(book, "prior_anthracycline", failed={"MedicationRequest": "HTTP 500"})
    assert result.value is None
    assert "MedicationRequest search failed (HTTP 500)" in result.summary


CHEMOTHERAPY = "367336001"
CPT = "http://www.ama-assn.org/go/cpt"


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        # SNOMED CT Chemotherapy, 10 days before: the drug it gave is not named.
        pytest.param(procedure(CHEMOTHERAPY, 10), None, id="snomed-10d"),
        # CPT 96413, intravenous chemotherapy infusion.
        pytest.param(procedure("96413", 10, system=CPT), None, id="cpt-96413"),
        # Outside the 28 days: no.
        pytest.param(procedure(CHEMOTHERAPY, 40), False, id="snomed-40d"),
        # Not done: it did not happen.
        pytest.param(procedure(CHEMOTHERAPY, 10, status="not-done"), False, id="not-done"),
        # A knee arthroscopy is no chemotherapy.
        pytest.param(procedure("29881", 10, system=CPT), False, id="other-procedure"),
    ],
)
def test_a_chemotherapy_procedure_puts_systemic_therapy_to_review(
    book: Rulebook, session: dict[str, Any], expected: bool | None
) -> None:
    """A chemotherapy session recorded only as a Procedure in the window is for review, never a
    firm no; one outside the window, or not done, leaves the answer no.
    """
    result = fact(book, "systemic_therapy_4w", session)
    assert (result.value, bool(result.review)) == (expected, expected is None)
    if expected is None:
        assert result.evidence[0].reference == f"Procedure/{session['id']}"


def test_a_drug_given_outranks_the_chemotherapy_procedure(book: Rulebook) -> None:
    """With the drug itself on record in the window, the therapy is decided: yes."""
    result = fact(
        book,
        "systemic_therapy_4w",
        procedure(CHEMOTHERAPY, 10),
        doxorubicin("MedicationAdministration", 10),
    )
    assert (result.value, result.review) == (True, None)


def test_a_failed_procedure_search_leaves_systemic_therapy_unknown(book: Rulebook) -> None:
    """No drug found, but the Procedure search failed: a chemotherapy session may be on record,
    so the answer is unknown, not no.
    """
    result = fact(book, "systemic_therapy_4w", failed={"Procedure": "HTTP 503"})
    assert result.value is None
    assert "Procedure search failed (HTTP 503)" in result.summary


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        # Days 1 and 4 of one cycle, then two more cycles three weeks apart.
        pytest.param([80, 77, 59, 38], 3, id="three-cycles"),
        # Two days exactly 7 days apart are one cycle.
        pytest.param([30, 23], 1, id="seven-days-apart"),
        # Eight days apart are two.
        pytest.param([30, 22], 2, id="eight-days-apart"),
        # The same day twice is one cycle.
        pytest.param([30, 30], 1, id="same-day"),
        # Nothing given.
        pytest.param([], 0, id="none"),
    ],
)
def test_cycles_counted(book: Rulebook, days: list[int], expected: int) -> None:
    """Anthracycline cycles are dated administrations with days within 7 days joined."""
    records = [doxorubicin("MedicationAdministration", d) for d in days]
    assert fact(book, "anthracycline_cycles", *records).value == expected


def test_cycles_from_orders_when_no_administrations(book: Rulebook) -> None:
    """Without administrations, orders count cycles, and the summary says so."""
    result = fact(
        book,
        "anthracycline_cycles",
        doxorubicin("MedicationRequest", 60),
        doxorubicin("MedicationRequest", 39),
    )
    assert result.value == 2
    assert "from 2 orders and statements" in result.summary


def test_cycles_prefer_administrations(book: Rulebook) -> None:
    """Administrations, when present, say what was given; orders beside them are not counted."""
    records = [
        doxorubicin("MedicationAdministration", 60),
        doxorubicin("MedicationRequest", 39),
        doxorubicin("MedicationRequest", 18),
    ]
    assert fact(book, "anthracycline_cycles", *records).value == 1


def test_cycles_ignore_void_and_future(book: Rulebook) -> None:
    """A not-done administration and one after the as-of date are not cycles."""
    records = [
        doxorubicin("MedicationAdministration", 60),
        doxorubicin("MedicationAdministration", 39, status="not-done"),
        doxorubicin("MedicationAdministration", -10),
    ]
    assert fact(book, "anthracycline_cycles", *records).value == 1


def test_cycles_with_undated_record_unknown(book: Rulebook) -> None:
    """An undated matching administration makes the cycle count unknown."""
    assert (
        fact(book, "anthracycline_cycles", doxorubicin("MedicationAdministration", None)).value
        is None
    )


PREDNISONE = concept(RXNORM, "8640", "prednisone")


@pytest.mark.parametrize(
    ("kind", "status", "fields", "expected"),
    [
        # Taking prednisone since 400 days ago, no end, asserted 20 days ago: current, so in the
        # 14-day window.
        pytest.param(
            "MedicationStatement",
            "active",
            {"effectivePeriod": {"start": day(400)}, "dateAsserted": day(20)},
            True,
            id="statement-active-open-period",
        ),
        # A completed course that ended 100 days ago.
        pytest.param(
            "MedicationStatement",
            "completed",
            {"effectivePeriod": {"start": day(400), "end": day(100)}},
            False,
            id="statement-ended",
        ),
        # A course that ends inside the window.
        pytest.param(
            "MedicationStatement",
            "completed",
            {"effectivePeriod": {"start": day(60), "end": day(10)}},
            True,
            id="statement-ends-in-window",
        ),
        # An active order from 60 days ago with no validity end: still ongoing.
        pytest.param(
            "MedicationRequest", "active", {"authoredOn": day(60)}, True, id="request-active"
        ),
        # A completed order from 60 days ago.
        pytest.param(
            "MedicationRequest", "completed", {"authoredOn": day(60)}, False, id="request-completed"
        ),
        # An active order whose validity ended 30 days ago.
        pytest.param(
            "MedicationRequest",
            "active",
            {"authoredOn": day(60), "dispenseRequest": {"validityPeriod": {"end": day(30)}}},
            False,
            id="request-expired",
        ),
    ],
)
def test_ongoing_medication_window(
    book: Rulebook, kind: str, status: str, fields: dict[str, Any], expected: bool
) -> None:
    """An active order or statement without an end is ongoing and overlaps the window; an ended
    one does not.
    """
    record = medication(kind, None, status=status, medicationCodeableConcept=PREDNISONE, **fields)
    assert fact(book, "corticosteroid_14d", record).value is expected


def test_medication_window(book: Rulebook) -> None:
    """A windowed medication definition counts only records in its window (14 days for G-CSF)."""
    filgrastim = concept(RXNORM, "68442", "filgrastim")
    inside = fact(
        book,
        "g_csf_14d",
        medication("MedicationAdministration", 14, medicationCodeableConcept=filgrastim),
    ).value
    outside = fact(
        book,
        "g_csf_14d",
        medication("MedicationAdministration", 15, medicationCodeableConcept=filgrastim),
    ).value
    assert inside is True
    assert outside is False


# --- procedures, allergies, immunizations -----------------------------------------------------


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [
        # The first day of the 28-day window.
        pytest.param(28, True, id="first-day"),
        # The day before the window.
        pytest.param(29, False, id="before-window"),
    ],
)
def test_surgery_window(book: Rulebook, days_before: int, expected: bool) -> None:
    """Surgery in the 28 days before counts from the day it was performed."""
    assert fact(book, "surgery_28d", procedure(SURGERY, days_before)).value is expected


@pytest.mark.parametrize("status", ["not-done", "entered-in-error", "preparation"])
def test_void_procedure_ignored(book: Rulebook, status: str) -> None:
    """A procedure not done, recorded in error or only in preparation is not surgery."""
    assert fact(book, "surgery_28d", procedure(SURGERY, 5, status=status)).value is False


def test_procedure_performed_period(book: Rulebook) -> None:
    """A performedPeriod dates the procedure by its start."""
    surgery = procedure(SURGERY, 5)
    del surgery["performedDateTime"]
    surgery["performedPeriod"] = {"start": moment(6), "end": moment(5)}
    assert fact(book, "surgery_28d", surgery).value is True


def test_procedure_by_name(book: Rulebook) -> None:
    """A procedure with a local code is matched by a name in its text."""
    surgery = procedure("LOCAL-17", 10, system="http://example.org/procedures")
    surgery["code"]["text"] = "Wide local excision of thigh mass"
    assert fact(book, "surgery_28d", surgery).value is True


def _coded_procedures(text: str) -> tuple[Context, Definition]:
    """Return a context with one Procedure of a code in a codes-only value set whose excluded set
    has names, and the definition.
    """
    excluded = ValueSet(name="biopsies", title="biopsies", names=["biopsy"])
    coded = ValueSet(name="coded", title="coded", codes={(SNOMED, "1")}, excluded=[excluded])
    proc = procedure("1", 5)
    proc["code"]["text"] = text
    record = record_from_bundle(bundle(proc))
    ctx = Context(record, AS_OF, {"coded": coded}, lambda name: unknown(name, "none"))
    return ctx, definition_from("coded_28d", {"kind": "procedure", "valueSet": "coded"})


def test_codes_only_procedure_set_does_not_read_texts() -> None:
    """A value set of codes passes no text to its exclusions: a name in the Procedure's text does
    not veto a code.
    """
    ctx, definition = _coded_procedures("Needle biopsy")
    assert procedure_fact(ctx, "coded_28d", definition).value is True


def test_two_procedure_sets_share_the_record_index() -> None:
    """Each distinct code is matched once per record, and a second definition reads the same
    answer.
    """
    ctx, definition = _coded_procedures("Needle biopsy")
    first = procedure_fact(ctx, "coded_28d", definition)
    again = procedure_fact(ctx, "coded_28d", definition)
    assert (first.value, again.value, list(ctx._groups)) == (True, True, ["Procedure by code"])


@pytest.mark.parametrize(
    ("clinical", "verification", "expected"),
    [
        # Active and confirmed.
        pytest.param("active", "confirmed", True, id="active"),
        # Resolved.
        pytest.param("resolved", "confirmed", False, id="resolved"),
        # Refuted.
        pytest.param("active", "refuted", False, id="refuted"),
    ],
)
def test_allergy(book: Rulebook, clinical: str, verification: str, expected: bool) -> None:
    """An active, not refuted allergy to a study drug counts."""
    allergy = resource(
        "AllergyIntolerance",
        code={"text": "Mitoxantrone"},
        clinicalStatus=concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", clinical
        ),
        verificationStatus=concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", verification
        ),
    )
    assert fact(book, "allergy_study_drug_nct06761417", allergy).value is expected


def test_an_intolerance_is_for_a_person_to_judge(book: Rulebook) -> None:
    """A confirmed intolerance (nausea) to a study drug is not known hypersensitivity: unknown,
    saying why, where the same record typed as an allergy counts.
    """
    fields = {
        "code": {"text": "Mitoxantrone"},
        "verificationStatus": concept(
            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"
        ),
    }
    allergy = resource("AllergyIntolerance", type="allergy", **fields)
    intolerance = resource("AllergyIntolerance", type="intolerance", **fields)
    assert fact(book, "allergy_study_drug_nct06761417", allergy).value is True
    result = fact(book, "allergy_study_drug_nct06761417", intolerance)
    assert result.value is None
    assert "recorded as an intolerance" in result.summary


@pytest.mark.parametrize(
    ("days_before", "status", "expected"),
    [
        # Given ten days ago.
        pytest.param(10, "completed", True, id="recent"),
        # Given before the 28-day window.
        pytest.param(40, "completed", False, id="old"),
        # Not given.
        pytest.param(10, "not-done", False, id="not-done"),
    ],
)
def test_live_vaccine(book: Rulebook, days_before: int, status: str, expected: bool) -> None:
    """A live vaccine given in the 28 days before counts; one not given does not."""
    mmr = concept("http://hl7.org/fhir/sid/cvx", "03", "MMR")
    vaccine = resource(
        "Immunization", status=status, vaccineCode=mmr, occurrenceDateTime=moment(days_before)
    )
    assert fact(book, "live_vaccine_28d", vaccine).value is expected


# --- records branch: medication references and open orders ----------------------------------


DOXORUBICIN_DRUG = {
    "resourceType": "Medication",
    "id": "dox",
    "code": concept(RXNORM, "3639", "Adriamycin"),
}


@pytest.mark.parametrize(
    ("reference", "where"),
    [
        # A Medication contained in the order.
        pytest.param("#dox", "contained", id="contained"),
        # A relative reference with a version.
        pytest.param("Medication/dox/_history/2", "bundle", id="relative-versioned"),
        # An absolute URL of the Medication on a server.
        pytest.param("https://ehr.example.org/fhir/Medication/dox", "bundle", id="absolute"),
    ],
)
def test_medication_reference_forms_resolve(book: Rulebook, reference: str, where: str) -> None:
    """A contained, versioned or absolute medicationReference resolves to the Medication's code."""
    extra: dict[str, Any] = {"contained": [DOXORUBICIN_DRUG]} if where == "contained" else {}
    given = medication(
        "MedicationAdministration", 30, medicationReference={"reference": reference}, **extra
    )
    others = () if where == "contained" else (dict(DOXORUBICIN_DRUG),)
    assert fact(book, "prior_anthracycline", given, *others).value is True


def test_unresolvable_medication_reference_is_unknown_not_no(book: Rulebook) -> None:
    """An order whose Medication is not in the record leaves 'prior anthracycline' unknown,
    citing it.
    """
    given = medication(
        "MedicationAdministration", 30, medicationReference={"reference": "Medication/elsewhere"}
    )
    result = fact(book, "prior_anthracycline", given)
    assert (result.value, [e.reference for e in result.evidence]) == (
        None,
        [f"MedicationAdministration/{given['id']}"],
    )


def test_unresolvable_medication_reference_leaves_cycles_unknown(book: Rulebook) -> None:
    """An administration of an unknown drug leaves the anthracycline cycle count unknown."""
    given = medication(
        "MedicationAdministration", 30, medicationReference={"reference": "Medication/elsewhere"}
    )
    assert (
        fact(book, "anthracycline_cycles", doxorubicin("MedicationAdministration", 60), given).value
        is None
    )


DOCETAXEL = concept(RXNORM, "1860480", "docetaxel 20 MG/ML Injectable Solution")


@pytest.mark.parametrize(
    ("days_before", "extra", "expected"),
    [
        # Synthea: an order left 'active' for decades is not current therapy.
        pytest.param(7500, {}, False, id="active-since-decades"),
        # Written 80 days ago with no end: still counted (within the 90 days an open order counts).
        pytest.param(80, {}, True, id="open-order-80-days"),
        # Written 130 days ago with no end: past its 90 days, yet never ended and written within
        # the year before the window, so it may still be given: unknown, never a firm no.
        pytest.param(130, {}, None, id="open-order-130-days"),
        # Written 420 days ago with no end: more than a year before the window, taken as ended.
        pytest.param(420, {}, False, id="open-order-420-days"),
        # A 30-day supply written 60 days ago ended 30 days ago: outside 4 weeks.
        pytest.param(
            60,
            {
                "dispenseRequest": {
                    "expectedSupplyDuration": {"value": 30, "unit": "days", "code": "d"}
                }
            },
            False,
            id="supply-ended",
        ),
        # A validity period that runs to 10 days ago: within 4 weeks.
        pytest.param(
            200,
            {"dispenseRequest": {"validityPeriod": {"start": day(200), "end": day(10)}}},
            True,
            id="validity-period",
        ),
    ],
)
def test_active_order_counts_for_a_bounded_time(
    book: Rulebook, days_before: int, extra: dict[str, Any], expected: bool | None
) -> None:
    """An active MedicationRequest with no end counts as current for 90 days, else until its own
    end; past the 90 days it may still run for a year (unknown), then it is taken as ended.
    """
    order = medication(
        "MedicationRequest",
        days_before,
        status="active",
        medicationCodeableConcept=DOCETAXEL,
        **extra,
    )
    assert fact(book, "systemic_therapy_4w", order).value is expected


# --- records branch: morphology, personal history, courses ----------------------------------


def test_icdo3_morphology_alone_is_another_malignancy(book: Rulebook) -> None:
    """An adenocarcinoma coded only as ICD-O-3 8140/3 is a malignancy other than the trial's
    sarcoma.
    """
    cond = condition(ICDO3, "8140/3", text="Adenocarcinoma", onset_days_before=400)
    assert fact(book, "other_malignancy_5y_nct03890068", cond).value is True


def test_icdo3_morphology_in_mcode_extension_is_a_malignancy(book: Rulebook) -> None:
    """A Condition whose code is unknown to the sets but whose mCODE histology is 8140/3 is a
    malignancy.
    """
    extension = [
        {
            "url": MCODE_HISTOLOGY,
            "valueCodeableConcept": concept(ICDO3, "8140/3", "Adenocarcinoma, NOS"),
        }
    ]
    cond = condition(
        "http://example.org/local", "X1", text="Tumour", onset_days_before=400, extension=extension
    )
    assert fact(book, "other_malignancy_5y_nct03890068", cond).value is True


def test_benign_icdo3_morphology_is_not_a_malignancy(book: Rulebook) -> None:
    """ICD-O-3 behaviour /0 (benign) is no malignancy."""
    cond = condition(ICDO3, "8140/0", text="Adenoma", onset_days_before=400)
    assert fact(book, "other_malignancy_5y_nct03890068", cond).value is False


def test_sarcoma_morphology_is_not_another_malignancy_in_a_sarcoma_trial(book: Rulebook) -> None:
    """The trial's own tumour by its ICD-O-3 code (leiomyosarcoma 8890/3) is vetoed by the
    exclusion, not another cancer.
    """
    cond = condition(ICDO3, "8890/3", text="Leiomyosarcoma", onset_days_before=400)
    assert fact(book, "other_malignancy_5y_nct03890068", cond).value is False


@pytest.mark.parametrize(
    ("system", "code"),
    [
        # ICD-10-CM personal history of breast cancer.
        pytest.param(ICD10, "Z85.3", id="z85-3"),
        # SNOMED CT history of malignant neoplasm.
        pytest.param(SNOMED, "266987004", id="snomed-history"),
    ],
)
def test_personal_history_code_is_cancer_with_an_unknown_date(
    book: Rulebook, system: str, code: str
) -> None:
    """A personal-history code makes 'other malignancy within 5 years' unknown (the date is not
    in it), cited.
    """
    cond = condition(system, code, onset_days_before=20)
    result = fact(book, "other_malignancy_5y_nct03890068", cond)
    assert (result.value, [e.reference for e in result.evidence]) == (
        None,
        [f"Condition/{cond['id']}"],
    )


def test_personal_history_code_is_not_an_active_cancer(book: Rulebook) -> None:
    """An active-only 'other malignancy' is not met by a personal-history code (the cancer is in
    the past).
    """
    assert (
        fact(book, "other_malignancy_active_nct06761417", condition(ICD10, "Z85.3")).value is False
    )


RADIOTHERAPY = "108290001"


def radiotherapy_course(start: int, end: int, code: str = RADIOTHERAPY) -> dict[str, Any]:
    """Return a radiotherapy Procedure with a performedPeriod from ``start`` to ``end`` days
    before the as-of date.
    """
    proc = procedure(code, start)
    del proc["performedDateTime"]
    proc["performedPeriod"] = {"start": day(start), "end": day(end)}
    return proc


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Began 60 days ago, ended 25 days ago: part of it is in the 4 weeks.
        pytest.param(60, 25, True, id="ending-inside"),
        # Ended 29 days ago: outside.
        pytest.param(70, 29, False, id="ended-before"),
    ],
)
def test_radiotherapy_course_counts_when_any_part_is_in_the_window(
    book: Rulebook, start: int, end: int, expected: bool
) -> None:
    """A course with a performedPeriod is within the window when any part of it is."""
    assert fact(book, "radiotherapy_28d", radiotherapy_course(start, end)).value is expected


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("152198000", id="brachytherapy"),
        pytest.param("113120007", id="interstitial-brachytherapy"),
        pytest.param("399315003", id="radionuclide-therapy"),
    ],
)
def test_brachytherapy_and_radionuclide_therapy_are_radiotherapy(book: Rulebook, code: str) -> None:
    """Brachytherapy and radionuclide therapy 10 days ago are radiotherapy in the window."""
    assert fact(book, "radiotherapy_28d", procedure(code, 10)).value is True


@pytest.mark.parametrize(
    "onset",
    [
        pytest.param("2025-01-10T25:00:00Z", id="hour-25"),
        pytest.param("２０２５-０１-１０", id="full-width"),
        pytest.param("2025-01-10T10:00:00+25:00", id="offset-25"),
    ],
)
def test_invalid_onset_never_places_a_condition_in_a_window(book: Rulebook, onset: str) -> None:
    """An MI with an invalid onsetDateTime (and a recordedDate long ago) is unknown for 'MI in 6
    months', citing why.
    """
    cond = condition(SNOMED, MI, onset_days_before=None, recordedDate=day(900), onsetDateTime=onset)
    result = fact(book, "mi_6m", cond)
    assert result.value is None
    assert (result.evidence[0].note or "").startswith("date set aside: onsetDateTime")


def test_invalid_administration_date_is_unknown_for_a_window(book: Rulebook) -> None:
    """A doxorubicin administration dated at hour 25 leaves 'therapy in 4 weeks' unknown."""
    given = doxorubicin("MedicationAdministration", None, effectiveDateTime="2025-03-01T25:00:00Z")
    assert fact(book, "systemic_therapy_4w", given).value is None


def test_review_absence_is_undecided_with_a_reason_to_confirm(book: Rulebook) -> None:
    """Required prior treatment not on record is for a person to confirm (review), never a hard
    no.
    """
    result = fact(book, "prior_systemic_therapy")
    assert result.value is None
    assert result.review
    assert "to confirm" in result.review
    assert "nothing found means review" in result.evidence[0].note


def test_review_absence_count_is_at_least_what_is_on_record(book: Rulebook) -> None:
    """Two anthracycline cycles on record are 'at least 2': more may have been given elsewhere."""
    given = [
        medication(
            "MedicationAdministration",
            days,
            medicationCodeableConcept=concept(RXNORM, "3639", "doxorubicin"),
        )
        for days in (60, 39)
    ]
    result = fact(book, "anthracycline_cycles", *given)
    assert result.value == 2
    assert result.bounds() == (2, 1e300)
    assert bool(result.review)


def test_review_absence_applies_only_with_its_gate_on_record(book: Rulebook) -> None:
    """No cancer at all: the missing sarcoma is absent (no); a uterine cancer coded by site only:
    review.
    """
    assert fact(book, "has_soft_tissue_sarcoma").value is False
    by_site = fact(book, "has_soft_tissue_sarcoma", condition(ICD10, "C55"))
    assert by_site.value is None
    assert by_site.review


def test_unknown_absence_asks_for_the_history(book: Rulebook) -> None:
    """With absence 'unknown', nothing found is unknown and names what to establish."""
    custom = dataclasses.replace(
        book,
        definitions={
            **book.definitions,
            "current_infection": definition_from(
                "current_infection",
                {
                    "kind": "condition",
                    "label": "Current infection",
                    "description": "x",
                    "valueSet": "hiv_infection",
                    "absence": "unknown",
                    "absenceWhy": "A current state that must be established.",
                },
            ),
        },
    )
    result = fact(custom, "current_infection")
    assert (result.value, result.missing) == (None, "Current infection")


# --- records9 branch: active statements are bounded like open orders -------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        # Started 7,500 days ago, still 'active', never re-asserted: not current therapy decades
        # later.
        pytest.param({"effectivePeriod": {"start": day(7500)}}, False, id="active-since-decades"),
        # Started 80 days ago, no end: within the 90 days it counts for.
        pytest.param({"effectivePeriod": {"start": day(80)}}, True, id="open-80-days"),
        # A dateTime 130 days ago, no end: past its 90 days but recent, so it may still be taken.
        pytest.param({"effectiveDateTime": day(130)}, None, id="open-130-days"),
        # Started 400 days ago but asserted (re-confirmed) 60 days ago: counted until 30 days after
        # the as-of date.
        pytest.param(
            {"effectivePeriod": {"start": day(400)}, "dateAsserted": day(60)},
            True,
            id="re-asserted",
        ),
    ],
)
def test_active_statement_counts_for_a_bounded_time(
    book: Rulebook, fields: dict[str, Any], expected: bool | None
) -> None:
    """An active MedicationStatement with no end counts as current for 90 days after its last
    date, not forever.
    """
    statement = medication(
        "MedicationStatement", None, status="active", medicationCodeableConcept=DOCETAXEL, **fields
    )
    assert fact(book, "systemic_therapy_4w", statement).value is expected


def test_bounded_statement_says_why_in_the_evidence(book: Rulebook) -> None:
    """The evidence of an open active statement says for how long it was counted."""
    statement = medication(
        "MedicationStatement",
        None,
        status="active",
        medicationCodeableConcept=DOCETAXEL,
        effectivePeriod={"start": day(80)},
    )
    notes = [e.note or "" for e in fact(book, "systemic_therapy_4w", statement).evidence]
    assert any("counted as current for 90 days" in n for n in notes)


def test_two_windows_over_one_condition_value_set_answer_each_its_own(book: Rulebook) -> None:
    """The Conditions of a value set are matched once per record, and each definition over it
    still applies its own window: an MI a year ago is history, not an MI in 6 months.
    """
    fact_set = facts(book, condition(SNOMED, MI, onset_days_before=365))
    assert (fact_set.get("history_mi").value, fact_set.get("mi_6m").value) == (True, False)


def test_two_windows_over_one_drug_value_set_answer_each_its_own(book: Rulebook) -> None:
    """The medication records of a value set are matched once per record, and each definition
    applies its own window: doxorubicin 100 days ago is prior therapy, not therapy in 4 weeks.
    """
    fact_set = facts(book, doxorubicin("MedicationAdministration", 100))
    assert (
        fact_set.get("prior_systemic_therapy").value,
        fact_set.get("systemic_therapy_4w").value,
    ) == (True, False)


def test_an_order_not_to_give_the_drug_is_no_record_of_it_given(book: Rulebook) -> None:
    """A MedicationRequest with doNotPerform true (do NOT give doxorubicin) is not a prior
    anthracycline; the same order without it is.
    """
    ordered = medication("MedicationRequest", 200, medicationCodeableConcept=DOXORUBICIN)
    forbidden = {**ordered, "doNotPerform": True}
    assert fact(book, "prior_anthracycline", ordered).value is True
    assert fact(book, "prior_anthracycline", forbidden).value is False


NDC = "http://hl7.org/fhir/sid/ndc"


@pytest.mark.parametrize(
    ("concept_given", "unread"),
    [
        ({"coding": [{"system": NDC, "code": "0069-3032-20"}]}, f"{NDC} 0069-3032-20"),
        ({"coding": [{"system": NDC, "code": "0069-3032-20", "display": "Adriamycin"}]}, None),
        ({"coding": [{"system": NDC, "code": "0069-3032-20"}], "text": "doxorubicin"}, None),
        ({"coding": [{"system": NDC, "code": "1"}, {"system": RXNORM, "code": "3639"}]}, None),
        ({"coding": [{"system": "urn:oid:2.16.840.1.113883.6.88", "code": "3639"}]}, None),
        ({"text": "IV MIX"}, None),
    ],
)
def test_unread_code_is_a_code_alone_in_a_system_no_value_set_reads(
    concept_given: dict[str, Any], unread: str | None
) -> None:
    """A drug or vaccine known only by an NDC cannot be read (its absence is not established); a
    name, or one code of a read system (RxNorm, by its OID too), can.
    """
    rxnorm = ValueSet(name="coded", title="coded", codes={(RXNORM, "3639")})
    ctx = Context(
        record_from_bundle(bundle()), AS_OF, {"coded": rxnorm}, lambda n: unknown(n, "none")
    )
    assert unread_code(ctx, concept_given) == unread
