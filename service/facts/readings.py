"""Readings of an analyte: the Observations in a value set, dated, ordered by time, and the
latest usable one chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from service.facts.base import Evidence, Fact, iso, unknown
from service.facts.context import Context
from service.facts.values import (
    as_list,
    choice_date,
    choice_instant,
    choice_problem,
    codings,
    concept_text,
    date_problem,
    parse_date,
    parse_datetime,
)
from service.records.entries import reference_of
from service.rulebook.definitions import Definition
from service.rulebook.valuesets import ValueSet

USABLE_STATUS = {"final", "amended", "corrected"}
# Not yet final: a newer one of these is not hidden behind an older final result; it leaves the
# value unknown.
PENDING_STATUS = {"preliminary", "registered"}
# Results that were never made or are withdrawn: set aside. Any other status ("unknown", one that
# is missing or not a FHIR code) is not known to be final, and is treated as pending: a positive
# hCG with status "unknown" must not give way to an older negative.
VOID_STATUS = {"cancelled", "entered-in-error"}
_NO_TIME = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Reading:
    """A value read from one Observation (or one of its components)."""

    resource: dict[str, Any]
    day: date
    source: dict[str, Any]  # the Observation, or the component that carried the value
    label: str
    instant: datetime | None = (
        None  # when the time of day (with an offset) is known: orders results of one day
    )
    status: str = "final"

    def order(self) -> tuple[date, datetime, str, int]:
        """Return the sort key: day, then time (untimed first), then the citation, so no Bundle
        or hash order leaks in.
        """
        position = (
            0
            if self.source is self.resource
            else 1
            + next(
                (
                    i
                    for i, c in enumerate(as_list(self.resource.get("component")))
                    if c is self.source
                ),
                0,
            )
        )
        return self.day, self.instant or _NO_TIME, reference_of(self.resource), position

    def same_time(self, other: Reading) -> bool:
        """Say whether two readings cannot be told apart in time (same instant, or same day with
        a time missing).
        """
        if self.day != other.day:
            return False
        return self.instant is None or other.instant is None or self.instant == other.instant


# The readings of a value set: usable, pending, notes on those set aside, and those with no date.
_Readings = tuple[list[Reading], list[Reading], list[str], list[tuple[dict[str, Any], str]]]


def not_final(status: str) -> str:
    """Say how a pending result's status falls short of final."""
    return "not yet final" if status in PENDING_STATUS else "not known to be final"


def _dated(obs: dict[str, Any]) -> tuple[date | None, datetime | None, str | None]:
    """Return (day, instant, problem): effective[x], else ``issued``; an invalid date is a
    problem, never a fallback.
    """
    problem = choice_problem(obs, "effective")
    if problem:
        return None, None, problem
    day = choice_date(obs, "effective")
    if day is not None:
        return day, choice_instant(obs, "effective"), None
    issued = obs.get("issued")
    if date_problem(issued):
        return None, None, f"issued {date_problem(issued)}"
    return parse_date(issued), parse_datetime(issued), None


def readings(
    ctx: Context, definition: Definition, value_set: ValueSet | None = None
) -> tuple[list[Reading], list[Reading], list[str]]:
    """Return the usable readings and the pending (preliminary) ones, newest first, and notes on
    Observations set aside.
    """
    found, pending, notes, _undated = _all_readings(ctx, value_set or ctx.value_set(definition))
    return list(found), list(pending), list(notes)


def undated(
    ctx: Context, definition: Definition, value_set: ValueSet | None = None
) -> list[tuple[dict[str, Any], str]]:
    """Return the Observations in the value set that count but carry no date they can be placed
    by (none, or one that cannot be read), each with why: any of them may be the newest result.
    """
    return list(_all_readings(ctx, value_set or ctx.value_set(definition))[3])


def _all_readings(ctx: Context, value_set: ValueSet) -> _Readings:
    # An analyte's readings serve each definition over it (creatinine, its ULN ratio, CrCl): read
    # and sorted once per record.
    found: _Readings = ctx.remember(("readings", id(value_set)), lambda: _read_all(ctx, value_set))
    return found


