"""The evaluation context: indexes of the record built once and reused by every definition."""

from __future__ import annotations

from service.rulebook.book import Rulebook
from tests.helpers.records import facts, lab, quantity, resource


def test_observation_elements_lists_each_observation_and_component_once(book: Rulebook) -> None:
    """Every Observation and each of its components is one (Observation, element) pair, the list
    built once per record.
    """
    bp = resource(
        "Observation",
        status="final",
        code={"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
        component=[
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                "valueQuantity": quantity(120, "mm[Hg]"),
            },
            {
                "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                "valueQuantity": quantity(80, "mm[Hg]"),
            },
        ],
    )
    ctx = facts(book, lab("751-8", 3.1, "10*9/L"), bp).context
    elements = ctx.observation_elements()
    assert [
        (obs["code"]["coding"][0]["code"], element["code"]["coding"][0]["code"])
        for obs, element in elements
    ] == [("751-8", "751-8"), ("85354-9", "85354-9"), ("85354-9", "8480-6"), ("85354-9", "8462-4")]
    assert ctx.observation_elements() is elements
