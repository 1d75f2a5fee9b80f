"""Tests for service.pages.readable: rules rendered with the definitions' labels and units."""

from __future__ import annotations

from typing import Any

import pytest

from service.pages.readable import age_range, readable, unit_shown
from service.rulebook.book import Rulebook

CASES = [
    # The issue's own example: a ratio to ULN, or a Cockcroft-Gault clearance.
    (
        {"or": [{"<=": [{"var": "creatinine_x_uln"}, 1.5]}, {">=": [{"var": "crcl_ml_min"}, 60]}]},
        "Serum creatinine ≤ 1.5 × ULN or Creatinine clearance ≥ 60 mL/min",
    ),
    # A between with the unit after the upper bound.
    ({"<=": [18, {"var": "age_years"}, 70]}, "18 ≤ Age ≤ 70 years"),
    # A measurement with a UCUM unit shown as people write it.
    ({">=": [{"var": "anc"}, 1.5]}, "ANC ≥ 1.5 × 10⁹/L"),
    # A dimensionless score takes no unit.
    ({"<=": [{"var": "ecog"}, 2]}, "ECOG ≤ 2"),
    # No record of a condition reads "no …".
    ({"!": {"var": "liver_metastases"}}, "no Liver metastases / invasion"),
    # A test's "true" is a positive result, so its negation is not "no test".
    ({"!": {"var": "hiv_test_positive"}}, "not (HIV test positive)"),
    # Nested and/or are parenthesised; equality to a word has no unit.
    (
        {
            "or": [
                {"and": [{"==": [{"var": "sex"}, "male"]}, {">=": [{"var": "qtc_ms"}, 450]}]},
                {"==": [{"var": "sex"}, "female"]},
            ]
        },
        "(Sex = male and QTc ≥ 450 ms) or Sex = female",
    ),
    # A name the library does not hold is shown as it is.
    ({">": [{"var": "not_a_definition"}, 1]}, "not_a_definition > 1"),
]


@pytest.mark.parametrize(("logic", "text"), CASES)
def test_rule_reads_as_a_clinician_writes_it(book: Rulebook, logic: Any, text: str) -> None:
    """Each rule renders with labels, symbols and units."""
    assert readable(logic, book.definitions) == text


def test_every_trial_rule_renders_without_raw_names(book: Rulebook) -> None:
    """No criterion of the bundled trials shows a raw definition name (all are labelled)."""
    raw = [
        (trial.id, c.id)
        for trial in book.trials.values()
        for c in trial.criteria
        if c.formula
        for name in c.formula.reads
        if name in readable(c.formula.logic, book.definitions).split()
    ]
    assert raw == []


@pytest.mark.parametrize(
    ("logics", "ages"),
    [
        ([{"<=": [18, {"var": "age_years"}, 70]}], "18–70"),  # a closed range
        ([{">=": [{"var": "age_years"}, 12]}], "≥ 12"),  # a lower bound only
        ([{"var": "has_nmo"}], None),  # no age criterion
    ],
)
def test_age_range_comes_from_the_age_criterion(logics: list[Any], ages: str | None) -> None:
    """The trial list's ages come from the criterion that bounds age_years."""
    assert age_range(logics) == ages


@pytest.mark.parametrize(
    ("unit", "shown"), [("10*9/L", "× 10⁹/L"), ("1", ""), (None, ""), ("furlong", "furlong")]
)
def test_units_are_shown_as_people_write_them(unit: str | None, shown: str) -> None:
    """UCUM codes are shown in their usual form; an unknown unit is shown as it came."""
    assert unit_shown(unit) == shown
