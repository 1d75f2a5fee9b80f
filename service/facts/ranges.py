"""A result's reference range as low/high Quantities: from referenceRange.low/high, or parsed
from its text when that is all there is.
"""

from __future__ import annotations

import re
from typing import Any

from service.facts.readings import Reading
from service.facts.values import as_list

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
# "3.5-5.0 g/dL", "0.6–1.2 mg/dL", "3.5 to 5.0"; "<40", "≤ 40 U/L", ">3.5". ASCII digits only.
_BETWEEN = re.compile(rf"\s*({_NUMBER})\s*(?:-|–|—|to)\s*({_NUMBER})\s*([^\s0-9].*?)?\s*", re.ASCII)
_BOUND = re.compile(rf"\s*(<=|>=|<|>|≤|≥)\s*({_NUMBER})\s*([^\s0-9].*?)?\s*", re.ASCII)


def reference_ranges(
    reading: Reading,
) -> list[tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]]:
    """Return (low, high, text) for each range of the reading; a range given only as text is
    parsed (None where it says nothing).
    """
    found: list[tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]] = []
    for rng in as_list(
        reading.source.get("referenceRange") or reading.resource.get("referenceRange")
    ):
        if not isinstance(rng, dict):
            continue
        low, high = _quantity(rng.get("low")), _quantity(rng.get("high"))
        if low is None and high is None and isinstance(rng.get("text"), str):
            low, high = parse_range_text(rng["text"])
            if low is not None or high is not None:
                found.append((low, high, rng["text"]))
            continue
        if low is not None or high is not None:
            found.append((low, high, None))
    return found


def _quantity(value: object) -> dict[str, Any] | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("value"), (int, float))
        and not isinstance(value.get("value"), bool)
    ):
        return value
    return None


def parse_range_text(text: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Parse a range written as text into (low, high) Quantities; a unit in the text is kept,
    else the result's is meant.
    """
    between = _BETWEEN.fullmatch(text)
    if between:
        unit = between.group(3)
        return _made(between.group(1), unit), _made(between.group(2), unit)
    bound = _BOUND.fullmatch(text)
    if bound:
        made = _made(bound.group(2), bound.group(3))
        return (None, made) if bound.group(1) in ("<", "<=", "≤") else (made, None)
    return None, None


def _made(number: str, unit: str | None) -> dict[str, Any]:
    made: dict[str, Any] = {"value": float(number)}
    if unit:
        made["unit"] = unit
    return made
