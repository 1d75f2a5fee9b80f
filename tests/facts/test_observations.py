"""Tests for service.facts.observations: measurements, ULN ratios, grades and qualitative
results.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from service.facts.base import show
from service.facts.derived import data_for
from service.facts.readings import readings
from service.rulebook.book import Rulebook
from service.rulebook.definitions import definition_from
from service.rulebook.kleene import Formula
from tests.helpers.records import (
    AS_OF,
    SNOMED,
    concept,
    day,
    fact,
    facts,
    lab,
    observation,
    patient,
    quantity,
)


def below(number: float) -> float:
    """The float just below a number: the upper bound of '<number'."""
    return math.nextafter(number, -math.inf)


def above(number: float) -> float:
    """The float just above a number: the lower bound of '>number'."""
    return math.nextafter(number, math.inf)


ANC = "751-8"
AST = "1920-8"
CREATININE_MASS = "2160-0"
CREATININE_MOLES = "14682-9"
HEMOGLOBIN = "718-7"
HBSAG = "5196-1"
HBV_DNA = "42595-9"
ECOG = "89247-1"
URINE_PROTEIN = "20454-5"
TEMPERATURE = "8310-5"
FT4 = "3024-7"
PLATELETS = "777-3"


def anc(value: float, days_before: int = 2, **extra: Any) -> dict[str, Any]:
    """Return an ANC result in 10*9/L."""
    return lab(ANC, value, "10*9/L", days_before, **extra)


# --- status, window, ordering -----------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        # Void.
        pytest.param("entered-in-error", id="entered-in-error"),
        # Withdrawn.
        pytest.param("cancelled", id="cancelled"),
    ],
)
def test_void_status_is_set_aside(book: Rulebook, status: str) -> None:
    """A newer void result is ignored; the older final one is used."""
    result = fact(book, "anc", anc(0.4, 1, status=status), anc(2.0, 5))
    assert result.value == 2.0


@pytest.mark.parametrize("status", ["preliminary", "registered", "unknown", None, "FINAL"])
def test_newer_pending_result_is_not_hidden_behind_older_final(
    book: Rulebook, status: str | None
) -> None:
    """A newer platelet count that is not known to be final (preliminary, registered, unknown,
    no status, a status that is not a FHIR code) leaves the value unknown, and the evidence shows
    both.
    """
    pending, final = (
        lab(PLATELETS, 40, "10*9/L", 1, status=status),
        lab(PLATELETS, 180, "10*9/L", 5),
    )
    if status is None:
        del pending["status"]  # no status at all: not known to be final either
    result = fact(book, "platelets", final, pending)
    assert (result.value, [e.reference for e in result.evidence]) == (
        None,
        [f"Observation/{pending['id']}", f"Observation/{final['id']}"],
    )


def test_older_pending_result_does_not_block_newer_final(book: Rulebook) -> None:
    """A preliminary result older than the final one is superseded by it."""
    assert fact(book, "anc", anc(0.4, 5, status="preliminary"), anc(2.0, 1)).value == 2.0


@pytest.mark.parametrize("status", ["final", "amended", "corrected"])
def test_usable_statuses(book: Rulebook, status: str) -> None:
    """Final, amended and corrected results are used."""
    assert fact(book, "anc", anc(2.0, 1, status=status)).value == 2.0


def test_only_preliminary_is_unknown_with_reason(book: Rulebook) -> None:
    """A preliminary result alone leaves the ANC unknown, and the reason says it is not final."""
    result = fact(book, "anc", anc(2.0, 1, status="preliminary"))
    assert result.value is None
    assert "only a result with status preliminary" in result.summary


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [
        # The as-of day itself.
        pytest.param(0, 2.0, id="as-of-day"),
        # Exactly 14 days before: the first day of the window.
        pytest.param(14, 2.0, id="first-day-of-window"),
        # 15 days before: stale.
        pytest.param(15, None, id="stale"),
    ],
)
def test_lookback_window_edge(book: Rulebook, days_before: int, expected: float | None) -> None:
    """The ANC window is the 14 days before the as-of date, inclusive of its first day."""
    assert fact(book, "anc", anc(2.0, days_before)).value == expected


def test_stale_result_is_unknown_naming_latest_date(book: Rulebook) -> None:
    """A stale ANC is unknown, not met; the reason names the window and the latest result's date."""
    result = fact(book, "anc", anc(2.0, 15), anc(1.0, 40))
    assert (result.value, result.summary, result.missing) == (
        None,
        f"no ANC in the 14 days before {AS_OF.isoformat()}; latest {day(15)}",
        "ANC",
    )


def test_stale_result_cited_as_outside_window(book: Rulebook) -> None:
    """The stale result is cited in the evidence as outside the lookback window."""
    stale = anc(2.0, 15)
    evidence = fact(book, "anc", stale).evidence
    assert [(e.reference, e.note) for e in evidence] == [
        (f"Observation/{stale['id']}", "outside the lookback window")
    ]


def test_no_result_is_unknown(book: Rulebook) -> None:
    """No ANC at all is unknown, and the reason says none is on record."""
    result = fact(book, "anc")
    assert (result.value, result.summary) == (
        None,
        f"no ANC on record on or before {AS_OF.isoformat()}",
    )


def test_latest_wins(book: Rulebook) -> None:
    """The newest result in the window is used, whatever the Bundle's order."""
    assert fact(book, "anc", anc(1.0, 6), anc(3.0, 1), anc(2.0, 3)).value == 3.0


def test_result_after_as_of_is_ignored(book: Rulebook) -> None:
    """A result dated after the as-of date was not known on that day."""
    assert fact(book, "anc", anc(0.5, -1), anc(2.0, 3)).value == 2.0


def test_only_future_result_is_unknown(book: Rulebook) -> None:
    """With only a result after the as-of date, the ANC is unknown."""
    assert fact(book, "anc", anc(2.0, -3)).value is None


def test_local_day_decides_window(book: Rulebook) -> None:
    """A result late on the 15th day before (local time) is stale even though in UTC it is the
    14th.
    """
    late = {**anc(2.0), "effectiveDateTime": day(15) + "T23:30:00-05:00"}
    assert fact(book, "anc", late).value is None


def test_issued_used_without_effective(book: Rulebook) -> None:
    """An Observation without effective[x] is dated by its issued instant."""
    result = anc(2.0)
    del result["effectiveDateTime"]
    result["issued"] = day(1) + "T09:00:00+01:00"
    assert fact(book, "anc", result).value == 2.0


