"""Benchmark: the patient × trial page against the JSON report of the same patient, and a
10,000-patient worklist page.

Run: python bench/bench_pages.py [--repeat 30] [--patients 10000]
Both are served by the app on 127.0.0.1 (a werkzeug server in a thread) and fetched with requests,
so the times include HTTP. The report is a bundled fixture patient (fetched by id, evaluated each
time, as the page does). The worklist run directory is synthetic, written per
docs/SCREEN_CONTRACT.md; its first view parses the CSV (cold), later views hit the parsed-worklist
cache (warm), and a sorted + filtered view re-sorts all rows. Goals: page ≤ 2 × JSON; worklist page
< 1 s. The last line is JSON.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service import create_app  # noqa: E402
from tests.helpers.screen_run import synthetic_rows, write_run  # noqa: E402

PATIENT = "nct03890068-creatinine-high-no-weight"
TRIAL = "NCT03890068"
AS_OF = "2026-11-20"


def ok(response: requests.Response) -> requests.Response:
    """Stop the benchmark on an answer that is not 200: a fast error is not a measurement."""
    if response.status_code != 200:
        raise SystemExit(f"{response.url}: HTTP {response.status_code}")
    return response


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    """Return the wall times in ms of `repeat` calls (after one warm-up)."""
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    """Measure and print the figures, then one JSON line."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access line per request
    tmp = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    write_run(
        tmp / "screens", "bench-10k", synthetic_rows(args.patients), population=args.patients * 3
    )
    app = create_app(
        {"CDS_FEEDBACK_DB": str(tmp / "cds.sqlite3"), "SCREENS_DIR": str(tmp / "screens")}
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    session = requests.Session()

    def json_report() -> None:
        ok(
            session.post(
                f"{base}/trials/{TRIAL}/eligibility",
                json={"patientId": PATIENT, "asOf": AS_OF},
                timeout=30,
            )
        )

    def report_page() -> None:
        ok(session.get(f"{base}/ui/patients/{PATIENT}/trials/{TRIAL}?asOf={AS_OF}", timeout=30))

    run_url = f"{base}/ui/screens/bench-10k?trial={TRIAL}"
    start = time.perf_counter()
    ok(session.get(run_url, timeout=30))
    cold_ms = (time.perf_counter() - start) * 1000

    def worklist_page() -> None:
        ok(session.get(run_url, timeout=30))

    def worklist_sorted() -> None:
        url = f"{run_url}&sort=toObtain&dir=desc&q=anc&verdict=insufficient-data&page=3"
        ok(session.get(url, timeout=30))

    def worklist_csv() -> None:
        ok(session.get(f"{base}/ui/screens/bench-10k/trials/{TRIAL}/worklist.csv", timeout=30))

    figures = {}
    for name, call in (
        ("jsonReport", json_report),
        ("reportPage", report_page),
        ("worklistPage", worklist_page),
        ("worklistSortedFiltered", worklist_sorted),
        ("worklistCsv", worklist_csv),
    ):
        times = sorted(timed(call, args.repeat))
        figures[name] = {
            "p50": round(statistics.median(times), 1),
            "p90": round(times[int(0.9 * (len(times) - 1))], 1),
        }
        print(f"{name:24} p50 {figures[name]['p50']:8.1f} ms   p90 {figures[name]['p90']:8.1f} ms")
    server.shutdown()
    # The same two without HTTP (Flask's test client), so the ratio is of the service's own work
    # only.
    client = app.test_client()
    page_url = f"/ui/patients/{PATIENT}/trials/{TRIAL}?asOf={AS_OF}"
    local = {
        "jsonReport": statistics.median(
            timed(
                lambda: client.post(
                    f"/trials/{TRIAL}/eligibility", json={"patientId": PATIENT, "asOf": AS_OF}
                ),
                args.repeat,
            )
        ),
        "reportPage": statistics.median(timed(lambda: client.get(page_url), args.repeat)),
    }
    local_ratio = local["reportPage"] / local["jsonReport"]
    print(
        f"in-process p50: JSON {local['jsonReport']:.1f} ms, page {local['reportPage']:.1f} ms, "
        f"ratio {local_ratio:.2f}"
    )
    ratio = figures["reportPage"]["p50"] / figures["jsonReport"]["p50"]
    print(f"worklist first view (parses {args.patients:,} CSV rows): {cold_ms:.1f} ms")
    print(f"report page / JSON report (p50): {ratio:.2f} (goal ≤ 2)")
    result = {
        "bench": "pages",
        "patients": args.patients,
        "repeat": args.repeat,
        "reportOverJson": round(ratio, 2),
        "worklistColdMs": round(cold_ms, 1),
        **figures,
        "inProcess": {k: round(v, 1) for k, v in local.items()}
        | {"reportOverJson": round(local_ratio, 2)},
        "goals": {"reportOverJsonMax": 2, "worklistMsMax": 1000},
        "met": max(ratio, local_ratio) <= 2
        and max(cold_ms, figures["worklistPage"]["p90"], figures["worklistSortedFiltered"]["p90"])
        < 1000,
    }
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
