"""A definition of the library as a typed object, with its lookback Window, built once when the
rulebook loads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Window:
    """The days before the as-of date a definition looks at (``lookbackDays``); no days: the
    whole history.
    """

    days: int | None = None

    def start(self, as_of: date) -> date | None:
        """Return the earliest date in the window for an as-of date, or None when it has no
        limit.
        """
        return None if self.days is None else as_of - timedelta(days=self.days)

    def contains(self, day: date, as_of: date) -> bool:
        """Say whether an item dated ``day`` falls in the window: on or before the as-of date,
        not before its start.
        """
        start = self.start(as_of)
        return day <= as_of and (start is None or day >= start)

    def describe(self, as_of: date) -> str:
        """Describe the window in words, for the facts' summaries."""
        if self.days is None:
            return f"on or before {as_of.isoformat()}"
        return f"in the {self.days} days before {as_of.isoformat()}"

    @staticmethod
    def widest(windows: Iterable[Window]) -> Window:
        """Return the window that covers all of them (no limit when one has none); no windows: no
        limit.
        """
        days = [w.days for w in windows]
        if not days or any(d is None for d in days):
            return Window(None)
        return Window(max(d for d in days if d is not None))


# A window with no limit: the whole history (a definition without lookbackDays, a search with no
# date floor).
NO_LIMIT = Window()


@dataclass(frozen=True)
class Definition(Mapping[str, Any]):
    """One named definition: the members every reader shares, typed; a kind's own members stay
    readable by key.

    The rulebook, the search plan and the facts read the typed fields (kind, value set, window,
    absence policy); each kind's function reads its own extra members (``unit``, ``ageBands``,
    ``answers`` …) from the document with ``definition["…"]`` or ``definition.get(…)``, as the JSON
    Schema describes them.
    """

    name: str
    kind: str
    label: str
    value_set: str | None
    # A therapy also recorded as a procedure that gave it (chemotherapy by CPT): read for review.
    procedure_value_set: str | None
    window: Window
    # What "nothing found" means: "no", "unknown" or "review" (None: the kind decides).
    absence: str | None
    inputs: Mapping[str, str]
    absence_review_when: str | None
    # A qualitative definition's gate: true, no result in the window is a no (absenceNoWhen).
    absence_no_when: str | None
    positives_persist: bool
    document: Mapping[str, Any] = field(repr=False)

    def __getitem__(self, key: str) -> Any:
        """Return a member of the definition's document."""
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        """Iterate over the document's member names."""
        return iter(self.document)

    def __len__(self) -> int:
        """Count the document's members."""
        return len(self.document)


def definition_from(name: str, document: Mapping[str, Any]) -> Definition:
    """Build the typed definition of one checked document of rules/library/."""
    days = document.get("lookbackDays")
    return Definition(
        name=name,
        kind=str(document["kind"]),
        label=str(document.get("label", name)),
        value_set=document.get("valueSet"),
        procedure_value_set=document.get("procedureValueSet"),
        window=Window(None if days is None else int(days)),
        absence=document.get("absence"),
        inputs=dict(document.get("inputs", {})),
        absence_review_when=document.get("absenceReviewWhen"),
        absence_no_when=document.get("absenceNoWhen"),
        positives_persist=bool(document.get("positivesPersist")),
        document=document,
    )