def test_undated_result_set_aside(book: Rulebook) -> None:
    """An Observation with no date at all is set aside, and the reason says so."""
    result = anc(2.0)
    del result["effectiveDateTime"]
    found = fact(book, "anc", result)
    assert found.value is None
    assert "no effective date" in found.summary


def test_effective_period_start_dates_result(book: Rulebook) -> None:
    """An effectivePeriod is dated by its start."""
    result = anc(2.0)
    del result["effectiveDateTime"]
    result["effectivePeriod"] = {"start": day(3), "end": day(2)}
    assert fact(book, "anc", result).value == 2.0


def test_window_counts_from_as_of_not_today(book: Rulebook) -> None:
    """The lookback window counts from the as-of date, whatever today's date and zone are."""
    with time_machine.travel(
        datetime(2031, 7, 1, 23, 30, tzinfo=ZoneInfo("Asia/Kolkata")), tick=False
    ):
        assert fact(book, "anc", anc(2.0, 10)).value == 2.0


def test_failed_search_is_unknown_with_failure(book: Rulebook) -> None:
    """When the Observation search failed, the ANC is unknown and the reason quotes the failure."""
    result = fact(book, "anc", anc(2.0), failed={"Observation": "HTTP 503 from the FHIR server"})
    assert (result.value, result.summary, result.missing) == (
        None,
        "ANC: Observation search failed (HTTP 503 from the FHIR server); not decided",
        None,
    )


# --- values: comparators, absent data, units, components, scores -------------------------------


def test_comparator_gives_bounds(book: Rulebook) -> None:
    """HBV DNA reported '<20 IU/mL' is 20 with bounds 0..20, 20 itself excluded, and the evidence
    shows what was reported.
    """
    result = fact(book, "hbv_dna_iu_ml", lab(HBV_DNA, 20, "[IU]/mL", comparator="<"))
    assert (result.value, result.bounds(), result.evidence[0].note) == (
        20,
        (0, below(20)),
        "reported <20 [IU]/mL",
    )


@pytest.mark.parametrize(
    ("comparator", "expected"),
    [
        # Strictly below 1.5: fails ANC >= 1.5 (it was left unknown: probe O).
        pytest.param("<", False, id="strict"),
        # At most 1.5: may be 1.5, so unknown.
        pytest.param("<=", None, id="inclusive"),
    ],
)
def test_a_strict_comparator_excludes_its_number(
    book: Rulebook, comparator: str, expected: bool | None
) -> None:
    """An ANC reported '<1.5' is below 1.5, so 'anc >= 1.5' is false; '<=1.5' straddles it."""
    result = fact(book, "anc", anc(1.5, comparator=comparator))
    assert Formula({">=": [{"var": "anc"}, 1.5]}).evaluate(data_for([result])) is expected


def test_greater_than_comparator_is_open_above(book: Rulebook) -> None:
    """A result reported '>1000' has a low bound of 1000 and no useful high bound."""
    low, high = fact(book, "hbv_dna_iu_ml", lab(HBV_DNA, 1000, "[IU]/mL", comparator=">")).bounds()
    assert low == above(1000)
    assert high > 1e100


def test_exact_value_has_no_bounds(book: Rulebook) -> None:
    """A result without a comparator is its own low and high bound."""
    result = fact(book, "anc", anc(2.0))
    assert (result.low, result.high, result.bounds()) == (None, None, (2.0, 2.0))


def test_data_absent_is_unknown_with_reason(book: Rulebook) -> None:
    """A result with dataAbsentReason is unknown, and the reason quotes the absent reason."""
    absent = observation(ANC, 1, dataAbsentReason=concept(None, None, text="Specimen haemolysed"))
    result = fact(book, "anc", absent)
    assert result.value is None
    assert "data absent: Specimen haemolysed" in result.summary
    assert result.evidence[0].note == "data absent: Specimen haemolysed"


def test_data_absent_falls_back_to_older_result(book: Rulebook) -> None:
    """A newer result with dataAbsentReason is skipped for an older usable one in the window."""
    absent = observation(
        ANC,
        1,
        dataAbsentReason=concept(
            "http://terminology.hl7.org/CodeSystem/data-absent-reason", "error", "Error"
        ),
    )
    assert fact(book, "anc", absent, anc(1.8, 4)).value == 1.8


@pytest.mark.parametrize(
    ("name", "result", "expected"),
    [
        # ANC 1,500 /µL = 1.5 × 10⁹/L.
        pytest.param("anc", lab(ANC, 1500, "/uL"), 1.5, id="anc-per-uL"),
        # ANC per mm³, spelled with the micro sign elsewhere: 2,100 /mm3 = 2.1.
        pytest.param("anc", lab(ANC, 2100, "/mm3"), 2.1, id="anc-per-mm3"),
        # ANC in 10³/µL.
        pytest.param("anc", lab(ANC, 1.7, "10*3/uL"), 1.7, id="anc-10*3/uL"),
        # Creatinine 88.4 µmol/L = 1.0 mg/dL (113.12 g/mol).
        pytest.param(
            "creatinine_mg_dl", lab(CREATININE_MOLES, 88.4, "umol/L"), 1.0, id="creatinine-umol/L"
        ),
        # The same spelled with µ.
        pytest.param(
            "creatinine_mg_dl",
            lab(CREATININE_MOLES, 88.4, "\u00b5mol/L"),
            1.0,
            id="creatinine-micro-sign",
        ),
        # Haemoglobin 9 g/dL = 90 g/L.
        pytest.param("hemoglobin_g_l", lab(HEMOGLOBIN, 9, "g/dL"), 90.0, id="hb-g/dL"),
        # Haemoglobin 6.2 mmol/L ≈ 99.9 g/L (16,114.5 g/mol).
        pytest.param("hemoglobin_g_l", lab(HEMOGLOBIN, 6.2, "mmol/L"), 99.9099, id="hb-mmol/L"),
        # Body weight in pounds.
        pytest.param("body_weight_kg", lab("29463-7", 154, "[lb_av]"), 69.8532, id="weight-lb"),
        # Body temperature in °F.
        pytest.param(
            "max_temperature_c", lab(TEMPERATURE, 100.4, "[degF]"), 38.0, id="temperature-degF"
        ),
    ],
)
def test_unit_conversion(
    book: Rulebook, name: str, result: dict[str, Any], expected: float
) -> None:
    """A result in another unit is converted to the definition's unit."""
    assert fact(book, name, result).value == pytest.approx(expected, rel=1e-4)


