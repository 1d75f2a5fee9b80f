"""Tests for service.facts.derived: Cockcroft-Gault creatinine clearance and named formulas."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.facts import Fact
from service.facts.derived import data_for
from service.rulebook.book import Rulebook
from service.rulebook.kleene import Formula
from tests.helpers.records import SNOMED, concept, fact, facts, lab, observation, patient

CREATININE_MASS = "2160-0"
CREATININE_MOLES = "14682-9"
WEIGHT = "29463-7"
HBSAG = "5196-1"
HBV_DNA = "42595-9"
AS_OF = date(2025, 3, 10)
SIXTY = "1965-03-10"  # 60 years old on AS_OF


def crcl(
    book: Rulebook, *resources: dict[str, Any], birth_date: str = SIXTY, gender: str = "male"
) -> Fact:
    """Return the Cockcroft-Gault fact of a patient with the given results."""
    return fact(book, "crcl_ml_min", *resources, subject=patient(birth_date, gender), as_of=AS_OF)


@pytest.mark.parametrize(
    ("gender", "weight", "creatinine", "expected"),
    [
        # (140 − 60) × 72 / (72 × 1.0) = 80.
        pytest.param(
            "male", lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 1.0, "mg/dL"), 80, id="male"
        ),
        # Female: × 0.85 = 68.
        pytest.param(
            "female", lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 1.0, "mg/dL"), 68, id="female"
        ),
        # Creatinine 2.0 mg/dL halves it.
        pytest.param(
            "male", lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 2.0, "mg/dL"), 40, id="creatinine-2"
        ),
        # Creatinine in µmol/L (88.4 µmol/L = 1.0 mg/dL), rounded to 0.1 mL/min.
        pytest.param(
            "male",
            lab(WEIGHT, 72, "kg"),
            lab(CREATININE_MOLES, 88.4, "umol/L"),
            80,
            id="creatinine-umol/L",
        ),
        # Weight in pounds (158.73 lb = 72.0 kg).
        pytest.param(
            "male",
            lab(WEIGHT, 158.73, "[lb_av]"),
            lab(CREATININE_MASS, 1.0, "mg/dL"),
            80,
            id="weight-lb",
        ),
    ],
)
def test_cockcroft_gault(
    book: Rulebook, gender: str, weight: dict[str, Any], creatinine: dict[str, Any], expected: float
) -> None:
    """CrCl = (140 − age) × weight × (0.85 if female) / (72 × creatinine mg/dL), to 0.1 mL/min."""
    assert crcl(book, weight, creatinine, gender=gender).value == pytest.approx(expected, abs=0.05)


def test_a_measured_clearance_comes_before_the_estimate(book: Rulebook) -> None:
    """A creatinine clearance measured from a 24-hour urine (LOINC 2164-2) in the window is the
    clearance, not the Cockcroft-Gault estimate; one outside the window leaves the estimate.
    """
    weight, creatinine = lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 2.0, "mg/dL")
    measured = crcl(book, weight, creatinine, lab("2164-2", 75, "mL/min"))
    assert measured.value == 75
    assert "measured, so not estimated by Cockcroft-Gault" in measured.summary
    stale = crcl(book, weight, creatinine, lab("2164-2", 75, "mL/min", 30))
    assert stale.value == pytest.approx(40, abs=0.05)


def test_cockcroft_gault_evidence(book: Rulebook) -> None:
    """The evidence gives the computed CrCl first, then each input's evidence."""
    result = crcl(book, lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 1.0, "mg/dL"))
    first = result.evidence[0]
    assert ((first.value, first.unit, first.note), len(result.evidence)) == (
        (80, "mL/min", "Cockcroft-Gault"),
        5,
    )


def test_cockcroft_gault_missing_input_is_unknown(book: Rulebook) -> None:
    """Without a body weight, CrCl is unknown, and the reason passes on why the weight is
    missing.
    """
    result = crcl(book, lab(CREATININE_MASS, 1.0, "mg/dL"))
    assert (result.value, result.summary) == (
        None,
        "Creatinine clearance cannot be computed: no Body weight on record on or before "
        f"{AS_OF.isoformat()}",
    )


def test_cockcroft_gault_stale_creatinine_is_unknown(book: Rulebook) -> None:
    """A creatinine older than its 14-day window makes CrCl unknown."""
    assert crcl(book, lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 1.0, "mg/dL", 15)).value is None


