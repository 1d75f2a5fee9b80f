"""Every trial's criteria are the source document's, word for word, and none of its numbered
items is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.rulebook.book import Rulebook

pytestmark = pytest.mark.needs("seeds")

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"

# The numbering (or bullets) of each document's criteria, as a coordinator reads them.
EXPECTED_SOURCES = {
    "NCT06761417": [f"Inclusion {n}" for n in range(1, 9)]
    + [f"Exclusion {n}" for n in range(1, 5)],
    "NCT03890068": [f"Inclusion Criteria §{n}" for n in range(1, 8)]
    + [f"Exclusion Criteria §{n}" for n in range(1, 17) if n != 9]
    + [f"Exclusion Criteria §9 ({n})" for n in range(1, 8)],
    "NCT07077551": ["Title"]
    + [f"Eligibility bullet {n}" for n in range(1, 9)]
    + [f"Eligibility bullet {n} {mark}" for n, mark in zip(range(8, 13), "①②③④⑤", strict=True)]
    + ["Eligibility bullet 13"]
    # The listing is cut off before any exclusion criterion: one review criterion says so.
    + ["Exclusion criteria (not in the source listing)"],
    "NCT05617859": [f"Inclusion {n}" for n in range(1, 13)]
    + [f"Exclusion {n}" for n in range(1, 12)],
    "NCT02021825": [f"Inclusion bullet {n}" for n in range(1, 7)]
    + [f"Exclusion bullet {n}" for n in range(1, 6)]
    + ["Ages (study header)"],
}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_trial_is_checked(book: Rulebook) -> None:
    """The five seed trials, and only they, are in the rulebook."""
    assert set(book.trials) == set(EXPECTED_SOURCES)


@pytest.mark.parametrize("trial_id", sorted(EXPECTED_SOURCES))
def test_every_numbered_item_has_a_criterion(book: Rulebook, trial_id: str) -> None:
    """No numbered item or bullet of the document is dropped, and none is invented."""
    trial = book.trial(trial_id)
    assert trial is not None
    assert {c.source for c in trial.criteria} == set(EXPECTED_SOURCES[trial_id])


@pytest.mark.parametrize("trial_id", sorted(EXPECTED_SOURCES))
def test_criterion_text_is_as_written(book: Rulebook, trial_id: str) -> None:
    """Each criterion's text appears verbatim (up to whitespace) in the trial's source document."""
    trial = book.trial(trial_id)
    assert trial is not None
    document = _normalise((SEEDS / Path(trial.source["document"]).name).read_text(encoding="utf-8"))
    missing = [c.id for c in trial.criteria if _normalise(c.text) not in document]
    assert missing == []


@pytest.mark.parametrize("trial_id", sorted(EXPECTED_SOURCES))
def test_review_criteria_say_why(book: Rulebook, trial_id: str) -> None:
    """A criterion a computer cannot judge is 'review' with a reason, never dropped or left
    blank.
    """
    trial = book.trial(trial_id)
    assert trial is not None
    for criterion in trial.criteria:
        assert criterion.formula is not None or (criterion.review and len(criterion.review) > 15), (
            criterion.id
        )
