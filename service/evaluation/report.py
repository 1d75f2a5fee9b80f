"""The report as a type: statuses, verdicts, each criterion's result and a trial's report, and
their JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any

from service.facts.base import Evidence

# The record's own criterion, said first: a deceased patient is never eligible (see evaluate.py).
DECEASED_ID = "exc-0"
DECEASED_SOURCE = "patient record (Patient.deceased[x])"
DECEASED_TEXT = (
    "The patient has died on or before the as-of date (a deceased patient is never eligible)"
)


class Status(StrEnum):
    """A criterion's status; the members are in the order reports count them."""

    MET = "met"
    NOT_MET = "not-met"
    UNKNOWN = "unknown"
    REVIEW = "review"

    @classmethod
    def of(cls, result: bool | None) -> Status:
        """Return the status of a three-valued result: None is unknown."""
        if result is None:
            return cls.UNKNOWN
        return cls.MET if result else cls.NOT_MET


class Kind(StrEnum):
    """Whether a criterion lets the patient in (inclusion) or keeps them out (exclusion)."""

    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"

    @property
    def failing(self) -> Status:
        """Return the status that keeps the patient out: an inclusion not met, an exclusion met."""
        return _FAILING[self]

    @property
    def passing(self) -> Status:
        """Return the status that lets the patient through: an inclusion met, an exclusion not
        met.
        """
        return _PASSING[self]


# Looked up, not branched on: an enum member's class attribute costs a descriptor call on Python
# 3.11, and these predicates run for every criterion of every report a card, page or row is drawn
# from.
_FAILING = {Kind.INCLUSION: Status.NOT_MET, Kind.EXCLUSION: Status.MET}
_PASSING = {Kind.INCLUSION: Status.MET, Kind.EXCLUSION: Status.NOT_MET}
_MET, _UNKNOWN, _REVIEW = Status.MET, Status.UNKNOWN, Status.REVIEW


class Verdict(StrEnum):
    """A trial's overall verdict; the members are in the order reports are ranked (eligible
    first).
    """

    ELIGIBLE = "eligible"
    INSUFFICIENT_DATA = "insufficient-data"
    INELIGIBLE = "ineligible"

    @property
    def rank(self) -> int:
        """Return the verdict's place in the ranking: 0 for eligible, then insufficient-data,
        then ineligible.
        """
        return _VERDICT_RANK[self]

    @property
    def is_candidate(self) -> bool:
        """Say whether the patient may join: eligible, or undecided only for want of data."""
        return self is not _INELIGIBLE


_VERDICT_RANK = {verdict: rank for rank, verdict in enumerate(Verdict)}
_ELIGIBLE, _INSUFFICIENT_DATA, _INELIGIBLE = (
    Verdict.ELIGIBLE,
    Verdict.INSUFFICIENT_DATA,
    Verdict.INELIGIBLE,
)


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion as judged for one patient: its status, why, the evidence, and what would
    decide it.
    """

    id: str
    kind: Kind
    source: str
    text: str
    status: Status
    reason: str | None
    evidence: tuple[Evidence, ...] = ()
    # What a clinician could obtain to decide an unknown criterion (missing or stale labs).
    missing: tuple[str, ...] = ()

    @property
    def bars(self) -> bool:
        """Say whether the criterion keeps the patient out: an inclusion not met, or an exclusion
        met.
        """
        return self.status is _FAILING[self.kind]

    @property
    def passes(self) -> bool:
        """Say whether the criterion lets the patient through: an inclusion met, or an exclusion
        not met.
        """
        return self.status is _PASSING[self.kind]

    @property
    def undecided(self) -> bool:
        """Say whether the data on record leaves the criterion open (unknown)."""
        return self.status is _UNKNOWN

    @property
    def needs_review(self) -> bool:
        """Say whether a person must confirm the criterion."""
        return self.status is _REVIEW

    @property
    def to_obtain(self) -> tuple[str, ...]:
        """Return the labs or tests that would decide the criterion: none unless it is undecided."""
        return self.missing if self.undecided else ()

    def to_json(self) -> dict[str, Any]:
        """Render as the report's criterion object."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "source": self.source,
            "text": self.text,
            "status": self.status.value,
            "reason": self.reason,
            "evidence": [e.to_json() for e in self.evidence],
            "missing": list(self.missing),
        }


@dataclass(frozen=True, slots=True)
class DataProblem:
    """A note about data of one resource type: a search that failed, or a warning the source
    attached.
    """

    resource_type: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """Render as a report's dataErrors or dataNotes item."""
        return {"resourceType": self.resource_type, "message": self.message}


@dataclass(frozen=True, slots=True)
class SetAside:
    """A resource set aside because an element it needs has the wrong type (a data-quality note)."""

    reference: str | None
    resource_type: str | None
    message: str

    def to_json(self) -> dict[str, Any]:
        """Render as a report's dataQuality item."""
        return {
            "reference": self.reference,
            "resourceType": self.resource_type,
            "message": self.message,
        }


