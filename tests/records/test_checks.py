"""Tests for service.records.checks: wrongly typed elements set a resource aside, with the
element named.
"""

from __future__ import annotations

from typing import Any

import pytest

from service.records.checks import problem_of, split_readable

CODE = {"coding": [{"system": "http://loinc.org", "code": "26499-4", "display": "Neutrophils"}]}


def observation(**changes: Any) -> dict[str, Any]:
    """Return a readable ANC Observation, changed."""
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": CODE,
        "effectiveDateTime": "2026-11-18",
        "valueQuantity": {"value": 2, "unit": "10*9/L", "code": "10*9/L"},
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        # A status that is a list (the reliability review's reproduction).
        pytest.param(
            {"status": ["final"]}, "Observation.status is a list, not a string", id="status-list"
        ),
        # A unit that is a number.
        pytest.param(
            {"valueQuantity": {"value": 2, "unit": 7}},
            "Observation.valueQuantity.unit is a number, not a string",
            id="unit-number",
        ),
        # A value that is a boolean is not a number.
        pytest.param(
            {"valueQuantity": {"value": True}},
            "Observation.valueQuantity.value is a boolean, not a number",
            id="value-boolean",
        ),
        # A code inside a coding that is an object.
        pytest.param(
            {"code": {"coding": [{"code": {}}]}},
            "Observation.code.coding[0].code is an object, not a string",
            id="coding-code-object",
        ),
        # A referenceRange high code that is a number.
        pytest.param(
            {"referenceRange": [{"high": {"value": 40, "code": 1}}]},
            "Observation.referenceRange[0].high.code is a number, not a string",
            id="range-high-code",
        ),
        # A component list that is an object.
        pytest.param(
            {"component": {}},
            "Observation.component is an object, not a list",
            id="component-object",
        ),
    ],
)
def test_wrongly_typed_element_is_named(changes: dict[str, Any], problem: str) -> None:
    """The first wrongly typed element read by the definitions is named with its path."""
    assert problem_of(observation(**changes)) == problem


def test_readable_resource_has_no_problem() -> None:
    """A well-typed Observation (null elements are absent) passes."""
    assert problem_of(observation(issued=None, interpretation=[CODE])) is None


def test_set_aside_resource_keeps_its_readable_code() -> None:
    """An Observation with a bad status keeps its code, so only criteria about that analyte wait
    on it.
    """
    readable, unreadable = split_readable([observation(), observation(id="o2", status={})])
    assert ([r["id"] for r in readable], [u.concept for u in unreadable]) == (["o1"], [CODE])


def test_set_aside_resource_with_unreadable_code_could_be_anything() -> None:
    """An Observation whose code is wrongly typed has no concept: it could be any analyte."""
    _readable, unreadable = split_readable([observation(code={"coding": "26499-4"})])
    assert [u.concept for u in unreadable] == [None]


def test_a_modifier_extension_sets_the_resource_aside() -> None:
    """A modifierExtension changes what a resource means ("negated"): one this service does not
    read sets the resource aside, its URL named, never read as usual (probe R).
    """
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "modifierExtension": [{"url": "http://example.org/negated", "valueBoolean": True}],
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.22"}]},
    }
    readable, unreadable = split_readable([condition])
    assert (readable, [u.problem for u in unreadable]) == (
        [],
        [
            "Condition.modifierExtension http://example.org/negated changes its meaning in a way "
            "this service does not read"
        ],
    )
    assert unreadable[0].concept == condition["code"]