def test_converted_value_shows_reported_unit(book: Rulebook) -> None:
    """The evidence of a converted value says what the lab reported."""
    evidence = fact(book, "anc", lab(ANC, 1500, "/uL")).evidence[0]
    assert (evidence.value, evidence.unit, evidence.note) == (1.5, "10*9/L", "reported 1500 /uL")


def test_unconvertible_unit_is_unknown_with_reason(book: Rulebook) -> None:
    """HBV DNA in copies/mL cannot become IU/mL: unknown, and the reason names the unit."""
    result = fact(book, "hbv_dna_iu_ml", lab(HBV_DNA, 5000, "copies/mL"))
    assert result.value is None
    assert "unit 'copies/mL' cannot be converted to [IU]/mL" in result.summary


def test_unit_only_in_unit_field(book: Rulebook) -> None:
    """A Quantity with a human 'unit' but no UCUM 'code' is still converted."""
    result = observation(ANC, valueQuantity={"value": 1500, "unit": "cells/uL"})
    assert fact(book, "anc", result).value == 1.5


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # The systolic component.
        pytest.param("systolic_bp", 150, id="systolic"),
        # The diastolic component.
        pytest.param("diastolic_bp", 95, id="diastolic"),
    ],
)
def test_blood_pressure_panel_components(book: Rulebook, name: str, expected: float) -> None:
    """Systolic and diastolic pressures are read from the components of a blood-pressure panel."""
    panel = observation(
        "85354-9",
        component=[
            {
                "code": concept("http://loinc.org", "8480-6"),
                "valueQuantity": quantity(150, "mm[Hg]"),
            },
            {
                "code": concept("http://loinc.org", "8462-4"),
                "valueQuantity": quantity(95, "mm[Hg]"),
            },
        ],
    )
    assert fact(book, name, panel).value == expected


def test_highest_value_in_window(book: Rulebook) -> None:
    """A 'max' definition takes the highest reading in the window, not the latest."""
    readings = [
        lab(TEMPERATURE, 37.0, "Cel", 1),
        lab(TEMPERATURE, 38.6, "Cel", 5),
        lab(TEMPERATURE, 39.5, "Cel", 20),
    ]
    assert fact(book, "max_temperature_c", *readings).value == 38.6


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # valueInteger.
        pytest.param({"valueInteger": 1}, 1, id="integer"),
        # A LOINC LA answer code: LA9624-3 is grade 2.
        pytest.param(
            {"valueCodeableConcept": concept("http://loinc.org", "LA9624-3", "2")},
            2,
            id="loinc-answer",
        ),
        # LA9622-7 is grade 0 (zero must not read as missing).
        pytest.param(
            {"valueCodeableConcept": concept("http://loinc.org", "LA9622-7", "0")},
            0,
            id="loinc-answer-zero",
        ),
        # A SNOMED CT grade: 423053003 is ECOG 3.
        pytest.param({"valueCodeableConcept": concept(SNOMED, "423053003")}, 3, id="snomed-answer"),
        # A numeric string.
        pytest.param({"valueString": "1"}, 1, id="string"),
        # A unitless Quantity.
        pytest.param({"valueQuantity": {"value": 2, "code": "{score}"}}, 2, id="quantity"),
    ],
)
def test_ecog_value_forms(book: Rulebook, value: dict[str, Any], expected: int) -> None:
    """ECOG is read from valueInteger, LOINC LA / SNOMED CT answer codes, a numeric string or a
    Quantity.
    """
    assert fact(book, "ecog", observation(ECOG, **value)).value == expected


def test_the_grade_itself_as_the_observation_code_is_its_answer(book: Rulebook) -> None:
    """An ECOG grade sent as the finding itself (SNOMED CT 423053003 as Observation.code, no
    value) reads as that grade; a value, when there is one, still decides.
    """
    finding = observation("423053003", 1, system=SNOMED)
    assert fact(book, "ecog", finding, observation(ECOG, 3, valueInteger=1)).value == 3
    assert fact(book, "ecog", observation("423053003", 1, system=SNOMED, valueInteger=1)).value == 1


@pytest.mark.parametrize(
    ("text", "expected", "bounds"),
    [
        # Below the reportable range, as Epic sends it: a bound, not a value.
        pytest.param("<0.5", 0.5, (0, below(0.5)), id="less-than"),
        pytest.param("≤ 0.5", 0.5, (0, 0.5), id="less-or-equal-sign"),
        pytest.param(">2000", 2000, (above(2000), 1e300), id="greater-than"),
        # Scientific notation with its own unit.
        pytest.param("1.5E+00 10*9/L", 1.5, (1.5, 1.5), id="scientific-with-unit"),
        # No unit of its own: the reference range's unit says what it is.
        pytest.param("1.5", 1.5, (1.5, 1.5), id="range-unit"),
    ],
)
def test_a_result_written_as_text_is_read_with_its_comparator_and_unit(
    book: Rulebook, text: str, expected: float, bounds: tuple[float, float]
) -> None:
    """A valueString result is a number with an optional comparator before it and unit after it;
    with no unit it takes its reference range's.
    """
    result = fact(
        book,
        "anc",
        observation(ANC, valueString=text, referenceRange=[{"low": quantity(1.8, "10*9/L")}]),
    )
    assert (result.value, result.bounds()) == (expected, bounds)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        # A flag after the number is not a unit.
        pytest.param("1.2 H", "no numeric value", id="flag"),
        # A remark.
        pytest.param("see note", "no numeric value", id="remark"),
        # No unit anywhere: a count cannot be read from a bare number.
        pytest.param("1.5 ", "unit '1' cannot be converted", id="no-unit-anywhere"),
        # A number beyond a double: no value, whatever its unit.
        pytest.param("1E+999 10*9/L", "is no finite number", id="overflow"),
    ],
)
def test_a_text_result_that_is_no_number_with_a_unit_is_unknown(
    book: Rulebook, text: str, why: str
) -> None:
    """Text that is not a number with a unit (or with a range that gives one) is not read."""
    result = fact(book, "anc", observation(ANC, valueString=text))
    assert result.value is None
    assert why in result.summary


