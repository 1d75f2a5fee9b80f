"""Re-screening: which patients to evaluate again after a previous run, and the diff of
candidates between two runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from service.population.worklist import is_candidate


def read_rows(path: Path) -> Iterable[dict[str, Any]]:
    """Stream a results.ndjson file."""
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


def changed_patients(files: Iterable[Path]) -> set[str]:
    """Return the ids of the patients a ``_since`` export touched (their Patient changed, or any
    of their resources).
    """
    from service.population.partition import patient_key  # noqa: PLC0415

    ids: set[str] = set()
    for path in files:
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            key = patient_key(orjson.loads(line))
            if key and key.startswith("Patient/"):
                ids.add(key.split("/", 1)[1])
    return ids


def expiring_patients(rows: Iterable[dict[str, Any]], as_of: date) -> set[str]:
    """Return the patients some result of which stops holding by the new as-of date (a window ran
    out, an age changed).
    """
    return {
        row["patientId"]
        for row in rows
        if row.get("validUntil") and date.fromisoformat(row["validUntil"]) < as_of
    }


def diff(
    previous_run: str,
    before: Iterable[dict[str, Any]],
    after: Iterable[dict[str, Any]],
    evaluated: set[str],
) -> dict[str, Any]:
    """Compare two runs' rows: new candidates, those who dropped out and why, and every changed
    verdict.
    """
    old = {(r["patientId"], r["trialId"]): r for r in before}
    new_candidates, dropped, changed = [], [], []
    for key, row in sorted({(r["patientId"], r["trialId"]): r for r in after}.items()):
        prior = old.get(key)
        was = prior is not None and is_candidate(prior)
        now = is_candidate(row)
        if now and not was:
            new_candidates.append(
                {"patientId": key[0], "trialId": key[1], "verdict": row["verdict"]}
            )
        elif was and not now:
            dropped.append(
                {
                    "patientId": key[0],
                    "trialId": key[1],
                    "why": "now fails " + ", ".join(row["failed"]),
                    "failed": row["failed"],
                }
            )
        if prior is None or prior["verdict"] != row["verdict"]:
            changed.append(
                {
                    "patientId": key[0],
                    "trialId": key[1],
                    "from": prior["verdict"] if prior else None,
                    "to": row["verdict"],
                }
            )
    return {
        "previousRun": previous_run,
        "newCandidates": new_candidates,
        "droppedOut": dropped,
        "verdictChanges": changed,
        "reevaluatedPatients": sorted(evaluated),
    }
