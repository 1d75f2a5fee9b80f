"""The Fact a definition yields: a plain JSON value with bounds, a readable summary and its
evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: a cited resource, or a search that found nothing."""

    reference: str | None = None
    display: str | None = None
    value: Any = None
    unit: str | None = None
    date: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Render as the report's evidence object."""
        return {
            "reference": self.reference,
            "display": self.display,
            "value": self.value,
            "unit": self.unit,
            "date": self.date,
            "note": self.note,
        }


@dataclass(frozen=True)
class Fact:
    """The value of one named definition for one patient on one as-of date.

    ``value`` None means unknown, and ``summary`` then says why. ``low``/``high``
    bound a numeric value the lab reported with a comparator (``<0.5``).
    """

    name: str
    value: Any
    summary: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    low: Any = None
    high: Any = None
    # Set when the fact is unknown because its data is missing or stale (not a failed search):
    # the CDS card names the lab to obtain.
    missing: str | None = None
    # Set when nothing was found where the definition's absence policy is "review" (history an
    # inclusion requires that often lives outside the record): a person must confirm it, it is never
    # a hard no.
    review: str | None = None
    # True when the fact is true only because a record's text or display named the concept (no code
    # matched): an exclusion resting on it alone goes to review.
    by_name: bool = False

    def bounds(self) -> tuple[Any, Any]:
        """Return (low, high), which equal the value when it is exact."""
        if self.low is None and self.high is None:
            return self.value, self.value
        return self.low, self.high


def unknown(
    name: str, reason: str, evidence: tuple[Evidence, ...] = (), missing: str | None = None
) -> Fact:
    """Build an unknown fact with its reason."""
    return Fact(name=name, value=None, summary=reason, evidence=evidence, missing=missing)


def iso(day: date | None) -> str | None:
    """Format a date for a report, keeping None."""
    return day.isoformat() if day else None


def number(value: float) -> float | int:
    """Round a computed number for display and comparison stability (10 significant digits)."""
    rounded = float(f"{value:.10g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def show(value: Any, unit: object = None) -> str:
    """Format a value and unit for a sentence."""
    if isinstance(value, float):
        value = f"{value:.4g}"
    return (
        f"{value} {unit}".strip()
        if isinstance(unit, str) and unit and unit not in {"1", "{score}"}
        else str(value)
    )