def verdict_of(criteria: Iterable[CriterionResult]) -> Verdict:
    """Ineligible on any failed inclusion or met exclusion; eligible when nothing is unknown."""
    results = tuple(criteria)
    if any(c.bars for c in results):
        return _INELIGIBLE
    if any(c.undecided for c in results):
        return _INSUFFICIENT_DATA
    return _ELIGIBLE


@dataclass(frozen=True)
class TrialReport:
    """One patient against one trial: every criterion's result, the verdict they give, and notes on
    the data.

    What derives from the criteria is computed once, on first use (cached_property, hence no slots):
    a card, a page and the JSON each read the verdict and the groups of criteria several times.
    """

    trial_id: str
    title: str
    patient_id: str
    as_of: date
    rules_version: str
    value_sets_version: str
    criteria: tuple[CriterionResult, ...]
    data_errors: tuple[DataProblem, ...] = ()
    data_quality: tuple[SetAside, ...] = ()
    data_notes: tuple[DataProblem, ...] = ()

    @cached_property
    def verdict(self) -> Verdict:
        """Return the verdict the criteria give (derived, so it can never disagree with them)."""
        return verdict_of(self.criteria)

    @property
    def counts(self) -> dict[Status, int]:
        """Return how many criteria have each status, every status present, in the enum's order."""
        return dict(self._counts)

    @cached_property
    def _counts(self) -> dict[Status, int]:
        counts = dict.fromkeys(Status, 0)
        for c in self.criteria:
            counts[c.status] += 1
        return counts

    @property
    def to_confirm(self) -> int:
        """Return how many criteria a person must still confirm."""
        return self._counts[_REVIEW]

    @cached_property
    def barriers(self) -> tuple[CriterionResult, ...]:
        """Return the criteria that keep the patient out, in the trial's order."""
        return tuple(c for c in self.criteria if c.bars)

    @cached_property
    def passing(self) -> tuple[CriterionResult, ...]:
        """Return the criteria that let the patient through, in the trial's order."""
        return tuple(c for c in self.criteria if c.passes)

    @cached_property
    def undecided(self) -> tuple[CriterionResult, ...]:
        """Return the criteria the data on record leaves open, in the trial's order."""
        return tuple(c for c in self.criteria if c.undecided)

    @cached_property
    def to_review(self) -> tuple[CriterionResult, ...]:
        """Return the criteria a person must confirm, in the trial's order."""
        return tuple(c for c in self.criteria if c.needs_review)

    @property
    def to_obtain(self) -> list[str]:
        """Return the labs or tests, sorted and each once, that would decide an undecided
        criterion.
        """
        return sorted({lab for c in self.undecided for lab in c.missing})

    @property
    def deceased(self) -> bool:
        """Say whether the report found the patient deceased (its first criterion is the record's
        own, met).
        """
        first = self.criteria[0] if self.criteria else None
        return first is not None and first.id == DECEASED_ID and first.status is _MET

    @property
    def verdict_text(self) -> str:
        """Return the verdict as people read it: eligible with open review items is "no barrier
        found".
        """
        open_items = self.to_confirm
        if self.verdict is _ELIGIBLE and open_items:
            return (
                f"no barrier found — {open_items} item{'s' if open_items != 1 else ''} to confirm"
            )
        return str(self.verdict)

    @property
    def rank_key(self) -> tuple[int, str]:
        """Return the key reports are ranked by: eligible first, then insufficient-data, then
        ineligible.
        """
        return self.verdict.rank, self.trial_id

    def to_json(self) -> dict[str, Any]:
        """Render as the API's report object: the members and their order the goldens record."""
        body: dict[str, Any] = {
            "trialId": self.trial_id,
            "title": self.title,
            "patientId": self.patient_id,
            "asOf": self.as_of.isoformat(),
            "verdict": self.verdict.value,
            "rulesVersion": self.rules_version,
            "valueSetsVersion": self.value_sets_version,
            # Plain strings throughout (orjson takes only exact str keys), so the JSON is data, not
            # enums.
            "counts": {status.value: n for status, n in self._counts.items()},
            # Criteria a person must still confirm: "eligible" with these open reads "no barrier
            # found — N items".
            "toConfirm": self.to_confirm,
            "criteria": [c.to_json() for c in self.criteria],
        }
        # Present only when there is something to say, as before the report was a type.
        if self.data_errors:
            body["dataErrors"] = [item.to_json() for item in self.data_errors]
        if self.data_quality:
            body["dataQuality"] = [item.to_json() for item in self.data_quality]
        if self.data_notes:
            body["dataNotes"] = [item.to_json() for item in self.data_notes]
        return body
