"""What every definition kind reads: the record, the as-of date, the value sets and the other facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from service.facts.base import Fact
from service.record import PatientRecord
from service.valuesets import ValueSet


@dataclass
class Context:
    """Inputs of one evaluation; ``fact`` computes (and caches) another definition by name."""

    record: PatientRecord
    as_of: date
    value_sets: dict[str, ValueSet]
    fact: Callable[[str], Fact]

    def window_start(self, definition: dict[str, Any]) -> date | None:
        """Return the first day of a definition's lookback window, or None when it has none."""
        days = definition.get("lookbackDays")
        return self.as_of - timedelta(days=int(days)) if days is not None else None

    def window_text(self, definition: dict[str, Any]) -> str:
        """Describe a definition's lookback window in words."""
        days = definition.get("lookbackDays")
        if days is None:
            return f"on or before {self.as_of.isoformat()}"
        return f"in the {days} days before {self.as_of.isoformat()}"

    def value_set(self, definition: dict[str, Any]) -> ValueSet:
        """Return the value set a definition names."""
        return self.value_sets[definition["valueSet"]]

    def failure(self, resource_type: str) -> str | None:
        """Return why a resource type's search failed, or None when its data arrived."""
        return self.record.failed.get(resource_type)
