"""Benchmark: map + evaluate one patient against one trial from an already-parsed Bundle.

Run: python bench/bench_evaluate.py [--runs 300]
Prints median and p99 (ms) for a small fixture and the largest Synthea record (Fletcher_Hyatt,
1,111 entries), beside the time of orjson.loads of the same Bundle as compact JSON (what a request
carries; the file itself is pretty-printed), and ends with one JSON line of the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.evaluation.evaluate import evaluate_trial  # noqa: E402
from service.records.bundle import record_from_bundle  # noqa: E402
from service.rulebook.book import load_rulebook  # noqa: E402

SYNTHEA = Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")


def timed(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Return (median, p99) wall time in milliseconds over ``runs`` calls after 10 warm-ups."""
    for _ in range(10):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main() -> None:
    """Time the cases and print a table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--trial", default="NCT06761417")
    args = parser.parse_args()
    book = load_rulebook()
    trial = book.trial(args.trial)
    if trial is None:
        raise SystemExit(f"no trial {args.trial}")
    small = next(iter(sorted((ROOT / "fhir_fixtures" / args.trial).glob("eligible*.json"))), None)
    cases = [
        ("small fixture", small),
        ("Fletcher_Hyatt (Synthea)", next(SYNTHEA.glob("Fletcher_Hyatt*.json"), None)),
    ]
    print(f"trial {args.trial}, {args.runs} runs each, times in ms")
    figures: dict[str, dict[str, float]] = {}
    print(
        f"{'case':28} {'entries':>7} {'map+eval p50':>13} {'p99':>8} {'orjson.loads p50':>17} "
        f"{'p99':>8}"
    )
    for label, path in cases:
        if path is None:
            print(f"{label:28} (file not found)")
            continue
        bundle = orjson.loads(path.read_bytes())
        raw = orjson.dumps(bundle)
        as_of = date(2020, 6, 1) if "Synthea" in label else date(2026, 11, 20)
        eval_p50, eval_p99 = timed(
            lambda b=bundle, d=as_of: evaluate_trial(book, trial, record_from_bundle(b), d),
            args.runs,
        )
        load_p50, load_p99 = timed(lambda r=raw: orjson.loads(r), args.runs)
        print(
            f"{label:28} {len(bundle.get('entry', [])):>7} {eval_p50:>13.3f} {eval_p99:>8.3f} "
            f"{load_p50:>17.3f} {load_p99:>8.3f}"
        )
        figures[label] = {
            "entries": len(bundle.get("entry", [])),
            "p50_ms": round(eval_p50, 3),
            "p99_ms": round(eval_p99, 3),
            "parse_ms": round(load_p50, 3),
            "parse_p99_ms": round(load_p99, 3),
        }
    print(
        orjson.dumps(
            {"bench": "evaluate", "trial": args.trial, "runs": args.runs, "cases": figures}
        ).decode()
    )


if __name__ == "__main__":
    main()