def test_a_limit_with_no_unit_far_from_the_usual_one_is_not_used(book: Rulebook) -> None:
    """AST 70 U/L whose range high is 0.6 with no unit (µkat/L): 0.6 U/L is no ULN, so the ratio is
    unknown saying why; a limit near the usual one (35, no unit) is taken in U/L.
    """
    far = fact(book, "ast_x_uln", lab(AST, 70, "U/L", referenceRange=[{"high": {"value": 0.6}}]))
    assert far.value is None
    assert "has no unit" in far.summary
    assert "not a plausible upper limit" in far.summary
    near = fact(book, "ast_x_uln", lab(AST, 70, "U/L", referenceRange=[{"high": {"value": 35}}]))
    assert near.value == 2


def test_ecog_unknown_answer_code_is_unknown(book: Rulebook) -> None:
    """An answer code not in the definition's answers is unknown, saying there is no numeric
    value.
    """
    result = fact(
        book,
        "ecog",
        observation(ECOG, valueCodeableConcept=concept("http://loinc.org", "LA4489-6", "Unknown")),
    )
    assert result.value is None
    assert "no numeric value" in result.summary


def test_boolean_is_not_a_score(book: Rulebook) -> None:
    """A valueBoolean is not read as the number 1."""
    assert fact(book, "ecog", observation(ECOG, valueInteger=True)).value is None


# --- ULN ratios and reference ranges ----------------------------------------------------------


def test_uln_from_reference_range(book: Rulebook) -> None:
    """AST is divided by its own referenceRange.high, and the evidence says so."""
    result = fact(
        book,
        "ast_x_uln",
        lab(
            AST,
            70,
            "U/L",
            referenceRange=[{"low": quantity(10, "U/L"), "high": quantity(35, "U/L")}],
        ),
    )
    assert (result.value, result.evidence[0].note) == (
        2,
        "2 × ULN; ULN 35 U/L from the Observation's referenceRange",
    )


def test_uln_default_is_marked_in_evidence(book: Rulebook) -> None:
    """Without a referenceRange the documented default ULN (40 U/L) is used and the evidence says
    default.
    """
    result = fact(book, "ast_x_uln", lab(AST, 100, "U/L"))
    assert result.value == 2.5
    assert "default ULN 40 U/L used" in result.evidence[0].note
    assert "default" in result.summary


def test_uln_reference_range_in_other_unit(book: Rulebook) -> None:
    """A referenceRange.high in µkat/L is converted to the value's U/L (0.6 µkat/L = 36 U/L)."""
    result = fact(
        book, "ast_x_uln", lab(AST, 72, "U/L", referenceRange=[{"high": quantity(0.6, "ukat/L")}])
    )
    assert result.value == pytest.approx(2.0)


def test_uln_default_converted_to_value_unit(book: Rulebook) -> None:
    """The default ULN is converted to the result's unit (AST 0.8 µkat/L against 40 U/L is 1.2 ×
    ULN).
    """
    assert fact(book, "ast_x_uln", lab(AST, 0.8, "ukat/L")).value == pytest.approx(1.2)


def test_uln_ratio_keeps_comparator_bounds(book: Rulebook) -> None:
    """An AST reported '<20 U/L' gives a ratio bounded by 0 and 0.5 × ULN (0.5 excluded)."""
    result = fact(book, "ast_x_uln", lab(AST, 20, "U/L", comparator="<"))
    assert result.bounds() == (0, below(0.5))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Inside the range.
        pytest.param(15, True, id="inside"),
        # The upper limit itself is inside.
        pytest.param(22, True, id="at-high"),
        # Above.
        pytest.param(25, False, id="above"),
        # Below.
        pytest.param(9, False, id="below"),
    ],
)
def test_in_reference_range(book: Rulebook, value: float, expected: bool) -> None:
    """Free T4 is normal when within its own referenceRange, ends included."""
    result = lab(
        FT4,
        value,
        "pmol/L",
        referenceRange=[{"low": quantity(10, "pmol/L"), "high": quantity(22, "pmol/L")}],
    )
    assert fact(book, "ft4_normal", result).value is expected


def test_in_reference_range_without_range_is_unknown(book: Rulebook) -> None:
    """Without a referenceRange, whether Free T4 is normal is unknown, with the reason."""
    result = fact(book, "ft4_normal", lab(FT4, 15, "pmol/L"))
    assert result.value is None
    assert "no referenceRange on the result" in result.summary


# --- ordinal grades (urine dipstick) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # "2+".
        pytest.param({"valueString": "2+"}, 2, id="2+"),
        # "++" is 2+.
        pytest.param({"valueString": "++"}, 2, id="++"),
        # Trace is half a grade.
        pytest.param({"valueString": "Trace"}, 0.5, id="trace"),
        # Negative.
        pytest.param({"valueString": "negative"}, 0, id="negative"),
        # The grade in a code's display/text.
        pytest.param(
            {"valueCodeableConcept": concept("http://lab.example/codes", "x", text="3+")},
            3,
            id="coded-3+",
        ),
        # 100 mg/dL is the 2+ pad.
        pytest.param({"valueQuantity": quantity(100, "mg/dL")}, 2, id="100-mg/dL"),
        # 30 mg/dL is the 1+ pad.
        pytest.param({"valueQuantity": quantity(30, "mg/dL")}, 1, id="30-mg/dL"),
        # 15 mg/dL is trace.
        pytest.param({"valueQuantity": quantity(15, "mg/dL")}, 0.5, id="15-mg/dL"),
        # 10 mg/dL is negative.
        pytest.param({"valueQuantity": quantity(10, "mg/dL")}, 0, id="10-mg/dL"),
        # 3 g/L = 300 mg/dL is 3+.
        pytest.param({"valueQuantity": quantity(3, "g/L")}, 3, id="3-g/L"),
        # Spellings EHRs print: a space, brackets, the full-width plus of Chinese lab systems, the
        # pad's amount after the grade, the amount as text.
        pytest.param({"valueString": "2 +"}, 2, id="2-space-+"),
        pytest.param({"valueString": "(++)"}, 2, id="(++)"),
        pytest.param({"valueString": "3\uff0b"}, 3, id="3-fullwidth-+"),
        pytest.param({"valueString": "2+ (100 mg/dL)"}, 2, id="2+-(100-mg/dL)"),
        pytest.param({"valueString": "100 mg/dL"}, 2, id="text-100-mg/dL"),
    ],
)
def test_urine_protein_grade(book: Rulebook, value: dict[str, Any], expected: float) -> None:
    """A dipstick result is graded 0, 0.5 (trace), 1 … 4 from its text, code or mg/dL."""
    assert fact(book, "urine_protein_grade", observation(URINE_PROTEIN, **value)).value == expected


