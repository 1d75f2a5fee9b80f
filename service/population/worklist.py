"""Per-trial worklist: eligible and insufficient-data patients ranked by how close they are to
deciding.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from service.evaluation.report import Verdict
from service.rulebook.book import Trial

HEADER = [
    "rank",
    "patientId",
    "mrn",
    "verdict",
    "unknownCount",
    "reviewCount",
    "toObtain",
    "reviewReasons",
    "newestEvidence",
]


def is_candidate(row: dict[str, Any]) -> bool:
    """Say whether a results row's patient may join the trial (eligible or insufficient-data): a
    worklist row.
    """
    return Verdict(row["verdict"]).is_candidate


def rank_key(row: dict[str, Any]) -> tuple[int, int, int, str]:
    """No failed criterion first, then fewest unknowns, then fewest review items (labs are
    cheaper than a chart review).
    """
    return (len(row["failed"]), len(row["unknown"]), len(row["review"]), row["patientId"])


def review_reasons(trial: Trial, row: dict[str, Any]) -> list[str]:
    """Return why each review criterion needs a person: the rule's own reason, else the
    criterion's text.
    """
    by_id = {c.id: c for c in trial.criteria}
    reasons = []
    for cid in row["review"]:
        c = by_id.get(cid)
        text = (c.review or c.review_reason or c.text) if c else cid
        reasons.append(f"{cid}: {text}")
    return reasons


def worklist_csv(trial: Trial, rows: list[dict[str, Any]]) -> str:
    """Render worklist.csv for one trial's rows (non-candidates are left out)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    candidates = sorted(filter(is_candidate, rows), key=rank_key)
    for rank, row in enumerate(candidates, start=1):
        writer.writerow(
            [
                rank,
                row["patientId"],
                row["mrn"] or "",
                row["verdict"],
                len(row["unknown"]),
                len(row["review"]),
                "; ".join(row["toObtain"]),
                "; ".join(review_reasons(trial, row)),
                row["newestEvidence"] or "",
            ]
        )
    return out.getvalue()
