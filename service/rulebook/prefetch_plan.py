"""The CDS Hooks prefetch templates, derived from the search plan: one prefetch key per search
the trials need.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import orjson

from service.rulebook.book import Rulebook, Trial
from service.rulebook.search_plan import Search, name_matched_value_sets, plan_searches

PATIENT_KEY = "patient"
PATIENT_TEMPLATE = "Patient/{{context.patientId}}"
# Observation categories where each value set matched by name is recorded (data, with the reasons,
# in the JSON file).
NAME_MATCHED_CATEGORIES: dict[str, list[str]] = orjson.loads(
    Path(__file__).with_name("name_matched_categories.json").read_bytes()
)["valueSets"]


@dataclass(frozen=True)
class PrefetchPlan:
    """The prefetch keys a service asks for, each with the search it stands for."""

    searches: dict[str, Search]

    def templates(self) -> dict[str, str]:
        """Return the discovery document's ``prefetch`` member."""
        return {
            PATIENT_KEY: PATIENT_TEMPLATE,
            **{key: search.template() for key, search in self.searches.items()},
        }


def prefetch_plan(book: Rulebook, trials: Iterable[Trial]) -> PrefetchPlan:
    """Return one prefetch key per planned search: ``observations``, ``observations-2``,
    ``conditions``…

    The Observation search for value sets matched by name (EDSS, AQP4) has no codes: in the pull it
    is narrowed by a date floor, which the prefetch subset cannot express, so here it is narrowed by
    category instead of asking the EHR for every Observation the patient has.
    """
    trials = list(trials)
    categories = name_matched_categories(book, trials)
    searches: dict[str, Search] = {}
    for search in plan_searches(book, trials):
        if not search.prefetch:
            continue
        if search.resource_type == "Observation" and not search.codes and categories is not None:
            if not categories:
                continue  # only sets whose results by name alone a prefetch does not carry
            search = replace(search, categories=categories)
        stem = search.resource_type[0].lower() + search.resource_type[1:] + "s"
        key, n = stem, 1
        while key in searches:
            n += 1
            key = f"{stem}-{n}"
        searches[key] = search
    return PrefetchPlan(searches)


def name_matched_categories(book: Rulebook, trials: list[Trial]) -> tuple[str, ...] | None:
    """Return the categories that hold the name-matched value sets' Observations: None (no
    filter) if one of them has none listed, () if none is prefetched by name (each listed with no
    category: its coded results are prefetched by code).
    """
    value_sets = name_matched_value_sets(book, trials)
    if not value_sets or any(name not in NAME_MATCHED_CATEGORIES for name in value_sets):
        return None
    return tuple(
        sorted({category for name in value_sets for category in NAME_MATCHED_CATEGORIES[name]})
    )
