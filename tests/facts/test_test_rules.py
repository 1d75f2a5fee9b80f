"""The test-only rulebook loads, holds no trials, and stays a small subset of the definitions."""

from __future__ import annotations

from service.rulebook.book import Rulebook, load_rulebook


def test_the_test_rules_are_a_small_trial_free_rulebook(book: Rulebook) -> None:
    """tests/rules loads on its own, has no trials, and far fewer definitions than the live
    rules.
    """
    live = load_rulebook()
    assert book.trials == {}
    assert 0 < len(book.definitions) < len(live.definitions) / 2
    assert book.version != live.version