def test_unrecognised_grade_is_unknown(book: Rulebook) -> None:
    """A result that is not a recognised grade is unknown, quoting the text."""
    result = fact(book, "urine_protein_grade", observation(URINE_PROTEIN, valueString="cloudy"))
    assert result.value is None
    assert "result 'cloudy' is not a recognised grade" in result.summary


# --- qualitative results ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # SNOMED CT positive.
        pytest.param(
            {"valueCodeableConcept": concept(SNOMED, "10828004", "Positive")},
            True,
            id="snomed-positive",
        ),
        # SNOMED CT negative.
        pytest.param(
            {"valueCodeableConcept": concept(SNOMED, "260385009", "Negative")},
            False,
            id="snomed-negative",
        ),
        # LOINC answer 'Positive'.
        pytest.param(
            {"valueCodeableConcept": concept("http://loinc.org", "LA6576-8")},
            True,
            id="loinc-positive",
        ),
        # SNOMED CT not detected.
        pytest.param(
            {"valueCodeableConcept": concept(SNOMED, "260415000", "Not detected")},
            False,
            id="snomed-not-detected",
        ),
        # A string: reactive.
        pytest.param({"valueString": "Reactive"}, True, id="string-reactive"),
        # A string: non-reactive.
        pytest.param({"valueString": "Non-reactive"}, False, id="string-non-reactive"),
        # A string: not detected.
        pytest.param({"valueString": "not detected"}, False, id="string-not-detected"),
        # Text only in the coded value.
        pytest.param({"valueCodeableConcept": {"text": "POSITIVE"}}, True, id="concept-text"),
        # A boolean.
        pytest.param({"valueBoolean": False}, False, id="boolean"),
        # A quantity below the detection limit is not detected.
        pytest.param(
            {"valueQuantity": quantity(0.05, "[IU]/mL", "<")}, False, id="below-detection-limit"
        ),
        # A measurable quantity is detected.
        pytest.param({"valueQuantity": quantity(250, "[IU]/mL")}, True, id="measured"),
        # Only the interpretation flag.
        pytest.param(
            {
                "interpretation": [
                    concept(
                        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "POS"
                    )
                ]
            },
            True,
            id="interpretation",
        ),
    ],
)
def test_hbsag_result_forms(book: Rulebook, value: dict[str, Any], expected: bool) -> None:
    """HBsAg is positive or negative from a code, a string, a boolean, a quantity or the
    interpretation.
    """
    assert fact(book, "hbsag_positive", observation(HBSAG, **value)).value is expected


def test_indeterminate_qualitative_is_unknown(book: Rulebook) -> None:
    """An indeterminate HBsAg is unknown, saying it is neither positive nor negative."""
    result = fact(book, "hbsag_positive", observation(HBSAG, valueString="Indeterminate"))
    assert result.value is None
    assert "neither positive nor negative" in result.summary


def test_qualitative_without_result_is_unknown(book: Rulebook) -> None:
    """No HBsAg in the window is unknown (the definition does not read absence as no)."""
    assert fact(book, "hbsag_positive").value is None


def _with(book: Rulebook, name: str, **definition: Any) -> Rulebook:
    """Return the rulebook with one more definition (a shape no shipped rule uses)."""
    return dataclasses.replace(
        book, definitions={**book.definitions, name: definition_from(name, definition)}
    )


def test_absence_no_for_a_history_question(book: Rulebook) -> None:
    """With absence 'no', no test in the window answers no, saying what was searched."""
    custom = _with(
        book,
        "any_positive_hbsag",
        kind="qualitative",
        label="HBsAg",
        valueSet="hbsag",
        lookbackDays=30,
        absence="no",
        absenceWhy="A history question for this test.",
    )
    result = fact(custom, "any_positive_hbsag")
    assert result.value is False
    assert result.evidence[0].note == f"no HBsAg result in the 30 days before {AS_OF.isoformat()}"


def test_absence_no_does_not_hide_failed_search(book: Rulebook) -> None:
    """A failed Observation search stays unknown even where absence would answer no."""
    custom = _with(
        book,
        "any_positive_hbsag",
        kind="qualitative",
        label="HBsAg",
        valueSet="hbsag",
        lookbackDays=30,
        absence="no",
        absenceWhy="A history question for this test.",
    )
    result = fact(custom, "any_positive_hbsag", failed={"Observation": "timeout"})
    assert result.value is None
    assert "timeout" in result.summary


def test_an_hiv_positive_result_never_expires(book: Rulebook) -> None:
    """A positive HIV screen two years ago is HIV, even with a negative screen since."""
    old, recent = (
        observation("56888-1", days, valueCodeableConcept=concept(SNOMED, code))
        for days, code in ((730, "10828004"), (10, "260385009"))
    )
    assert fact(book, "hiv_test_positive", old, recent).value is True


def test_no_hiv_test_is_unknown(book: Rulebook) -> None:
    """No HIV screen is unknown (a current infection must be tested), not 'no HIV'."""
    assert fact(book, "hiv_test_positive").value is None


def test_a_stale_negative_hiv_test_is_unknown(book: Rulebook) -> None:
    """A negative HIV screen 100 days ago is outside the 90-day window: unknown."""
    assert (
        fact(
            book,
            "hiv_test_positive",
            observation("56888-1", 100, valueCodeableConcept=concept(SNOMED, "260385009")),
        ).value
        is None
    )


def test_no_adult_default_uln_for_a_child(book: Rulebook) -> None:
    """A 10-year-old's ALT without a reference range is unknown (no adult default ULN), saying
    why.
    """
    result = fact(book, "alt_x_uln", lab("1742-6", 28, "U/L"), subject=patient("2014-06-01"))
    assert result.value is None
    assert "under 18" in result.summary


def test_adult_default_uln_from_18(book: Rulebook) -> None:
    """An adult's ALT without a reference range uses the documented default ULN (40 U/L)."""
    assert fact(book, "alt_x_uln", lab("1742-6", 28, "U/L")).value == 0.7


def test_a_childs_own_reference_range_is_used(book: Rulebook) -> None:
    """A child's ALT with the lab's own range is decided on that range."""
    result = fact(
        book,
        "alt_x_uln",
        lab("1742-6", 28, "U/L", referenceRange=[{"high": quantity(35, "U/L")}]),
        subject=patient("2014-06-01"),
    )
    assert result.value == 0.8


