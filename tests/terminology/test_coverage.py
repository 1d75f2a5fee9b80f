"""Every code in the outside records either matches a value set or is reviewed; Synthea's
findings are visible where asked.
"""

from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

import pytest

from service.rulebook.book import Rulebook, load_rulebook
from service.rulebook.valuesets import ValueSet
from tests.needs import need
from tests.terminology.coverage import (
    REVIEWED,
    carebundle_bundles,
    concepts,
    synthea_bundles,
    unmatched,
)


@pytest.fixture(scope="module")
def book() -> Rulebook:
    """The project's rulebook with its expansions."""
    return load_rulebook()


@pytest.fixture(scope="module")
def seen() -> dict[str, tuple[str, str]]:
    """The coded concepts of the Synthea records and a carebundle cohort (carebundle needs the
    [terminology] extra).
    """
    need("synthea")
    bundles = synthea_bundles()
    if importlib.util.find_spec("carebundle"):
        bundles += carebundle_bundles()
    elif os.environ.get("CI") == "true":
        pytest.fail("carebundle is missing: pip install -e '.[terminology]'")
    return concepts(bundles)


def test_no_unreviewed_code(book: Rulebook, seen: dict[str, tuple[str, str]]) -> None:
    """A code no value set matches must be in tests/terminology/reviewed_codes.json, added to a
    set or marked with a reason.
    """
    reviewed = json.loads(REVIEWED.read_text(encoding="utf-8"))["codes"]
    missed = unmatched(seen, book.value_sets)
    assert len(seen) > 150
    new = {k: v for k, v in missed.items() if k not in reviewed}
    assert new == {}, (
        "review these codes (add to a value set, or to reviewed_codes.json with a reason)"
    )


def test_reviewed_codes_have_reasons() -> None:
    """Each reviewed code has a verdict and a one-line reason."""
    reviewed: dict[str, dict[str, Any]] = json.loads(REVIEWED.read_text(encoding="utf-8"))["codes"]
    assert len(reviewed) > 100
    assert [
        k
        for k, v in reviewed.items()
        if v["verdict"] not in ("irrelevant", "deferred")
        or not v["reason"].strip()
        or "\n" in v["reason"]
    ] == []


def _match(sets: dict[str, ValueSet], name: str, system: str, code: str) -> str | None:
    return sets[name].match([(system, code, "")])


@pytest.mark.parametrize(
    ("value_set", "code"),
    [
        # Synthea's prostate cancer gives "other malignancy" in each trial that asks.
        pytest.param(
            "other_malignancy_nct03890068", "126906006", id="neoplasm-of-prostate-03890068"
        ),
        pytest.param("other_malignancy_nct05617859", "92691004", id="cis-prostate-05617859"),
        pytest.param(
            "other_malignancy_nct06761417", "126906006", id="neoplasm-of-prostate-06761417"
        ),
        pytest.param("significant_bleeding", "6072007", id="bleeding-from-anus"),
        pytest.param("pregnancy", "198992004", id="eclampsia"),
        pytest.param("pregnancy", "398254007", id="pre-eclampsia"),
        pytest.param("surgery", "90470006", id="prostatectomy"),
        pytest.param("surgery", "80146002", id="appendectomy"),
        pytest.param("surgery", "11466000", id="caesarean"),
        pytest.param("surgery", "387607004", id="colostomy"),
    ],
)
def test_synthea_findings_are_visible(
    book: Rulebook, seen: dict[str, tuple[str, str]], value_set: str, code: str
) -> None:
    """The findings the terminology review saw missed in the Synthea records are in the records
    and now match.
    """
    assert f"http://snomed.info/sct|{code}" in seen
    assert _match(book.value_sets, value_set, "http://snomed.info/sct", code) == "code"
