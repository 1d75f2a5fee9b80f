"""Benchmark: population screening end to end from NDJSON on Dask, and the fast path against the
full evaluator.

Run: python bench/bench_population.py [--sizes 1000,10000,50000] [--sources carebundle,synthea]
[--workers 1,2]
     [--synthea-max N] [--carebundle-dir DIR] [--work DIR]
Data: carebundle (PyPI) NDJSON (generated once with the `carebundle` CLI, or given), and the Synthea
records of $SYNTHEA_DIR, each replicated with fresh ids to the size asked and written as
Type.N.ndjson files of ~64 MB, lines shuffled within each file. All five trials, as of 2026-10-10.
Prints one JSON line per run and a final JSON line with the largest run, the 2-worker speed-ups and
every run (patients, patient×trial evaluations per second per core, peak RSS per worker, time split
startup / partition (read + route) / evaluate / write, CPU of the process tree and the cores it
got).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.evaluation.evaluate import evaluate_trials  # noqa: E402
from service.population.run import Progress, ScreenOptions, run_screen  # noqa: E402
from service.population.screen import Screen  # noqa: E402
from service.records.bundle import record_from_bundle  # noqa: E402
from service.rulebook.book import load_rulebook  # noqa: E402
from tests.helpers.population_data import (  # noqa: E402
    bundle_resources,
    synthea_bundles,
    varied_copies,
    write_population_files,
)

AS_OF = date(2026, 10, 10)
# Bytes per written NDJSON file: an export split into Type.N.ndjson files, so the map phase has
# tasks for every worker.
FILE_BYTES = 64 * 2**20
SYNTHEA = Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")


class Sampler:
    """Sample CPU time and RSS of this process and all its descendants every 0.2 s."""

    def __init__(self) -> None:
        self.me = psutil.Process()
        self.cpu: dict[int, float] = {}
        self.rss: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            for proc in [self.me, *self.me.children(recursive=True)]:
                try:
                    times = proc.cpu_times()
                    self.cpu[proc.pid] = times.user + times.system
                    self.rss[proc.pid] = max(self.rss.get(proc.pid, 0), proc.memory_info().rss)
                except psutil.Error:
                    continue

    def __enter__(self) -> Sampler:
        self.base = self.me.cpu_times().user + self.me.cpu_times().system
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_seconds(self) -> float:
        """Return the CPU seconds the run used (the driver and its workers)."""
        return (
            sum(v for pid, v in self.cpu.items() if pid != self.me.pid)
            + self.cpu.get(self.me.pid, self.base)
            - self.base
        )

    def peak_worker_mb(self) -> float:
        """Return the largest resident set of any worker, in MB."""
        return max((v for pid, v in self.rss.items() if pid != self.me.pid), default=0) / 2**20


def carebundle_resources(directory: Path | None, work: Path) -> list[dict[str, Any]]:
    """Read carebundle NDJSON (generate 200 patients with the carebundle CLI when no directory is
    given).
    """
    if directory is None:
        directory = work / "carebundle-200"
        if not directory.exists():
            # The CLI beside this interpreter (.venv/bin) when the venv is not on PATH.
            beside = Path(sys.executable).parent / "carebundle"
            exe = (
                os.environ.get("CAREBUNDLE_BIN")
                or shutil.which("carebundle")
                or (str(beside) if beside.exists() else "carebundle")
            )
            subprocess.run(  # noqa: S603
                [
                    exe,
                    "generate",
                    "--profile",
                    "mixed",
                    "--count",
                    "200",
                    "--seed",
                    "7",
                    "--sex",
                    "mixed",
                    "--age-range",
                    "18-85",
                    "--reference-date",
                    "2026-10-01",
                    "--format",
                    "ndjson",
                    "--out",
                    str(directory),
                ],
                check=True,
            )
    keep = {
        "Patient",
        "Observation",
        "Condition",
        "MedicationRequest",
        "AllergyIntolerance",
        "Medication",
    }
    return [
        orjson.loads(line)
        for p in sorted(directory.glob("*.ndjson"))
        if p.name.split(".")[0] in keep
        for line in p.read_bytes().splitlines()
        if line.strip()
    ]


def varied_records(bundles: list[dict[str, Any]], copies: int) -> list[Any]:
    """Return ``copies`` varied copies of each record (dates shifted, values scaled, fresh ids)."""
    records = []
    for bundle in bundles:
        base = bundle_resources(bundle)
        flat = varied_copies(base, copies)
        for k in range(copies):
            part = flat[k * len(base) : (k + 1) * len(base)]
            records.append(
                record_from_bundle(
                    {
                        "resourceType": "Bundle",
                        "type": "collection",
                        "entry": [{"resource": r} for r in part],
                    }
                )
            )
    return records


def per_patient_cpu(book: Any, records: list[Any]) -> dict[str, float]:
    """CPU ms per patient (all five trials) of the full evaluator and of the screening fast path
    (one Screen for all the records, as a bucket has), one process.
    """
    trials = list(book.trials.values())
    for record in records:
        _ = record.unreadable  # the record checks, which both paths share, done beforehand
    start = time.process_time()
    for record in records:
        evaluate_trials(book, trials, record, AS_OF)
    full = time.process_time() - start
    start = time.process_time()
    bucket = Screen(book, trials, AS_OF)
    for record in records:
        bucket.rows(record)
    fast = time.process_time() - start
    return {
        "patients": len(records),
        "full": round(full * 1000 / len(records), 3),
        "fast": round(fast * 1000 / len(records), 3),
    }


def screen(
    source: str, patients: int, workers: int, input_dir: Path, work: Path, trials: int
) -> dict[str, Any]:
    """Screen one population on a LocalCluster of ``workers`` and measure it."""
    out = work / f"run-{source}-{patients}-{workers}w"
    shutil.rmtree(out, ignore_errors=True)
    marks: dict[str, float] = {}

    def report(p: Progress) -> None:
        marks.setdefault(p.phase, time.perf_counter())

    start = time.perf_counter()
    with Sampler() as sampler:
        manifest = run_screen(
            ScreenOptions(out=out, as_of=AS_OF, ndjson=str(input_dir), workers=workers), report
        )
    end = time.perf_counter()
    wall = end - start
    evaluations = manifest["counts"]["patients"] * trials
    split = {
        "startup": marks["input"] - start,
        "partition": marks["evaluate"] - marks["partition"],
        "evaluate": marks["write"] - marks["evaluate"],
        "write": marks["done"] - marks["write"],
    }
    shutil.rmtree(out, ignore_errors=True)
    return {
        "source": source,
        "patients": manifest["counts"]["patients"],
        "resources": manifest["counts"]["resources"],
        "workers": workers,
        "buckets": manifest["progress"]["buckets"],
        "wallSeconds": round(wall, 2),
        "evaluationsPerSecondPerCore": round(evaluations / wall / workers, 1),
        "evaluationsPerCpuSecond": round(evaluations / max(1e-6, sampler.cpu_seconds()), 1),
        "evaluationsPerSecondPerCoreEvaluatePhase": round(
            evaluations / split["evaluate"] / workers, 1
        ),
        "peakRssPerWorkerMB": round(sampler.peak_worker_mb(), 1),
        "cpuSeconds": round(sampler.cpu_seconds(), 2),
        # CPU the run got per wall second: below the worker count, other jobs on the machine held
        # the cores.
        "coresUsed": round(sampler.cpu_seconds() / wall, 2),
        "timeSplitSeconds": {k: round(v, 2) for k, v in split.items()},
        "load1": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Run the population benchmark and print its figures, ending with one JSON line."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--sources", default="carebundle,synthea")
    parser.add_argument("--workers", default="2")
    parser.add_argument(
        "--synthea-max",
        type=int,
        default=50000,
        help="largest Synthea population (its records are ~5x a carebundle one: 50k is ~12 GB of "
        "NDJSON)",
    )
    parser.add_argument("--carebundle-dir", type=Path, default=None)
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "bench-population"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    book = load_rulebook()
    trials = len(book.trials)
    bases = {}
    if "carebundle" in args.sources:
        bases["carebundle"] = carebundle_resources(args.carebundle_dir, args.work)
    if "synthea" in args.sources:
        bundles = synthea_bundles(SYNTHEA)
        bases["synthea"] = [r for b in bundles for r in bundle_resources(b)]
        print(
            orjson.dumps(
                {"perPatientCpuMs": {"synthea": per_patient_cpu(book, varied_records(bundles, 20))}}
            ).decode(),
            flush=True,
        )
    runs = []
    for source, resources in bases.items():
        base_patients = sum(r["resourceType"] == "Patient" for r in resources)
        for size in (int(s) for s in args.sizes.split(",")):
            if source == "synthea" and size > args.synthea_max:
                continue
            input_dir = args.work / f"in-{source}-{size}-files"
            if not input_dir.exists():
                write_population_files(
                    resources, input_dir, math.ceil(size / base_patients), FILE_BYTES
                )
            for workers in (int(w) for w in args.workers.split(",")):
                result = screen(source, size, workers, input_dir, args.work, trials)
                runs.append(result)
                print(orjson.dumps(result).decode(), flush=True)
    best = max(runs, key=lambda r: r["patients"]) if runs else {}
    print(orjson.dumps({**best, "scaling": scaling(runs), "runs": runs}).decode())


def scaling(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Return, per source and size run on both 1 and 2 workers, the 2-worker speed-up in wall
    time.
    """
    walls = {(r["source"], r["patients"], r["workers"]): r["wallSeconds"] for r in runs}
    return {
        f"{source}-{patients}": round(wall / walls[(source, patients, 2)], 2)
        for (source, patients, workers), wall in walls.items()
        if workers == 1 and (source, patients, 2) in walls
    }


if __name__ == "__main__":
    main()