def test_code_system_oid_matches(book: Rulebook) -> None:
    """An ANC coded under LOINC's OID instead of its URI is still an ANC."""
    assert (
        fact(book, "anc", lab(ANC, 2.0, "10*9/L", system="urn:oid:2.16.840.1.113883.6.1")).value
        == 2.0
    )


def test_second_coding_matches(book: Rulebook) -> None:
    """An Observation matches on any of its codings (a local code first, LOINC second)."""
    result = anc(2.0)
    result["code"]["coding"].insert(0, {"system": "http://example.org/lab", "code": "NEUT-ABS"})
    assert fact(book, "anc", result).value == 2.0


def test_other_patient_result_ignored(book: Rulebook) -> None:
    """A result about another patient in the same Bundle is not this patient's."""
    other = {**anc(0.2, 1), "subject": {"reference": "Patient/someone-else"}}
    assert fact(book, "anc", other, anc(2.0, 3)).value == 2.0


def test_matched_by_name(book: Rulebook) -> None:
    """A value set known only by names (EDSS) matches an Observation by its code's text."""
    result = observation(
        "LOCAL-EDSS", 5, system="http://example.org/scores", valueQuantity=quantity(3.5, "{score}")
    )
    result["code"]["text"] = "Expanded Disability Status Scale"
    assert fact(book, "edss", result).value == 3.5


def test_a_possible_result_is_not_positive(book: Rulebook) -> None:
    """A qualitative string starting 'Possible …' is not read as a positive result."""
    assert (
        fact(
            book,
            "hbsag_positive",
            observation("5196-1", valueString="Possible interference, repeat"),
        ).value
        is not True
    )


def test_reference_range_in_another_unit_is_converted(book: Rulebook) -> None:
    """FT4 1.2 ng/dL (≈15.4 pmol/L) against a 10–22 pmol/L range is within it."""
    result = lab(
        "3024-7",
        1.2,
        "ng/dL",
        referenceRange=[{"low": quantity(10, "pmol/L"), "high": quantity(22, "pmol/L")}],
    )
    assert fact(book, "ft4_normal", result).value is True


# --- records branch: dates, same-day order, reference range text, methods -------------------


def test_same_day_results_are_ordered_by_time_not_bundle_order(book: Rulebook) -> None:
    """Two ANCs on one day: the later by time decides, whichever comes first in the Bundle."""
    morning = lab(ANC, 0.9, "10*9/L", effectiveDateTime=day(1) + "T08:00:00+08:00")
    evening = lab(ANC, 2.0, "10*9/L", effectiveDateTime=day(1) + "T20:00:00+08:00")
    assert (
        fact(book, "anc", morning, evening).value,
        fact(book, "anc", evening, morning).value,
    ) == (2.0, 2.0)


def test_same_day_order_respects_time_zones(book: Rulebook) -> None:
    """09:00 at +08:00 is earlier than 02:30 UTC the same day, so the UTC result is the latest."""
    east = lab(ANC, 0.9, "10*9/L", effectiveDateTime=day(1) + "T09:00:00+08:00")
    utc = lab(ANC, 2.0, "10*9/L", effectiveDateTime=day(1) + "T02:30:00Z")
    assert fact(book, "anc", utc, east).value == 2.0


def test_same_time_results_that_disagree_are_unknown(book: Rulebook) -> None:
    """Two ANCs that cannot be ordered in time and disagree leave the value unknown, both cited."""
    first, second = (
        lab(ANC, 0.9, "10*9/L", effectiveDateTime=day(1)),
        lab(ANC, 2.0, "10*9/L", effectiveDateTime=day(1)),
    )
    result = fact(book, "anc", first, second)
    assert (result.value, len(result.evidence)) == (None, 2)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        # Hour 25.
        pytest.param("effectiveDateTime", "2025-03-08T25:00:00Z", id="hour-25"),
        # An offset out of range.
        pytest.param("effectiveDateTime", "2025-03-08T10:00:00+25:00", id="offset-25"),
        # Full-width digits.
        pytest.param("effectiveDateTime", "２０２５-０３-０８", id="full-width"),
        # A placeholder year.
        pytest.param("effectiveDateTime", "0001-01-01", id="year-1"),
    ],
)
def test_invalid_date_makes_the_result_unusable(book: Rulebook, field: str, value: str) -> None:
    """An ANC with an invalid date is set aside with the reason, and decides nothing."""
    obs = lab(ANC, 0.4, "10*9/L")
    obs[field] = value
    result = fact(book, "anc", obs)
    assert result.value is None
    assert f"{reference(obs)} set aside: effectiveDateTime {value!r}" in result.summary


def reference(resource: dict[str, Any]) -> str:
    """Return a resource's Type/id."""
    return f"{resource['resourceType']}/{resource['id']}"


def test_invalid_effective_date_does_not_fall_back_to_issued(book: Rulebook) -> None:
    """An invalid effectiveDateTime is not replaced by a valid issued date."""
    obs = lab(ANC, 0.4, "10*9/L", issued=day(1) + "T10:00:00Z")
    obs["effectiveDateTime"] = "2025-03-08T25:00:00Z"
    assert fact(book, "anc", obs).value is None


@pytest.mark.parametrize(
    "dated",
    [
        # effectiveInstant.
        pytest.param({"effectiveInstant": day(1) + "T10:00:00Z"}, id="instant"),
        # effectivePeriod.
        pytest.param(
            {"effectivePeriod": {"start": day(1) + "T09:00:00Z", "end": day(1) + "T10:00:00Z"}},
            id="period",
        ),
        # issued, when there is no effective[x].
        pytest.param({"issued": day(1) + "T10:00:00Z"}, id="issued"),
    ],
)
def test_result_dated_by_other_elements(book: Rulebook, dated: dict[str, Any]) -> None:
    """effectiveInstant, effectivePeriod and (as a fallback) issued date a result."""
    obs = lab(ANC, 2.0, "10*9/L")
    del obs["effectiveDateTime"]
    obs.update(dated)
    assert fact(book, "anc", obs).value == 2.0