def test_cockcroft_gault_sex_other_is_unknown(book: Rulebook) -> None:
    """With gender 'other', the female factor cannot be chosen: CrCl is unknown."""
    assert (
        crcl(book, lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 1.0, "mg/dL"), gender="other").value
        is None
    )


def test_cockcroft_gault_zero_creatinine_is_unknown(book: Rulebook) -> None:
    """A creatinine of zero cannot be divided by: unknown, saying so."""
    result = crcl(book, lab(WEIGHT, 72, "kg"), lab(CREATININE_MASS, 0, "mg/dL"))
    assert result.value is None
    assert "is not positive" in result.summary


def test_cockcroft_gault_failed_search_is_unknown(book: Rulebook) -> None:
    """A failed Observation search makes CrCl unknown, with the failure in the reason."""
    result = fact(
        book,
        "crcl_ml_min",
        lab(WEIGHT, 72, "kg"),
        subject=patient(SIXTY),
        as_of=AS_OF,
        failed={"Observation": "HTTP 429"},
    )
    assert result.value is None
    assert "Observation search failed (HTTP 429)" in result.summary


def positive_hbsag() -> dict[str, Any]:
    """Return a positive HBsAg."""
    return observation(HBSAG, valueCodeableConcept=concept(SNOMED, "10828004", "Positive"))


def negative_hbsag() -> dict[str, Any]:
    """Return a negative HBsAg."""
    return observation(HBSAG, valueCodeableConcept=concept(SNOMED, "260385009", "Negative"))


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # Positive, 1,000 IU/mL.
        pytest.param(
            [positive_hbsag(), lab(HBV_DNA, 1000, "[IU]/mL")], True, id="positive-high-dna"
        ),
        # Positive, 500 IU/mL exactly.
        pytest.param(
            [positive_hbsag(), lab(HBV_DNA, 500, "[IU]/mL")], True, id="positive-dna-at-limit"
        ),
        # Positive, DNA below 20 IU/mL: the bound decides.
        pytest.param(
            [positive_hbsag(), lab(HBV_DNA, 20, "[IU]/mL", comparator="<")],
            False,
            id="positive-dna-below-20",
        ),
        # Positive, DNA below 1,000: may or may not reach 500.
        pytest.param(
            [positive_hbsag(), lab(HBV_DNA, 1000, "[IU]/mL", comparator="<")],
            None,
            id="positive-dna-below-1000",
        ),
        # Positive, no DNA: unknown.
        pytest.param([positive_hbsag()], None, id="positive-no-dna"),
        # Negative: no active hepatitis B whatever the DNA.
        pytest.param([negative_hbsag()], False, id="negative-no-dna"),
        # Nothing on record.
        pytest.param([], None, id="nothing"),
    ],
)
def test_active_hepatitis_b_formula(
    book: Rulebook, resources: list[dict[str, Any]], expected: bool | None
) -> None:
    """A named formula is three-valued over its facts' values and bounds."""
    assert fact(book, "active_hepatitis_b", *resources).value is expected


def test_formula_summary_and_evidence(book: Rulebook) -> None:
    """A formula's summary says yes/no/unknown with its facts' summaries, and gathers their
    evidence (by fact name).
    """
    hbsag, dna = positive_hbsag(), lab(HBV_DNA, 1000, "[IU]/mL")
    result = fact(book, "active_hepatitis_b", hbsag, dna)
    assert result.summary.startswith("Active hepatitis B: yes (")
    assert [e.reference for e in result.evidence] == [
        f"Observation/{hbsag['id']}",
        f"Observation/{dna['id']}",
    ]


def test_formula_over_sex(book: Rulebook) -> None:
    """A formula comparing sex is false for a male patient whatever else is unknown."""
    assert fact(book, "lactation", subject=patient(gender="male")).value is False


def test_data_for_lays_out_values_and_bounds() -> None:
    """data_for gives each fact's value and its __lo/__hi bounds (the value itself when exact)."""
    facts = [Fact("a", 2.0, ""), Fact("b", 20, "", low=0, high=20), Fact("c", None, "")]
    assert data_for(facts) == {
        "a": 2.0,
        "a__lo": 2.0,
        "a__hi": 2.0,
        "b": 20,
        "b__lo": 0,
        "b__hi": 20,
        "c": None,
        "c__lo": None,
        "c__hi": None,
    }


