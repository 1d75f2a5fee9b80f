"""Reduce phase: one bucket's patients grouped into records, screened, and written atomically
(the checkpoint).
"""

from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from service.population.files import ndjson_lines, write_atomic, write_json
from service.population.heap import collect_before_bucket, frozen_heap, no_collection
from service.population.rescreen import digest_of, line_hash, previous_rows, why_reevaluate
from service.population.screen import Screen
from service.population.tally import Tally
from service.population.validity import RecordDates, newest_evidence, valid_until
from service.records.entries import FOREIGN_TYPES, READ_TYPES
from service.records.sources import ExportedPatient
from service.rulebook.book import Rulebook, load_rulebook

log = logging.getLogger(__name__)
# Identifier.type of a medical record number (HL7 v2 table 0203).
MRN_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"


@lru_cache(maxsize=4)
def worker_rulebook(rules_dir: str) -> Rulebook:
    """Load the rulebook once per worker process (every bucket task on that worker shares it)."""
    return load_rulebook(rules_dir)


# Entries a worker's Screen memos may hold before they are forgotten (Screen.size): 1.1-2.7 kB an
# entry measured (carebundle, Synthea), so at most ~55-135 MB; 1,000 patients filled 1,100-2,800.
SCREEN_MEMO_LIMIT = 50_000


@lru_cache(maxsize=2)
def worker_screen(rules_dir: str, trial_ids: tuple[str, ...], as_of: date) -> Screen:
    """Return the worker's Screen for one rulebook, trial set and as-of date: its memos carry
    from bucket to bucket (a bucket of a few hundred patients would fill them anew).
    """
    book = worker_rulebook(rules_dir)
    return Screen(book, [book.trials[t] for t in trial_ids], as_of)


@lru_cache(maxsize=4)
def _shared(path: str, _stamp: float) -> dict[str, dict[str, Any]]:
    """Read the shared Medications once per worker and run (keyed by the parts directory and its
    time stamp).
    """
    found: dict[str, dict[str, Any]] = {}
    for part in sorted(Path(path).glob("*.ndjson")):
        for line in part.read_bytes().splitlines():
            resource = orjson.loads(line)
            if resource.get("id"):
                found[f"{resource['resourceType']}/{resource['id']}"] = resource
    return found


def result_path(results_dir: Path, bucket: int) -> Path:
    """Return a bucket's result file; its existence marks the bucket done."""
    return results_dir / f"bucket-{bucket:05d}.ndjson"


def candidates_path(results_dir: Path, bucket: int) -> Path:
    """Return where a bucket writes its candidates' rows (eligible or insufficient-data)."""
    return results_dir / f"bucket-{bucket:05d}.candidates.ndjson"


def stats_path(results_dir: Path, bucket: int) -> Path:
    """Return a bucket's stats file (written before the result file)."""
    return results_dir / f"bucket-{bucket:05d}.stats.json"


def mrn_of(patient: dict[str, Any]) -> str | None:
    """Return the Patient's medical record number (identifier typed MR), or None."""
    for identifier in patient.get("identifier") or []:
        codings = (
            ((identifier.get("type") or {}).get("coding") or [])
            if isinstance(identifier, dict)
            else []
        )
        if any(
            isinstance(c, dict) and c.get("system") == MRN_SYSTEM and c.get("code") == "MR"
            for c in codings
        ) and identifier.get("value"):
            return str(identifier["value"])
    return None


def group_lines(
    paths: list[Path], hashes: dict[str, list[bytes]] | None = None
) -> dict[str, ExportedPatient]:
    """Group a bucket's lines by patient key: the Patient, its resources by type, and how many lines
    it had.

    ``hashes``, when given, collects each patient's line hashes (its data digest, compared by a
    re-screen).
    """
    # PLC0415: keeps this module importable on its own
    from service.population.partition import patient_key  # noqa: PLC0415

    groups: dict[str, ExportedPatient] = {}
    for path in paths:
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            key = patient_key(resource)
            assert key is not None  # noqa: S101 - the map phase routed only attributable lines here
            group = groups.setdefault(key, ExportedPatient())
            group.lines += 1
            if hashes is not None:
                hashes.setdefault(key, []).append(line_hash(line))
            if resource["resourceType"] == "Patient":
                group.patient = resource
            elif resource["resourceType"] in READ_TYPES | FOREIGN_TYPES.keys():
                group.resources.setdefault(resource["resourceType"], []).append(resource)
    return groups


