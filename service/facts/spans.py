"""When a history record happened: onset spans from ages and recorded dates, when an order ends,
and unreadable dates.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from service.facts.context import Context
from service.facts.values import (
    as_list,
    choice_date,
    choice_end_date,
    choice_problem,
    date_problem,
    parse_date,
    parse_end_date,
)

_DATE_CHOICES = ("onset", "abatement", "performed", "effective", "occurrence")
# Something that ended on a day the record does not give as a date (an abatementAge or text, a
# completed course with only a start): in a window if it began there, else undecided.
ENDED_UNDATED = "ended, on a day the record does not give as a date"
_DATE_FIELDS = ("recordedDate", "authoredOn", "dateAsserted")


def date_problem_of(resource: dict[str, Any]) -> str | None:
    """Say why a date element of a resource that is present cannot be read (full-width digits,
    hour 25, year 0001).
    """
    for prefix in _DATE_CHOICES:
        problem = choice_problem(resource, prefix)
        if problem:
            return problem
    for element in _DATE_FIELDS:
        problem = date_problem(resource.get(element))
        if problem:
            return f"{element} {problem}"
    return None


def onset_span(ctx: Context, cond: dict[str, Any]) -> tuple[date | None, date | None]:
    """Return (earliest, latest) onset: onset[x] (dateTime, Period, Age, Range of ages), else
    recordedDate as the latest it can be.
    """
    start = choice_date(cond, "onset")
    if start is not None:
        # "2026", "2026-05" or an onsetPeriod: any day up to the last one it names.
        last = choice_end_date(cond, "onset")
        return start, last if last is not None and last > start else None
    born, born_last = (
        parse_date(ctx.record.patient.get("birthDate"), date_only=True),
        parse_end_date(ctx.record.patient.get("birthDate"), date_only=True),
    )
    age, rng = cond.get("onsetAge"), cond.get("onsetRange")
    low, high = (
        (age, age)
        if isinstance(age, dict)
        else (rng.get("low"), rng.get("high"))
        if isinstance(rng, dict)
        else (None, None)
    )
    low_years, high_years = _years(low), _years(high)
    if (
        born is not None
        and born_last is not None
        and (low_years is not None or high_years is not None)
    ):
        earliest = _add_years(born, low_years) if low_years is not None else None
        # "At age 50" is any day from the 50th birthday to the day before the 51st.
        latest = (
            _add_years(born_last, high_years + 1) - timedelta(days=1)
            if high_years is not None
            else None
        )
        return earliest, latest
    return None, parse_date(cond.get("recordedDate"))


def _years(quantity: object) -> float | None:
    """Read an Age quantity in years (UCUM a, mo, wk, d)."""
    if (
        not isinstance(quantity, dict)
        or not isinstance(quantity.get("value"), (int, float))
        or isinstance(quantity.get("value"), bool)
    ):
        return None
    if (quantity.get("code") or quantity.get("unit")) in ("a", "yr", "year", "years"):
        return float(quantity["value"])
    days = _duration_days(quantity)
    return days / 365.25 if days is not None else None


def _add_years(day: date, years: float) -> date:
    whole = int(years)
    try:
        moved = day.replace(year=day.year + whole)
    except ValueError:
        moved = day.replace(year=day.year + whole, day=28)  # 29 February in a common year
    return moved + timedelta(days=round((years - whole) * 365.25))


# An order still 'active' with no end, dispense period or duration is counted as current for this
# long after it was written (90 days: the longest supply one prescription commonly covers), not
# forever: Synthea and many EHRs leave orders 'active' for decades, which must not make "therapy
# within 4 weeks" true. A definition may set openOrderDays. An 'active' MedicationStatement with no
# end is bounded the same way, from the last date it asserts.
OPEN_ORDER_DAYS = 90
# Past that bound it is not taken as stopped at once either: written within this long before a
# window, it may still be given (oral maintenance therapy runs 6-12 months), so whether it falls in
# the window is not known (history._in_window); older, it is taken as ended. A definition about
# long-term therapy sets openOrderDays instead, for which an active order is current however old.
OPEN_ORDER_DOUBT_DAYS = 365
# An openOrderDays this long (a century) means: current while it stays active, with no bound to say.
WHILE_ACTIVE_DAYS = 36525
WHILE_ACTIVE_NOTE = "while it stays active"
# How such an order or statement is described.
OPEN_ORDER_NOTE = "active order with no end, dispense period or duration"
OPEN_STATEMENT_NOTE = "active statement with no end"
_DURATION_DAYS = {
    "d": 1,
    "day": 1,
    "days": 1,
    "wk": 7,
    "week": 7,
    "weeks": 7,
    "mo": 30,
    "month": 30,
    "months": 30,
    "h": 1 / 24,
    "a": 365,
}


def _duration_days(quantity: object) -> float | None:
    """Read a Duration as days (None when it is not one)."""
    if (
        not isinstance(quantity, dict)
        or not isinstance(quantity.get("value"), (int, float))
        or isinstance(quantity.get("value"), bool)
    ):
        return None
    unit = quantity.get("code") or quantity.get("unit")
    factor = _DURATION_DAYS.get(unit.strip().lower()) if isinstance(unit, str) else None
    return float(quantity["value"]) * factor if factor and quantity["value"] >= 0 else None


def _order_end(order: dict[str, Any], start: date | None) -> date | None:
    """Return when an order ends by its own data: validity period, supply duration × fills, or
    dosage bounds; never before the last day its timing names (``timing.event``).
    """
    end = _order_own_end(order, start)
    # Infusions ordered for given days (day 1 and day 8 of a cycle) run to the last of them,
    # whatever the order's written date.
    events = [
        parse_end_date(event)
        for dosage in as_list(order.get("dosageInstruction"))
        if isinstance(dosage, dict) and isinstance(dosage.get("timing"), dict)
        for event in as_list(dosage["timing"].get("event"))
    ]
    last = max((day for day in events if day is not None), default=None)
    return last if last is not None and (end is None or last > end) else end


def _order_own_end(order: dict[str, Any], start: date | None) -> date | None:
    """Return when an order ends by its validity period, supply duration × fills, or dosage
    bounds.
    """
    dispense: dict[str, Any] = (
        order["dispenseRequest"] if isinstance(order.get("dispenseRequest"), dict) else {}
    )
    validity: dict[str, Any] = (
        dispense["validityPeriod"] if isinstance(dispense.get("validityPeriod"), dict) else {}
    )
    end = parse_end_date(validity.get("end"))
    if end is not None or start is None:
        return end
    supply = _duration_days(dispense.get("expectedSupplyDuration"))
    repeats = dispense.get("numberOfRepeatsAllowed")
    if supply is not None:
        fills = 1 + (
            repeats
            if isinstance(repeats, int) and not isinstance(repeats, bool) and repeats > 0
            else 0
        )
        return start + timedelta(days=math.ceil(supply * fills))
    for dosage in as_list(order.get("dosageInstruction")):
        timing = dosage.get("timing") if isinstance(dosage, dict) else None
        repeat = timing.get("repeat") if isinstance(timing, dict) else None
        if isinstance(repeat, dict):
            bounds = repeat.get("boundsPeriod")
            if isinstance(bounds, dict) and parse_end_date(bounds.get("end")):
                return parse_end_date(bounds.get("end"))
            days = _duration_days(repeat.get("boundsDuration"))
            if days is not None:
                return start + timedelta(days=math.ceil(days))
    return None


def medication_span(
    resource: dict[str, Any], open_days: int = OPEN_ORDER_DAYS
) -> tuple[date | None, date | None, str | None]:
    """Return (start, end, note): an active order or statement without an end counts for
    ``open_days`` after its last date.
    """
    # An administration "in-progress" is still being given (an infusion, a course with no end yet).
    ongoing = resource.get("status") in {"active", "on-hold", "intended", "in-progress"}
    if resource["resourceType"] == "MedicationRequest":
        day = parse_date(resource.get("authoredOn"))
        end = _order_end(resource, day)
        if ongoing and end is None and day is not None:
            until = day + timedelta(days=open_days)
            return (
                day,
                until,
                _bound_note(OPEN_ORDER_NOTE, f"for {open_days} days, until {until.isoformat()}")
                if open_days < WHILE_ACTIVE_DAYS
                else _bound_note(OPEN_ORDER_NOTE, WHILE_ACTIVE_NOTE),
            )
        if ongoing and end is None:
            return day, None, "ongoing"
        if end is None and _repeats(resource):
            # Stopped or completed, on a day it does not record, after doses it schedules day after
            # day ("twice daily"): it may have been taken until last week, as a statement with
            # only a start may (probe P: a stopped pazopanib order read as given on its written day
            # only). A single dose (an infusion order with no schedule) is that day.
            return day, None, ENDED_UNDATED
        return day, end or day, None
    if resource["resourceType"] == "MedicationDispense":
        return _dispense_span(resource)
    start = choice_date(resource, "effective") or parse_date(resource.get("dateAsserted"))
    period = resource.get("effectivePeriod") or {}
    if ongoing and not (isinstance(period, dict) and period.get("end")):
        # The same bound as an open order: a statement says the drug was being taken when it was
        # asserted (or, without dateAsserted, when its period starts); Synthea and EHRs leave such
        # statements 'active' long after use stopped.
        asserted = [
            d
            for d in (
                start,
                parse_date(resource.get("dateAsserted")),
                choice_end_date(resource, "effective"),
            )
            if d is not None
        ]
        if not asserted:
            return None, None, "ongoing"
        until = max(asserted) + timedelta(days=open_days)
        return (
            start,
            until,
            _bound_note(OPEN_STATEMENT_NOTE, f"for {open_days} days after it was last asserted")
            if open_days < WHILE_ACTIVE_DAYS
            else _bound_note(OPEN_STATEMENT_NOTE, WHILE_ACTIVE_NOTE),
        )
    end = choice_end_date(resource, "effective")
    if isinstance(period, dict) and period.get("start") and not period.get("end"):
        return start, None, ENDED_UNDATED  # a finished course whose end was not recorded
    return start, end, None


def _repeats(order: dict[str, Any]) -> bool:
    """Say whether an order schedules repeated doses over days (a timing with a period or a
    frequency, or a timing code such as BID), not one dose.
    """
    for dosage in as_list(order.get("dosageInstruction")):
        timing = dosage.get("timing") if isinstance(dosage, dict) else None
        if not isinstance(timing, dict):
            continue
        repeat = timing.get("repeat")
        if isinstance(repeat, dict) and (repeat.get("period") or repeat.get("frequency")):
            return True
        if isinstance(timing.get("code"), dict):
            return True
    return False


def _bound_note(what: str, how_long: str) -> str:
    return f"{what}: counted as current {how_long}"


def _dispense_span(dispense: dict[str, Any]) -> tuple[date | None, date | None, str | None]:
    """Return a dispense's (start, end, note): handed over (or prepared), for its days' supply."""
    start = parse_date(dispense.get("whenHandedOver")) or parse_date(dispense.get("whenPrepared"))
    supply = _duration_days(dispense.get("daysSupply"))
    if start is not None and supply is not None:
        # Counted as an order of the same supply is (start + supply), so the two records of one
        # course end on the same day.
        return start, start + timedelta(days=math.ceil(supply)), None
    # A supply of unknown length: taken from that day for a time the record does not give.
    return start, None, ENDED_UNDATED
