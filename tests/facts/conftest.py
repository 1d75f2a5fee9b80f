"""The mapping tests read a small test-only rulebook (tests/rules), not the live trials' rules."""

from __future__ import annotations

import pytest

from service.rulebook.book import Rulebook, load_rulebook
from tests.helpers import ROOT

# The definitions these tests read and the value sets those name, copied from rules/ (schema and
# expansions are the live ones, by symlink): a change to a live trial's rules does not move the unit
# tests of how a kind maps data.
TEST_RULES = ROOT / "tests" / "rules"


@pytest.fixture(scope="session")
def book() -> Rulebook:
    """The test-only rulebook: definitions and value sets, no trials."""
    return load_rulebook(TEST_RULES)
