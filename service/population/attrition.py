"""Per-trial attrition: person counts by criterion status, and the sequential funnel in the
trial's criterion order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.evaluation.report import DECEASED_ID, DECEASED_TEXT, Kind, Status
from service.rulebook.book import Trial


@dataclass(frozen=True)
class Step:
    """One step of the funnel: a criterion's id, kind and text."""

    id: str
    kind: str
    text: str


# The record's own first criterion (evaluate.deceased_result): a deceased patient leaves the
# funnel at its first step, whatever the trial's criteria say.
DECEASED_STEP = Step(DECEASED_ID, Kind.EXCLUSION.value, DECEASED_TEXT)


def steps(trial: Trial) -> list[Step]:
    """Return the funnel's steps: the record's deceased check, then the trial's criteria in
    order.
    """
    return [DECEASED_STEP, *(Step(c.id, c.kind, c.text) for c in trial.criteria)]


def statuses(trial: Trial, row: dict[str, Any]) -> dict[str, Status]:
    """Recover every step's status from a results row (failed/unknown/review ids; the rest
    passed).
    """
    failed, unknown, review = set(row["failed"]), set(row["unknown"]), set(row["review"])
    out = {}
    for c in steps(trial):
        if c.id in unknown:
            out[c.id] = Status.UNKNOWN
        elif c.id in review:
            out[c.id] = Status.REVIEW
        elif c.id in failed:
            out[c.id] = Kind(c.kind).failing
        else:
            out[c.id] = Kind(c.kind).passing
    return out


class Attrition:
    """Counts persons as rows stream by; ``to_json`` renders attrition.json."""

    def __init__(self, trial: Trial) -> None:
        self.trial = trial
        self.steps = steps(trial)
        self.population = 0
        self.by_criterion = {c.id: dict.fromkeys(Status, 0) for c in self.steps}
        # remaining[i]: persons no step up to i excludes; blocked[i]: of those, persons with an
        # unknown so far.
        self.remaining = [0] * len(self.steps)
        self.blocked = [0] * len(self.steps)

    def add(self, row: dict[str, Any]) -> None:
        """Count one person's row."""
        self.population += 1
        status = statuses(self.trial, row)
        excluded, unknown_seen = False, False
        for position, c in enumerate(self.steps):
            self.by_criterion[c.id][status[c.id]] += 1
            excluded = excluded or status[c.id] is Kind(c.kind).failing
            unknown_seen = unknown_seen or status[c.id] is Status.UNKNOWN
            if not excluded:
                self.remaining[position] += 1
                if unknown_seen:
                    self.blocked[position] += 1

    def to_json(self) -> dict[str, Any]:
        """Render attrition.json (counts are of persons, said in ``unit``)."""
        funnel = []
        for position, c in enumerate(self.steps):
            remaining = self.remaining[position]
            funnel.append(
                {
                    "id": c.id,
                    "remaining": remaining,
                    "percent": round(100 * remaining / self.population, 1)
                    if self.population
                    else 0.0,
                    "blockedOnlyByUnknown": self.blocked[position],
                }
            )
        return {
            "trialId": self.trial.id,
            "unit": "persons",
            "population": self.population,
            "criteria": [
                # orjson takes only exact str keys: the counts by status are keyed by their values.
                {
                    "id": c.id,
                    "kind": c.kind,
                    "text": c.text,
                    **{status.value: n for status, n in self.by_criterion[c.id].items()},
                }
                for c in self.steps
            ],
            "funnel": funnel,
        }
