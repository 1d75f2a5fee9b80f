"""Tests for service.rulebook.definitions: a definition's typed members and its lookback Window."""

from __future__ import annotations

from datetime import date

import pytest

from service.rulebook.book import Rulebook
from service.rulebook.definitions import NO_LIMIT, Window, definition_from

AS_OF = date(2026, 3, 1)


def test_the_window_starts_its_days_before_the_as_of_date() -> None:
    """A 14-day window's earliest date is 14 days before the as-of date."""
    assert Window(14).start(AS_OF) == date(2026, 2, 15)


def test_no_limit_has_no_start() -> None:
    """A window without days reaches back over the whole history: it has no earliest date."""
    assert NO_LIMIT.start(AS_OF) is None


@pytest.mark.parametrize(
    ("day", "inside"),
    [
        # The first day of the window is in it.
        pytest.param(date(2026, 2, 15), True, id="first-day"),
        # The day before it is not.
        pytest.param(date(2026, 2, 14), False, id="day-before"),
        # The as-of date itself is in it.
        pytest.param(AS_OF, True, id="as-of"),
        # A day after the as-of date is not yet known.
        pytest.param(date(2026, 3, 2), False, id="after"),
    ],
)
def test_the_window_contains_its_days(day: date, inside: bool) -> None:
    """An item dated from the window's first day to the as-of date falls in it; others do not."""
    assert Window(14).contains(day, AS_OF) is inside


def test_no_limit_contains_any_day_up_to_the_as_of_date() -> None:
    """The whole history: a day decades back falls in it."""
    assert NO_LIMIT.contains(date(1990, 1, 1), AS_OF) is True


@pytest.mark.parametrize(
    ("windows", "days"),
    [
        # The longest of limited windows.
        pytest.param([Window(14), Window(90)], 90, id="longest"),
        # One window without a limit removes the limit.
        pytest.param([Window(14), NO_LIMIT], None, id="unlimited"),
        # No windows at all: no limit.
        pytest.param([], None, id="none"),
    ],
)
def test_the_widest_window_covers_them_all(windows: list[Window], days: int | None) -> None:
    """Window.widest is what a search serving several definitions needs."""
    assert Window.widest(windows).days == days


def test_a_definition_is_typed_from_its_document() -> None:
    """definition_from reads the shared members: kind, label, value set, window and absence
    policy.
    """
    definition = definition_from(
        "anc",
        {"kind": "measurement", "valueSet": "anc", "lookbackDays": 14, "absence": "unknown"},
    )
    assert (definition.kind, definition.value_set, definition.window, definition.absence) == (
        "measurement",
        "anc",
        Window(14),
        "unknown",
    )


def test_a_label_defaults_to_the_name() -> None:
    """A definition without a label is shown by its name."""
    assert definition_from("egfr", {"kind": "measurement"}).label == "egfr"


def test_a_kind_reads_its_own_members_by_key() -> None:
    """The document's other members stay readable by key, as each kind's function reads them."""
    definition = definition_from("anc", {"kind": "measurement", "unit": "10*9/L"})
    assert definition["unit"] == "10*9/L"


def test_the_rulebook_holds_typed_definitions(book: Rulebook) -> None:
    """Every loaded definition has its Window built once at load, from its lookbackDays."""
    windows = {name: d.window.days for name, d in book.definitions.items()}
    assert len(windows) > 10
    assert windows == {name: d.get("lookbackDays") for name, d in book.definitions.items()}
