"""Benchmark: fetch + evaluate by patient id from a local FHIR server, searches in parallel vs one
after another.

Run: python bench/bench_fetch.py [--runs 30]
Starts a throw-away sekmet-fhir server on 127.0.0.1 (the integration tests' harness; installed into
.sekmet-venv on first use), loads the largest Synthea record (Fletcher_Hyatt), then times the
Patient read, the searches all five trials need, and the evaluation. Prints median and p90 in ms per
mode.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.evaluation.evaluate import evaluate_trials  # noqa: E402
from service.records.fhir.client import FhirClient  # noqa: E402
from service.records.fhir.fetch import FetchOptions, fetch_record  # noqa: E402
from service.rulebook.book import load_rulebook  # noqa: E402
from service.rulebook.search_plan import plan_searches  # noqa: E402
from tests.integration.fhir_server import FhirServer, ensure_sekmet, load_bundle  # noqa: E402

SYNTHEA = Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")
AS_OF = date(2020, 1, 1)


def main() -> None:
    """Load the record, then time each mode."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    path = next(SYNTHEA.glob("Fletcher_Hyatt*.json"), None)
    if path is None:
        raise SystemExit(f"Fletcher_Hyatt not found in {SYNTHEA}; set SYNTHEA_DIR")
    book = load_rulebook()
    trials = list(book.trials.values())
    searches = plan_searches(book, trials)
    with FhirServer(ensure_sekmet()) as server:
        stored = load_bundle(server.base_url, orjson.loads(path.read_bytes()))
        patient_id = next(
            ref.split("/", 1)[1] for ref in stored.values() if ref.startswith("Patient/")
        )
        client = FhirClient(server.base_url)
        modes = [
            ("parallel (8 workers), date floor", FetchOptions(workers=8)),
            ("sequential, date floor", FetchOptions(workers=1)),
            ("parallel, whole history", FetchOptions(workers=8, date_floor=False)),
            ("sequential, whole history", FetchOptions(workers=1, date_floor=False)),
        ]
        print(
            f"Fletcher_Hyatt, all {len(trials)} trials, {len(searches)} searches + Patient read, "
            f"as of {AS_OF}; {args.runs} runs per mode"
        )
        print(
            f"{'mode':36} {'resources':>9} {'fetch p50':>10} {'p90':>8} {'fetch+eval p50':>15} "
            f"{'p90':>8}   (ms)"
        )
        for label, options in modes:
            fetch_ms, total_ms = [], []
            size = 0
            for run in range(args.runs + 2):
                start = time.perf_counter()
                record = fetch_record(client, searches, patient_id, AS_OF, options)
                fetched = time.perf_counter()
                evaluate_trials(book, trials, record, AS_OF)
                done = time.perf_counter()
                if record.failed:
                    raise SystemExit(f"a search failed: {record.failed}")
                size = sum(len(items) for items in record.resources.values())
                if run >= 2:  # two warm-ups: connections opened, caches filled
                    fetch_ms.append((fetched - start) * 1000)
                    total_ms.append((done - start) * 1000)
            fetch_ms.sort()
            total_ms.sort()
            print(
                f"{label:36} {size:9d} {_pct(fetch_ms, 50):10.1f} {_pct(fetch_ms, 90):8.1f} "
                f"{_pct(total_ms, 50):15.1f} {_pct(total_ms, 90):8.1f}"
            )


def _pct(samples: list[float], pct: int) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * pct / 100))]


if __name__ == "__main__":
    main()
