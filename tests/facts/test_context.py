"""The evaluation context: indexes of the record built once and reused by every definition."""

from __future__ import annotations

import gc
import weakref

import pytest

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


def test_remember_computes_once_per_key(book: Rulebook) -> None:
    """What a definition asks of the record is computed on first use, then reused for that key."""
    ctx = facts(book).context
    calls: list[str] = []

    def compute() -> str:
        calls.append("computed")
        return "value"

    answers = [ctx.remember(("k", 1), compute), ctx.remember(("k", 1), compute)]
    assert (answers, calls) == (["value", "value"], ["computed"])


def test_remember_keeps_keys_apart(book: Rulebook) -> None:
    """Two keys are two computations."""
    ctx = facts(book).context
    assert [ctx.remember(("k", n), lambda n=n: n * 10) for n in (1, 2)] == [10, 20]


def test_blocked_is_none_with_nothing_failed_or_set_aside(book: Rulebook) -> None:
    """A record whose searches all arrived and whose resources all read blocks nothing."""
    ctx = facts(book, lab("751-8", 3.1, "10*9/L")).context
    assert ctx.blocked(("Observation",), ctx.value_sets["anc"]) is None


def test_blocked_names_a_failed_search(book: Rulebook) -> None:
    """A failed search blocks the definitions over its type, with why."""
    ctx = facts(book, failed={"Observation": "timed out"}).context
    assert ctx.blocked(("Observation",)) == "Observation search failed (timed out)"


def test_fact_set_is_no_reference_cycle(book: Rulebook) -> None:
    """A fact set and its context are freed as soon as they are dropped, without the cyclic
    collector.
    """
    fact_set = facts(book, lab("751-8", 3.1, "10*9/L"))
    fact_set.get("anc")
    gone = weakref.ref(fact_set.context)
    gc.disable()
    try:
        del fact_set
        assert gone() is None
    finally:
        gc.enable()


def test_context_computes_other_facts_through_its_fact_set(book: Rulebook) -> None:
    """``Context.fact`` answers from the fact set's cache: the same Fact object."""
    fact_set = facts(book, lab("751-8", 3.1, "10*9/L"))
    assert fact_set.context.fact("anc") is fact_set.get("anc")


def test_context_without_its_fact_set_says_so(book: Rulebook) -> None:
    """A context kept after its fact set is dropped refuses to compute facts, naming why."""
    ctx = facts(book).context
    with pytest.raises(ReferenceError, match="FactSet is gone"):
        ctx.fact("anc")