def _read_all(ctx: Context, value_set: ValueSet) -> _Readings:
    """Read every Observation in a value set into readings, for ``readings``."""
    found: list[Reading] = []
    pending: list[Reading] = []
    notes: list[str] = []
    no_date: list[tuple[dict[str, Any], str]] = []
    for obs, sources in _candidates(ctx, value_set):
        status = obs.get("status")
        if status in VOID_STATUS:
            notes.append(f"{reference_of(obs)} set aside: status {status!r}")
            continue
        if not isinstance(status, str) or not status:
            status = "unknown"  # no status said: as the code for "the source does not know"
        day, instant, problem = _dated(obs)
        if problem or day is None:
            why = problem or "no effective date"
            notes.append(f"{reference_of(obs)} set aside: {why}")
            # One that reports no value (only a dataAbsentReason) cannot hide a newer reading.
            if any(reports_value(Reading(obs, ctx.as_of, source, "")) for source in sources):
                no_date.append((obs, why))
            continue
        if day > ctx.as_of:
            continue  # after the as-of date: not yet known on that day
        for source in sources:
            reading = Reading(
                obs,
                day,
                source,
                concept_text(source.get("code")) or concept_text(obs.get("code")),
                instant,
                str(status),
            )
            (found if status in USABLE_STATUS else pending).append(reading)
    found.sort(key=Reading.order, reverse=True)
    pending.sort(key=Reading.order, reverse=True)
    return found, pending, sorted(notes), no_date