def test_cockcroft_gault_keeps_the_range_of_a_partial_birth_date(book: Rulebook) -> None:
    """Born '1964' (age 60–61 on the as-of date): CrCl is a range, so 'crcl >= 80' is unknown,
    not met.
    """
    fact_set = facts(
        book,
        lab("29463-7", 72, "kg"),
        lab("2160-0", 1.0, "mg/dL"),
        subject=patient("1964", "male"),
        as_of=date(2025, 3, 10),
    )
    crcl = fact_set.get("crcl_ml_min")
    assert crcl.low is not None
    assert crcl.high is not None
    assert crcl.low < crcl.high
    assert Formula({">=": [{"var": "crcl_ml_min"}, 80]}).evaluate(data_for([crcl])) is None


def test_formula_absent_means_no_when_the_result_is_missing(book: Rulebook) -> None:
    """A formula with absence 'no' answers no when its only unknown input has no result in the
    window.
    """
    result = fact(book, "b12_low")
    assert result.value is False
    assert result.summary.startswith("Low serum vitamin B12: no (no result on record")


def test_formula_absent_means_no_decides_on_a_result(book: Rulebook) -> None:
    """With a result on record, a formula with absence 'no' is decided by the value (110 pmol/L =
    149 pg/mL is low).
    """
    assert fact(book, "b12_low", lab("2132-9", 110, "pmol/L", 20)).value is True


def test_formula_absent_means_no_keeps_a_failed_search_unknown(book: Rulebook) -> None:
    """A failed Observation search is not an absent result: the formula stays unknown."""
    assert fact(book, "b12_low", failed={"Observation": "HTTP 503"}).value is None


def test_formula_absent_means_no_keeps_an_unreadable_result_unknown(book: Rulebook) -> None:
    """A result on record whose unit cannot be converted is not an absent result: the formula
    stays unknown.
    """
    assert fact(book, "b12_low", lab("2132-9", 300, "mg/h", 20)).value is None


def test_formula_absent_means_no_when_the_result_is_stale(book: Rulebook) -> None:
    """A low B12 older than the 365-day window is no result in the window: the formula answers
    no.
    """
    assert fact(book, "b12_low", lab("2132-9", 90, "pg/mL", 400)).value is False


def test_cockcroft_gault_is_not_used_under_18(book: Rulebook) -> None:
    """An 11-year-old gets the bedside Schwartz eGFR (0.413 × 145 / 0.9 = 66.5), not
    Cockcroft-Gault.
    """
    result = crcl(
        book,
        lab(WEIGHT, 40, "kg"),
        lab(CREATININE_MASS, 0.9, "mg/dL"),
        lab("8302-2", 145, "cm"),
        birth_date="2013-06-01",
    )
    assert result.value == 66.5
    assert "Cockcroft-Gault not used" in result.summary
    assert "bedside Schwartz" in result.summary


def test_a_child_without_a_height_has_no_clearance(book: Rulebook) -> None:
    """Under 18 without a height on record the clearance is unknown, asking for a height."""
    result = crcl(
        book, lab(WEIGHT, 40, "kg"), lab(CREATININE_MASS, 0.9, "mg/dL"), birth_date="2013-06-01"
    )
    assert (result.value, result.missing) == (None, "Body height")


def test_schwartz_is_not_used_from_18(book: Rulebook) -> None:
    """The bedside Schwartz formula is for children: an adult's is unknown, saying why."""
    result = fact(
        book,
        "egfr_schwartz",
        lab(CREATININE_MASS, 0.9, "mg/dL"),
        lab("8302-2", 170, "cm"),
        subject=patient(SIXTY),
        as_of=AS_OF,
    )
    assert result.value is None
    assert "under 18 only" in result.summary


def test_schwartz_converts_height_in_metres(book: Rulebook) -> None:
    """A height of 1.45 m is 145 cm for the Schwartz formula."""
    result = fact(
        book,
        "egfr_schwartz",
        lab(CREATININE_MASS, 0.9, "mg/dL"),
        lab("8302-2", 1.45, "m"),
        subject=patient("2013-06-01"),
        as_of=AS_OF,
    )
    assert result.value == 66.5