@pytest.mark.parametrize(
    ("text", "value", "unit", "expected"),
    [
        # Only an upper bound.
        pytest.param("<40", 80, "U/L", 2.0, id="upper-bound"),
        # A range with its unit.
        pytest.param("10-40 U/L", 60, "U/L", 1.5, id="range-with-unit"),
        # An en dash, and a range in another unit than the value (0.67 µkat/L = 40 U/L).
        pytest.param("0.1–0.6667 ukat/L", 80, "U/L", 2.0, id="other-unit"),
    ],
)
def test_reference_range_text_gives_the_uln(
    book: Rulebook, text: str, value: float, unit: str, expected: float
) -> None:
    """A reference range given only as text is parsed for the ULN, in whatever unit it names."""
    obs = lab(AST, value, unit, referenceRange=[{"text": text}])
    result = fact(book, "ast_x_uln", obs)
    assert round(result.value, 2) == expected
    assert "default" not in result.summary


def test_reference_range_in_other_unit_is_converted(book: Rulebook) -> None:
    """A creatinine in µmol/L with its range high in mg/dL is compared after conversion."""
    obs = lab(CREATININE_MOLES, 176.8, "umol/L", referenceRange=[{"high": quantity(1.0, "mg/dL")}])
    assert round(fact(book, "creatinine_x_uln", obs).value, 2) == 2.0


QTC_ANY, QTCF, QTCB = "8636-3", "76634-5", "76635-2"


def test_named_method_wins_over_a_same_time_reading_by_another(book: Rulebook) -> None:
    """Where QTcF is asked, the QTcF of an ECG decides, not the QTcB recorded with it."""
    ecg = day(3) + "T10:00:00+08:00"
    bazett, fridericia = (
        lab(QTCB, 462, "ms", effectiveDateTime=ecg),
        lab(QTCF, 441, "ms", effectiveDateTime=ecg),
    )
    assert (
        fact(book, "qtcf_ms", bazett, fridericia).value,
        fact(book, "qtcf_ms", fridericia, bazett).value,
    ) == (441, 441)


def test_only_another_method_is_shown_and_does_not_decide(book: Rulebook) -> None:
    """A QTc without a formula, where QTcF is asked, is cited and leaves QTcF unknown, saying
    why.
    """
    plain = lab(QTC_ANY, 455, "ms", 3)
    result = fact(book, "qtcf_ms", plain)
    assert result.value is None
    assert [e.reference for e in result.evidence] == [f"Observation/{plain['id']}"]
    assert "by another method" in (result.evidence[0].note or "")


def test_disagreeing_corrections_of_one_ecg_are_unknown_whatever_the_order(book: Rulebook) -> None:
    """Any-correction QTc with QTcB 462 and QTcF 441 at one time is unknown in either Bundle
    order, both shown.
    """
    ecg = day(3) + "T10:00:00+08:00"
    bazett, fridericia = (
        lab(QTCB, 462, "ms", effectiveDateTime=ecg),
        lab(QTCF, 441, "ms", effectiveDateTime=ecg),
    )
    one, other = fact(book, "qtc_ms", bazett, fridericia), fact(book, "qtc_ms", fridericia, bazett)
    assert one.value is None
    assert other.value is None
    assert one.summary == other.summary
    assert len(one.evidence) == 2


def test_later_ecg_decides_any_correction(book: Rulebook) -> None:
    """Without a method named, the latest QTc by time decides."""
    early, late = (
        lab(QTCB, 462, "ms", effectiveDateTime=day(3) + "T08:00:00Z"),
        lab(QTCF, 441, "ms", effectiveDateTime=day(3) + "T11:00:00Z"),
    )
    assert fact(book, "qtc_ms", late, early).value == 441


def test_show_accepts_a_unit_of_the_wrong_type() -> None:
    """base.show prints a value whose unit is not a string without raising (the unit is left
    out).
    """
    assert (show(2.0, ["10*9/L"]), show(2.0, "10*9/L")) == ("2", "2 10*9/L")


# --- records9 branch: SNOMED-coded dipstick answers, urea by mass ------------------------------


@pytest.mark.parametrize(
    ("code", "display", "expected"),
    [
        # Synthea's answer on 20454-5 (Ali Herman): +++.
        pytest.param("167277001", "Urine protein test = +++ (finding)", 3, id="synthea-3+"),
        # The negative finding.
        pytest.param(
            "167273002", "Urine protein test negative (finding)", 0, id="negative-finding"
        ),
        # Trace.
        pytest.param("167274008", "Urine protein test = trace (finding)", 0.5, id="trace-finding"),
        # ++ (the ALTER exclusion's threshold).
        pytest.param("167276005", "Urine protein test = ++ (finding)", 2, id="2+-finding"),
        # A qualifier value on a 4-plus scale.
        pytest.param("260348001", "Present ++ out of ++++ (qualifier value)", 2, id="qualifier-2+"),
        # The generic Negative qualifier on a protein strip.
        pytest.param("260385009", "Negative (qualifier value)", 0, id="qualifier-negative"),
    ],
)
def test_snomed_coded_dipstick_answer_is_graded(
    book: Rulebook, code: str, display: str, expected: float
) -> None:
    """A urine protein strip answered with a SNOMED CT concept is graded from the definition's
    answer table.
    """
    result = fact(
        book,
        "urine_protein_grade",
        observation(URINE_PROTEIN, valueCodeableConcept=concept(SNOMED, code, display)),
    )
    assert result.value == expected


@pytest.mark.parametrize(
    "answer",
    [
        # An ungraded positive: trace or more, but which grade is not said.
        pytest.param(concept(SNOMED, "10828004", "Positive"), id="ungraded-positive"),
        # A SNOMED concept the table does not know, whose text says "negative": not read as
        # negative.
        pytest.param(
            concept(SNOMED, "167297006", "Urine blood test = negative", text="Negative"),
            id="unknown-code-negative-text",
        ),
    ],
)
def test_unknown_snomed_answer_is_unknown_not_negative(
    book: Rulebook, answer: dict[str, Any]
) -> None:
    """A SNOMED CT answer the table does not list leaves the grade unknown, saying so, whatever
    its text.
    """
    result = fact(
        book, "urine_protein_grade", observation(URINE_PROTEIN, valueCodeableConcept=answer)
    )
    assert result.value is None
    assert "is not in the definition's answer table" in result.summary


UREA_MASS = "3091-6"
UREA_MOLES = "22664-7"
BUN_MASS = "3094-0"