def _candidates(
    ctx: Context, value_set: ValueSet
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Return each Observation in the value set with the elements (itself or components) that
    matched.
    """
    grouped: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    if value_set.is_plain_codes():
        # Fast path: look the codes up in the record's index.
        for obs, element in ctx.observations_coded(value_set.codes):
            grouped.setdefault(id(obs), (obs, []))[1].append(element)
        return list(grouped.values())
    # Each Observation and each of its components, matched once per distinct code (see
    # Context.matching).
    for (obs, element), _how, _concepts, _texts in ctx.matching(
        "Observation elements", ctx.observation_elements(), _describe_element, value_set
    ):
        grouped.setdefault(id(obs), (obs, []))[1].append(element)
    return list(grouped.values())


def _describe_element(
    pair: tuple[dict[str, Any], dict[str, Any]],
) -> tuple[list[tuple[str, str, str]], list[str]]:
    code = pair[1].get("code")
    return list(codings(code)), [concept_text(code)]


def evidence(reading: Reading, value: Any, unit: str | None, note: str | None) -> Evidence:
    """Cite a reading."""
    return Evidence(
        reference_of(reading.resource), reading.label, value, unit, iso(reading.day), note
    )


def reports_value(reading: Reading) -> bool:
    """Say whether a result reports a value of some kind (not only a reason it has none): a
    value, or an interpretation flag alone (a newer "LL" must not be passed over for an older
    normal result).
    """
    source = reading.source
    if source.get("dataAbsentReason"):
        return False
    if any(key.startswith("value") and source[key] not in (None, "", {}, []) for key in source):
        return True
    return any(
        isinstance(flag, dict) and flag.get("coding")
        for flag in as_list(source.get("interpretation"))
    )


def cite_value(reading: Reading, note: str) -> Evidence:
    """Cite a reading that does not decide, with the value it reports (so a person can weigh it)."""
    qty = reading.source.get("valueQuantity")
    if isinstance(qty, dict) and isinstance(qty.get("value"), (int, float)):
        unit = qty.get("unit") or qty.get("code")
        return evidence(reading, qty["value"], unit if isinstance(unit, str) else None, note)
    text = (
        reading.source.get("valueString")
        or concept_text(reading.source.get("valueCodeableConcept"))
        or None
    )
    return evidence(reading, text, None, note)


# C901: the result-choosing rules (status, dates, same-time conflicts) in the order a coordinator
# applies them
def latest(  # noqa: C901
    ctx: Context,
    definition: Definition,
    name: str,
    read: Callable[[Reading], tuple[Any, str | None]],
    *,
    highest: bool = False,
) -> tuple[Reading, Any] | Fact:
    """Return the newest reading in the window that ``read`` can interpret, or an unknown Fact
    saying why.

    ``read`` returns (value, None) or (None, why-unusable); with ``highest`` the reading whose value
    (first item) is highest wins instead (e.g. fever during screening), the newest on a tie. With a
    ``method`` value set, only readings by that method decide; readings by another method are shown.
    Two readings that cannot be told apart in time and disagree leave the value unknown (both
    shown).
    """
    label = definition.document.get("label", name)
    value_set = ctx.value_set(definition)
    blocked = ctx.blocked(("Observation",), value_set)
    if blocked:
        return unknown(name, f"{label}: {blocked}; not decided")
    found, pending, notes = readings(ctx, definition)
    late = undated(ctx, definition)
    if late and found:
        # A result that cannot be placed in time may be newer than every dated one: as for an
        # unreadable value, the older result does not decide in its place.
        obs, gap = late[0]
        return unknown(
            name,
            f"{label}: {reference_of(obs)} has no date it can be placed by ({gap}), so it may be "
            f"newer than the result of {found[0].day.isoformat()}; not decided",
            (
                Evidence(reference_of(obs), concept_text(obs.get("code")), None, None, None, gap),
                cite_value(found[0], "newest dated result"),
            ),
        )
    method = definition.document.get("method")
    others: list[Reading] = []
    if method:
        by_method = ctx.value_sets[method]
        others = [r for r in found if not by_method.match(codings(r.source.get("code")))]
        found = [r for r in found if by_method.match(codings(r.source.get("code")))]
    in_window = [r for r in found if ctx.in_window(definition, r.day)]
    skipped: list[Evidence] = []
    usable: list[tuple[Reading, Any]] = []
    # The newest result that reports a value this definition cannot read (">1000" as text, a unit
    # it cannot convert): an older result must not decide in its place.
    unread: tuple[Reading, str] | None = None
    for reading in in_window:
        value, why = read(reading)
        if why is not None:
            if not usable:
                skipped.append(evidence(reading, None, None, why))
                if unread is None and reports_value(reading):
                    unread = (reading, why)
            continue
        usable.append((reading, value))
        if not highest and len(usable) > 1 and not reading.same_time(usable[0][0]):
            usable.pop()
            break
    if usable and unread is not None and (highest or not unread[0].same_time(usable[0][0])):
        newer, why = unread
        return unknown(
            name,
            f"{label}: the result of {newer.day.isoformat()} reports a value that cannot be read "
            f"({why}), so an older result cannot decide; not decided",
            (cite_value(newer, why), cite_value(usable[0][0], "older result")),
            missing=label,
        )
    if usable:
        return _choose(name, label, usable, pending, highest)
    shown_others = (
        tuple(
            cite_value(
                r, f"by another method than {ctx.value_sets[method].title}, so it does not decide"
            )
            for r in others
            if ctx.in_window(definition, r.day)
        )[:3]
        if method
        else ()
    )
    pending_in = [r for r in pending if ctx.in_window(definition, r.day)]
    shown_pending = tuple(
        cite_value(r, f"status {r.status}: not a final result") for r in pending_in[:2]
    )
    if skipped:
        reason = f"{label}: no usable result {ctx.window_text(definition)} ({skipped[0].note})"
    elif shown_others:
        reason = (
            f"{label}: only results by another method {ctx.window_text(definition)} "
            f"({shown_others[0].display}); not decided"
        )
    elif shown_pending:
        reason = (
            f"{label}: only a result with status {pending_in[0].status} "
            f"{ctx.window_text(definition)}; not decided"
        )
    elif found:
        reason = f"no {label} {ctx.window_text(definition)}; latest {found[0].day.isoformat()}"
    else:
        reason = f"no {label} on record on or before {ctx.as_of.isoformat()}"
    if notes:
        reason += "; " + "; ".join(notes[:3])
    stale = tuple(
        evidence(r, None, None, "outside the lookback window")
        for r in found[:1]
        if not ctx.in_window(definition, r.day)
    )
    return unknown(name, reason, (*skipped, *shown_others, *shown_pending, *stale), missing=label)


def _choose(
    name: str, label: str, usable: list[tuple[Reading, Any]], pending: list[Reading], highest: bool
) -> tuple[Reading, Any] | Fact:
    """Pick the reading that decides, or say why none can: a disagreeing tie, or a newer result
    still pending.
    """
    if highest:
        best = max(usable, key=lambda pair: (pair[1][0], pair[0].order()))
    else:
        best = usable[0]
        ties = [pair for pair in usable if pair[0].same_time(best[0])]
        values = {repr(pair[1][0]) for pair in ties}
        if len(values) > 1:
            shown = ", ".join(
                f"{pair[0].label} {pair[1][0]:.4g}"
                if isinstance(pair[1][0], float)
                else f"{pair[0].label} {pair[1][0]}"
                for pair in ties
            )
            cited = tuple(
                cite_value(pair[0], "same time as another result that disagrees")
                for pair in ties[:4]
            )
            return unknown(
                name,
                f"{label}: results on {best[0].day.isoformat()} that cannot be ordered in time "
                f"disagree ({shown}); not decided",
                cited,
            )
    newer = [r for r in pending if r.order() > best[0].order() or r.same_time(best[0])]
    if newer:
        cited = (
            cite_value(
                newer[0],
                f"status {newer[0].status}: newer than the final result, "
                f"{not_final(newer[0].status)}",
            ),
            cite_value(best[0], "older final result"),
        )
        return unknown(
            name,
            f"{label}: a newer {newer[0].status} result on {newer[0].day.isoformat()} is "
            f"{not_final(newer[0].status)}, and the final result "
            f"of {best[0].day.isoformat()} may be out of date; not decided",
            cited,
            missing=label,
        )
    return best
