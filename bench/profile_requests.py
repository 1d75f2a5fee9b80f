"""Profile (cProfile) or time (CPU) the CDS hook and POST /trials/{id}/eligibility in-process, with
Flask's test client.

Run: python bench/profile_requests.py [hook|eligibility] [--runs 30] [--profile] [--trial
NCT06761417] The hook body is bench_cds_hook's (Fletcher_Hyatt's prefetch plus recent labs, cards
for all five trials; JWT verification off here, it is timed by bench_cds_hook under gunicorn); the
eligibility body is Fletcher_Hyatt's compact Bundle. Prints CPU ms per request (min / median) beside
orjson.loads of the same body, or the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_cds_hook import SYNTHEA, hook_body  # noqa: E402

from service import create_app  # noqa: E402


def main() -> None:
    """Build the app and body, then time or profile the route."""
    parser = argparse.ArgumentParser()
    parser.add_argument("route", choices=["hook", "eligibility"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--trial", default="NCT06761417")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "CDS_JWT_VERIFY": False,
                "CDS_FEEDBACK_DB": f"{tmp}/f.sqlite3",
                "CDS_SHOW_INELIGIBLE": True,
                "CDS_REQUIRE_TARGET_DISEASE": False,
                "CDS_PUBLIC_URL": "http://127.0.0.1:1",
            }
        )
        client = app.test_client()
        if args.route == "hook":
            body, url = orjson.dumps(hook_body()), "/cds-services/trial-eligibility"
        else:
            bundle = orjson.loads(next(SYNTHEA.glob("Fletcher_Hyatt*.json")).read_bytes())
            body, url = (
                orjson.dumps({"bundle": bundle, "asOf": "2020-06-01"}),
                f"/trials/{args.trial}/eligibility",
            )

        def call() -> None:
            response = client.post(url, data=body, headers={"Content-Type": "application/json"})
            # S101: a bench, not the service
            assert response.status_code == 200, response.text[:300]  # noqa: S101

        for _ in range(5):
            call()
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.runs):
                call()
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
            return
        samples = sorted(_cpu(call) for _ in range(args.runs))
        parse = sorted(_cpu(lambda: orjson.loads(body)) for _ in range(args.runs))
    cpu, floor = statistics.median(samples), statistics.median(parse)
    print(
        f"{args.route}: body {len(body) / 1e6:.2f} MB; CPU per request min {samples[0]:.2f} / "
        f"median {statistics.median(samples):.2f} ms; "
        f"orjson.loads min {parse[0]:.2f} / median {statistics.median(parse):.2f} ms; ratio "
        f"(medians) {cpu / floor:.2f}"
    )
    print(
        orjson.dumps(
            {
                "bench": f"profile_{args.route}",
                "cpu_ms": round(cpu, 3),
                "cpu_min_ms": round(samples[0], 3),
                "parse_ms": round(floor, 3),
                "cpu_over_parse": round(cpu / floor, 2),
            }
        ).decode()
    )


def _cpu(action: object) -> float:
    start = time.thread_time()
    action()  # type: ignore[operator]
    return (time.thread_time() - start) * 1000


if __name__ == "__main__":
    main()