@pytest.mark.parametrize(
    ("observation_", "expected"),
    [
        # Urea 40 mg/dL = BUN 18.66 mg/dL, against the default BUN ULN of 20 mg/dL.
        pytest.param(lab(UREA_MASS, 40, "mg/dL"), 40 * 0.4665 / 20, id="urea-mass-default-uln"),
        # Urea 100 mg/dL with the lab's own urea range (high 50 mg/dL): 2 × ULN whichever analyte it
        # is read as.
        pytest.param(
            lab(UREA_MASS, 100, "mg/dL", referenceRange=[{"high": quantity(50, "mg/dL")}]),
            2.0,
            id="urea-mass-own-range",
        ),
        # Urea 10 mmol/L = BUN 10 mmol/L; the default 20 mg/dL BUN is 7.14 mmol/L.
        pytest.param(
            lab(UREA_MOLES, 10, "mmol/L"), 10 / (20 * 10 / 28.0134), id="urea-moles-default-uln"
        ),
        # BUN itself is not multiplied.
        pytest.param(lab(BUN_MASS, 10, "mg/dL"), 0.5, id="bun-unchanged"),
    ],
)
def test_urea_counts_as_bun(book: Rulebook, observation_: dict[str, Any], expected: float) -> None:
    """Urea by mass is converted to urea nitrogen (× 28.0134/60.056) and urea in mmol/L read as
    BUN in mmol/L.
    """
    assert fact(book, "bun_x_uln", observation_).value == pytest.approx(expected, rel=1e-3)


def test_urea_conversion_is_shown(book: Rulebook) -> None:
    """The evidence of a BUN ratio read from urea shows the factor it was converted with."""
    result = fact(book, "bun_x_uln", lab(UREA_MASS, 40, "mg/dL"))
    assert "urea 40 mg/dL × 0.4665 = 18.66 mg/dL" in (result.evidence[0].note or "")
    assert "× 0.4665" in result.summary


def test_automated_strip_protein_is_graded(book: Rulebook) -> None:
    """Urine protein by automated test strip (LOINC 57735-3) is read as the dipstick grade."""
    assert fact(book, "urine_protein_grade", observation("57735-3", valueString="++")).value == 2


def test_readings_hand_each_caller_its_own_lists(book: Rulebook) -> None:
    """An analyte's readings are read once per record, and a caller that changes its list does
    not change the next caller's.
    """
    ctx = facts(book, lab("8636-3", 440, "ms")).context
    first, _pending, _notes = readings(ctx, book.definitions["qtc_ms"])
    first.clear()
    again, _pending, _notes = readings(ctx, book.definitions["qtcf_ms"])
    assert len(again) == 1


def test_a_newer_result_that_cannot_be_read_leaves_an_older_one_undecided(book: Rulebook) -> None:
    """ALT ">1000" sent as text after a normal ALT: the older value does not decide, the lab is
    asked for again, and both are shown.
    """
    newer = observation("1742-6", 1, valueString=">1000")
    result = fact(book, "alt_x_uln", newer, lab("1742-6", 22, "U/L", 5))
    assert (result.value, result.missing) == (None, "ALT")
    assert "cannot be read" in result.summary
    # The text has no unit (nor a range to take one from), so no ULN can be set against it.
    assert [e.note for e in result.evidence] == [
        "no referenceRange.high, and default ULN in U/L cannot be converted to '1'",
        "older result",
    ]


def test_a_newer_result_with_no_value_leaves_the_older_one_deciding(book: Rulebook) -> None:
    """A newer ALT that reports no value (data absent) does not set aside the older result."""
    absent = observation("1742-6", 1, dataAbsentReason=concept(None, None, text="Hemolysed"))
    assert fact(book, "alt_x_uln", absent, lab("1742-6", 28, "U/L", 5)).value == 0.7


@pytest.mark.parametrize(
    ("interpretation", "expected"),
    [
        # The lab's flag reads its own index: N is negative, although the number is above 0.
        pytest.param("N", False, id="0.12-S/CO-flagged-N"),
        pytest.param("POS", True, id="0.12-S/CO-flagged-POS"),
        # No flag: an index's cut-off is not stated, so it is not read at all.
        pytest.param(None, None, id="0.12-S/CO-unflagged"),
    ],
)
def test_an_index_is_read_through_its_interpretation(
    book: Rulebook, interpretation: str | None, expected: bool | None
) -> None:
    """A signal-to-cut-off index is positive or negative by the lab's flag, never for being > 0."""
    extra: dict[str, Any] = {}
    if interpretation:
        extra["interpretation"] = [{"coding": [{"code": interpretation}]}]
    screen = observation("56888-1", 10, valueQuantity=quantity(0.12, "{s_co_ratio}"), **extra)
    assert fact(book, "hiv_test_positive", screen).value is expected


def test_a_detected_flag_makes_a_result_below_the_quantitation_limit_positive(
    book: Rulebook,
) -> None:
    """An HIV viral load "<20" flagged DET is detected, not below the detection limit."""
    screen = observation(
        "56888-1",
        10,
        valueQuantity={**quantity(20, "{copies}/mL"), "comparator": "<"},
        interpretation=[{"coding": [{"code": "DET"}]}],
    )
    assert fact(book, "hiv_test_positive", screen).value is True


def test_an_undated_result_is_not_passed_over_for_an_older_dated_one(book: Rulebook) -> None:
    """A result with no date at all may be the newest: the older ANC does not decide."""
    newer = anc(0.4, 1)
    del newer["effectiveDateTime"]
    result = fact(book, "anc", anc(2.0, 3), newer)
    assert result.value is None
    assert f"Observation/{newer['id']} has no date it can be placed by" in result.summary


def test_an_undated_result_with_no_value_does_not_block(book: Rulebook) -> None:
    """An undated result that only says why it has no value hides nothing: the dated ANC decides."""
    empty = observation(ANC, 1, dataAbsentReason={"text": "clotted"})
    del empty["effectiveDateTime"]
    assert fact(book, "anc", anc(2.0, 3), empty).value == 2.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Below the assay's cut-off: negative (probe O read any number as positive).
        pytest.param(0.02, False, id="below"),
        # At the cut-off: positive.
        pytest.param(0.05, True, id="at"),
    ],
)
def test_a_quantitative_screen_is_read_against_its_cut_off(
    book: Rulebook, value: float, expected: bool
) -> None:
    """An HBsAg reported as a number in [IU]/mL is read against its range text '<0.05 IU/mL' (the
    same unit spelt without brackets).
    """
    result = lab("5196-1", value, "[IU]/mL", referenceRange=[{"text": "<0.05 IU/mL"}])
    result["valueQuantity"]["unit"] = "IU/mL"
    assert fact(book, "hbsag_positive", result).value is expected
