"""A share of a run's per-trial outputs: attrition and verdict counts and the candidate rows, kept
by each bucket task and merged by the driver.

The driver used to re-read and re-count every results row after the buckets finished: serial work
that grew with the population (9.3 s of 84.7 for 50,000 patients) and capped the 2-worker speed-up.
Counting where the rows are made, the driver merges a few hundred counts per bucket and reads only
the candidates' rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.evaluation.report import Verdict
from service.population.attrition import Attrition
from service.population.worklist import is_candidate
from service.rulebook.book import Trial


@dataclass(frozen=True)
class BucketShare:
    """What one finished bucket hands the driver: its results and candidates files, and its
    counts.
    """

    results: Path
    candidates: Path
    counts: dict[str, Any]


class Tally:
    """Per trial: attrition, verdict counts and candidate rows of the rows added or merged."""

    def __init__(self, trials: list[Trial]) -> None:
        self.attrition = {t.id: Attrition(t) for t in trials}
        self.verdicts = {t.id: {v.value: 0 for v in Verdict} for t in trials}
        self.candidates: dict[str, list[dict[str, Any]]] = {t.id: [] for t in trials}

    def add(self, row: dict[str, Any]) -> None:
        """Count one results row (a patient × trial)."""
        trial_id = row["trialId"]
        self.attrition[trial_id].add(row)
        self.verdicts[trial_id][row["verdict"]] += 1
        if is_candidate(row):
            self.candidates[trial_id].append(row)

    def counts(self) -> dict[str, Any]:
        """Return the counts (not the candidates) as JSON, for another Tally to merge."""
        return {
            t: {"attrition": a.counts(), "verdicts": self.verdicts[t]}
            for t, a in self.attrition.items()
        }

    def merge(self, counts: dict[str, Any], candidates: list[dict[str, Any]]) -> None:
        """Add another Tally's counts and candidate rows (one bucket's) of the same trials."""
        if set(counts) != set(self.attrition):
            raise ValueError(f"a tally of trials {sorted(counts)}, not {sorted(self.attrition)}")
        for trial_id, share in counts.items():
            self.attrition[trial_id].merge(share["attrition"])
            for verdict, n in share["verdicts"].items():
                self.verdicts[trial_id][verdict] += n
        for row in candidates:
            self.candidates[row["trialId"]].append(row)

    def all_candidates(self) -> list[dict[str, Any]]:
        """Return every trial's candidate rows (a bucket writes them beside its results)."""
        return [row for rows in self.candidates.values() for row in rows]
