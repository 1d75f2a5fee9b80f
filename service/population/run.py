"""One screen run, end to end: input (NDJSON or $export), partition, evaluate bucket by bucket on
Dask, outputs, manifest.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from service.errors import EligibilityError
from service.population import bucket as bucket_task
from service.population import partition
from service.population.engine import Cancelled, Engine, open_engine, run_tasks
from service.population.files import read_json, write_json
from service.population.inputs import InputError, list_inputs, split_inputs
from service.population.manifest import Manifest
from service.population.outputs import write_outputs
from service.population.rescreen import full_rescreen_reason, route_previous, shared_digest
from service.population.sources import fetch_input
from service.population.tally import BucketShare
from service.rulebook.book import DEFAULT_RULES_DIR, Rulebook, load_rulebook
from service.settings import FhirSettings


@dataclass
class ScreenOptions:
    """What to screen, against what, where to, and on which cluster."""

    out: Path
    as_of: date
    trials: list[str] | None = None  # None: every trial of the rulebook
    ndjson: str | None = None
    fhir_base_url: str | None = None
    group: str | None = None
    scheduler: str | None = None
    workers: int | None = None
    since_previous: Path | None = None
    rules_dir: str | None = None
    bucket_bytes: int = partition.DEFAULT_BUCKET_BYTES
    # The FHIR client's settings (auth, retries) for an export; None: the defaults, with no auth.
    fhir: FhirSettings | None = None
    connect_timeout: float = 10.0  # seconds to reach a given scheduler


@dataclass
class Progress:
    """Where a run is: its phase, buckets done of all, patients evaluated, and since when."""

    phase: str = "starting"
    buckets_done: int = 0
    buckets: int = 0
    patients: int = 0
    started: float = field(default_factory=time.monotonic)
    note: str = ""

    def rate(self) -> float:
        """Return patients evaluated per second so far."""
        return self.patients / max(1e-6, time.monotonic() - self.started)


Reporter = Callable[[Progress], None]


def run_screen(
    options: ScreenOptions,
    report: Reporter | None = None,
    cancel: threading.Event | None = None,
    book: Rulebook | None = None,
) -> dict[str, Any]:
    """Run (or resume) a screen in ``options.out``; return the finished manifest.
    EligibilityError names what stopped it.
    """
    report = report or (lambda _p: None)
    book = book or load_rulebook(options.rules_dir or DEFAULT_RULES_DIR)
    trial_ids = options.trials or sorted(book.trials)
    unknown = [t for t in trial_ids if t not in book.trials]
    if unknown:
        raise InputError(f"unknown trial(s) {unknown}; known: {sorted(book.trials)}")
    if (options.ndjson is None) == (options.fhir_base_url is None):
        raise InputError("give exactly one input: an NDJSON directory/URL or a FHIR base URL")
    run_dir = options.out
    run_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_dir.name
    previous = (
        read_json(options.since_previous / "manifest.json") if options.since_previous else None
    )
    if previous is not None and previous.get("status") != "completed":
        raise InputError(
            f"the previous run {previous.get('runId')} is {previous.get('status')}, not completed"
        )
    if options.ndjson:
        list_inputs(
            options.ndjson
        )  # an unreadable input stops here, before a cluster is started for nothing
    kind = "ndjson" if options.ndjson else "fhir"
    manifest = Manifest.start(
        run_dir,
        run_id,
        book,
        options.as_of.isoformat(),
        trial_ids,
        {
            "kind": kind,
            "url": options.ndjson or options.fhir_base_url,
            **({"group": options.group} if options.group else {}),
        },
        previous.get("runId") if previous else None,
    )
    progress = Progress()
    try:
        with open_engine(options.scheduler, options.workers, options.connect_timeout) as engine:
            manifest.update(engine=engine.describe())
            _run(options, book, trial_ids, manifest, engine, previous, progress, report, cancel)
    except Cancelled as exc:
        manifest.finish("cancelled", exc.message)
        raise
    except EligibilityError as exc:
        manifest.finish("failed", exc.message)
        raise
    except Exception as exc:
        manifest.finish("failed", f"{type(exc).__name__}: {str(exc)[:300]}")
        raise
    manifest.finish("completed")
    progress.phase = "done"
    report(progress)
    return manifest.body


def _run(
    options: ScreenOptions,
    book: Rulebook,
    trial_ids: list[str],
    manifest: Manifest,
    engine: Engine,
    previous: dict[str, Any] | None,
    progress: Progress,
    report: Reporter,
    cancel: threading.Event | None,
) -> None:
    run_dir = options.out
    types = sorted(
        {"Patient", "Medication"}
        | {t for tid in trial_ids for t in book.resource_types_for(book.trials[tid])}
    )
    progress.phase = "input"
    report(progress)

    def note(text: str) -> None:
        progress.note = text
        report(progress)

    source = fetch_input(options, types, run_dir, previous, book, note)
    manifest.update(input={**manifest.body["input"], **source.describe()})
    files = list_inputs(source.url, set(types))
    plan_path = run_dir / "plan.json"
    # A rerun keeps the first attempt's bucket count: finished buckets are only valid for it.
    plan = (
        read_json(plan_path)
        if plan_path.exists()
        else {
            "buckets": partition.bucket_count(
                sum(f.size for f in files), options.bucket_bytes, engine.workers
            )
        }
    )
    write_json(plan_path, plan)
    buckets = int(plan["buckets"])
    parts, results = run_dir / "parts", run_dir / "results"
    progress.phase, progress.buckets = "partition", buckets
    report(progress)
    maps = run_tasks(
        engine,
        partition.partition_file,
        [(f, i, str(parts), buckets) for i, f in enumerate(split_inputs(files))],
        "partition",
        lambda _r: report(progress),
        cancel,
    )
    counts = {
        "patients": 0,
        "resources": sum(m["resources"] for m in maps),
        "unattributed": sum(m["unattributed"] for m in maps),
        "unreadable": sum(m["unreadable"] for m in maps),
    }
    manifest.update(counts=counts, inputIssues=[s for m in maps for s in m["samples"]][:100])
    rescreen = _plan_rescreen(options, book, manifest, previous, parts, buckets)
    progress.phase = "evaluate"
    report(progress)
    failed: list[dict[str, Any]] = []

    def bucket_done(stats: dict[str, Any]) -> None:
        progress.buckets_done += 1
        progress.patients += stats["patients"]
        failed.extend(stats["failedPatients"])
        manifest.update(
            progress={
                "bucketsDone": progress.buckets_done,
                "buckets": buckets,
                "patientsEvaluated": progress.patients,
            }
        )
        report(progress)

    calls = [
        (
            b,
            str(parts),
            str(results),
            str(options.rules_dir or DEFAULT_RULES_DIR),
            trial_ids,
            options.as_of.isoformat(),
            buckets,
            rescreen,
        )
        for b in range(buckets)
    ]
    stats = run_tasks(engine, bucket_task.evaluate_bucket, calls, "bucket", bucket_done, cancel)
    # Resources whose Patient is missing reach the buckets (routed by their reference) and are
    # counted there.
    counts["patients"] = sum(s["patients"] for s in stats)
    counts["unattributed"] += sum(s["unattributed"] for s in stats)
    counts["resources"] -= sum(s["unattributed"] for s in stats)
    manifest.update(counts=counts, failedPatients=failed)
    evaluated = source.reevaluated
    if rescreen:
        why = {k: sorted(p for s in stats for p in s["reevaluated"][k]) for k in sorted(REASONS)}
        evaluated = {p for ids in why.values() for p in ids}
        manifest.update(
            rescreen={
                **manifest.body["rescreen"],
                "carriedPatients": sum(s["carried"] for s in stats),
                "reevaluatedPatients": {k: len(v) for k, v in why.items()},
            }
        )
    # Every task is done: the cluster stops while the driver writes (a LocalCluster's shutdown
    # does not scale with its workers).
    engine.release()
    progress.phase = "write"
    report(progress)
    # The partitioned input is deleted while the outputs are written (1.2 s for 10,000 patients,
    # mostly in the kernel): every bucket is finished, and the partitions stay until then, so a
    # rerun can always recompute a bucket from them.
    remove_parts = threading.Thread(
        target=shutil.rmtree, args=(parts,), kwargs={"ignore_errors": True}, name="remove-parts"
    )
    remove_parts.start()
    shares = [
        BucketShare(
            bucket_task.result_path(results, s["bucket"]),
            bucket_task.candidates_path(results, s["bucket"]),
            s["tally"],
        )
        for s in sorted(stats, key=lambda s: s["bucket"])
    ]
    extra = write_outputs(
        run_dir,
        book,
        trial_ids,
        manifest.body["runId"],
        options.as_of.isoformat(),
        shares,
        previous,
        options.since_previous,
        source.reevaluated,
        evaluated,
    )
    manifest.update(**extra)
    remove_parts.join()


# Why a patient of a directory re-screen is evaluated again (the bucket tasks' stats say which).
REASONS = ("new", "changed", "expiring")


def _plan_rescreen(
    options: ScreenOptions,
    book: Rulebook,
    manifest: Manifest,
    previous: dict[str, Any] | None,
    parts: Path,
    buckets: int,
) -> bool:
    """Record the shared data's digest; re-screening a directory, route the previous rows to the
    buckets if usable.

    Return whether the bucket tasks carry over unchanged patients (False: everyone is evaluated, and
    the manifest says why).
    """
    shared = shared_digest(parts / f"b{buckets:05d}")
    manifest.update(sharedDigest=shared)
    if previous is None or options.ndjson is None or options.since_previous is None:
        return False  # a first run, or an export re-screen (its _since export says who changed)
    reason = full_rescreen_reason(previous, book.version, shared, options.as_of)
    if reason is not None:
        manifest.update(rescreen={"mode": "everyone", "why": reason})
        return False
    route_previous(options.since_previous / "results.ndjson", parts, buckets)
    manifest.update(rescreen={"mode": "data digests"})
    return True
