"""Profile (cProfile) or time one bucket task's work per patient, in process: group, record, screen,
validity.

Run: python bench/profile_population.py [--source carebundle|synthea] [--copies 1] [--profile]
[--top 30] Data: a carebundle NDJSON directory (bench_population's, generated once) or the Synthea
records, written as one bucket of NDJSON; evaluate_bucket runs on it with no Dask. Prints CPU ms per
patient and patient × trial evaluations per CPU-second, or the top functions by cumulative and own
time, and ends with one JSON line.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_population import AS_OF, SYNTHEA, carebundle_resources  # noqa: E402

from service.population.bucket import evaluate_bucket, worker_rulebook  # noqa: E402
from service.population.inputs import list_inputs  # noqa: E402
from service.population.partition import partition_file  # noqa: E402
from service.rulebook.book import DEFAULT_RULES_DIR  # noqa: E402
from tests.helpers.population_data import (  # noqa: E402
    bundle_resources,
    synthea_bundles,
    varied_copies,
    write_population,
)


def one_bucket(source: str, copies: int, work: Path, vary: bool = False) -> Path:
    """Write the population as NDJSON and partition it into one bucket; return the parts
    directory.
    """
    if source == "carebundle":
        resources = carebundle_resources(None, Path(tempfile.gettempdir()) / "bench-population")
    else:
        resources = [r for b in synthea_bundles(SYNTHEA) for r in bundle_resources(b)]
    ndjson, parts = work / "in", work / "parts"
    if vary:
        write_population(varied_copies(resources, copies), ndjson)
    else:
        write_population(resources, ndjson, copies=copies)
    for task, item in enumerate(list_inputs(str(ndjson))):
        partition_file(item, task, str(parts), 1)
    return parts


def main() -> None:
    """Build one bucket, then time or profile evaluating it."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--source", choices=["carebundle", "synthea"], default="carebundle")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--vary",
        action="store_true",
        help="shift each copy's dates and scale its values, so copies share no labs",
    )
    args = parser.parse_args()
    rules = str(DEFAULT_RULES_DIR)
    book = worker_rulebook(rules)
    trials = sorted(book.trials)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        parts = one_bucket(args.source, args.copies, work, args.vary)

        def run() -> dict[str, object]:
            results = work / "results"
            shutil.rmtree(results, ignore_errors=True)
            return evaluate_bucket(0, str(parts), str(results), rules, trials, AS_OF.isoformat(), 1)

        run()  # warm: the value-set match caches fill on the first patients, as on a worker
        profiler = cProfile.Profile() if args.profile else None
        start = time.process_time()
        if profiler:
            profiler.enable()
        stats = run()
        if profiler:
            profiler.disable()
        cpu = time.process_time() - start
    patients = int(stats["patients"])  # type: ignore[call-overload]
    if profiler:
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler).sort_stats(order).print_stats(args.top)
    figures = {
        "source": args.source,
        "varied": args.vary,
        "patients": patients,
        "cpuMsPerPatient": round(cpu * 1000 / patients, 3),
        "evaluationsPerCpuSecond": round(patients * len(trials) / cpu, 1),
        "profiled": bool(profiler),
    }
    print(orjson.dumps(figures).decode())


if __name__ == "__main__":
    main()
