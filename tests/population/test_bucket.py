"""A worker keeps one Screen per rulebook, trial set and as-of date, so its memos carry from
bucket to bucket.
"""

from __future__ import annotations

from datetime import date

from service.population.bucket import worker_screen
from service.rulebook.book import DEFAULT_RULES_DIR


def test_a_worker_reuses_its_screen_for_the_same_run() -> None:
    """Two buckets of one run get the same Screen; another as-of date gets its own."""
    rules, trials = str(DEFAULT_RULES_DIR), ("NCT06761417",)
    first = worker_screen(rules, trials, date(2026, 10, 10))
    again = worker_screen(rules, trials, date(2026, 10, 10))
    other = worker_screen(rules, trials, date(2026, 10, 11))
    assert (again is first, other is first, other.as_of) == (True, False, date(2026, 10, 11))
