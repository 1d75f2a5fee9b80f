"""Benchmark: GET /health latency under real gunicorn while slow clients and evaluations on a hung
FHIR server hold the workers.

Run: python bench/bench_health.py [--slow 6] [--hung 6] [--workers 1] [--probes 50]
Starts gunicorn with the project's config file (service/server/gunicorn_conf.py), a FHIR server that
accepts and never answers, `--slow` clients that stop mid-request and `--hung` evaluations by id
waiting on that server; then times `--probes` health checks. Prints p50 / p99 / max in ms; the last
line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.helpers.gunicorn import (  # noqa: E402
    gunicorn,
    health_latency,
    hung_evaluations,
    hung_fhir_server,
    slow_clients,
)


def main() -> None:
    """Run the scenario and print the figures."""
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--slow", type=int, default=6)
    parser.add_argument("--hung", type=int, default=6)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--probes", type=int, default=50)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as logs,
        hung_fhir_server() as fhir,
        gunicorn(
            {"ELIGIBILITY_FHIR_BASE_URL": fhir, "ELIGIBILITY_API_AUTH": "none"},
            Path(logs),
            workers=args.workers,
        ) as url,
    ):
        idle = [health_latency(url) * 1000 for _ in range(args.probes)]
        stalled = slow_clients(url, args.slow)
        hung_evaluations(url, args.hung)
        time.sleep(1.5)
        loaded = [health_latency(url) * 1000 for _ in range(args.probes)]
        for sock in stalled:
            sock.close()
    figures = {
        "bench": "health",
        "workers": args.workers,
        "slowClients": args.slow,
        "hungEvaluations": args.hung,
        "probes": args.probes,
        "idleP50Ms": round(statistics.median(idle), 2),
        "loadedP50Ms": round(statistics.median(loaded), 2),
        "loadedP99Ms": round(statistics.quantiles(loaded, n=100, method="inclusive")[98], 2),
        "loadedMaxMs": round(max(loaded), 2),
    }
    print(f"idle: p50 {figures['idleP50Ms']} ms")
    print(
        f"{args.slow} slow clients + {args.hung} hung evaluations, {args.workers} worker(s): "
        f"p50 {figures['loadedP50Ms']} ms, p99 {figures['loadedP99Ms']} ms, max "
        f"{figures['loadedMaxMs']} ms"
    )
    print(orjson.dumps(figures).decode())


if __name__ == "__main__":
    main()