def evaluate_bucket(
    bucket: int,
    parts_dir: str,
    results_dir: str,
    rules_dir: str,
    trial_ids: list[str],
    as_of: str,
    buckets: int,
    rescreen: bool = False,
) -> dict[str, Any]:
    """Screen every patient of one bucket; skip it when its result file exists (a finished
    checkpoint).

    ``rescreen``: carry over the previous run's rows (routed under the parts directory) of every
    patient whose data digest is unchanged and whose results all hold on the new date; evaluate the
    others, and say why.
    """
    results = Path(results_dir)
    done = result_path(results, bucket)
    # Finished: its three files are there (the results file, written last, is the checkpoint; a
    # lost stats or candidates file makes the bucket run again).
    if (
        done.exists()
        and stats_path(results, bucket).exists()
        and candidates_path(results, bucket).exists()
    ):
        return dict(orjson.loads(stats_path(results, bucket).read_bytes()), skipped=True)
    day = date.fromisoformat(as_of)
    shared_dir = Path(parts_dir) / f"b{buckets:05d}"
    medications = _shared(
        str(shared_dir), shared_dir.stat().st_mtime if shared_dir.exists() else 0.0
    )
    hashes: dict[str, list[bytes]] = {}
    collect_before_bucket()
    with no_collection():
        groups = group_lines(sorted((Path(parts_dir) / f"b{bucket:05d}").glob("*.ndjson")), hashes)
    # Re-screening a directory: the previous run's rows of this bucket's patients (none otherwise).
    prior = previous_rows(Path(parts_dir), bucket) if rescreen else {}
    stats: dict[str, Any] = {
        "bucket": bucket,
        "patients": 0,
        "resources": 0,
        "unattributed": 0,
        "failedPatients": [],
    }
    if rescreen:
        stats["reevaluated"] = {"new": [], "changed": [], "expiring": []}
        stats["carried"] = 0
    with frozen_heap():
        screen = worker_screen(rules_dir, tuple(trial_ids), day)
        screen.trim(SCREEN_MEMO_LIMIT)
        rows = _screen_groups(screen, medications, groups, hashes, prior, stats)
    tally = Tally(screen.trials)
    for row in rows:
        tally.add(row)
    stats["tally"] = tally.counts()
    # The results file is the checkpoint, so it is written last.
    write_atomic(candidates_path(results, bucket), ndjson_lines(tally.all_candidates()))
    write_json(stats_path(results, bucket), stats)
    write_atomic(done, ndjson_lines(rows))
    return stats


def _screen_groups(
    screen: Screen,
    medications: dict[str, dict[str, Any]],
    groups: dict[str, ExportedPatient],
    hashes: dict[str, list[bytes]],
    prior: dict[str, list[dict[str, Any]]],
    stats: dict[str, Any],
) -> list[dict[str, Any]]:
    """Screen a bucket's patients, or carry their previous rows (re-screening); count them in
    ``stats``.
    """
    book, trials, day = screen.book, screen.trials, screen.as_of
    trial_ids = [t.id for t in trials]
    rescreen = "reevaluated" in stats  # evaluate_bucket sets it up when re-screening a directory
    bucket = stats["bucket"]
    rows: list[dict[str, Any]] = []
    for key in sorted(groups):
        group = groups[key]
        stats["resources"] += group.lines
        if group.patient is None:
            # Resources pointing at a Patient the export does not hold: counted, never evaluated as
            # someone.
            stats["unattributed"] += group.lines
            stats["resources"] -= group.lines
            continue
        stats["patients"] += 1
        digest = digest_of(hashes[key])
        if rescreen:
            patient_id = key.split("/", 1)[1]
            why = why_reevaluate(prior.get(patient_id, []), digest, trial_ids, day)
            if why is None:
                # Same data, same rules, every fact still valid on the new date: the previous rows
                # stand.
                by_trial = {row["trialId"]: row for row in prior[patient_id]}
                rows.extend(by_trial[t] for t in trial_ids)
                stats["carried"] += 1
                continue
            stats["reevaluated"][why].append(patient_id)
        try:
            record = group.record(trials, day, medications)
            dates = RecordDates(record)
            base = {"patientId": record.patient_id, "mrn": mrn_of(record.patient)}
            for trial, row in zip(trials, screen.rows(record), strict=True):
                until, newest = (
                    valid_until(book, trial, dates, day),
                    newest_evidence(book, trial, dates, day),
                )
                rows.append(
                    {
                        **base,
                        **row,
                        "newestEvidence": newest.isoformat() if newest else None,
                        "validUntil": until.isoformat() if until else None,
                        "dataErrors": sorted(record.failed),
                        "dataDigest": digest,
                    }
                )
        # BLE001: one patient's bad data must not lose the bucket; the reason is reported
        except Exception as exc:  # noqa: BLE001
            log.warning("population: a patient in bucket %d failed: %s", bucket, type(exc).__name__)
            stats["failedPatients"].append(
                {"patientKey": key, "reason": f"{type(exc).__name__}: {str(exc)[:200]}"}
            )
    return rows
