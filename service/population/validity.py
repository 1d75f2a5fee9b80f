"""Until when a patient × trial result holds with no new data: the first day a lookback window or an
age can change it.

Conservative by design (re-screening a patient too early costs CPU; too late misses a change): every
dated item of a type a definition reads counts, whether or not it matched the definition's value
set.
"""

from __future__ import annotations

import bisect
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from service.facts.values import parse_date, parse_end_date
from service.records.record import PatientRecord
from service.rulebook.book import Rulebook, Trial

_FIELDS = orjson.loads((Path(__file__).parent / "date_fields.json").read_bytes())


# Parsed dates by their text, for the worker's life (bounded): a bucket repeats the same few
# thousand days across its patients' tens of thousands of dated items.
_PARSED: dict[str, date | None] = {}
_PARSED_LIMIT = 200_000


def _day(text: str) -> date | None:
    found = _PARSED.get(text, _UNPARSED)
    if found is _UNPARSED:
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        found = _PARSED[text] = parse_date(text)
    return found  # type: ignore[return-value]


_UNPARSED = object()


_DATE_KEYS = frozenset(_FIELDS["dates"])
# Each Period's path, by its first element (a resource holds one or two of them, if any).
_PERIODS = {path.split(".")[0]: path.split(".") for path in _FIELDS["periods"]}


def _add_dates(resource: dict[str, Any], out: list[date]) -> None:
    """Append a resource's clinical dates to ``out`` (unparseable ones left out)."""
    keys = resource.keys()
    # The keys a resource has, met with the date fields: a resource holds a few of the 18.
    found = [resource[key] for key in keys & _DATE_KEYS]
    for first in keys & _PERIODS.keys():
        node: Any = resource
        for part in _PERIODS[first]:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            found += [node.get("start"), node.get("end")]
    for value in found:
        if isinstance(value, str):
            day = _PARSED.get(value, _UNPARSED)
            if day is _UNPARSED:
                day = _day(value)
            if day is not None:
                out.append(day)  # type: ignore[arg-type]


_WINDOWS: dict[tuple[int, str], tuple[bool, tuple[tuple[tuple[str, ...], int | None], ...]]] = {}


def _windows(
    book: Rulebook, trial: Trial
) -> tuple[bool, tuple[tuple[tuple[str, ...], int | None], ...]]:
    """Return (reads an age, the (resource types, lookback days) pairs) of a trial's definitions,
    computed once per rulebook.
    """
    key = (id(book), trial.id)
    if key not in _WINDOWS:
        _WINDOWS[key] = _compute_windows(book, trial)
    return _WINDOWS[key]


def _compute_windows(
    book: Rulebook, trial: Trial
) -> tuple[bool, tuple[tuple[tuple[str, ...], int | None], ...]]:
    names = book.definitions_for(trial)
    reads_age = any(book.definitions[n].kind == "age" for n in names)
    pairs = {(book.resource_types_of(n), book.definitions[n].window.days) for n in names}
    kept = [(types, days) for types, days in pairs if types and types != ("Patient",)]
    return reads_age, tuple(
        sorted(kept, key=lambda pair: (pair[0], -1 if pair[1] is None else pair[1]))
    )


class RecordDates:
    """A record's item dates by resource type, sorted once per patient."""

    def __init__(self, record: PatientRecord) -> None:
        self.record = record
        self.by_type = {}
        for rtype, items in record.resources.items():
            found: list[date] = []
            for resource in items:
                _add_dates(resource, found)
            found.sort()
            self.by_type[rtype] = found

    def newest(self, types: tuple[str, ...], as_of: date) -> date | None:
        """Return the newest item date on or before ``as_of`` among these types (the freshness of
        what the trial read).
        """
        best: date | None = None
        for rtype in types:
            dates = self.by_type.get(rtype, [])
            at = bisect.bisect_right(dates, as_of) - 1
            if at >= 0 and (best is None or dates[at] > best):
                best = dates[at]
        return best

    def next_change(self, types: tuple[str, ...], days: int | None, as_of: date) -> date | None:
        """Return the first day after ``as_of`` an item of these types enters or leaves a
        ``days`` window.
        """
        best: date | None = None
        for rtype in types:
            dates = self.by_type.get(rtype, [])
            # A dated item after the as-of date enters the window on its date.
            later = bisect.bisect_right(dates, as_of)
            candidates = [dates[later]] if later < len(dates) else []
            if days is not None:
                # The oldest item inside the window leaves it first.
                inside = bisect.bisect_left(dates, as_of - timedelta(days=days))
                if inside < later:
                    candidates.append(dates[inside] + timedelta(days=days + 1))
            for day in candidates:
                best = day if best is None or day < best else best
        return best


def next_birthday(birth: date, after: date) -> date:
    """Return the first birthday strictly after a day (29 February counts on 1 March in common
    years).
    """
    for year in (after.year, after.year + 1):
        try:
            day = birth.replace(year=year)
        except ValueError:
            day = date(year, 3, 1)
        if day > after:
            return day
    # S101: one of two consecutive years has the birthday after ``after``
    raise AssertionError("unreachable")  # noqa: S101


def newest_evidence(book: Rulebook, trial: Trial, dates: RecordDates, as_of: date) -> date | None:
    """Return the newest dated item a trial's definitions read, on or before the as-of date.

    Taken from the record, not from the cited evidence: which of several same-day items a fact cites
    depends on the order the server sent them in, and this date must not.
    """
    types = tuple(sorted({t for types, _days in _windows(book, trial)[1] for t in types}))
    return dates.newest(types, as_of)


def valid_until(book: Rulebook, trial: Trial, dates: RecordDates, as_of: date) -> date | None:
    """Return the last day the trial's result holds without new data, or None when nothing dated
    can change it.
    """
    reads_age, pairs = _windows(book, trial)
    changes = [dates.next_change(types, days, as_of) for types, days in pairs]
    if reads_age:
        raw = dates.record.patient.get("birthDate")
        # A partial birth date bounds the age by its first and last possible days; either bound
        # moving can change a result.
        for birth in {parse_date(raw), parse_end_date(raw)}:
            if birth is not None:
                changes.append(next_birthday(birth, as_of))
    first = min((c for c in changes if c is not None), default=None)
    return first - timedelta(days=1) if first else None
