"""Re-screening: which patients to evaluate again after a previous run, and the diff of
candidates between two runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from service.population.worklist import is_candidate

# The previous run's rows, routed to this run's buckets, under the parts directory (re-screening a
# directory).
PREVIOUS_DIR = "previous"


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


def line_hash(line: bytes) -> bytes:
    """Return one NDJSON line's hash (the pieces of a patient's digest)."""
    return hashlib.blake2b(line, digest_size=16).digest()


def digest_of(hashes: list[bytes]) -> str:
    """Return a digest of a set of lines: independent of their order, which an export does not
    keep.
    """
    return hashlib.blake2b(b"".join(sorted(hashes)), digest_size=16).hexdigest()


def shared_digest(folder: Path) -> str:
    """Return the digest of the shared resources (Medications) every bucket reads; a change
    re-screens everyone.
    """
    hashes = [
        line_hash(line)
        for part in sorted(folder.glob("*.ndjson"))
        for line in part.read_bytes().splitlines()
        if line.strip()
    ]
    return digest_of(hashes)


def full_rescreen_reason(
    previous: dict[str, Any], rules_version: str, shared: str, as_of: date
) -> str | None:
    """Return why no previous row can be carried over (rules, shared data or the date went back),
    or None.
    """
    if previous.get("rulesVersion") != rules_version:
        return "the rulesVersion changed"
    if previous.get("sharedDigest") != shared:
        return "the shared resources (Medications) changed, or the previous run did not record them"
    if date.fromisoformat(previous["asOf"]) > as_of:
        return "the as-of date is earlier than the previous run's"
    return None


def route_previous(results: Path, parts_dir: Path, buckets: int) -> None:
    """Write the previous run's rows into one file per bucket of this run, so each bucket task
    reads only its own.
    """
    # PLC0415: partition imports this module's neighbours
    from service.population.partition import bucket_of  # noqa: PLC0415

    out: dict[int, list[bytes]] = {}
    with results.open("rb") as handle:
        for line in handle:
            if line.strip():
                row = orjson.loads(line)
                out.setdefault(bucket_of(f"Patient/{row['patientId']}", buckets), []).append(line)
    folder = parts_dir / PREVIOUS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for bucket in range(buckets):
        (folder / f"b{bucket:05d}.ndjson").write_bytes(b"".join(out.get(bucket, [])))


def previous_rows(parts_dir: Path, bucket: int) -> dict[str, list[dict[str, Any]]]:
    """Return the previous run's rows of one bucket's patients, by patient id (empty when not
    re-screening).
    """
    path = parts_dir / PREVIOUS_DIR / f"b{bucket:05d}.ndjson"
    rows: dict[str, list[dict[str, Any]]] = {}
    if path.exists():
        for row in read_rows(path):
            rows.setdefault(row["patientId"], []).append(row)
    return rows


def why_reevaluate(
    prior: list[dict[str, Any]], digest: str, trial_ids: list[str], as_of: date
) -> str | None:
    """Return why a patient must be evaluated again (new, changed data, an expiring fact), or
    None to carry its rows.
    """
    if not prior:
        return "new"
    by_trial = {row["trialId"]: row for row in prior}
    if any(t not in by_trial for t in trial_ids):
        return "new"  # a trial the previous run did not screen
    rows = [by_trial[t] for t in trial_ids]
    if any(row.get("dataDigest") != digest for row in rows):
        return "changed"
    if any(row.get("validUntil") and date.fromisoformat(row["validUntil"]) < as_of for row in rows):
        return "expiring"
    return None


def diff(
    previous_run: str,
    before: Iterable[dict[str, Any]],
    after: Iterable[dict[str, Any]],
    evaluated: set[str],
    trial_ids: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Compare two runs' rows: new candidates, those who dropped out and why, every changed
    verdict, and the patients no longer in the input.

    ``trial_ids``: the trials this run screened (a previous row of another trial is not a patient
    who left); by default those of ``after``.
    """
    old = {(r["patientId"], r["trialId"]): r for r in before}
    new = {(r["patientId"], r["trialId"]): r for r in after}
    screened = set(trial_ids) if trial_ids is not None else {key[1] for key in new}
    new_candidates, dropped, changed = [], [], []
    # A patient whose previous rows have no successor left the input (deleted, merged, moved out of
    # the Group): their candidacy ends, and the diff says so instead of letting them vanish.
    gone = sorted(key for key in old if key not in new and key[1] in screened)
    for key in gone:
        left = old[key]
        if is_candidate(left):
            dropped.append(
                {
                    "patientId": key[0],
                    "trialId": key[1],
                    "why": "no longer in the input",
                    "failed": [],
                }
            )
        changed.append(
            {"patientId": key[0], "trialId": key[1], "from": left["verdict"], "to": None}
        )
    for key, row in sorted(new.items()):
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
        "leftInput": sorted({key[0] for key in gone}),
    }
