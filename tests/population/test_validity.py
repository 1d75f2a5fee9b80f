"""Valid-until: the first day a lookback window or an age can change a result, minus one."""

from __future__ import annotations

from datetime import date

from service.population.validity import RecordDates, next_birthday, valid_until
from service.records.record import PatientRecord
from service.rulebook.book import Rulebook


def _record(birth: str, observations: list[str]) -> PatientRecord:
    obs = [
        {"resourceType": "Observation", "id": f"o{i}", "effectiveDateTime": d}
        for i, d in enumerate(observations)
    ]
    return PatientRecord(
        patient={"resourceType": "Patient", "id": "p", "birthDate": birth},
        resources={"Observation": obs},
    )


def test_next_birthday_is_strictly_after() -> None:
    """A birthday on the as-of date itself is next year's; 29 February counts on 1 March."""
    assert next_birthday(date(1990, 10, 10), date(2026, 10, 10)) == date(2027, 10, 10)
    assert next_birthday(date(1992, 2, 29), date(2026, 1, 1)) == date(2026, 3, 1)


def test_a_lab_leaving_its_window_ends_validity(book: Rulebook) -> None:
    """An Observation inside a 14-day window ends the result's validity the day before it falls
    out.
    """
    trial = book.trials["NCT06761417"]
    windows = sorted(
        {book.definitions[n].get("lookbackDays") for n in book.definitions_for(trial)} - {None}
    )
    assert windows, "the trial reads windowed labs"
    shortest = windows[0]
    record = _record("1960-01-01", ["2026-10-05"])
    until = valid_until(book, trial, RecordDates(record), date(2026, 10, 10))
    assert until is not None
    assert until <= date.fromordinal(date(2026, 10, 5).toordinal() + shortest)


def test_birthday_bounds_validity_without_data(book: Rulebook) -> None:
    """With no dated data, the next birthday (an age limit may be crossed) bounds the result."""
    trial = book.trials["NCT02021825"]
    until = valid_until(book, trial, RecordDates(_record("1990-11-01", [])), date(2026, 10, 10))
    assert until == date(2026, 10, 31)


def test_future_dated_item_enters_the_window(book: Rulebook) -> None:
    """An item dated after the as-of date changes the result when its day comes."""
    trial = book.trials["NCT06761417"]
    until = valid_until(
        book, trial, RecordDates(_record("1960-06-01", ["2026-10-20"])), date(2026, 10, 10)
    )
    assert until is not None
    assert until <= date(2026, 10, 19)
